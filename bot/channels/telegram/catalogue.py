"""What the bot knows, for /about and the /events day menu: read from the knowledge, not a reply.

These two commands describe the knowledge itself rather than answer a question, so they are
the only part of the adapter that reads :class:`~bot.data.knowledge.Knowledge`; the
renderer of answers (:mod:`.render`) lays out replies only.
"""

from __future__ import annotations

from datetime import date

from bot import wording as texts
from bot.data.knowledge import Knowledge, Source
from bot.engine.dates import format_day

from .render import MAX_CHARS, escape, lines_within, pack, tagged


def event_days(knowledge: Knowledge) -> list[date]:
    """The days that have events, in order."""
    return sorted({e.start for e in knowledge.events})


def events_title(knowledge: Knowledge) -> str:
    first, last = knowledge.period
    return texts.EVENTS_TITLE.format(
        first=format_day(first), last=format_day(last), count=len(knowledge.events)
    )


def source_when(source: Source) -> str:
    """The date or period a source reports on, as residents write it."""
    if source.date:
        try:
            return format_day(date.fromisoformat(source.date))
        except ValueError:
            return source.date
    return source.period


def render_about(knowledge: Knowledge, limit: int = MAX_CHARS) -> list[str]:
    """Every source the bot answers from, by district, with its date or period."""
    sources = list(knowledge.sources.values())
    blocks = tagged(texts.ABOUT_TITLE.format(count=len(sources)), "b", limit)
    districts = sorted({s.district for s in sources}, key=lambda d: (d == "", d))
    for district in districts:
        lines = [f"<b>{escape(district or texts.ABOUT_OTHER_DISTRICT)}</b>"]
        for source in (s for s in sources if s.district == district):
            when = source_when(source)
            kind = texts.ABOUT_TABLE if source.kind == "table" else ""
            lines.append(
                f"• 《{escape(source.full_title)}》{escape(kind)}" + (f" {escape(when)}" if when else "")
            )
        blocks.extend(lines_within(lines, limit))
    if knowledge.events:
        first, last = knowledge.period
        about_events = texts.ABOUT_EVENTS.format(
            first=format_day(first), last=format_day(last), count=len(knowledge.events)
        )
        blocks.extend(tagged(about_events, None, limit))
    return pack(blocks, limit)
