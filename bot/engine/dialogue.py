"""What the bot remembers of one resident's conversation, so follow-ups make sense.

「那2月5日呢?」 keeps the activity and changes the date; 「中心路街道的呢?」 narrows the
last search; 「下一页」 pages. The state is plain picklable data so adapters can persist it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

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
        return replace(merged, relative=newer.relative)

    def date_bounds(self) -> list[tuple[date, date]]:
        return [(r.start, r.end) for r in self.ranges]


def is_follow_up(text: str) -> bool:
    """「那2月5日呢?」, 「中心路街道的呢?」, "what about Feb 5": words that lean on the last turn."""
    return bool(_FOLLOW_UP.search(text.strip()) or _TRAILING.search(text.strip()))


@dataclass
class DialogueState:
    """One resident's context: the last event search, the page shown, the last citation."""

    query: EventQuery | None = None
    page: int = 0
