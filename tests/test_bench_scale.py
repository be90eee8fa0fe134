"""Smoke test of the scale benchmark: tiny sizes, result shape, ours == naive rank-bm25 (no timings)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from benchmarks.bench_scale import SEEDS_DIR, format_scale_table, run_scale_bench

SENTENCES = [
    "金水区 社区 开展 垃圾 分类 宣传 活动",
    "二七区 街道 组织 党员 志愿者 清扫 积雪",
    "中原区 新建 公园 预计 年底 开放",
    "管城区 老旧 小区 改造 加装 电梯",
    "惠济区 社区 医院 提供 免费 体检 服务",
    "郑东新区 地铁 站 周边 交通 调整",
]


def check_shape(result: dict, sizes: tuple[int, ...]) -> None:
    json.dumps(result)  # JSON-serialisable
    assert result["params"]["sizes"] == list(sizes)
    assert [run["docs"] for run in result["runs"]] == list(sizes)
    for run in result["runs"]:
        assert run["agree"] is True
        assert run["agree_checked"] > 0
        assert set(run["engines"]) == {"ours", "naive", "bm25s", "bm25s_numba"}
        for name in ("ours", "naive"):
            engine = run["engines"][name]
            assert engine["available"] is True
            for key in ("build_s", "peak_mb", "retained_mb", "p50_ms", "p99_ms"):
                assert engine[key] >= 0
            assert engine["p99_ms"] >= engine["p50_ms"]
        ours = run["engines"]["ours"]
        assert ours["backend"] in ("python", "numpy", "numba")
        assert (ours["jit_warmup_s"] is None) == (ours["backend"] != "numba")
        assert set(run["ratios"]) == {
            f"{e}_over_ours_{s}" for e in ("naive", "bm25s", "bm25s_numba") for s in ("p50_ms", "p99_ms")
        }
    assert result["agree"] is True
    table = format_scale_table(result)
    assert "ours" in table and "naive" in table


def test_quick_bench_with_supplied_sentences() -> None:
    result = run_scale_bench(sizes=(500,), quick=True, sentences=SENTENCES, tokenize=str.split)
    check_shape(result, (500,))
    assert result["params"]["queries"] == 20
    assert result["runs"][0]["engines"]["naive"]["queries"] == 20
    assert result["runs"][0]["engines"]["ours"]["backend"] == "python"  # "auto" below 2,000 docs
    assert "ours backend: python" in format_scale_table(result)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="no numba")
def test_quick_bench_with_numba_backend() -> None:
    result = run_scale_bench(
        sizes=(400,), quick=True, sentences=SENTENCES, tokenize=str.split, with_bm25s=False, backend="numba"
    )
    check_shape(result, (400,))
    ours = result["runs"][0]["engines"]["ours"]
    assert ours["backend"] == "numba" and ours["jit_warmup_s"] >= 0
    assert result["params"]["backend"] == "numba"
    assert "ours backend: numba (numba import + compile/load" in format_scale_table(result)


def test_table_of_results_without_backend_fields() -> None:
    # Results saved before the backend fields existed still format.
    result = run_scale_bench(
        sizes=(300,), quick=True, sentences=SENTENCES, tokenize=str.split, with_bm25s=False
    )
    for run in result["runs"]:
        del run["engines"]["ours"]["backend"], run["engines"]["ours"]["jit_warmup_s"]
    assert "ours backend" not in format_scale_table(result)


def test_bench_is_deterministic() -> None:
    def run() -> dict:
        return run_scale_bench(
            sizes=(300,), quick=True, sentences=SENTENCES, tokenize=str.split, with_bm25s=False
        )

    first, second = run(), run()
    for a, b in zip(first["runs"], second["runs"], strict=True):
        assert (a["avg_tokens"], a["vocabulary"]) == (b["avg_tokens"], b["vocabulary"])
    assert first["runs"][0]["engines"]["bm25s"] == {"available": False}
    assert first["runs"][0]["engines"]["bm25s_numba"] == {"available": False}


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="seed reports not present")
def test_quick_bench_on_seed_reports_with_jieba() -> None:
    check_shape(run_scale_bench(sizes=(500,), quick=True), (500,))
