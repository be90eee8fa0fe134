"""Smoke test of ``python run_bot.py bench --quick``: it runs, prints the table and writes well-formed JSON.

No timing is asserted: figures depend on the machine; only their presence and shape are checked.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import pytest

from benchmarks.bench import LIBRARIES, STARTUP_COMMANDS, evaluate_targets
from benchmarks.bench_scale import SEEDS_DIR
from bot.cli import main

TARGET_NAMES = {
    "engine p50",
    "engine p99",
    "start-up ask / baseline",
    "start-up console / baseline",
    "start-up serve / baseline",
    "start-up telegram / baseline",
    "reload, one edit",
    "10x warm / 1x cold start",
    "100k ours query p50",
    "100k naive / ours p50",
    "100k bm25s / ours p50",
    "100k bm25s numba / ours p50",
    "100k ours index build",
    "100k ours peak memory",
    "telegram updates/s",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    """One quick run shared by the tests (it takes a few seconds): exit code, JSON, printed text."""
    if not SEEDS_DIR.is_dir():  # the generic baseline reads the delivered articles beside the checkout
        pytest.skip(f"no seed articles at {SEEDS_DIR}")
    out = tmp_path_factory.mktemp("bench") / "nested" / "bench.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["bench", "--quick", "--out", str(out)])
    return code, json.loads(out.read_text(encoding="utf-8")), printed.getvalue()


@pytest.mark.slow
def test_quick_bench_writes_json(quick_run: tuple[int, dict, str]) -> None:
    code, data, _ = quick_run
    assert code == 0
    assert data["quick"] is True
    assert data["machine"]["cpu_count"] == os.cpu_count()
    assert set(data["versions"]) == set(LIBRARIES)
    assert data["versions"]["numpy"]

    startup = data["startup"]
    for name in ("baseline", *STARTUP_COMMANDS):
        assert startup["median_s"][name] > 0
        assert len(startup["walls_s"][name]) == startup["runs"]
    assert set(startup["over_baseline"]) == set(STARTUP_COMMANDS) == {"ask", "console", "serve", "telegram"}
    assert startup["ask_cold_s"] > 0 and startup["reload_one_edit_s"] > 0
    assert set(startup["framework_floor_over_baseline"]) == {"serve", "telegram"}
    assert all(ratio > 0 for ratio in startup["framework_floor_over_baseline"].values())
    rows = data["growth"]["rows"]
    assert [row["factor"] for row in rows] == [1, 2]
    assert rows[1]["source_files"] > rows[0]["source_files"]
    assert all(row["start_warm_s"] > 0 and row["max_rss_mb"] > 0 and row["p50_ms"] > 0 for row in rows)

    latency = data["latency"]
    assert latency["n"] == latency["messages_per_pass"] * latency["repeats"] > 0
    assert 0 < latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert {"events", "passages", "fallback", "chitchat"} <= set(latency["by_kind"])
    assert set(data["stages"]["mean_us"]) == {"normalise", "route", "retrieve", "compose"}

    assert [run["docs"] for run in data["scale"]["runs"]] == [2_000]
    assert data["scale"]["agree"] is True

    telegram = data["telegram"]
    assert telegram["measured"] is True, telegram.get("reason")
    assert telegram["updates"] == telegram["residents"] * 10 and telegram["updates_per_s"] > 0
    assert telegram["lost"] == telegram["duplicated"] == telegram["misrouted"] == telegram["wrong_text"] == 0
    assert 0 < telegram["latency_p50_s"] <= telegram["latency_p99_s"]

    targets = {t["name"]: t for t in data["targets"]}
    assert set(targets) == TARGET_NAMES
    assert all(t["met"] in (True, False, None) for t in targets.values())
    assert targets["100k ours query p50"]["met"] is None  # quick runs no 100k corpus
    assert targets["engine p50"]["met"] is not None
    assert targets["telegram updates/s"]["met"] is not None


@pytest.mark.slow
def test_quick_bench_prints_table(quick_run: tuple[int, dict, str]) -> None:
    _, _, text = quick_run
    for heading in ("start-up", "growth", "whole engine", "retrieval at scale", "Telegram", "targets"):
        assert heading in text
    assert "ours" in text and "naive" in text
    assert "figures written to" in text


def test_missed_and_unmeasured_targets() -> None:
    results = {
        "latency": {"p50_ms": 2.0, "p99_ms": 4.0},
        "startup": {"over_baseline": {"ask": 0.4, "console": 0.6}, "reload_one_edit_s": 0.5},
        "growth": {"rows": [{"factor": 1, "start_cold_s": 1.0}, {"factor": 10, "start_warm_s": 1.2}]},
        "scale": {
            "runs": [
                {
                    "docs": 100_000,
                    "engines": {"ours": {"p50_ms": 0.1, "build_s": 12.0, "peak_mb": 300.0}},
                    "ratios": {"naive_over_ours_p50_ms": 900.0, "bm25s_over_ours_p50_ms": None},
                }
            ]
        },
    }
    met = {t["name"]: t["met"] for t in evaluate_targets(results)}
    assert met["engine p50"] is False
    assert met["engine p99"] is True
    assert met["100k ours index build"] is False
    assert met["100k naive / ours p50"] is True
    assert met["100k bm25s / ours p50"] is None
    assert met["start-up ask / baseline"] is True
    assert met["start-up console / baseline"] is False
    assert met["start-up telegram / baseline"] is None
    assert met["reload, one edit"] is True
    assert met["10x warm / 1x cold start"] is True
    assert met["telegram updates/s"] is None  # not measured


def test_telegram_target_needs_the_rate_and_sound_replies() -> None:
    """200 updates/s counts only when every reply arrived once, in order, to its resident."""
    base = {
        "latency": {"p50_ms": 0.5, "p99_ms": 1.0},
        "startup": {},
        "scale": {"runs": []},
    }
    fast = {"updates_per_s": 250.0, "lost": 0, "duplicated": 0, "misrouted": 0, "wrong_text": 0}
    met = {t["name"]: t["met"] for t in evaluate_targets({**base, "telegram": fast})}
    assert met["telegram updates/s"] is True
    met = {t["name"]: t["met"] for t in evaluate_targets({**base, "telegram": {**fast, "lost": 3}})}
    assert met["telegram updates/s"] is False
    met = {
        t["name"]: t["met"] for t in evaluate_targets({**base, "telegram": {**fast, "updates_per_s": 150.0}})
    }
    assert met["telegram updates/s"] is False


def test_profile_lists_where_time_goes() -> None:
    """The profile printed when a whole-engine target is missed names the engine's functions."""
    from benchmarks.bench import profile_engine

    class Reply:
        text = "答"

    class SlowEngine:
        def answer(self, message: str, state: object) -> Reply:
            sum(range(1000))
            return Reply()

    lines = profile_engine(SlowEngine(), [("c1", ["你好", "那2月5日呢?"])], repeats=2)
    assert any("answer" in line for line in lines)
