"""BM25 (Okapi) inverted index scored exactly like ``rank_bm25.BM25Okapi``.

rank-bm25 rescans every document's term dict for every query term (~200 ms at 100k docs). Here the
same model (idf with the epsilon floor, doc lengths, avgdl) is precomputed into per-term postings so a
query only touches the documents that contain one of its terms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["BM25Index", "Hit"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked document: ``doc`` is its position in the corpus list."""

    doc: int
    score: float


_EMPTY_IDS = np.empty(0, dtype=np.int32)
_EMPTY_W = np.empty(0, dtype=np.float64)
# Up to this many postings per query, dedupe candidates by sorting them instead of scanning a dense
# score array of corpus length.
_SMALL = 2048
# Size of the candidate subset used to derive a top-k score threshold.
_SAMPLE = 2048


def _kth_nonzero(values: np.ndarray, k: int) -> float | None:
    """k-th largest non-zero value, or None if there are fewer than k (no valid threshold)."""
    values = values[values != 0]
    if len(values) < k:
        return None
    return float(np.partition(values, len(values) - k)[len(values) - k])


def _at_least(values: np.ndarray, tau: float) -> np.ndarray:
    """Mask of values >= tau that are non-zero (zero means "no match"; only matters if tau <= 0)."""
    mask = values >= tau
    return mask if tau > 0 else mask & (values != 0)


