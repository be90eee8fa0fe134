"""The array backends of :class:`bot.engine.index.BM25Index`, for corpora too large for Python dicts.

Imported only when an index reaches ``ARRAYS_MIN_DOCS`` documents (see bot.engine.index), so a small
knowledge base starts without numpy. Both backends return exactly what the Python one does:

* ``numpy``: vectorised postings merge (concatenate + bincount + threshold).
* ``numba`` (from ``NUMBA_MIN_DOCS`` docs): a compiled MaxScore loop that skips most postings of the
  query's frequent terms (see ``_maxscore_top_k``). numba is imported only when such an index is built
  (import + loading the cached kernel ~0.2-0.5 s); without numba the numpy backend is used silently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from bot.engine.index import Hit, okapi_idf

__all__ = ["ArrayIndex", "warm_up_numba"]

log = logging.getLogger(__name__)


_EMPTY_IDS = np.empty(0, dtype=np.int32)
_EMPTY_W = np.empty(0, dtype=np.float64)
# Up to this many postings per query, dedupe candidates by sorting them instead of scanning a dense
# score array of corpus length.
_SMALL = 2048
# Size of the candidate subset used to derive a top-k score threshold.
_SAMPLE = 2048

# numba backend: terms in at least 1/_DENSE_ROW_DIV of the docs (and tf <= 255) also get a dense uint8
# row of term frequencies (n bytes each) for O(1) lookups; the rows hold at most ~1.3x the memory of
# those terms' postings (12 bytes each), on real text much less.
_DENSE_ROW_DIV = 16
# numba backend: candidates are generated, pruned and scored in blocks of this many docs, or with 3+
# essential query terms in doc-id windows of up to this many ids.
_BLOCK = 64
_WINDOW = 4096
# Pruning compares upper bounds summed in another order than the exact query-order score; this margin
# (times the sum of the query terms' largest |weight|) dwarfs that float rounding (<= m * 2**-53 * sum).
_SLACK = 1e-9


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


def _maxscore_top_k(  # type: ignore[no-untyped-def]  # a numba kernel: numba types the arrays
    post_docs,
    post_w,
    offsets,
    max_w,
    abs_w,
    row_of,
    tf_rows,
    knorm,
    len_idx,
    idf,
    k1p1,
    tids,
    k,
    block,
    window,
    out_docs,
    out_scores,
):  # pragma: no cover - compiled by numba (the tests run it compiled)
    """Top ``k`` docs for query term ids ``tids`` into ``out_docs``/``out_scores``; returns how many.

    MaxScore. Query positions are ordered by their term's largest weight ``ub``; with ``theta`` the k-th
    best exact score so far, the positions whose ub sum (``pref``) is below theta are "non-essential":
    a doc found only in their postings cannot reach the top k, so candidates come only from the
    essential positions' postings, in ascending doc-id ranges:

    * one essential position: its postings in blocks of ``block``; the non-essential weights are looked
      up (dense tf row, or galloping in the postings) only while a candidate's upper bound still
      reaches theta, highest ub first, and the survivors are summed;
    * two or more: doc-id windows (up to ``window`` ids): mark the essential postings' docs, then add
      every position's weight to them in query-term order (scanning that position's postings in the
      window, or its dense tf row), so each candidate's sum is exact at once.

    Exactness: every weight is the same float64 as ``post_w`` (dense rows recompute it with the same
    IEEE operations) and a candidate's score is summed in query-term order from 0.0, exactly as
    rank-bm25 adds its per-term arrays. Bounds are summed in other orders, so pruning keeps a margin
    (``_SLACK`` times the query's largest |weights|, far above any rounding difference): a dropped doc's
    exact score is strictly below theta, itself at most the final k-th score. Ties are broken by doc id
    in the top-k arrays; docs scoring exactly 0 never enter.

    No helper functions: numba passes arrays to calls with reference counting, too slow per posting.
    Scratch is allocated per call (a few m x ``block`` arrays, plus ``window``-sized ones if needed):
    no shared mutable state, so concurrent calls (the GIL is released) are safe.
    """
    m = len(tids)
    lo = np.empty(m, np.int64)
    hi = np.empty(m, np.int64)
    ub = np.empty(m, np.float64)
    rows = np.empty(m, np.int64)
    idfs = np.empty(m, np.float64)
    slack = 0.0
    for q in range(m):
        t = tids[q]
        lo[q] = offsets[t]
        hi[q] = offsets[t + 1]
        ub[q] = max(max_w[t], 0.0)
        rows[q] = row_of[t]
        idfs[q] = idf[t]
        slack += abs_w[t]
    slack *= _SLACK
    order = np.arange(m)  # positions by ub ascending (insertion sort: m is small)
    for i in range(1, m):
        x = order[i]
        j = i
        while j > 0 and ub[order[j - 1]] > ub[x]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = x
    pref = np.zeros(m + 1)  # pref[j]: bound of a doc found only at the j lowest-ub positions
    for j in range(m):
        pref[j + 1] = pref[j] + ub[order[j]]
    cur = lo.copy()  # per position: first posting not yet passed
    w_blk = np.zeros((m, block))  # per position, per block slot: that term's weight in the doc
    cand = np.empty(block, np.int64)  # block slot -> doc id
    part = np.empty(block)  # block slot -> sum of the weights known so far (any order: bounds only)
    surv = np.empty(block, np.int64)  # slots still able to reach theta
    fin_d = np.empty(block, np.int64)  # exactly scored docs of this block / window
    fin_s = np.empty(block)
    acc = np.empty(0)  # window mode (allocated on first use): doc - d0 -> score so far
    mark = np.empty(0, np.uint8)  # doc - d0 -> is a candidate of this window
    touched = np.empty(0, np.int64)  # candidates (doc - d0) of this window
    win = min(256, window)  # window span, doubling up to ``window``
    none = np.int64(1) << 62
    n_ne = 0  # positions order[:n_ne] are non-essential
    theta = -np.inf
    cnt = 0
    while True:
        while n_ne < m and pref[n_ne + 1] + slack < theta:
            n_ne += 1
        if n_ne == m:
            break
        bound = pref[n_ne] + slack
        nf = 0
        if n_ne < m - 1:  # window mode
            if acc.size == 0:
                acc = np.zeros(window)
                mark = np.zeros(window, np.uint8)
                touched = np.empty(window + 1, np.int64)  # + 1: a repeat is written past the end
                fin_d = np.empty(max(block, window), np.int64)
                fin_s = np.empty(max(block, window))
            d0 = none
            for j in range(n_ne, m):
                q = order[j]
                if cur[q] < hi[q]:
                    d0 = min(d0, np.int64(post_docs[cur[q]]))
            if d0 == none:
                break
            end = d0 + win
            win = min(2 * win, window)
            nt = 0
            for j in range(n_ne, m):  # pass 1: candidates (branch-free dedup)
                q = order[j]
                c = cur[q]
                h = hi[q]
                while c < h and post_docs[c] < end:
                    x = post_docs[c] - d0
                    touched[nt] = x
                    nt += 1 - mark[x]
                    mark[x] = 1
                    c += 1
                if rows[q] >= 0:  # (pass 2 moves the other cursors past the window)
                    cur[q] = c
            for q in range(m):  # pass 2, in query-term order
                r = rows[q]
                if r >= 0:  # dense row: look the candidates up
                    idf_q = idfs[q]
                    for i in range(nt):
                        x = touched[i]
                        d = d0 + x
                        tf = tf_rows[r, d]
                        f = np.float64(tf)
                        w = f * k1p1 / (f + knorm[len_idx[d]]) * idf_q
                        acc[x] += w if tf else 0.0
                    continue
                c = cur[q]  # postings in [d0, end): gallop to d0, then scan
                h = hi[q]
                if c < h and post_docs[c] < d0:
                    step = 1
                    while c + step < h and post_docs[c + step] < d0:
                        c += step
                        step <<= 1
                    a = c + 1
                    b = min(c + step, h)
                    while a < b:
                        mid = (a + b) >> 1
                        if post_docs[mid] < d0:
                            a = mid + 1
                        else:
                            b = mid
                    c = a
                while c < h and post_docs[c] < end:
                    x = post_docs[c] - d0
                    acc[x] += post_w[c] if mark[x] else 0.0  # + 0.0 never changes a sum
                    c += 1
                cur[q] = c
            for i in range(nt):
                x = touched[i]
                s = acc[x]
                acc[x] = 0.0
                mark[x] = 0
                fin_d[nf] = d0 + x
                fin_s[nf] = s
                nf += s >= theta
        else:
            # One essential position, document at a time: the next block of its postings are the
            # candidates, kept if their bound reaches theta (branch-free compaction: a slot is
            # overwritten unless ``ns`` advances).
            q = order[n_ne]
            c = cur[q]
            e = min(c + block, hi[q])
            if c == e:
                break
            ns = 0
            for p in range(c, e):
                w = post_w[p]
                cand[ns] = post_docs[p]
                w_blk[q, ns] = w
                part[ns] = w
                ns += w + bound >= theta
            cur[q] = e
            # Non-essential weights, highest ub first, dropping slots that can no longer reach theta.
            for i in range(ns):
                surv[i] = i
            for j in range(n_ne - 1, -1, -1):
                q = order[j]
                bnd = pref[j] + slack
                r = rows[q]
                n_keep = 0
                if r >= 0:
                    idf_q = idfs[q]
                    for ii in range(ns):
                        i = surv[ii]
                        d = cand[i]
                        tf = tf_rows[r, d]
                        f = np.float64(tf)
                        w = f * k1p1 / (f + knorm[len_idx[d]]) * idf_q
                        w = w if tf else 0.0
                        w_blk[q, i] = w
                        s = part[i] + w
                        part[i] = s
                        surv[n_keep] = i
                        n_keep += s + bnd >= theta
                else:
                    c = cur[q]
                    h = hi[q]
                    for ii in range(ns):
                        i = surv[ii]
                        d = cand[i]
                        if c < h and post_docs[c] < d:  # gallop (candidates ascend: cursor moves on)
                            step = 1
                            while c + step < h and post_docs[c + step] < d:
                                c += step
                                step <<= 1
                            a = c + 1
                            b = min(c + step, h)
                            while a < b:
                                mid = (a + b) >> 1
                                if post_docs[mid] < d:
                                    a = mid + 1
                                else:
                                    b = mid
                            c = a
                        w = post_w[c] if c < h and post_docs[c] == d else 0.0
                        w_blk[q, i] = w
                        s = part[i] + w
                        part[i] = s
                        surv[n_keep] = i
                        n_keep += s + bnd >= theta
                    cur[q] = c
                ns = n_keep
            for ii in range(ns):  # exact scores, in query-term order
                i = surv[ii]
                s = 0.0
                for q in range(m):
                    s += w_blk[q, i]
                fin_d[nf] = cand[i]
                fin_s[nf] = s
                nf += 1
        # Into the top-k arrays: score descending, then doc id ascending; never a score of 0.
        for i in range(nf):
            s = fin_s[i]
            d = fin_d[i]
            if s == 0.0:
                continue
            if cnt == k:
                if not (s > out_scores[k - 1] or (s == out_scores[k - 1] and d < out_docs[k - 1])):
                    continue
                pos = k - 1
            else:
                pos = cnt
                cnt += 1
            while pos > 0 and (
                out_scores[pos - 1] < s or (out_scores[pos - 1] == s and out_docs[pos - 1] > d)
            ):
                out_scores[pos] = out_scores[pos - 1]
                out_docs[pos] = out_docs[pos - 1]
                pos -= 1
            out_scores[pos] = s
            out_docs[pos] = d
        if cnt == k:
            theta = out_scores[k - 1]
    return cnt


_KERNEL_SIGNATURE = (
    "int64(int32[::1], float64[::1], int64[::1], float64[::1], float64[::1], int64[::1], uint8[:, ::1],"
    " float64[::1], int32[::1], float64[::1], float64, int64[::1], int64, int64, int64, int64[::1],"
    " float64[::1])"
)
_kernel: Callable[..., int] | None = None
_kernel_state = "unloaded"  # -> "ready" | "unavailable"
_kernel_lock = threading.Lock()


def warm_up_numba() -> float | None:
    """Import numba and compile (or load from its on-disk cache) the query kernel, once per process.

    Returns the seconds this call spent doing so (0.0 once done), or None if numba is unavailable.
    Index builds call it; benchmarks call it first to time the one-off cost apart from the build.
    """
    global _kernel, _kernel_state
    if _kernel_state != "unloaded":
        return 0.0 if _kernel_state == "ready" else None
    with _kernel_lock:
        if _kernel_state != "unloaded":
            return 0.0 if _kernel_state == "ready" else None
        start = time.perf_counter()
        try:
            import numba
        except Exception as exc:  # ImportError, or numba rejecting the installed numpy/llvmlite
            log.debug("numba unavailable, BM25Index uses numpy: %s", exc)
            _kernel_state = "unavailable"
            return None
        # Explicit signature: compiled right here, once (~2 s), or loaded from numba's cache next to this
        # file (cache=True, ~0.1 s). Without a writable cache location, compile without caching.
        for cache in (True, False):
            try:
                _kernel = numba.njit(_KERNEL_SIGNATURE, cache=cache, nogil=True)(_maxscore_top_k)
                break
            except Exception as exc:
                log.debug("numba kernel not compiled (cache=%s): %s", cache, exc)
        else:
            _kernel_state = "unavailable"
            return None
        _kernel_state = "ready"
        return time.perf_counter() - start


def _shares_documents(corpus: Sequence[Sequence[str]]) -> bool:
    """Does one token list object stand for several documents (every passage of a section)?"""
    return len({id(doc) for doc in corpus}) < len(corpus)


def _shared_postings(
    corpus: Sequence[Sequence[str]], vocab: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(term, doc, tf) postings sorted by term then doc, counting each shared list once.

    Flattening every document costs the sum of their lengths: a section of P passages, each with
    the whole section as its context, would cost P × section length (quadratic). Here a shared list
    is counted once and its (term, tf) pairs repeated per document: P × distinct terms. Term ids
    follow first appearance, as in the flat path, so scores are bit for bit the same."""
    setdefault = vocab.setdefault
    counted: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    terms: list[np.ndarray] = []
    docs: list[np.ndarray] = []
    tfs: list[np.ndarray] = []
    for number, doc in enumerate(corpus):
        pair = counted.get(id(doc))
        if pair is None:
            ids = np.asarray([setdefault(tok, len(vocab)) for tok in doc], dtype=np.int64)
            pair = counted[id(doc)] = np.unique(ids, return_counts=True)
        terms.append(pair[0])
        tfs.append(pair[1])
        docs.append(np.full(len(pair[0]), number, dtype=np.int64))
    if not terms:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int64)
    term_ids, doc_ids, tf_all = np.concatenate(terms), np.concatenate(docs), np.concatenate(tfs)
    order = np.lexsort((doc_ids, term_ids))
    return term_ids[order], doc_ids[order].astype(np.int32), tf_all[order].astype(np.int64)


