"""BM25Index must rank and score exactly like rank_bm25.BM25Okapi, only faster."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

import bot.index as index_mod
from bot.index import BM25Index, Hit

TOL = 1e-9
Zipf = tuple[list[list[str]], list[str], list[list[str]]]  # corpus, vocabulary, queries


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
def test_golden_ranking(query: list[str], expected: list[tuple[int, float]]) -> None:
    assert_hits_match(BM25Index(GOLDEN).top_k(query, k=10), expected)


def test_golden_epsilon_floor_and_ties() -> None:
    # "的" is in every doc: its raw idf is negative and gets rank-bm25's floor epsilon * average_idf,
    # which is itself negative here; equal scores then rank by doc id.
    corpus = [["的", "a"], ["的", "b"], ["的", "c"]]
    raw = math.log(0.5) - math.log(3.5)
    rare = math.log(2.5) - math.log(1.5)
    eps = 0.25 * (raw + 3 * rare) / 4
    idx = BM25Index(corpus)
    assert idx.idf("的") == pytest.approx(eps)
    assert eps < 0
    score = okapi(1, 2, 2.0, eps)
    assert_hits_match(idx.top_k(["的"], k=5), [(0, score), (1, score), (2, score)])
    assert_hits_match(idx.top_k(["c", "的"], k=2), [(2, score + okapi(1, 2, 2.0, rare)), (0, score)])


def test_repeated_query_term_counts_twice() -> None:
    idx = BM25Index(GOLDEN)
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


@pytest.mark.parametrize(
    ("k1", "b", "epsilon", "tiny_thresholds"),
    [
        (1.5, 0.75, 0.25, False),
        (1.5, 0.75, 0.25, True),  # force the threshold / dense code paths on this small corpus
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
    tiny_thresholds: bool,
) -> None:
    if tiny_thresholds:
        monkeypatch.setattr(index_mod, "_SMALL", 8)
        monkeypatch.setattr(index_mod, "_SAMPLE", 16)
    corpus, words, queries = zipf
    ref = BM25Okapi(corpus, k1=k1, b=b, epsilon=epsilon)
    idx = BM25Index(corpus, k1=k1, b=b, epsilon=epsilon)
    for word in [*words, "unknown0"]:
        assert abs(idx.idf(word) - (ref.idf.get(word) or 0.0)) <= TOL
    for query in queries:
        expected = reference_top(ref, query, k=10)
        assert_hits_match(idx.top_k(query, k=10), expected)
        assert_hits_match(idx.top_k(query, k=1), expected[:1])


def test_scores_for_matches_get_batch_scores(zipf: Zipf) -> None:
    corpus, _, queries = zipf
    ref = BM25Okapi(corpus)
    idx = BM25Index(corpus)
    rng = random.Random(5)
    for query in queries[:50]:
        docs = rng.sample(range(len(corpus)), 40)
        got = idx.scores_for(query, docs)
        assert np.allclose(got, ref.get_batch_scores(query, docs), rtol=0, atol=TOL)
    assert idx.scores_for(queries[0], []) == []


@settings(max_examples=400, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from("abcd"), max_size=5), min_size=1, max_size=8).filter(
        lambda c: any(c)
    ),
    query=st.lists(st.sampled_from("abcdx"), max_size=5),
    k=st.integers(1, 10),
    tiny_thresholds=st.booleans(),
)
# Negative epsilon floor: zero-score docs must not be ranked above negative-score matches.
@example(
    corpus=[["a", "c"], ["b", "c", "d", "a"], ["d", "c", "b", "c"], ["b"], ["a"], ["c", "d", "a", "a"]],
    query=["b", "b", "a"],
    k=1,
    tiny_thresholds=True,
)
# Docs whose total is exactly 0 (idf-0 terms) must not raise the top-k threshold.
@example(
    corpus=[["a", "c", "b"], ["c"], ["a", "b"], ["b", "a", "d"]], query=["a", "c"], k=1, tiny_thresholds=True
)
def test_property_tiny_corpora(
    corpus: list[list[str]], query: list[str], k: int, tiny_thresholds: bool
) -> None:
    # Tiny corpora hit the odd corners: negative/zero idf, negative epsilon floors, many exact ties.
    ref = BM25Okapi(corpus)
    idx = BM25Index(corpus)
    with pytest.MonkeyPatch.context() as patch:
        if tiny_thresholds:
            patch.setattr(index_mod, "_SMALL", 2)
            patch.setattr(index_mod, "_SAMPLE", 3)
        assert_hits_match(idx.top_k(query, k=k), reference_top(ref, query, k=k))
    docs = list(range(len(corpus)))
    assert np.allclose(idx.scores_for(query, docs), ref.get_batch_scores(query, docs), rtol=0, atol=TOL)


# -- edge cases ----------------------------------------------------------------------------------


def test_empty_and_unknown_queries() -> None:
    idx = BM25Index(GOLDEN)
    assert idx.top_k([]) == []
    assert idx.top_k(["无", "也无"]) == []
    assert idx.top_k(["医院"], k=0) == []
    assert idx.scores_for([], [0, 4]) == [0.0, 0.0]
    assert idx.scores_for(["无"], [1]) == [0.0]


def test_empty_corpus() -> None:
    with pytest.raises(ZeroDivisionError):  # why BM25Index special-cases it
        BM25Okapi([])
    for corpus in ([], [[], []]):
        idx = BM25Index(corpus)
        assert len(idx) == len(corpus)
        assert idx.top_k(["a"]) == []
        assert idx.idf("a") == 0.0 and idx.doc_freq("a") == 0
        assert "a" not in idx and idx.vocabulary == frozenset()
    assert BM25Index([]).scores_for(["a"], []) == []


def test_k_larger_than_matches() -> None:
    hits = BM25Index(GOLDEN).top_k(["公园"], k=50)
    assert [h.doc for h in hits] == [1, 2]


def test_scores_for_rejects_out_of_range_ids() -> None:
    idx = BM25Index(GOLDEN)
    with pytest.raises(IndexError):
        idx.scores_for(["郑州"], [5])
    with pytest.raises(IndexError):
        idx.scores_for(["郑州"], [-1])


def test_hit_is_frozen() -> None:
    hit = Hit(doc=1, score=2.0)
    with pytest.raises(AttributeError):
        hit.doc = 3  # type: ignore[misc]
