"""Retrieval at scale: rank-bm25, bot.engine.index.BM25Index and bm25s (numpy and numba) on one corpus.

Like with like, in one interleaved run: every engine answers the same queries, one query at a time,
taking turns query by query so machine noise hits all of them alike. bm25s is configured to the same
formula as rank-bm25 (``method="atire", idf_method="robertson"``: Okapi's tf part, Robertson's idf) and
its top-10 is checked against ours; rank-bm25 additionally floors negative idf at epsilon x average idf,
so top-10s can differ only where a query term occurs in more than half of the documents.

The default corpus has a realistic vocabulary: words drawn by jieba's dictionary frequencies (Zipf-like,
~350k words), not re-mixed seed sentences (2,744 words, so every common word touches most documents).
Queries are 2-5 words of a random passage with stop words removed (the shipped stop word list plus the
most frequent dictionary words), as a resident's question reaches the index.

Memory: tracemalloc peak during an isolated build, plus the process RSS growth over the build (numpy
and numba allocations tracemalloc may not see). numba's import and compile are timed once, and its cost
in a fresh process (compile from an empty cache, RSS added) is measured by ``numba_cost``.
"""

from __future__ import annotations

import gc
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bot.engine.index import NUMBA_MIN_DOCS, BM25Index
from bot.engine.index_arrays import warm_up_numba


def _shared_dir() -> Path:
    """``shared/`` beside the repository (or beside any folder above it: worktrees live deeper)."""
    here = Path(__file__).resolve().parents[1]
    return next((p / "shared" for p in here.parents if (p / "shared").is_dir()), here.parent / "shared")


SHARED_DIR = _shared_dir()
SEEDS_DIR = SHARED_DIR / "seeds"
TOP_K = 10
PASSAGE_TOKENS = (50, 100)  # uniform length range: ~75 tokens on average
NAIVE_FULL_UP_TO = 20_000  # above this many docs the naive engine is timed on fewer queries
# Dictionary words this frequent are stop words for queries: function words a question barely needs.
QUERY_STOP_TOP = 200
_SENTENCE_END = re.compile(r"[。！？!?\n]+")
# bm25s configured to rank-bm25's formula (see the module docstring).
BM25S_CONFIG = {"method": "atire", "idf_method": "robertson", "k1": 1.5, "b": 0.75}


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


def jieba_vocabulary() -> tuple[list[str], np.ndarray]:
    """jieba's dictionary words and their frequencies as probabilities (words with a frequency only)."""
    import jieba

    words: list[str] = []
    counts: list[int] = []
    with open(Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME, encoding="utf-8") as handle:
        for line in handle:
            word, freq = line.split(" ", 2)[:2]
            if int(freq) > 0:
                words.append(word)
                counts.append(int(freq))
    weights = np.asarray(counts, dtype=np.float64)
    return words, weights / weights.sum()


def dictionary_passages(n: int, seed: int) -> tuple[list[list[str]], set[str]]:
    """``n`` passages of 50-100 words drawn by jieba's dictionary frequencies; and the query stop words."""
    words, probs = jieba_vocabulary()
    rng = np.random.default_rng(seed)
    lo, hi = PASSAGE_TOKENS
    lengths = rng.integers(lo, hi + 1, size=n)
    drawn = rng.choice(len(words), size=int(lengths.sum()), p=probs).tolist()
    passages, at = [], 0
    for length in lengths.tolist():
        passages.append([words[i] for i in drawn[at : at + length]])
        at += length
    stop = {words[i] for i in np.argsort(-probs)[:QUERY_STOP_TOP].tolist()} | _shipped_stopwords()
    return passages, stop


def _shipped_stopwords() -> set[str]:
    import yaml

    from bot.engine import DEFAULT_KNOWLEDGE

    path = DEFAULT_KNOWLEDGE / "lexicon" / "stopwords.yaml"
    if not path.is_file():
        return set()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return set(data.get("stopwords", [])) if isinstance(data, dict) else set()


def query_terms(
    passages: Sequence[Sequence[str]], count: int, rng: random.Random, stop: set[str]
) -> list[list[str]]:
    """Queries of 2-5 words of a random passage (so every query has matches), without stop words."""
    queries = []
    while len(queries) < count:
        passage = [t for t in rng.choice(passages) if t not in stop]
        if len(passage) >= 2:
            queries.append(rng.sample(passage, min(len(passage), rng.randint(2, 5))))
    return queries


