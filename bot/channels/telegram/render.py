"""Replies as Telegram HTML: escaped, one event per block, cited, never over 4,096 characters.

Every piece of knowledge or user text passes through :func:`escape`; the only markup is the
renderer's own ``<b>``/``<i>``. Text is cut into blocks that are each valid HTML on their
own, so a long answer splits between blocks and never inside a tag or an entity.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from bot import wording as texts
from bot.data.knowledge import Event, Knowledge, Source
from bot.data.yamlio import Problem
from bot.engine.compose import PAGE_SIZE, event_date
from bot.engine.dates import format_day
from bot.engine.reply import Reply

MAX_CHARS = 4096  # Telegram's limit for one message's text
_BREAKS = ("\n", "。", "!", "?", ";", ",", ",", " ")


def escape(text: str) -> str:
    return html.escape(text)


def tagged(raw: str, tag: str | None = None, limit: int = MAX_CHARS) -> list[str]:
    """Raw text escaped (and wrapped in ``tag``), cut into pieces that each fit ``limit``."""
    opening, closing = (f"<{tag}>", f"</{tag}>") if tag else ("", "")
    budget = limit - len(opening) - len(closing)
    return [f"{opening}{escape(piece)}{closing}" for piece in _pieces(raw, budget)]


def _pieces(raw: str, budget: int) -> list[str]:
    pieces = []
    while raw:
        size, fit = 0, 0
        for char in raw:
            size += len(escape(char))
            if size > budget:
                break
            fit += 1
        cut = fit
        if fit < len(raw):
            for mark in _BREAKS:  # prefer a natural break in the second half of the piece
                at = raw.rfind(mark, fit // 2, fit)
                if at != -1:
                    cut = at + 1
                    break
        pieces.append(raw[:cut])
        raw = raw[cut:]
    return pieces


def pack(blocks: Iterable[str], limit: int = MAX_CHARS, separator: str = "\n\n") -> list[str]:
    """Join blocks into as few messages as fit; every block must already fit on its own."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        if not block:
            continue
        if current and len(current) + len(separator) + len(block) > limit:
            messages.append(current)
            current = ""
        current = f"{current}{separator}{block}" if current else block
    if current or not messages:
        messages.append(current)
    return messages


def event_block(number: int, event: Event) -> str:
    """One event as residents read it on a phone: numbered date with year, then place, content, organiser."""
    lines = [
        f"<b>{number}. {escape(event_date(event))}</b>",
        f"地点:{escape(event.place)}",
        f"内容:{escape(event.content)}",
    ]
    if event.organiser:
        lines.append(f"主办:{escape(event.organiser)}")
    return "\n".join(lines)


def _shown_events(reply: Reply, by_number: Mapping[int, Event]) -> list[tuple[int, Event]] | None:
    """The events on the reply's page, or None when the knowledge changed under the reply."""
    start = reply.page * PAGE_SIZE
    numbers = reply.events[start : start + len(reply.lines)]
    events = [by_number.get(n) for n in numbers]
    if len(numbers) != len(reply.lines) or any(e is None for e in events):
        return None
    return [(start + i + 1, e) for i, e in enumerate(events) if e is not None]


def reply_blocks(reply: Reply, by_number: Mapping[int, Event], limit: int = MAX_CHARS) -> list[str]:
    """The reply's parts as HTML blocks: bold title, body, footer, citation in italics."""
    emphasis = "b" if reply.kind in ("events", "passages") else None
    blocks = tagged(reply.title, emphasis, limit) if reply.title else []
    shown = _shown_events(reply, by_number) if reply.kind == "events" and reply.events else None
    if shown is not None:
        for number, event in shown:
            block = event_block(number, event)
            blocks.extend([block] if len(block) <= limit else tagged(f"{number}. {event.text}", None, limit))
    else:
        for line in reply.lines:
            blocks.extend(tagged(line, None, limit))
    if reply.footer:
        blocks.extend(tagged(reply.footer, None, limit))
    if reply.source_line:
        blocks.extend(tagged(reply.source_line, "i", limit))
    return blocks


def render_reply(reply: Reply, by_number: Mapping[int, Event], limit: int = MAX_CHARS) -> list[str]:
    """Messages (HTML) for one reply; usually one, more only for a very long passage."""
    return pack(reply_blocks(reply, by_number, limit), limit)


def render_plain(text: str, limit: int = MAX_CHARS) -> list[str]:
    return pack(tagged(text, None, limit), limit)


def render_greeting(examples: Sequence[str]) -> str:
    lines = [escape(texts.GREETING), "", f"<b>{escape(texts.EXAMPLES_TITLE)}</b>"]
    lines += [f"• {escape(q)}" for q in examples]
    lines += ["", escape(texts.GREETING_FOOTER)]
    return "\n".join(lines)


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
        lines = [f"<b>{escape(district or '其他')}</b>"]
        for source in (s for s in sources if s.district == district):
            when = source_when(source)
            kind = "(活动安排表)" if source.kind == "table" else ""
            lines.append(
                f"• 《{escape(source.full_title)}》{escape(kind)}" + (f" {escape(when)}" if when else "")
            )
        blocks.extend(_lines_within(lines, limit))
    if knowledge.events:
        first, last = knowledge.period
        blocks.extend(
            tagged(
                texts.ABOUT_EVENTS.format(
                    first=format_day(first), last=format_day(last), count=len(knowledge.events)
                ),
                None,
                limit,
            )
        )
    return pack(blocks, limit)


def _lines_within(lines: list[str], limit: int) -> list[str]:
    """HTML lines packed into blocks that fit; a single over-long line is cut as plain text."""
    fitted: list[str] = []
    for line in lines:
        fitted.extend([line] if len(line) <= limit else tagged(html.unescape(line), None, limit))
    return pack(fitted, limit, separator="\n")


def render_problems(problems: Sequence[Problem | str], limit: int = MAX_CHARS) -> list[str]:
    """The reload's refusal: each problem as FILE:LINE: message."""
    blocks = tagged(texts.RELOAD_REFUSED, "b", limit)
    lines = [line for p in problems for line in tagged(f"• {p}", None, limit)]
    blocks.extend(pack(lines, limit, separator="\n"))
    return pack(blocks, limit)
