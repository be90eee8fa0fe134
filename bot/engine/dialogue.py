"""What the bot remembers of one resident's conversation, so follow-ups make sense.

「那2月5日呢?」 keeps the activity and changes the date; 「中心路街道的呢?」 narrows the
last search; 「下一页」 pages; 「2」 picks the second suggestion. The state turns into plain
JSON (:meth:`DialogueState.to_json`) so a state store keeps it without pickle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from bot.engine.dates import DateRange

_FOLLOW_UP = re.compile(
    r"^(那|那么|那要是|那如果|还有|换成|改成|要是|what about|how about|and\b)", re.IGNORECASE
)
_TRAILING = re.compile(r"呢[\s?!.。!?~～]*$")


@dataclass(frozen=True)
class EventQuery:
    """The filters of one event search; empty fields do not filter."""

    activity: tuple[str, ...] = ()
    ranges: tuple[DateRange, ...] = ()
    places: tuple[str, ...] = ()
    district: str | None = None
    topics: tuple[str, ...] = ()
    relative: tuple[str, ...] = ()
    any_activity: bool = False  # 「写春联和猜灯谜」: either activity, not both at once
    besides: tuple[int, ...] = ()  # rows already shown that 「那个社区还搞过啥」 asks past (their 序号)
    only: tuple[int, ...] = ()  # 「第二个在哪」: the row of the list shown picked by its place in it (序号)

    def is_empty(self) -> bool:
        return not (self.activity or self.ranges or self.places or self.topics)

    def follow(self, newer: EventQuery) -> EventQuery:
        """A follow-up replaces what it names and keeps the rest; a date replaces the festival too."""
        merged = self
        if newer.activity:
            merged = replace(merged, activity=newer.activity, any_activity=newer.any_activity)
        if newer.ranges or newer.topics:
            merged = replace(merged, ranges=newer.ranges, topics=newer.topics)
        if newer.places:
            merged = replace(merged, places=newer.places)
        if newer.district:
            merged = replace(merged, district=newer.district)
        return replace(merged, relative=newer.relative, only=newer.only, besides=newer.besides)

    def date_bounds(self) -> list[tuple[date, date]]:
        return [(r.start, r.end) for r in self.ranges]

    def to_json(self) -> dict[str, Any]:
        return {
            "activity": list(self.activity),
            "ranges": [[r.start.isoformat(), r.end.isoformat(), r.label, r.named] for r in self.ranges],
            "places": list(self.places),
            "district": self.district,
            "topics": list(self.topics),
            "relative": list(self.relative),
            "any_activity": self.any_activity,
            "besides": list(self.besides),
            "only": list(self.only),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventQuery:
        return cls(
            tuple(map(str, data.get("activity", ()))),
            tuple(
                DateRange(date.fromisoformat(a), date.fromisoformat(b), str(label), bool(named))
                for a, b, label, named in data.get("ranges", ())
            ),
            tuple(map(str, data.get("places", ()))),
            data.get("district"),
            tuple(map(str, data.get("topics", ()))),
            tuple(map(str, data.get("relative", ()))),
            bool(data.get("any_activity", False)),
            tuple(int(n) for n in data.get("besides", ())),
            tuple(int(n) for n in data.get("only", ())),
        )


@dataclass(frozen=True)
class Choice:
    """What one offered suggestion leads to: an event search, a passage, or a service."""

    kind: Literal["events", "passage", "service"]
    label: str
    query: EventQuery | None = None
    target: str = ""  # the passage id or the service name
    quote: str = ""  # for a passage: the sentences that answer

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "query": self.query.to_json() if self.query else None,
            "target": self.target,
            "quote": self.quote,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Choice:
        query = data.get("query")
        kind = data.get("kind")
        if kind not in ("events", "passage", "service"):
            raise ValueError(f"unknown choice kind {kind!r}")
        return cls(
            kind,
            str(data.get("label", "")),
            EventQuery.from_json(query) if query else None,
            str(data.get("target", "")),
            str(data.get("quote", "")),
        )


def without_lead(text: str) -> str:
    """The follow-up less the word that leans on the last turn: 「那顺苑社区」 → 「顺苑社区」 (jieba
    would glue 那 to the name, 「那顺苑」, which no table knows)."""
    return _FOLLOW_UP.sub("", text.strip(), count=1).strip() or text


def is_follow_up(text: str) -> bool:
    """「那2月5日呢?」, 「中心路街道的呢?」, "what about Feb 5": words that lean on the last turn."""
    return bool(_FOLLOW_UP.search(text.strip()) or _TRAILING.search(text.strip()))


@dataclass
class DialogueState:
    """One resident's context: the last event search and page, the offered choices, the last passage."""

    query: EventQuery | None = None
    page: int = 0
    choices: list[Choice] = field(default_factory=list)
    passage: str | None = None  # the passage last quoted, for 「原文」 typed as a word
    quoted: int | None = None  # the last of its sentences shown, for 「还有呢」; None: not known

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query.to_json() if self.query else None,
            "page": self.page,
            "choices": [c.to_json() for c in self.choices],
            "passage": self.passage,
            "quoted": self.quoted,
        }

    @classmethod
    def from_json(cls, data: Any) -> DialogueState:
        """A stored state; anything unreadable (an old format, a damaged entry) starts afresh."""
        try:
            query = data.get("query")
            return cls(
                EventQuery.from_json(query) if query else None,
                int(data.get("page", 0)),
                [Choice.from_json(c) for c in data.get("choices", ())],
                data.get("passage"),
                None if data.get("quoted") is None else int(data["quoted"]),
            )
        except (AttributeError, TypeError, ValueError, KeyError):
            return cls()


_PICK = re.compile(r"^(?:第|选|选择|要)?\s*([1-9一二三四五六七八九])\s*(?:个|项|条|号)?\s*[.。!!]?$")
_NUMERALS = "一二三四五六七八九"


def picked(text: str, choices: list[Choice]) -> int | None:
    """The 1-based choice a message picks: 「2」, 「第二个」, or a label typed out; None otherwise.

    A number beyond the choices is still a pick (answered 「没有这个选项」): a lone number is no question."""
    if not choices:
        return None
    text = text.strip()
    found = _PICK.match(text)
    if found:
        digit = found.group(1)
        number = _NUMERALS.index(digit) + 1 if digit in _NUMERALS else int(digit)
        return number
    for number, choice in enumerate(choices, 1):
        if text == choice.label:
            return number
    return None
