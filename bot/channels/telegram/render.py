"""Replies as Telegram HTML: escaped, one event per block, cited, never over 4,096 characters.

The renderer lays out what the :class:`~bot.engine.reply.Reply` already holds — its title,
items (an :class:`EventItem` as a block of date, place, content and organiser; a
:class:`TextItem` as a paragraph; an :class:`Offer` as a numbered line), footer and citation
— and fetches nothing itself. Every piece of knowledge or user text passes through
:func:`escape`; the only markup is the renderer's own ``<b>``/``<i>``. Text is cut into
blocks that are each valid HTML on their own, so a long answer splits between blocks and
never inside a tag or an entity.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from bot import wording as texts
from bot.engine.reply import EventItem, Offer, Reply, TextItem

from .limits import MAX_MESSAGE_CHARS

MAX_CHARS = MAX_MESSAGE_CHARS
_BREAKS = ("\n", "。", "!", "?", ";", ",", ",", " ")


def escape(text: str) -> str:
    return html.escape(text)


def tagged(raw: str, tag: str | None = None, limit: int = MAX_CHARS) -> list[str]:
    """Raw text escaped (and wrapped in ``tag``), cut into pieces that each fit ``limit``."""
    opening, closing = (f"<{tag}>", f"</{tag}>") if tag else ("", "")
    budget = limit - len(opening) - len(closing)
    return [f"{opening}{escape(piece)}{closing}" for piece in _pieces(raw, budget)]


def _pieces(raw: str, budget: int) -> list[str]:
    if len(escape(raw)) <= budget:  # nearly always: one piece, without measuring every character
        return [raw] if raw else []
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


def event_block(item: EventItem) -> str:
    """One event as residents read it on a phone: numbered date with year, then place, content, organiser."""
    lines = [
        f"<b>{item.number}. {escape(item.when)}</b>",
        texts.TELEGRAM_PLACE.format(place=escape(item.place)),
        texts.TELEGRAM_CONTENT.format(content=escape(item.content)),
    ]
    if item.organiser:
        lines.append(texts.TELEGRAM_ORGANISER.format(organiser=escape(item.organiser)))
    return "\n".join(lines)


def reply_blocks(reply: Reply, limit: int = MAX_CHARS) -> list[str]:
    """The reply's parts as HTML blocks: bold title, items, footer, citation in italics."""
    emphasis = "b" if reply.kind in ("events", "passages") else None
    blocks = tagged(reply.title, emphasis, limit) if reply.title else []
    offers: list[str] = []
    for item in reply.items:
        if isinstance(item, EventItem):
            block = event_block(item)
            blocks.extend([block] if len(block) <= limit else tagged(item.line, None, limit))
        elif isinstance(item, Offer):
            offers.extend(tagged(item.line, None, limit))
        elif isinstance(item, TextItem):
            blocks.extend(tagged(item.text, None, limit))
    if offers:  # the choices stay together, one per line
        blocks.extend(pack(offers, limit, separator="\n"))
        blocks.extend(tagged(texts.PICK_HINT, None, limit))
    if reply.footer:
        blocks.extend(tagged(reply.footer, None, limit))
    if reply.source_line:
        blocks.extend(tagged(reply.source_line, "i", limit))
    return blocks


def render_reply(reply: Reply, limit: int = MAX_CHARS) -> list[str]:
    """Messages (HTML) for one reply; usually one, more only for a very long passage."""
    return pack(reply_blocks(reply, limit), limit)


def render_plain(text: str, limit: int = MAX_CHARS) -> list[str]:
    return pack(tagged(text, None, limit), limit)


def render_greeting(examples: Sequence[str]) -> str:
    lines = [escape(texts.GREETING), "", f"<b>{escape(texts.EXAMPLES_TITLE)}</b>"]
    lines += [f"• {escape(q)}" for q in examples]
    lines += ["", escape(texts.GREETING_FOOTER)]
    return "\n".join(lines)


def lines_within(lines: list[str], limit: int) -> list[str]:
    """HTML lines packed into blocks that fit; a single over-long line is cut as plain text."""
    fitted: list[str] = []
    for line in lines:
        fitted.extend([line] if len(line) <= limit else tagged(html.unescape(line), None, limit))
    return pack(fitted, limit, separator="\n")


def render_problems(problems: Sequence[object], limit: int = MAX_CHARS) -> list[str]:
    """The reload's refusal: each problem as FILE:LINE: message."""
    blocks = tagged(texts.RELOAD_REFUSED, "b", limit)
    lines = [line for p in problems for line in tagged(f"• {p}", None, limit)]
    blocks.extend(pack(lines, limit, separator="\n"))
    return pack(blocks, limit)