def _rss_mb() -> float | None:
    """Resident set size of this process now (Linux), MB."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def _measure_build(build: Callable[[], Any]) -> tuple[Any, dict[str, float | None]]:
    """Build twice: untraced for wall time and RSS growth (the instance kept), traced for peak memory."""
    gc.collect()
    rss = _rss_mb()
    start = time.perf_counter()
    engine = build()
    build_s = time.perf_counter() - start
    after = _rss_mb()
    gc.collect()
    tracemalloc.start()
    try:
        traced = build()
        retained, peak = tracemalloc.get_traced_memory()
        del traced
    finally:
        tracemalloc.stop()
    gc.collect()
    return engine, {
        "build_s": build_s,
        "peak_mb": peak / 2**20,
        "retained_mb": retained / 2**20,
        "rss_growth_mb": None if rss is None or after is None else after - rss,
    }


def _interleaved(
    searches: dict[str, tuple[Callable[[list[str]], Any], int]], queries: Sequence[list[str]]
) -> tuple[dict[str, list[Any]], dict[str, dict[str, Any]]]:
    """Each engine answers query i in turn (after one warm-up query each); (engine, cap) caps how many
    queries an engine answers. Per engine: results and p50/p99 ms."""
    for search, _ in searches.values():
        if queries:
            search(queries[0])
    results: dict[str, list[Any]] = {name: [] for name in searches}
    times: dict[str, list[float]] = {name: [] for name in searches}
    clock = time.perf_counter
    for i, query in enumerate(queries):
        for name, (search, cap) in searches.items():
            if i < cap:
                start = clock()
                results[name].append(search(query))
                times[name].append((clock() - start) * 1e3)
    stats = {
        name: {
            "queries": len(t),
            "p50_ms": float(np.percentile(t, 50)) if t else None,
            "p99_ms": float(np.percentile(t, 99)) if t else None,
        }
        for name, t in times.items()
    }
    return results, stats


def _naive_top(model: Any, query: list[str]) -> list[tuple[int, float]]:
    """rank-bm25 as typically used: score every doc, full argsort (stable: ties by doc id)."""
    scores = model.get_scores(query)
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] != 0][:TOP_K]  # BM25Index returns only docs with a non-zero score
    return [(int(d), float(scores[d])) for d in order]


def _bm25s_top(retriever: Any, k: int, query: list[str]) -> list[int]:
    """bm25s takes a batch of pre-tokenized queries; one query at a time, like the others."""
    docs, scores = retriever.retrieve([query], k=k, show_progress=False, n_threads=1)
    return [int(d) for d, sc in zip(docs[0].tolist(), scores[0].tolist(), strict=True) if sc > 0]


def _agrees(ours: Sequence[Sequence[Any]], naive: Sequence[list[tuple[int, float]]]) -> bool:
    """Same top-10 doc ids in the same order and scores within 1e-9."""
    for hits, expected in zip(ours, naive, strict=False):
        if [h.doc for h in hits] != [d for d, _ in expected]:
            return False
        if any(abs(h.score - s) > 1e-9 for h, (_, s) in zip(hits, expected, strict=True)):
            return False
    return True


def _same_top(ours: Sequence[Sequence[Any]], other: Sequence[list[int]]) -> float:
    """Share of queries whose top-10 doc ids are the same set (ties may order differently)."""
    pairs = list(zip(ours, other, strict=False))
    if not pairs:
        return 0.0
    return sum({h.doc for h in hits} == set(docs) for hits, docs in pairs) / len(pairs)


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


def _bm25s_engine(passages: Sequence[Sequence[str]], backend: str) -> tuple[Any, dict[str, Any]] | None:
    """A bm25s retriever on ``backend`` ("numpy" or "numba") with rank-bm25's formula, or None."""
    try:
        import bm25s
    except ImportError:
        return None
    if backend == "numba":
        try:
            import numba  # noqa: F401 - bm25s's numba backend needs it
        except ImportError:
            return None

    def build() -> Any:
        retriever = bm25s.BM25(**BM25S_CONFIG, backend=backend)
        # bm25s indexes its own (vocabulary, ids) form; the words are the same tokens as ours.
        retriever.index(_bm25s_tokens(bm25s, passages), show_progress=False)
        return retriever

    retriever, build_stats = _measure_build(build)
    return retriever, {"available": True, "variant": f"bm25s {backend} {BM25S_CONFIG}", **build_stats}


