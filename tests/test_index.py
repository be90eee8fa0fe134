"""BM25Index must rank and score exactly like rank_bm25.BM25Okapi, only faster, with every backend."""

from __future__ import annotations

import importlib.util
import math
import random
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

import bot.engine.index as index_mod
import bot.engine.index_arrays as arrays_mod
from bot.engine.index import BM25Index, Hit
from bot.engine.index_arrays import ArrayIndex

TOL = 1e-9
Zipf = tuple[list[list[str]], list[str], list[list[str]]]  # corpus, vocabulary, queries
HAS_NUMBA = importlib.util.find_spec("numba") is not None
# The compiled backend is tested like the others (numba compiles the kernel once per process, or
# loads it from __pycache__).
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="no numba")
BACKENDS = ["python", "numpy", pytest.param("numba", marks=needs_numba)]


def tiny_thresholds(patch: pytest.MonkeyPatch, backend: str) -> None:
    """Shrink the size-dependent paths so small corpora exercise them: the numpy path's threshold and
    dense-array branches, the compiled path's block boundaries and postings lookups (few dense rows).
    The Python backend has none."""
    if backend == "python":
        return
    if backend == "numpy":
        patch.setattr(arrays_mod, "_SMALL", 2)
        patch.setattr(arrays_mod, "_SAMPLE", 3)
    else:
        patch.setattr(arrays_mod, "_BLOCK", 2)
        patch.setattr(arrays_mod, "_WINDOW", 3)
        patch.setattr(arrays_mod, "_DENSE_ROW_DIV", 2)


def okapi(tf: int, dl: int, avgdl: float, idf: float, k1: float = 1.5, b: float = 0.75) -> float:
    """Textbook Okapi term weight, written out independently of both implementations."""
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))


def reference_top(ref: BM25Okapi, query: list[str], k: int = 10) -> list[tuple[int, float]]:
    """rank-bm25's top-k: docs with a non-zero score, by (-score, doc id)."""
    scores = ref.get_scores(query)
    ranked = sorted((-float(scores[d]), int(d)) for d in np.flatnonzero(scores != 0))
    return [(d, -s) for s, d in ranked[:k]]


def assert_hits_match(hits: list[Hit], expected: list[tuple[int, float]]) -> None:
    assert [h.doc for h in hits] == [d for d, _ in expected]
    for hit, (_, score) in zip(hits, expected, strict=True):
        assert abs(hit.score - score) <= TOL


# -- golden ------------------------------------------------------------------------------------

GOLDEN = [
    ["郑州", "地铁", "开通"],  # 0
    ["郑州", "郑州", "公园"],  # 1
    ["地铁", "公园", "社区", "服务"],  # 2
    ["社区", "服务"],  # 3
    ["医院"],  # 4
]
AVGDL = 13 / 5
IDF1 = math.log(4.5) - math.log(1.5)  # df = 1
IDF2 = math.log(3.5) - math.log(2.5)  # df = 2


def test_golden_model_statistics() -> None:
    idx = BM25Index(GOLDEN)
    assert len(idx) == 5
    assert idx.doc_freq("郑州") == 2 and idx.doc_freq("医院") == 1 and idx.doc_freq("无") == 0
    assert idx.idf("开通") == pytest.approx(IDF1) and idx.idf("公园") == pytest.approx(IDF2)
    assert idx.idf("无") == 0.0
    assert "社区" in idx and "无" not in idx
    assert idx.vocabulary == frozenset(t for doc in GOLDEN for t in doc)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Higher tf wins at equal length.
        (["郑州"], [(1, okapi(2, 3, AVGDL, IDF2)), (0, okapi(1, 3, AVGDL, IDF2))]),
        # Doc 0 matches both terms (one of them rare); doc 2 only the common one.
        (
            ["地铁", "开通"],
            [(0, okapi(1, 3, AVGDL, IDF2) + okapi(1, 3, AVGDL, IDF1)), (2, okapi(1, 4, AVGDL, IDF2))],
        ),
        # Same terms, same tf: the shorter doc wins.
        (["社区", "服务"], [(3, 2 * okapi(1, 2, AVGDL, IDF2)), (2, 2 * okapi(1, 4, AVGDL, IDF2))]),
        (["医院", "无"], [(4, okapi(1, 1, AVGDL, IDF1))]),
    ],
)
@pytest.mark.parametrize("backend", BACKENDS)
def test_golden_ranking(query: list[str], expected: list[tuple[int, float]], backend: str) -> None:
    idx = BM25Index(GOLDEN, backend=backend)
    assert idx.backend == backend
    assert_hits_match(idx.top_k(query, k=10), expected)


