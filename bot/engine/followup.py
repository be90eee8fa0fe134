"""Follow-ups: a message that leans on the resident's last event list instead of asking afresh.

「其中中心路街道的呢」 narrows the list (its activity and dates kept), 「那2月5日呢」 changes one
filter, 「当天还有别的活动不」 asks for every event of the day just shown, 「1月15号那场在哪」 picks
one of the list by its day, and 「地址在哪」 / 「几点」 after a single event ask about that event.
The words that point back (当天, 其中, 那场) are data in knowledge/lexicon/colloquial.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.engine.dates import DateRange
from bot.engine.dialogue import EventQuery, is_follow_up, without_lead
from bot.engine.score import Attribute, asked_attribute
from bot.engine.text import NUMERALS
from bot.engine.understand import Understanding

if TYPE_CHECKING:
    from bot.engine.engine import Brain


@dataclass(frozen=True)
class FollowUp:
    query: EventQuery
    attribute: Attribute | None = None  # 「几点」 about the event just shown


# A day said without its month (「那十七号呢」): the follow-up keeps the month of the day just shown.
_BARE_DAY = re.compile(rf"(?<![月\d{NUMERALS}])[{NUMERALS}\d]{{1,3}}\s*[日号]")


def _without(text: str, words: tuple[str, ...]) -> str:
    for word in sorted(words, key=len, reverse=True):
        text = text.replace(word, " ")
    return re.sub(r"\s+", " ", text).strip()


def read_follow_up(brain: Brain, understood: Understanding, last: EventQuery) -> FollowUp | None:
    """The event search a follow-up means, or None when the message is a question of its own."""
    speech = brain.knowledge.speech
    plain = understood.plain
    same_day = any(w in plain for w in speech.same_day)
    narrow = any(w in plain for w in speech.narrow)
    that_one = any(w in plain for w in speech.that_one)
    rest = _without(understood.text, speech.same_day + speech.narrow + speech.that_one)
    if is_follow_up(plain):
        rest = without_lead(rest)
    reading = brain.read(rest)
    query = reading.query
    months = {r.start.month for r in last.ranges} | {r.end.month for r in last.ranges}
    if not query.ranges and len(months) == 1 and _BARE_DAY.search(rest):
        in_month = brain.read(f"{months.pop()}月{rest}")
        if in_month.query.ranges:
            reading, query = in_month, in_month.query
    shown = brain.events(last)
    if same_day and not query.ranges and shown and len({(e.start, e.end) for e in shown}) == 1:
        day = shown[0].start if shown[0].start == shown[0].end else None
        if day is not None:
            return FollowUp(EventQuery(activity=query.activity, ranges=(DateRange(day, day),)))
    if reading.unknown:
        return None  # a word the table does not know: a new question
    named = bool(query.activity or query.ranges or query.places or query.district or query.topics)
    if narrow and named:
        merged = last.follow(query)
        if query.activity:
            activity = tuple(dict.fromkeys((*last.activity, *query.activity)))
            merged = replace(merged, activity=activity, any_activity=False)
        return FollowUp(merged)
    if is_follow_up(plain) and not (query.activity and query.ranges):
        merged = last.follow(query)
        if merged != last or query.is_empty():
            return FollowUp(merged)
        return None
    if reading.content or query.activity:
        return None
    attribute = asked_attribute(brain.attributes, plain)
    asks_about_it = that_one or attribute is not None or reading.asks_events
    if that_one and query.ranges and not query.places:
        return FollowUp(replace(last, ranges=query.ranges, topics=()), attribute)
    if asks_about_it and not named and len(shown) == 1:
        return FollowUp(last, attribute)
    return None