def _bm25s_tokens(bm25s: Any, passages: Sequence[Sequence[str]]) -> Any:
    """Passages as bm25s.tokenization.Tokenized (ids + vocabulary): bm25s's own pre-tokenized input."""
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in p] for p in passages]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


def _bench_size(
    n: int,
    token_sentences: Sequence[Sequence[str]] | None,
    queries: int,
    seed: int,
    naive_queries: int | None,
    with_bm25s: bool,
    backend: str = "auto",
) -> dict[str, Any]:
    from rank_bm25 import BM25Okapi

    if token_sentences is None:
        passages, stop = dictionary_passages(n, seed)
    else:
        passages, stop = make_passages(token_sentences, n, random.Random(f"{seed}/{n}/corpus")), set()
    qs = query_terms(passages, queries, random.Random(f"{seed}/{n}/queries"), stop)
    if naive_queries is None:
        naive_queries = len(qs) if n <= NAIVE_FULL_UP_TO else 50
    engines: dict[str, dict[str, Any]] = {}
    searches: dict[str, tuple[Callable[[list[str]], Any], int]] = {}

    # numba import + compile/cache load, once per process: timed apart from (and before) the build.
    wants_numba = backend == "numba" or (backend == "auto" and n >= NUMBA_MIN_DOCS)
    jit_s = warm_up_numba() if wants_numba else None
    ours, build = _measure_build(lambda: BM25Index(passages, backend=backend))
    engines["ours"] = {
        "available": True,
        **build,
        "backend": ours.backend,
        "jit_warmup_s": jit_s if ours.backend == "numba" else None,
    }
    searches["ours"] = (partial(ours.top_k, k=TOP_K), len(qs))
    naive, build = _measure_build(lambda: BM25Okapi(passages))
    engines["naive"] = {"available": True, **build}
    searches["naive"] = (partial(_naive_top, naive), naive_queries)
    for name, bm25s_backend in (("bm25s", "numpy"), ("bm25s_numba", "numba")):
        built = _bm25s_engine(passages, bm25s_backend) if with_bm25s else None
        engines[name] = {"available": False}
        if built is not None:
            retriever, engines[name] = built
            searches[name] = (partial(_bm25s_top, retriever, min(TOP_K, n)), len(qs))
    if "bm25s_numba" in searches:  # its first call compiles: time it apart from the queries
        start = time.perf_counter()
        searches["bm25s_numba"][0](qs[0])
        engines["bm25s_numba"]["jit_first_query_s"] = time.perf_counter() - start
    results, stats = _interleaved(searches, qs)
    for name, st in stats.items():
        engines[name].update(st)
    for name in ("bm25s", "bm25s_numba"):
        if name in results:
            engines[name]["same_top10_as_ours"] = _same_top(results["ours"], results[name])
    del ours, naive, searches
    gc.collect()
    return {
        "docs": n,
        "avg_tokens": sum(map(len, passages)) / n,
        "vocabulary": len({t for p in passages for t in p}),
        "corpus": "jieba dictionary frequencies" if token_sentences is None else "re-mixed sentences",
        "agree": _agrees(results["ours"], results["naive"]),
        "agree_checked": len(results["naive"]),
        "engines": engines,
        "ratios": {
            f"{other}_over_ours_{stat}": _ratio(engines[other].get(stat), engines["ours"][stat])
            for other in ("naive", "bm25s", "bm25s_numba")
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
    """Benchmark the engines on synthetic corpora of each size; JSON-serialisable result.

    Without ``sentences`` the corpus is drawn from jieba's dictionary frequencies; with them (cut by
    ``tokenize``, default jieba) passages re-mix their tokens. ``naive_queries`` caps how many queries
    time rank-bm25 (default: all up to 20k docs, else 50); agreement is checked on those. ``quick`` caps
    queries at 20 for smoke tests. ``backend`` is passed to BM25Index ("auto": numba from 20k docs).
    """
    if quick:
        queries = min(queries, 20)
    token_sentences = None
    if sentences is not None:
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
            "sentences": None if token_sentences is None else len(token_sentences),
            "passage_tokens": list(PASSAGE_TOKENS),
            "memory": "peak MB = tracemalloc peak during an isolated build; RSS MB = process RSS growth",
            "build_time": "wall time of a separate untraced build",
            "backend": backend,
            "bm25s": BM25S_CONFIG,
            "jit": "numba import + kernel compile or cache load, once per process, not in build_s",
        },
        "agree": all(run["agree"] for run in runs),
        "runs": runs,
    }


