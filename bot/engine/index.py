"""BM25 (Okapi) inverted index scored exactly like ``rank_bm25.BM25Okapi``.

rank-bm25 rescans every document's term dict for every query term (~200 ms at 100k docs). Here the
same model (idf with the epsilon floor, doc lengths, avgdl) is precomputed into per-term postings so a
query only touches the documents that contain one of its terms.

Three backends return identical results (every weight and every sum is the same float, added in the
same order as rank-bm25 adds them):

* ``python`` (default below ``ARRAYS_MIN_DOCS`` docs): a list of postings per term. A knowledge base of
  a few hundred passages answers faster than with arrays, and starts without importing numpy (~60 ms).
* ``numpy`` and ``numba`` (bot.engine.index_arrays): flat posting arrays, for large archives.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

__all__ = ["BACKENDS", "BM25Index", "Hit", "okapi_idf"]

BACKENDS = ("auto", "python", "numpy", "numba")
# "auto" uses arrays from this many docs on. The shipped knowledge has at most ~250 docs per index: there
# the lists answer a question faster than numpy (engine p50 0.63 vs 0.73 ms) and start without its
# import (~60 ms). On 1,000 long synthetic docs numpy already queries ~2x faster (both < 0.1 ms); from
# a few thousand docs its vectorised build and merge win clearly.
ARRAYS_MIN_DOCS = 2_000
# "auto" compiles the query loop from this many docs on: below it numpy answers in well under 0.05 ms
# and the numba import + cached-kernel load (~0.3-0.6 s) would dominate start-up.
NUMBA_MIN_DOCS = 20_000


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked document: ``doc`` is its position in the corpus list."""

    doc: int
    score: float


def okapi_idf(doc_freqs: Sequence[int], n: int, epsilon: float) -> tuple[list[float], float]:
    """Each term's idf with the epsilon floor, and the average idf, exactly as BM25Okapi._calc_idf
    computes them (same expression, same order of the running sum over terms in first-appearance
    order)."""
    log = math.log
    raw: list[float] = []
    total = 0.0
    for freq in doc_freqs:
        value = log(n - freq + 0.5) - log(freq + 0.5)
        raw.append(value)
        total += value
    average = total / len(raw) if raw else 0.0
    floor = epsilon * average
    return [floor if v < 0 else v for v in raw], average


class _ListIndex:
    """Postings as one list of ``(doc, tf)`` per term id, docs ascending; weights computed per query.

    A query touches few postings in a small corpus, so computing its weights then costs less than
    computing every posting's weight at start-up."""

    backend = "python"

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float, b: float, epsilon: float) -> None:
        n = len(corpus)
        # Term ids in first-appearance order: the iteration order of rank-bm25's ``nd`` dict, which
        # fixes the summation order of average_idf (and so the epsilon floor) bit for bit.
        vocab: dict[str, int] = {}
        setdefault = vocab.setdefault
        # A token list shared by several docs (every passage of a section) is counted once.
        counted: dict[int, list[tuple[int, int]]] = {}
        postings: list[list[tuple[int, int]]] = []
        lengths: list[int] = []
        for doc_id, doc in enumerate(corpus):
            pairs = counted.get(id(doc))
            if pairs is None:  # Counter keeps first appearance order: the ids stay rank-bm25's order
                pairs = [(setdefault(token, len(vocab)), tf) for token, tf in Counter(doc).items()]
                counted[id(doc)] = pairs
                postings.extend([] for _ in range(len(vocab) - len(postings)))
            for tid, tf in pairs:
                postings[tid].append((doc_id, tf))
            lengths.append(len(doc))
        self.vocab = vocab
        self.postings = postings
        self.doc_freqs = [len(p) for p in postings]
        self.avgdl: float = sum(lengths) / n if n else 0.0
        self.idfs, self.average_idf = okapi_idf(self.doc_freqs, n, epsilon)
        self.k1p1 = k1 + 1
        # k1 * (1 - b + b * dl / avgdl) per doc, with rank-bm25's operations in its order.
        self.knorm = [(1 - b + b * dl / self.avgdl) * k1 for dl in lengths] if vocab else []

    def __contains__(self, term: object) -> bool:
        return term in self.vocab

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.vocab)

    def idf(self, term: str) -> float:
        tid = self.vocab.get(term)
        return 0.0 if tid is None else self.idfs[tid]

    def doc_freq(self, term: str) -> int:
        tid = self.vocab.get(term)
        return 0 if tid is None else self.doc_freqs[tid]

    def _weights(self, tid: int) -> Iterator[tuple[int, float]]:
        """``(doc, weight)`` of a term: idf * (tf * (k1 + 1) / (tf + k1 * norm)), the same float
        operations as rank-bm25 (+ and * commute bit for bit)."""
        idf, k1p1, knorm = self.idfs[tid], self.k1p1, self.knorm
        return ((doc, tf * k1p1 / (knorm[doc] + tf) * idf) for doc, tf in self.postings[tid])

    def top_k(self, query: Sequence[str], k: int) -> list[Hit]:
        scores: dict[int, float] = {}
        get = scores.get
        for tid in map(self.vocab.get, query):
            if tid is not None:  # query-term order, each sum from 0.0, as rank-bm25 adds its arrays
                for doc, weight in self._weights(tid):
                    scores[doc] = get(doc, 0.0) + weight
        best = heapq.nsmallest(k, ((-s, d) for d, s in scores.items() if s != 0))
        return [Hit(d, -s) for s, d in best]

    def scores_for(self, query: Sequence[str], docs: Sequence[int]) -> list[float]:
        out = [0.0] * len(docs)
        for tid in map(self.vocab.get, query):
            if tid is not None:
                row = dict(self._weights(tid))
                for i, doc in enumerate(docs):
                    weight = row.get(doc)
                    if weight is not None:
                        out[i] += weight
        return out


