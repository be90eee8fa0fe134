"""Compose replies as residents read them: short, exact, dated 2020, and always cited."""

from __future__ import annotations

import math
import re

from bot import wording
from bot.data.knowledge import Event, Knowledge, Passage, Service, Source
from bot.engine.dates import DateRange, format_day
from bot.engine.reply import Citation, EventItem, Reply, TextItem, finished, plain_reply

PAGE_SIZE = 5  # five events fill a phone screen with their places and organisers
MAX_PASSAGE_REPLY = 400  # the scorer's and a phone screen's limit for one quoted answer
_SPACE = re.compile(r"\s+")

__all__ = [
    "MAX_PASSAGE_REPLY",
    "PAGE_SIZE",
    "event_date",
    "event_item",
    "events_reply",
    "passage_reply",
    "plain_reply",
    "service_reply",
]


def event_date(event: Event) -> str:
    return DateRange(event.start, event.end).describe()


def event_item(number: int, event: Event) -> EventItem:
    """The one place an event is described for residents; channels only lay these fields out."""
    return EventItem(number, event.number, event_date(event), event.place, event.content, event.organiser)


def event_citation(event: Event, source: Source) -> Citation:
    quote = f"{event.number}\t{event_date(event)}\t{event.place}\t{event.content}\t{event.organiser}"
    return Citation(source.id, source.full_title, f"{wording.EVENT_NUMBER}{event.number}", quote)


def events_reply(
    knowledge: Knowledge, intent: str, events: list[Event], label: str, page: int, note: str = ""
) -> Reply:
    """One page of matching events; all matches counted and listed in ``events``."""
    pages = max(1, math.ceil(len(events) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = events[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    first, last = knowledge.period
    if not events:  # nothing to list is the bot not knowing, said plainly and citing nothing
        return Reply(
            "fallback",
            intent,
            title=wording.NO_EVENTS_FOUND.format(label=label),
            items=(
                TextItem(
                    wording.NO_EVENTS_KNOWN.format(
                        first=format_day(first), last=format_day(last), count=len(knowledge.events)
                    )
                ),
            ),
            confidence=0.0,
        )
    years = sorted({e.start.year for e in events} | {e.end.year for e in events})
    title = wording.EVENTS_HEADING.format(label=label, count=len(events), years="、".join(map(str, years)))
    if note:
        title = f"{note}\n{title}"
    footer = ""
    if pages > 1:
        footer = (wording.PAGE_OF_MORE if page + 1 < pages else wording.PAGE_OF).format(
            page=page + 1, pages=pages
        )
    return finished(
        Reply(
            "events",
            intent,
            title=title,
            items=tuple(event_item(page * PAGE_SIZE + i + 1, e) for i, e in enumerate(shown)),
            footer=footer,
            citations=tuple(event_citation(e, knowledge.sources[e.source]) for e in shown),
            events=tuple(e.number for e in events),
            page=page,
            pages=pages,
        )
    )


def _fit(text: str, budget: int) -> str:
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= budget:
        return text
    cut = text[: budget - 1]
    for mark in ("。", ";", ",", ","):
        if mark in cut[budget // 2 :]:
            return cut[: cut.rindex(mark) + 1] + "…"
    return cut + "…"


def _room(reply: Reply) -> int:
    """Characters left for the quoted body so the whole reply, citation included, fits a phone."""
    return max(MAX_PASSAGE_REPLY - len(_SPACE.sub("", reply.text)) - 2, 80)


def passage_citation(knowledge: Knowledge, passage: Passage, quote: str) -> Citation:
    source = knowledge.sources[passage.source]
    when = source.date or source.period
    return Citation(source.id, source.full_title, passage.section, quote, passage.id, when)


def passage_reply(
    knowledge: Knowledge, intent: str, passage: Passage, quote: str, confidence: float, title: str = ""
) -> Reply:
    draft = Reply(
        "passages",
        intent,
        title=title,
        citations=(passage_citation(knowledge, passage, quote),),
        confidence=confidence,
    )
    body = _fit(quote, _room(draft))
    return finished(
        draft.with_(items=(TextItem(body),), citations=(passage_citation(knowledge, passage, body),))
    )


def service_reply(knowledge: Knowledge, intent: str, service: Service, confidence: float) -> Reply:
    citation = passage_citation(knowledge, knowledge.passage_by_id[service.passage], service.quote)
    title = f"{service.name}({service.district}{service.provider.removeprefix(service.district)})"
    how = wording.SERVICE_HOW.format(how=service.how) if service.how else ""
    body = wording.SERVICE_BODY.format(offers=service.offers, how=how, quote=service.quote)
    draft = Reply("passages", intent, title=title, citations=(citation,), confidence=confidence)
    return finished(draft.with_(items=(TextItem(_fit(body, _room(draft))),)))


def original_reply(knowledge: Knowledge, passage: Passage) -> Reply:
    """The whole cited paragraph, for a resident who wants to read the source (「原文」)."""
    source = knowledge.sources[passage.source]
    return Reply(
        "passages",
        "original",
        title=f"《{source.full_title}》{passage.section}",
        items=(TextItem(passage.text),),
        citations=(passage_citation(knowledge, passage, passage.text),),
    )
