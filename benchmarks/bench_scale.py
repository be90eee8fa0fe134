"""Retrieval at scale: naive rank-bm25 vs bot.engine.index.BM25Index vs bm25s on synthetic corpora.

The knowledge base is small today; this shows how retrieval behaves when it is 10-100x larger. Passages
are built from real sentences (their tokens re-mixed), so vocabulary and term frequencies are realistic.

Memory is the tracemalloc peak during an isolated build (Python objects and numpy buffers, both traced;
the corpus itself is allocated beforehand and not counted) plus what the built index still holds. Build
time comes from a separate untraced build, since tracing slows allocation-heavy code several-fold.

"ours" records its query backend (numpy, or the numba-compiled loop from 20k docs). The one-off numba
import + kernel compile (or load from numba's on-disk cache) happens once per process; it is timed on
its own (``jit_warmup_s``) before the build, so ``build_s`` never includes it.
"""

from __future__ import annotations

import gc
import random
import re
import time
import tracemalloc
import unicodedata
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bot.engine.index import _NUMBA_MIN_DOCS, BM25Index, warm_up_numba

SEEDS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
TOP_K = 10
PASSAGE_TOKENS = (50, 100)  # uniform length range: ~75 tokens on average
NAIVE_FULL_UP_TO = 20_000  # above this many docs the naive engine is timed on fewer queries
_SENTENCE_END = re.compile(r"[。！？!?\n]+")


def load_seed_sentences(directory: Path = SEEDS_DIR) -> list[str]:
    """Sentences of every file in ``directory`` (sorted by name), split on 。!? and line breaks."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.iterdir()) if p.is_file())
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _is_word(token: str) -> bool:
    """False for tokens made only of whitespace/punctuation (Unicode categories Z* and P*)."""
    return any(not (ch.isspace() or unicodedata.category(ch)[0] in "PZ") for ch in token)


def jieba_tokenize(text: str) -> list[str]:
    """Default tokenizer: jieba.lcut without whitespace/punctuation tokens."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [t for t in jieba.lcut(text) if _is_word(t)]


def make_passages(token_sentences: Sequence[Sequence[str]], n: int, rng: random.Random) -> list[list[str]]:
    """``n`` passages of ~75 tokens, each a concatenation of random sentences cut to a random length."""
    lo, hi = PASSAGE_TOKENS
    passages = []
    for _ in range(n):
        length = rng.randint(lo, hi)
        passage: list[str] = []
        while len(passage) < length:
            passage.extend(rng.choice(token_sentences))
        passages.append(passage[:length])
    return passages


def sample_queries(passages: Sequence[Sequence[str]], count: int, rng: random.Random) -> list[list[str]]:
    """Queries of 2-5 tokens drawn from random passages (so every query has matches)."""
    queries = []
    for _ in range(count):
        passage = rng.choice(passages)
        queries.append(rng.sample(list(passage), min(len(passage), rng.randint(2, 5))))
    return queries


def _measure_build(build: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """Build twice: untraced for wall time (the instance kept), traced for peak/retained memory."""
    gc.collect()
    start = time.perf_counter()
    engine = build()
    build_s = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    try:
        traced = build()
        retained, peak = tracemalloc.get_traced_memory()
        del traced
    finally:
        tracemalloc.stop()
    gc.collect()
    return engine, {"build_s": build_s, "peak_mb": peak / 2**20, "retained_mb": retained / 2**20}


def _latencies(search: Callable[[list[str]], Any], queries: Sequence[list[str]]) -> tuple[list[Any], dict]:
    """Per-query wall time in ms (after one warm-up query) and the results."""
    if queries:
        search(queries[0])
    results, times = [], []
    for query in queries:
        start = time.perf_counter()
        results.append(search(query))
        times.append((time.perf_counter() - start) * 1e3)
    stats = {
        "queries": len(times),
        "p50_ms": float(np.percentile(times, 50)) if times else None,
        "p99_ms": float(np.percentile(times, 99)) if times else None,
    }
    return results, stats


def _naive_top(model: Any, query: list[str]) -> list[tuple[int, float]]:
    """rank-bm25 as typically used: score every doc, full argsort (stable: ties by doc id)."""
    scores = model.get_scores(query)
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] != 0][:TOP_K]  # BM25Index returns only docs with a non-zero score
    return [(int(d), float(scores[d])) for d in order]


