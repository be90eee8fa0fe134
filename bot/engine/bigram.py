"""Character-bigram retrieval over article sections, fused with word retrieval.

jieba may cut a question differently from the article (「春联活动」 vs 「春/联欢」, a typo, a rare
name), and then word retrieval never sees the passage.  Overlapping character pairs do not depend on
any cut; reciprocal rank fusion of both rankings keeps what either finds without letting one list's
scores (which are not comparable) decide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.engine.index import BM25Index
from bot.engine.thresholds import RRF_K

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")


def bigrams(text: str, stopwords: frozenset[str] = frozenset()) -> list[str]:
    """Overlapping character pairs of each run of Chinese (「写春联」 → 写春, 春联); a word of Latin
    letters or digits stays whole; pairs that are stop words (「哪里」, 「可以」) are left out."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text.lower()):
        if run.isascii():
            out.append(run)
            continue
        pairs = [run[i : i + 2] for i in range(len(run) - 1)] or [run]
        out.extend(p for p in pairs if p not in stopwords)
    return out


class BigramIndex:
    """BM25 over the character pairs of each document; immutable once built."""

    def __init__(self, texts: Sequence[str], stopwords: frozenset[str] = frozenset()) -> None:
        self._stopwords = stopwords
        self._index = BM25Index([bigrams(t, stopwords) for t in texts])

    def ranking(self, text: str, k: int) -> list[int]:
        return [hit.doc for hit in self._index.top_k(bigrams(text, self._stopwords), k)]


def fuse(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion (Cormack et al. 2009): score(d) = Σ 1 / (k + rank of d in a list)."""
    score: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, 1):
            score[doc] = score.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(score, key=lambda doc: (-score[doc], doc))