class ArrayIndex:
    """BM25Index's backend for large corpora: the same scores from flat posting arrays.

    Postings of term ``t`` are ``_post_docs[lo:hi]`` (ascending doc ids, int32) and ``_post_w[lo:hi]``
    (that term's full score contribution per doc, float64) with ``lo, hi = _offsets[tid], _offsets[tid+1]``.
    One flat array pair instead of per-term arrays keeps the object count (and memory) low.

    ``numba`` asks for the compiled ``top_k`` (see the module docstring); the backend used is in
    ``self.backend`` ("numba", or "numpy" when numba is unavailable). Results are identical. Both are
    safe to query from several threads: the index is immutable after construction, and the compiled
    loop allocates its small scratch per call (query-length x 64 plus, for multi-term windows,
    4096-doc buffers: no corpus-length buffer to share or reset) and releases the GIL while it runs.
    """

    def __init__(
        self,
        corpus: Sequence[Sequence[str]],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        *,
        numba: bool = False,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.epsilon = epsilon
        self._n = len(corpus)
        # Chosen up front (numba compiles here, not on the first query); numpy if numba is unavailable.
        self.backend: str = "numba" if numba and warm_up_numba() is not None else "numpy"
        self._kernel_args: tuple[Any, ...] | None = None
        # Term ids in first-appearance order: the iteration order of rank-bm25's ``nd`` dict, which
        # fixes the summation order of average_idf (and so the epsilon floor) bit for bit.
        vocab: dict[str, int] = {}
        setdefault = vocab.setdefault
        flat: list[int] = []
        extend = flat.extend
        lengths: list[int] = []
        shared = _shared_postings(corpus, vocab) if _shares_documents(corpus) else None
        for doc in corpus if shared is None else ():
            lengths.append(len(doc))
            extend([setdefault(tok, len(vocab)) for tok in doc])
        if shared is not None:
            lengths = [len(doc) for doc in corpus]
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

        if shared is not None:
            term, docs, tf = shared
        else:
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
        rows = self._dense_tf_rows(docs, tf) if self.backend == "numba" else None

        idf_list, self.average_idf = okapi_idf(df.tolist(), self._n, epsilon)
        idf_arr = np.asarray(idf_list, dtype=np.float64)
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
        if rows is not None:
            self._build_kernel_args(*rows)

    def _dense_tf_rows(self, docs: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """uint8 tf rows (row_of[term] >= 0) of the terms in >= 1/_DENSE_ROW_DIV of the docs.

        The compiled loop recomputes a row's weight from tf with the very operations of the postings'
        weights, idf * (tf * (k1 + 1) / (tf + k1 * norm(doc length))), so the floats are identical.
        """
        n, offsets = self._n, self._offsets
        row_of = np.full(len(self._df), -1, dtype=np.int64)
        dense = [int(t) for t in np.flatnonzero(self._df * _DENSE_ROW_DIV >= n)]
        dense = [t for t in dense if tf[offsets[t] : offsets[t + 1]].max() <= 255]
        tf_rows = np.zeros((len(dense), n), dtype=np.uint8)
        for row, t in enumerate(dense):
            row_of[t] = row
            lo, hi = offsets[t], offsets[t + 1]
            tf_rows[row, docs[lo:hi]] = tf[lo:hi]
        return row_of, tf_rows

    def _build_kernel_args(self, row_of: np.ndarray, tf_rows: np.ndarray) -> None:
        """Arguments of the compiled query loop, then one warm-up query (checks the types)."""
        offsets = self._offsets
        starts = np.asarray(offsets[:-1], dtype=np.int64)
        max_w = np.maximum.reduceat(self._post_w, starts)
        abs_w = np.maximum(max_w, -np.minimum.reduceat(self._post_w, starts))
        # k1 * norm per distinct doc length: a small table (cache-friendly) plus an int32 per doc.
        lengths, len_idx = np.unique(self._doc_len, return_inverse=True)
        knorm = (1 - self.b + self.b * lengths / self.avgdl) * self.k1
        self._kernel_args = (
            self._post_docs,
            self._post_w,
            np.asarray(offsets, dtype=np.int64),
            max_w,
            abs_w,
            row_of,
            tf_rows,
            knorm,
            len_idx.astype(np.int32).reshape(-1),
            self._idf,
            float(self.k1 + 1),
        )
        self._top_k_compiled([next(iter(self._vocab))], 1)

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
            cand: np.ndarray = ids[np.flatnonzero(np.diff(ids, prepend=-1))]  # unique; np.unique is slower
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

    def _top_k_compiled(self, query: Sequence[str], k: int) -> list[Hit]:
        assert _kernel is not None and self._kernel_args is not None
        tids = [tid for tid in map(self._vocab.get, query) if tid is not None]
        if not tids:
            return []
        k = min(k, self._n)
        docs = np.empty(k, dtype=np.int64)
        scores = np.empty(k, dtype=np.float64)
        count = _kernel(*self._kernel_args, np.array(tids, dtype=np.int64), k, _BLOCK, _WINDOW, docs, scores)
        return [Hit(d, s) for d, s in zip(docs[:count].tolist(), scores[:count].tolist(), strict=True)]

    def top_k(self, query: Sequence[str], k: int = 10) -> list[Hit]:
        """Best ``k`` docs with a non-zero score, by score descending then doc id ascending."""
        if k <= 0 or not self._n:
            return []
        if self._kernel_args is not None:
            return self._top_k_compiled(query, k)
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
