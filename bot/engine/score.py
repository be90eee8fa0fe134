"""Score: how sure each candidate is, from its evidence, and whether it carries what was asked.

A candidate's confidence is the share of the question's weight its own text accounts for
(KnowledgeSearch.coverage); this module adds the rules that make the kinds comparable and checks
the asked attribute (a phone number, a price, a clock time) against the text that would answer.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.data.knowledge import Speech
from bot.engine.text import MEASURE_WORDS
from bot.engine.thresholds import ON_TOPIC_MARGIN, SERVICE_PREFERENCE, SERVICE_SURE, SURE


@dataclass(frozen=True)
class Attribute:
    """Something a resident asks about one thing (电话), and what a sentence giving it looks like."""

    name: str
    asks: tuple[str, ...]
    value: re.Pattern[str]

    def carried_by(self, text: str) -> bool:
        return self.value.search(text) is not None


def attributes(speech: Speech) -> tuple[Attribute, ...]:
    return tuple(Attribute(name, asks, re.compile(value)) for name, asks, value in speech.attributes)


def asked_attribute(known: tuple[Attribute, ...], text: str) -> Attribute | None:
    """The attribute a question asks for, by its longest question word (「多少钱」 over 「多少」)."""
    best: tuple[int, Attribute] | None = None
    lowered = text.lower()
    for attribute in known:
        for word in attribute.asks:
            if word.lower() in lowered and (best is None or len(word) > best[0]):
                best = (len(word), attribute)
    return best[1] if best else None


# The measure word after 「多少」 / 「几」 (「多少次」, 「几支」): what the asked number counts, so the unit
# of the answer, never its topic.
_ASKED_UNIT = re.compile(rf"(?:多少|几)\s*(?P<unit>[{MEASURE_WORDS}])")


@functools.lru_cache(maxsize=8)
def _asked_people(people: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile(rf"(?:多少|几)\s*(?:{'|'.join(map(re.escape, people))})") if people else None


def asked_unit(text: str, people: tuple[str, ...] = ()) -> str:
    """The measure word of the count a question asks for (「开展了多少次志愿服务」: 次), 人 for a count of
    ``people`` said without one (colloquial.yaml: 「吸引了多少居民参与」), or ''."""
    match = _ASKED_UNIT.search(text)
    if match:
        return match["unit"]
    pattern = _asked_people(people)
    return "人" if pattern is not None and pattern.search(text) else ""


def is_sure(kind: str, confidence: float, on_topic: bool = False) -> bool:
    """Services are short records: one shared word covers much of one, so they need more.  A
    candidate holding the question's weightiest word (its topic) needs less: what it lacks is the
    resident's way of asking, not the subject (see ON_TOPIC_MARGIN)."""
    bar = SERVICE_SURE if kind == "service" else SURE
    return confidence >= (bar - ON_TOPIC_MARGIN if on_topic else bar)


def rank_value(kind: str, confidence: float) -> float:
    """The value candidates of different kinds are ordered by: a sure service is a curated summary
    and wins a near tie with a passage; ties between equals go to the event table (priority)."""
    if kind == "service" and confidence >= SERVICE_SURE:
        return min(confidence + SERVICE_PREFERENCE, 1.0)
    return confidence


KIND_PRIORITY = {"events": 2, "service": 1, "passage": 0}