class BM25Index:
    """BM25 (Okapi) over token lists, scored exactly like rank_bm25.BM25Okapi but via postings.

    Postings of term ``t`` are ``_post_docs[lo:hi]`` (ascending doc ids, int32) and ``_post_w[lo:hi]``
    (that term's full score contribution per doc, float64) with ``lo, hi = _offsets[tid], _offsets[tid+1]``.
    One flat array pair instead of per-term arrays keeps the object count (and memory) low.
    """

    def __init__(
        self, corpus: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25
    ) -> None:
        self.k1 = k1
        self.b = b
        self.epsilon = epsilon
        self._n = len(corpus)
        # Term ids in first-appearance order: the iteration order of rank-bm25's ``nd`` dict, which
        # fixes the summation order of average_idf (and so the epsilon floor) bit for bit.
        vocab: dict[str, int] = {}
        setdefault = vocab.setdefault
        flat: list[int] = []
        extend = flat.extend
        lengths: list[int] = []
        for doc in corpus:
            lengths.append(len(doc))
            extend([setdefault(tok, len(vocab)) for tok in doc])
        self._vocab = vocab
        self._doc_len = np.asarray(lengths, dtype=np.int64)
        total = sum(lengths)
        # rank-bm25 divides two Python ints; an empty corpus would raise ZeroDivisionError there.
        self.avgdl: float = total / self._n if self._n else 0.0
        self.average_idf: float = 0.0
        n_terms = len(vocab)
        if not n_terms:
            self._offsets: list[int] = [0]
            self._df = np.zeros(0, dtype=np.int64)
            self._idf = np.zeros(0, dtype=np.float64)
            self._post_docs = _EMPTY_IDS
            self._post_w = _EMPTY_W
            return

        keys = np.asarray(flat, dtype=np.int64)
        del flat
        keys *= self._n
        keys += np.repeat(np.arange(self._n, dtype=np.int64), self._doc_len)
        # One sort of (term, doc) keys yields postings grouped by term with ascending doc ids; runs of
        # equal keys are the term frequencies. (In-place sort + run detection: np.unique is ~10x slower.)
        keys.sort()
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        tf = np.diff(starts, append=len(keys))
        keys = keys[starts]
        del starts
        term, docs = np.divmod(keys, self._n)
        del keys
        docs = docs.astype(np.int32)
        df = np.bincount(term, minlength=n_terms)
        self._df = df
        self._offsets = [0, *np.cumsum(df).tolist()]

        # idf exactly as BM25Okapi._calc_idf (same expression, same order of the running sum).
        n = self._n
        log = math.log
        idf_list: list[float] = []
        idf_sum = 0.0
        for freq in df.tolist():
            value = log(n - freq + 0.5) - log(freq + 0.5)
            idf_list.append(value)
            idf_sum += value
        self.average_idf = idf_sum / n_terms
        eps = epsilon * self.average_idf
        idf_arr = np.asarray([eps if v < 0 else v for v in idf_list], dtype=np.float64)
        self._idf = idf_arr

        # Contribution per posting with rank-bm25's operation order, so each float is identical:
        # idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))).
        # Computed in place to bound peak memory; + and * are commutative, so bits are unchanged.
        norm = 1 - b + b * self._doc_len / self.avgdl
        denom = norm[docs]
        denom *= k1
        denom += tf
        weights = tf * (k1 + 1)
        del tf
        weights /= denom
        del denom
        weights *= idf_arr[term]
        self._post_w = weights
        self._post_docs = docs

    # -- introspection -------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def __contains__(self, term: object) -> bool:
        return term in self._vocab

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """All indexed terms (built once on first use; ``term in index`` needs no copy at all)."""
        return frozenset(self._vocab)

    def idf(self, term: str) -> float:
        """The model's idf (after the epsilon floor); 0.0 for unknown terms, as rank-bm25 scores them."""
        tid = self._vocab.get(term)
        return 0.0 if tid is None else float(self._idf[tid])

    def doc_freq(self, term: str) -> int:
        """Number of documents containing ``term``."""
        tid = self._vocab.get(term)
        return 0 if tid is None else int(self._df[tid])

    # -- scoring -------------------------------------------------------------------------------

    def _postings(self, query: Sequence[str]) -> list[tuple[int, int]]:
        """(lo, hi) posting ranges of the query's known terms, repeats kept, in query order."""
        vocab = self._vocab
        offsets = self._offsets
        ranges = []
        for term in query:
            tid = vocab.get(term)
            if tid is not None:
                ranges.append((offsets[tid], offsets[tid + 1]))
        return ranges

    def _candidates(self, query: Sequence[str], k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Docs with a non-zero score (ascending ids) and their scores, touching only query postings.

        With ``k`` given, docs that provably cannot reach the top ``k`` may be dropped: a threshold
        (the k-th best true score within a small subset of candidates) is a lower bound of the k-th
        best score overall, so a cheap vectorised ``>=`` filter replaces sorting/compacting them all.
        """
        ranges = self._postings(query)
        if not ranges:
            return _EMPTY_IDS, _EMPTY_W
        post_docs, post_w = self._post_docs, self._post_w
        if len(ranges) == 1:
            lo, hi = ranges[0]
            ids, vals = post_docs[lo:hi], post_w[lo:hi]
            if k is not None and hi - lo > _SMALL:
                tau = _kth_nonzero(vals[:_SAMPLE], k)
                if tau is not None:
                    pos = np.flatnonzero(_at_least(vals, tau))
                    return ids[pos], vals[pos]
            keep = vals != 0
            return (ids, vals) if keep.all() else (ids[keep], vals[keep])

        # bincount adds the weights sequentially in input order, i.e. query-term order per doc,
        # which is exactly rank-bm25's ``score += ...`` loop, so the sums are bit-identical.
        ids = np.concatenate([post_docs[lo:hi] for lo, hi in ranges])
        acc = np.bincount(ids, np.concatenate([post_w[lo:hi] for lo, hi in ranges]))
        if len(ids) <= _SMALL:
            ids = np.sort(ids)
            cand = ids[np.flatnonzero(np.diff(ids, prepend=-1))]  # unique; np.unique is far slower
        else:
            tau = None
            if k is not None:
                # Subset for the threshold: the rarest term with >= k docs (its docs score highest).
                big = [r for r in ranges if r[1] - r[0] >= k]
                if big:
                    lo, hi = min(big, key=lambda r: r[1] - r[0])
                    tau = _kth_nonzero(acc[post_docs[lo : min(hi, lo + _SAMPLE)]], k)
            # (acc != 0) as bool before flatnonzero: np.flatnonzero on floats is ~10x slower.
            cand = np.flatnonzero(acc != 0 if tau is None else _at_least(acc, tau))
        scores = acc[cand]
        if len(ids) <= _SMALL:
            keep = scores != 0
            if not keep.all():
                cand, scores = cand[keep], scores[keep]
        return cand, scores

    def top_k(self, query: Sequence[str], k: int = 10) -> list[Hit]:
        """Best ``k`` docs with a non-zero score, by score descending then doc id ascending."""
        if k <= 0 or not self._n:
            return []
        ids, scores = self._candidates(query, k)
        if len(ids) > k:
            # Keep everything tied with the k-th score so the doc-id tie-break below stays exact,
            # without sorting all candidates.
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = np.flatnonzero(scores >= kth)
            ids, scores = ids[keep], scores[keep]
        order = np.argsort(-scores, kind="stable")[:k]  # ids ascend, so stable = smaller id first
        return [Hit(d, s) for d, s in zip(ids[order].tolist(), scores[order].tolist(), strict=True)]

    def scores_for(self, query: Sequence[str], docs: Sequence[int]) -> list[float]:
        """Exact BM25 score of each given doc (0.0 if it matches nothing), for re-ranking candidates.

        Like rank-bm25's get_batch_scores; ids outside the corpus raise IndexError.
        """
        sel = np.asarray(docs, dtype=np.int64).reshape(-1)
        if len(sel) and (sel.min() < 0 or sel.max() >= self._n):
            raise IndexError("doc id out of range")
        out = np.zeros(len(sel), dtype=np.float64)
        if not len(sel):
            return []
        post_docs, post_w = self._post_docs, self._post_w
        for lo, hi in self._postings(query):  # query-term order, as rank-bm25 sums
            # Postings are sorted and never empty: binary-search each doc in this term's doc list.
            pos = lo + np.minimum(np.searchsorted(post_docs[lo:hi], sel), hi - lo - 1)
            hit = post_docs[pos] == sel
            out[hit] += post_w[pos[hit]]
        return out.tolist()