def _bm25s_top(retriever: Any, k: int, query: list[str]) -> Any:
    """bm25s takes a batch of pre-tokenized queries; time it one query at a time like the others."""
    return retriever.retrieve([query], k=k, show_progress=False)


def _agrees(ours: Sequence[Sequence[Any]], naive: Sequence[list[tuple[int, float]]]) -> bool:
    """Same top-10 doc ids in the same order and scores within 1e-9."""
    for hits, expected in zip(ours, naive, strict=False):
        if [h.doc for h in hits] != [d for d, _ in expected]:
            return False
        if any(abs(h.score - s) > 1e-9 for h, (_, s) in zip(hits, expected, strict=True)):
            return False
    return True


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


def _bench_size(
    n: int,
    token_sentences: Sequence[Sequence[str]],
    queries: int,
    seed: int,
    naive_queries: int | None,
    with_bm25s: bool,
    backend: str = "auto",
) -> dict[str, Any]:
    from rank_bm25 import BM25Okapi

    passages = make_passages(token_sentences, n, random.Random(f"{seed}/{n}/corpus"))
    qs = sample_queries(passages, queries, random.Random(f"{seed}/{n}/queries"))
    if naive_queries is None:
        naive_queries = len(qs) if n <= NAIVE_FULL_UP_TO else 50
    engines: dict[str, dict[str, Any]] = {}

    # numba import + compile/cache load, once per process: timed apart from (and before) the build.
    wants_numba = backend == "numba" or (backend == "auto" and n >= _NUMBA_MIN_DOCS)
    jit_s = warm_up_numba() if wants_numba else None
    ours, build = _measure_build(lambda: BM25Index(passages, backend=backend))
    our_hits, stats = _latencies(partial(ours.top_k, k=TOP_K), qs)
    engines["ours"] = {
        "available": True,
        **build,
        **stats,
        "backend": ours.backend,
        "jit_warmup_s": jit_s if ours.backend == "numba" else None,
    }
    del ours

    naive, build = _measure_build(lambda: BM25Okapi(passages))
    naive_hits, stats = _latencies(partial(_naive_top, naive), qs[:naive_queries])
    engines["naive"] = {"available": True, **build, **stats}
    del naive
    gc.collect()

    engines["bm25s"] = {"available": False}
    if with_bm25s:
        try:
            import bm25s
        except ImportError:
            pass
        else:

            def build_bm25s() -> Any:
                retriever = bm25s.BM25()
                retriever.index(passages, show_progress=False)
                return retriever

            retriever, build = _measure_build(build_bm25s)
            _, stats = _latencies(partial(_bm25s_top, retriever, min(TOP_K, n)), qs)
            engines["bm25s"] = {"available": True, "variant": "bm25s.BM25() defaults", **build, **stats}
            del retriever
            gc.collect()

    return {
        "docs": n,
        "avg_tokens": sum(map(len, passages)) / n,
        "vocabulary": len({t for p in passages for t in p}),
        "agree": _agrees(our_hits, naive_hits),
        "agree_checked": len(naive_hits),
        "engines": engines,
        "ratios": {
            f"{other}_over_ours_{stat}": _ratio(engines[other].get(stat), engines["ours"][stat])
            for other in ("naive", "bm25s")
            for stat in ("p50_ms", "p99_ms")
        },
    }