_NUMBA_COST = """import json, resource, time
import numpy as np
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 2**20
before = rss()
t = time.perf_counter()
from bot.engine.index_arrays import warm_up_numba
ok = warm_up_numba()
print(json.dumps({"compile_s": time.perf_counter() - t if ok is not None else None,
                  "rss_added_mb": rss() - before}))
"""


def numba_cost() -> dict[str, Any]:
    """numba's price in a fresh process: import + compile of our kernel from an empty cache, RSS added."""
    import importlib.util

    if importlib.util.find_spec("numba") is None:
        return {"available": False}
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="bench-numba-") as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp, "PYTHONPATH": str(root)}
        done = subprocess.run(
            [sys.executable, "-c", _NUMBA_COST],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        return {"available": False, "error": done.stderr[-500:]}
    return {"available": True, **json.loads(done.stdout.strip().splitlines()[-1])}


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_scale_table(result: dict[str, Any]) -> str:
    """Plain-text table of a ``run_scale_bench`` result."""
    header = f"{'docs':>8} {'engine':<12} {'build s':>8} {'peak MB':>8} {'RSS MB':>7} {'n q':>5} "
    header += f"{'p50 ms':>9} {'p99 ms':>9} {'p50 x':>7} {'p99 x':>7} {'top10 =':>7}"
    lines = [header, "-" * len(header)]
    for run in result["runs"]:
        ours = run["engines"]["ours"]
        for name in ("ours", "naive", "bm25s", "bm25s_numba"):
            eng = run["engines"].get(name)
            if eng is None:
                continue
            if not eng.get("available"):
                lines.append(f"{run['docs']:>8} {name:<12} (not installed)")
                continue
            same = eng.get("same_top10_as_ours")
            lines.append(
                f"{run['docs']:>8} {name:<12} {eng['build_s']:>8.2f} {eng['peak_mb']:>8.1f} "
                f"{_fmt(eng.get('rss_growth_mb'), '.0f'):>7} {eng['queries']:>5} "
                f"{_fmt(eng['p50_ms'], '.3f'):>9} {_fmt(eng['p99_ms'], '.3f'):>9} "
                f"{_fmt(_ratio(eng['p50_ms'], ours['p50_ms']), '.1f'):>7} "
                f"{_fmt(_ratio(eng['p99_ms'], ours['p99_ms']), '.1f'):>7} "
                f"{_fmt(None if same is None else same * 100, '.0f'):>6}%"
            )
        lines.append(
            f"{'':>8} {run.get('corpus', 're-mixed sentences')}: avg {run['avg_tokens']:.1f} tokens/doc, "
            f"vocabulary {run['vocabulary']}, ours == naive top-{result['params']['k']} "
            f"(ids and scores) on {run['agree_checked']} queries: {run['agree']}"
        )
        if "backend" in ours:  # results saved before the numba backend existed lack it
            jit = ours.get("jit_warmup_s")
            jit_note = "" if jit is None else f" (numba import + compile/load {jit:.2f} s, not in build s)"
            lines.append(f"{'':>8} ours backend: {ours['backend']}{jit_note}")
        first = run["engines"].get("bm25s_numba", {}).get("jit_first_query_s")
        if first is not None:
            lines.append(f"{'':>8} bm25s numba: first query (JIT) {first:.2f} s, not in p50/p99")
    lines.append(
        "p50 x / p99 x = engine latency / ours; top10 = = queries with ours' top-10 doc set; "
        + result["params"]["memory"]
    )
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    quick = "--quick" in sys.argv
    res = run_scale_bench(sizes=(500,) if quick else (10_000, 100_000), quick=quick)
    print(format_scale_table(res))
    print(json.dumps(res, ensure_ascii=False, indent=1))
