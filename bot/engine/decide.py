"""Decide: one confidence, three bands.  Sure → answer; close → 「您是想问下面哪一个?」; else fallback.

Every candidate was scored by bot.engine.score; this module only orders them and applies the bands
of bot.engine.thresholds, so why the bot answered, asked back or declined is one comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.engine.candidates import Candidate
from bot.engine.score import KIND_PRIORITY, is_sure, rank_value
from bot.engine.thresholds import CLOSE, MAX_OFFERS

Band = Literal["sure", "close", "none"]


@dataclass(frozen=True)
class Decision:
    band: Band
    chosen: tuple[Candidate, ...]  # the answer (sure), the offers (close), or nothing

    @property
    def best(self) -> Candidate | None:
        return self.chosen[0] if self.chosen else None


def ranked(candidates: list[Candidate]) -> list[Candidate]:
    """Best first; of equals, one that answers what is asked before one that answers only who asks
    (Candidate.who), an event list nobody asked for after the rest (Candidate.unasked), then by
    kind; equal candidates keep their retriever's order (BM25 within services)."""

    def key(c: Candidate) -> tuple[float, bool, bool, int]:
        return -rank_value(c.kind, c.confidence), c.who, c.unasked, -KIND_PRIORITY[c.kind]

    return sorted(candidates, key=key)


def decide(candidates: list[Candidate]) -> Decision:
    """The best sure candidate; else the close ones, one per label, best first; else nothing."""
    order = ranked([c for c in candidates if not c.empty])
    sure = [c for c in order if is_sure(c.kind, c.confidence, c.on_topic)]
    if sure:
        return Decision("sure", (sure[0],))
    empty = [c for c in candidates if c.empty and is_sure(c.kind, c.confidence, c.on_topic)]
    if empty:  # 「年三十有没有晚会」: the table was searched and has nothing that day
        return Decision("sure", (empty[0],))
    close: list[Candidate] = []
    for candidate in order:
        if (
            candidate.confidence >= CLOSE
            and candidate.on_topic
            and all(c.label != candidate.label for c in close)
        ):
            close.append(candidate)
    # An event list of an activity asked for, offered beside nothing but articles on that activity
    # (or alone), is the answer: the offers would be one answer told twice.
    asked = [
        c for c in close if c.kind == "events" and not c.unasked and c.query is not None and c.query.activity
    ]
    if asked and all(c.kind == "events" or _same_activity(c, asked[0]) for c in close):
        return Decision("sure", (asked[0],))
    if close:
        return Decision("close", tuple(close[:MAX_OFFERS]))
    return Decision("none", ())


def _same_activity(candidate: Candidate, events: Candidate) -> bool:
    """Does an article offered beside an event list speak of the list's activity (「义写春联活动」
    beside the 春联 rows)? Then the two offers are one answer, and the list is it."""
    hit = candidate.hit
    query = events.query
    return hit is not None and query is not None and all(a in hit.known for a in query.activity)