def run_scale_bench(
    sizes: Sequence[int] = (10_000, 100_000),
    queries: int = 300,
    seed: int = 7,
    sentences: Sequence[str] | None = None,
    tokenize: Callable[[str], list[str]] | None = None,
    *,
    naive_queries: int | None = None,
    quick: bool = False,
    with_bm25s: bool = True,
    backend: str = "auto",
) -> dict[str, Any]:
    """Benchmark the three engines on synthetic corpora of each size; JSON-serialisable result.

    ``sentences`` default to the seed reports in ``../shared/seeds``, ``tokenize`` to jieba.
    ``naive_queries`` caps how many queries time rank-bm25 (default: all up to 20k docs, else 50);
    agreement is checked on those. ``quick`` caps queries at 20 for smoke tests. ``backend`` is passed
    to BM25Index ("auto": numba from 20k docs).
    """
    if quick:
        queries = min(queries, 20)
    if sentences is None:
        sentences = load_seed_sentences()
    tokenize = tokenize or jieba_tokenize
    token_sentences = [tokens for tokens in map(tokenize, sentences) if tokens]
    if not token_sentences:
        raise ValueError("no tokens in the supplied sentences")
    runs = [_bench_size(n, token_sentences, queries, seed, naive_queries, with_bm25s, backend) for n in sizes]
    return {
        "params": {
            "sizes": list(sizes),
            "queries": queries,
            "seed": seed,
            "k": TOP_K,
            "sentences": len(token_sentences),
            "passage_tokens": list(PASSAGE_TOKENS),
            "memory": "tracemalloc peak MB during an isolated build; retained = still traced after it",
            "build_time": "wall time of a separate untraced build",
            "backend": backend,
            "jit": "numba import + kernel compile or cache load, once per process, not in build_s",
        },
        "agree": all(run["agree"] for run in runs),
        "runs": runs,
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_scale_table(result: dict[str, Any]) -> str:
    """Plain-text table of a ``run_scale_bench`` result."""
    header = f"{'docs':>8} {'engine':<7} {'build s':>8} {'peak MB':>8} {'held MB':>8} {'n q':>5} "
    header += f"{'p50 ms':>9} {'p99 ms':>9} {'p50 x':>7} {'p99 x':>7}"
    lines = [header, "-" * len(header)]
    for run in result["runs"]:
        ours = run["engines"]["ours"]
        for name in ("ours", "naive", "bm25s"):
            eng = run["engines"][name]
            if not eng.get("available"):
                lines.append(f"{run['docs']:>8} {name:<7} (not installed)")
                continue
            lines.append(
                f"{run['docs']:>8} {name:<7} {eng['build_s']:>8.2f} {eng['peak_mb']:>8.1f} "
                f"{eng['retained_mb']:>8.1f} {eng['queries']:>5} {_fmt(eng['p50_ms'], '.3f'):>9} "
                f"{_fmt(eng['p99_ms'], '.3f'):>9} {_fmt(_ratio(eng['p50_ms'], ours['p50_ms']), '.1f'):>7} "
                f"{_fmt(_ratio(eng['p99_ms'], ours['p99_ms']), '.1f'):>7}"
            )
        lines.append(
            f"{'':>8} avg {run['avg_tokens']:.1f} tokens/doc, vocabulary {run['vocabulary']}, "
            f"ours == naive top-{result['params']['k']} on {run['agree_checked']} queries: {run['agree']}"
        )
        if "backend" in ours:  # results saved before the numba backend existed lack it
            jit = ours.get("jit_warmup_s")
            jit_note = "" if jit is None else f" (numba import + compile/load {jit:.2f} s, not in build s)"
            lines.append(f"{'':>8} ours backend: {ours['backend']}{jit_note}")
    lines.append("p50 x / p99 x = engine latency / ours; " + result["params"]["memory"])
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    quick = "--quick" in sys.argv
    res = run_scale_bench(sizes=(500,) if quick else (10_000, 100_000), quick=quick)
    print(format_scale_table(res))
    print(json.dumps(res, ensure_ascii=False, indent=1))
