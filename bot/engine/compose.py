"""Replies as residents read them: short, exact, dated 2020, and always cited.

Each reply keeps its parts (title, lines, citations) so an adapter can render them in its
own markup; ``text`` is the plain form the console and the JSON contract show.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from bot.data.knowledge import Event, Knowledge, Passage, Service, Source
from bot.engine.dates import DateRange, format_day

PAGE_SIZE = 5
MAX_PASSAGE_REPLY = 400
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Citation:
    source: str
    title: str
    locator: str
    quote: str
    passage: str | None = None  # passage id, for showing the whole paragraph (「原文」)
    when: str = ""  # the source's date or period: 「今年」 in a 2019 article is 2019

    def to_json(self) -> dict:
        data = asdict(self)
        del data["passage"], data["when"]
        return data


@dataclass
class Reply:
    kind: str  # events, passages, chitchat, fallback
    intent: str
    title: str = ""
    lines: list[str] = field(default_factory=list)
    footer: str = ""
    citations: list[Citation] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    page: int = 0
    pages: int = 1
    confidence: float = 1.0
    best: str = ""  # the nearest candidate when the reply is a fallback, for the unanswered log

    @property
    def source_line(self) -> str:
        if not self.citations:
            return ""
        first = self.citations[0]
        if self.kind == "events":
            numbers = "、".join(c.locator.removeprefix("序号") for c in self.citations)
            return f"来源:《{first.title}》序号 {numbers}"
        when = f"({first.when})" if first.when else ""
        return f"来源:《{first.title}》{when}{('· ' + first.locator) if first.locator else ''}"

    @property
    def text(self) -> str:
        parts = [self.title, *self.lines, self.footer, self.source_line]
        return "\n".join(p for p in parts if p)

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "kind": self.kind,
            "intent": self.intent,
            "events": self.events if self.kind == "events" else [],
            "citations": [c.to_json() for c in self.citations] if self.kind in ("events", "passages") else [],
        }


def event_date(event: Event) -> str:
    return DateRange(event.start, event.end).describe()


def event_line(number: int, event: Event) -> str:
    organiser = f";主办:{event.organiser}" if event.organiser else ""
    return f"{number}. {event_date(event)},{event.place}:{event.content}{organiser}"


def event_citation(event: Event, source: Source) -> Citation:
    quote = f"{event.number}\t{event_date(event)}\t{event.place}\t{event.content}\t{event.organiser}"
    return Citation(source.id, source.full_title, f"序号{event.number}", quote)


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
            title=f"没有找到{label}。",
            lines=[
                f"我知道的活动是{format_day(first)}至{format_day(last)}举办的{len(knowledge.events)}场,"
                "可以换个日期、活动或社区再问。"
            ],
            confidence=0.0,
        )
    years = sorted({e.start.year for e in events} | {e.end.year for e in events})
    title = f"{label}:共{len(events)}场({'、'.join(map(str, years))}年,均已举办)"
    if note:
        title = f"{note}\n{title}"
    footer = ""
    if pages > 1:
        footer = f"第{page + 1}/{pages}页" + ("。回复「下一页」看更多" if page + 1 < pages else "")
    citations = [event_citation(e, knowledge.sources[e.source]) for e in shown]
    return Reply(
        "events",
        intent,
        title=title,
        lines=[event_line(page * PAGE_SIZE + i + 1, e) for i, e in enumerate(shown)],
        footer=footer,
        citations=citations,
        events=[e.number for e in events],
        page=page,
        pages=pages,
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


def _within(reply: Reply, body: str) -> Reply:
    """Trim the quoted body so the whole reply, citation included, stays readable on a phone."""
    room = MAX_PASSAGE_REPLY - len(_SPACE.sub("", reply.text)) - 2
    reply.lines = [_fit(body, max(room, 80))]
    return reply


def passage_citation(knowledge: Knowledge, passage: Passage, quote: str) -> Citation:
    source = knowledge.sources[passage.source]
    when = source.date or source.period
    return Citation(source.id, source.full_title, passage.section, quote, passage.id, when)


def passage_reply(
    knowledge: Knowledge, intent: str, passage: Passage, quote: str, confidence: float
) -> Reply:
    reply = Reply(
        "passages", intent, citations=[passage_citation(knowledge, passage, quote)], confidence=confidence
    )
    reply = _within(reply, quote)
    reply.citations = [passage_citation(knowledge, passage, reply.lines[0])]
    return reply


def service_reply(knowledge: Knowledge, intent: str, service: Service, confidence: float) -> Reply:
    citation = passage_citation(knowledge, knowledge.passage_by_id[service.passage], service.quote)
    title = f"{service.name}({service.district}{service.provider.removeprefix(service.district)})"
    how = f"途径:{service.how}。" if service.how else ""
    body = f"{service.offers}。{how}原文:“{service.quote}”"
    reply = Reply("passages", intent, title=title, citations=[citation], confidence=confidence)
    return _within(reply, body)


def plain_reply(kind: str, intent: str, text: str) -> Reply:
    return Reply(kind, intent, title=text)