@pytest.mark.parametrize("backend", BACKENDS)
def test_golden_epsilon_floor_and_ties(backend: str) -> None:
    # "的" is in every doc: its raw idf is negative and gets rank-bm25's floor epsilon * average_idf,
    # which is itself negative here; equal scores then rank by doc id.
    corpus = [["的", "a"], ["的", "b"], ["的", "c"]]
    raw = math.log(0.5) - math.log(3.5)
    rare = math.log(2.5) - math.log(1.5)
    eps = 0.25 * (raw + 3 * rare) / 4
    idx = BM25Index(corpus, backend=backend)
    assert idx.idf("的") == pytest.approx(eps)
    assert eps < 0
    score = okapi(1, 2, 2.0, eps)
    assert_hits_match(idx.top_k(["的"], k=5), [(0, score), (1, score), (2, score)])
    assert_hits_match(idx.top_k(["c", "的"], k=2), [(2, score + okapi(1, 2, 2.0, rare)), (0, score)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_query_term_counts_twice(backend: str) -> None:
    idx = BM25Index(GOLDEN, backend=backend)
    once = idx.top_k(["医院"])[0].score
    assert idx.top_k(["医院", "医院"])[0].score == 2 * once


# -- comparison with rank-bm25 ------------------------------------------------------------------


def zipf_corpus(seed: int, docs: int = 2000, vocab: int = 500) -> tuple[list[list[str]], list[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    weights = [1 / (rank + 1) ** 1.1 for rank in range(vocab)]
    corpus = []
    for _ in range(docs):
        length = rng.choice([0, 1, 3]) if rng.random() < 0.02 else rng.randint(5, 120)
        corpus.append(rng.choices(words, weights, k=length))
    return corpus, words


def random_queries(seed: int, words: list[str], count: int = 300) -> list[list[str]]:
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        # Mostly any word, sometimes one of the 20 most frequent (long postings).
        query = [rng.choice(words if rng.random() < 0.7 else words[:20]) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.2:
            query.append(rng.choice(query))  # repeated term
        if rng.random() < 0.15:
            query.insert(rng.randrange(len(query) + 1), f"unknown{rng.randint(0, 9)}")
        queries.append(query)
    return queries


@pytest.fixture(scope="module")
def zipf() -> Zipf:
    corpus, words = zipf_corpus(seed=1234)
    return corpus, words, random_queries(seed=99, words=words)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("k1", "b", "epsilon", "tiny"),
    [
        (1.5, 0.75, 0.25, False),
        (1.5, 0.75, 0.25, True),  # force the size-dependent code paths on this small corpus
        (1.2, 0.3, 0.5, False),
        (2.0, 0.9, 0.1, True),  # (b=1 makes rank-bm25 divide 0/0 on the empty docs: NaN)
    ],
)
def test_matches_rank_bm25(
    zipf: Zipf,
    monkeypatch: pytest.MonkeyPatch,
    k1: float,
    b: float,
    epsilon: float,
    tiny: bool,
    backend: str,
) -> None:
    if tiny:
        if backend == "numpy":
            monkeypatch.setattr(arrays_mod, "_SMALL", 8)
            monkeypatch.setattr(arrays_mod, "_SAMPLE", 16)
        else:
            tiny_thresholds(monkeypatch, backend)
    corpus, words, queries = zipf
    ref = BM25Okapi(corpus, k1=k1, b=b, epsilon=epsilon)
    idx = BM25Index(corpus, k1=k1, b=b, epsilon=epsilon, backend=backend)
    assert idx.backend == backend
    for word in [*words, "unknown0"]:
        assert abs(idx.idf(word) - (ref.idf.get(word) or 0.0)) <= TOL
    for query in queries:
        scores = ref.get_scores(query)
        expected = reference_top(ref, query, k=10)
        hits = idx.top_k(query, k=10)
        assert_hits_match(hits, expected)
        # Bit-identical, not just close: same summation order as rank-bm25.
        assert all(h.score == scores[h.doc] for h in hits)
        assert_hits_match(idx.top_k(query, k=1), expected[:1])


@pytest.mark.slow
@needs_numba
@pytest.mark.parametrize(
    ("dense_div", "block", "window"), [(0, 64, 4096), (0, 1, 1), (10**9, 5, 7), (16, 3, 300), (4, 200, 64)]
)
def test_numba_paths_equal_numpy(
    zipf: Zipf, monkeypatch: pytest.MonkeyPatch, dense_div: int, block: int, window: int
) -> None:
    # No dense rows (every lookup gallops in postings), every term dense, odd block and window sizes:
    # the compiled loop must return exactly the numpy backend's hits, for small and large k.
    monkeypatch.setattr(arrays_mod, "_DENSE_ROW_DIV", dense_div)
    monkeypatch.setattr(arrays_mod, "_BLOCK", block)
    monkeypatch.setattr(arrays_mod, "_WINDOW", window)
    corpus, _, queries = zipf
    fast = BM25Index(corpus, backend="numba")
    assert isinstance(fast._impl, ArrayIndex) and fast._impl._kernel_args is not None
    n_rows = fast._impl._kernel_args[6].shape[0]
    if dense_div == 0:
        assert n_rows == 0
    elif dense_div > len(corpus):
        assert n_rows == len(fast.vocabulary)
    slow = BM25Index(corpus, backend="numpy")
    for query in queries[:150]:
        for k in (1, 3, 10, 40, 5000):
            assert fast.top_k(query, k) == slow.top_k(query, k)


@needs_numba
def test_dense_rows_reproduce_posting_weights(zipf: Zipf, monkeypatch: pytest.MonkeyPatch) -> None:
    # The compiled loop recomputes dense-row weights from tf; they must be the postings' floats exactly.
    monkeypatch.setattr(arrays_mod, "_DENSE_ROW_DIV", 10**9)
    corpus, _, _ = zipf
    arrays = BM25Index(corpus, k1=1.2, b=0.6, backend="numba")._impl
    assert isinstance(arrays, ArrayIndex) and arrays._kernel_args is not None
    _, _, offsets, _, _, row_of, tf_rows, knorm, len_idx, idf, k1p1 = arrays._kernel_args
    for tid in range(len(arrays._df)):
        lo, hi = offsets[tid], offsets[tid + 1]
        docs = arrays._post_docs[lo:hi]
        tf = tf_rows[row_of[tid], docs].astype(np.float64)
        assert np.array_equal(tf * k1p1 / (tf + knorm[len_idx[docs]]) * idf[tid], arrays._post_w[lo:hi])


@pytest.mark.parametrize("backend", BACKENDS)
def test_scores_for_matches_get_batch_scores(zipf: Zipf, backend: str) -> None:
    corpus, _, queries = zipf
    ref = BM25Okapi(corpus)
    idx = BM25Index(corpus, backend=backend)
    rng = random.Random(5)
    for query in queries[:50]:
        docs = rng.sample(range(len(corpus)), 40)
        got = idx.scores_for(query, docs)
        assert np.allclose(got, ref.get_batch_scores(query, docs), rtol=0, atol=TOL)
    assert idx.scores_for(queries[0], []) == []


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=400, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from("abcd"), max_size=5), min_size=1, max_size=8).filter(
        lambda c: any(c)
    ),
    query=st.lists(st.sampled_from("abcdx"), max_size=5),
    k=st.integers(1, 10),
    tiny=st.booleans(),
)
# Negative epsilon floor: zero-score docs must not be ranked above negative-score matches.
@example(
    corpus=[["a", "c"], ["b", "c", "d", "a"], ["d", "c", "b", "c"], ["b"], ["a"], ["c", "d", "a", "a"]],
    query=["b", "b", "a"],
    k=1,
    tiny=True,
)
# Docs whose total is exactly 0 (idf-0 terms) must not raise the top-k threshold.
@pytest.mark.slow
@example(corpus=[["a", "c", "b"], ["c"], ["a", "b"], ["b", "a", "d"]], query=["a", "c"], k=1, tiny=True)
def test_property_tiny_corpora(
    corpus: list[list[str]], query: list[str], k: int, tiny: bool, backend: str
) -> None:
    # Tiny corpora hit the odd corners: negative/zero idf, negative epsilon floors, many exact ties.
    ref = BM25Okapi(corpus)
    with pytest.MonkeyPatch.context() as patch:
        if tiny:
            tiny_thresholds(patch, backend)
        idx = BM25Index(corpus, backend=backend)
        assert_hits_match(idx.top_k(query, k=k), reference_top(ref, query, k=k))
    docs = list(range(len(corpus)))
    assert np.allclose(idx.scores_for(query, docs), ref.get_batch_scores(query, docs), rtol=0, atol=TOL)


# -- edge cases ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_and_unknown_queries(backend: str) -> None:
    idx = BM25Index(GOLDEN, backend=backend)
    assert idx.top_k([]) == []
    assert idx.top_k(["无", "也无"]) == []
    assert idx.top_k(["医院"], k=0) == []
    assert idx.scores_for([], [0, 4]) == [0.0, 0.0]
    assert idx.scores_for(["无"], [1]) == [0.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_corpus(backend: str) -> None:
    with pytest.raises(ZeroDivisionError):  # why BM25Index special-cases it
        BM25Okapi([])
    corpora: list[list[list[str]]] = [[], [[], []]]
    for corpus in corpora:
        idx = BM25Index(corpus, backend=backend)
        assert len(idx) == len(corpus)
        assert idx.top_k(["a"]) == []
        assert idx.idf("a") == 0.0 and idx.doc_freq("a") == 0
        assert "a" not in idx and idx.vocabulary == frozenset()
    assert BM25Index([]).scores_for(["a"], []) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_k_larger_than_matches(backend: str) -> None:
    idx = BM25Index(GOLDEN, backend=backend)
    assert [h.doc for h in idx.top_k(["公园"], k=50)] == [1, 2]
    query = ["公园", "郑州", "医院"]
    assert_hits_match(idx.top_k(query, k=10**6), reference_top(BM25Okapi(GOLDEN), query, k=10))


def test_scores_for_rejects_out_of_range_ids() -> None:
    idx = BM25Index(GOLDEN)
    with pytest.raises(IndexError):
        idx.scores_for(["郑州"], [5])
    with pytest.raises(IndexError):
        idx.scores_for(["郑州"], [-1])


def test_hit_is_frozen() -> None:
    hit = Hit(doc=1, score=2.0)
    with pytest.raises(AttributeError):
        hit.doc = 3  # type: ignore[misc]  # the point: assigning a frozen field must fail


# -- backends ------------------------------------------------------------------------------------


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="backend"):
        BM25Index(GOLDEN, backend="cuda")
    assert BM25Index(GOLDEN).backend == "python"  # "auto": no arrays for a small corpus
    assert BM25Index(GOLDEN, backend="numpy").backend == "numpy"
    monkeypatch.setattr(index_mod, "ARRAYS_MIN_DOCS", 4)
    assert BM25Index(GOLDEN).backend == "numpy"
    assert BM25Index(GOLDEN[:3]).backend == "python"
    if HAS_NUMBA:
        monkeypatch.setattr(index_mod, "NUMBA_MIN_DOCS", 5)
        assert BM25Index(GOLDEN).backend == "numba"
        assert BM25Index(GOLDEN[:4]).backend == "numpy"


def test_numba_unavailable_falls_back_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrays_mod, "_kernel_state", "unavailable")
    assert arrays_mod.warm_up_numba() is None
    idx = BM25Index(GOLDEN, backend="numba")
    assert idx.backend == "numpy"
    assert [h.doc for h in idx.top_k(["郑州"])] == [1, 0]


@pytest.mark.slow
def test_small_index_imports_no_arrays() -> None:
    # Start-up with a small knowledge base must not pay for importing numpy (~60 ms) or numba (~0.3 s).
    code = (
        "import sys; from bot.engine.index import BM25Index; "
        "idx = BM25Index([['a', 'b'], ['b']]); idx.top_k(['a']); idx.scores_for(['a'], [0]); "
        "assert idx.backend == 'python'; "
        "assert not {'numpy', 'numba'} & set(sys.modules), 'arrays imported'"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_queries(zipf: Zipf, backend: str) -> None:
    # The engine may answer from several threads; the compiled loop runs without the GIL.
    corpus, _, queries = zipf
    idx = BM25Index(corpus, backend=backend)
    expected = [idx.top_k(query, k=10) for query in queries]
    results: dict[int, list[list[Hit]]] = {}

    def work(worker: int) -> None:
        results[worker] = [idx.top_k(query, k=10) for query in queries]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[i] == expected for i in range(4))