class _Backend(Protocol):
    """What BM25Index asks of a backend: _ListIndex here, ArrayIndex in bot.engine.index_arrays."""

    backend: str
    avgdl: float
    average_idf: float

    def __contains__(self, term: object) -> bool: ...

    @property
    def vocabulary(self) -> frozenset[str]: ...

    def idf(self, term: str) -> float: ...

    def doc_freq(self, term: str) -> int: ...

    def top_k(self, query: Sequence[str], k: int) -> list[Hit]: ...

    def scores_for(self, query: Sequence[str], docs: Sequence[int]) -> list[float]: ...


class BM25Index:
    """BM25 (Okapi) over token lists, scored exactly like rank_bm25.BM25Okapi but via postings.

    ``backend`` is "auto" (by corpus size, see ``ARRAYS_MIN_DOCS`` and ``NUMBA_MIN_DOCS``), "python",
    "numpy" or "numba"; the one used is in ``self.backend`` (numba falls back to numpy when it is not
    installed). Results are identical. Immutable once built, so safe to query from several threads.
    """

    def __init__(
        self,
        corpus: Sequence[Sequence[str]],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        *,
        backend: str = "auto",
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
        self.k1 = k1
        self.b = b
        self.epsilon = epsilon
        self._n = len(corpus)
        if backend == "auto":
            backend = (
                "python" if self._n < ARRAYS_MIN_DOCS else "numba" if self._n >= NUMBA_MIN_DOCS else "numpy"
            )
        self._impl: _Backend
        if backend == "python":
            self._impl = _ListIndex(corpus, k1, b, epsilon)
        else:
            from bot.engine.index_arrays import ArrayIndex  # numpy (and numba) only for large corpora

            self._impl = ArrayIndex(corpus, k1, b, epsilon, numba=backend == "numba")

    @property
    def backend(self) -> str:
        return self._impl.backend

    @property
    def avgdl(self) -> float:
        return self._impl.avgdl

    @property
    def average_idf(self) -> float:
        return self._impl.average_idf

    def __len__(self) -> int:
        return self._n

    def __contains__(self, term: object) -> bool:
        return term in self._impl

    @property
    def vocabulary(self) -> frozenset[str]:
        """All indexed terms (built once on first use; ``term in index`` needs no copy at all)."""
        return self._impl.vocabulary

    def idf(self, term: str) -> float:
        """The model's idf (after the epsilon floor); 0.0 for unknown terms, as rank-bm25 scores them."""
        return self._impl.idf(term)

    def doc_freq(self, term: str) -> int:
        """Number of documents containing ``term``."""
        return self._impl.doc_freq(term)

    def top_k(self, query: Sequence[str], k: int = 10) -> list[Hit]:
        """Best ``k`` docs with a non-zero score, by score descending then doc id ascending."""
        if k <= 0 or not self._n:
            return []
        return self._impl.top_k(query, k)

    def scores_for(self, query: Sequence[str], docs: Sequence[int]) -> list[float]:
        """Exact BM25 score of each given doc (0.0 if it matches nothing), for re-ranking candidates.

        Like rank-bm25's get_batch_scores; ids outside the corpus raise IndexError."""
        if any(doc < 0 or doc >= self._n for doc in docs):
            raise IndexError("doc id out of range")
        return self._impl.scores_for(query, docs)
