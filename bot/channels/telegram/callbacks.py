"""Inline buttons whose data survives a restart and stays under Telegram's 64 bytes.

A button cannot carry an EventQuery, so each sent message that has buttons gets a short key
and a :class:`Memo` (the query it lists, the passage it cites) kept in ``chat_data``, which
PicklePersistence saves. The button then carries only ``pg:<key>:<page>`` or ``src:<key>``.
The store is per chat, not per user, so anyone in a group can page a list the bot sent
there. Old keys are forgotten after :data:`MEMO_LIMIT` newer ones; pressing such a button
gets a polite "expired" answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import wording as texts
from bot.engine.dialogue import EventQuery
from bot.engine.reply import Reply

MAX_DATA_BYTES = 64
MEMO_LIMIT = 200
_MEMOS = "memos"
_NEXT_KEY = "next_memo_key"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Memo:
    """What one sent message's buttons act on."""

    query: EventQuery | None = None
    passage: str | None = None


@dataclass(frozen=True)
class Action:
    """A decoded button press."""

    kind: Literal["page", "original", "day"]
    key: str = ""
    page: int = 0
    day: date | None = None

    def encode(self) -> str:
        if self.kind == "page":
            data = f"pg:{self.key}:{self.page}"
        elif self.kind == "original":
            data = f"src:{self.key}"
        else:
            assert self.day is not None
            data = f"day:{self.day:%Y%m%d}"
        if len(data.encode()) > MAX_DATA_BYTES:
            raise ValueError(f"callback data over {MAX_DATA_BYTES} bytes: {data!r}")
        return data


def decode(data: str | None) -> Action | None:
    """The action a button's data asks for, or None for data this bot never made."""
    if not data:
        return None
    kind, _, rest = data.partition(":")
    try:
        if kind == "pg":
            key, _, page = rest.partition(":")
            if key and page.isdigit():
                return Action("page", key, int(page))
        elif kind == "src" and rest:
            return Action("original", rest)
        elif kind == "day" and len(rest) == 8 and rest.isdigit():
            return Action("day", day=date(int(rest[:4]), int(rest[4:6]), int(rest[6:])))
    except ValueError:
        return None
    return None


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _DIGITS[digit] + digits
        if number == 0:
            return digits


def remember(chat_data: dict[str, Any], memo: Memo) -> str:
    """Store the memo under a new short key; forget the oldest beyond MEMO_LIMIT."""
    number = chat_data.get(_NEXT_KEY, 0)
    chat_data[_NEXT_KEY] = number + 1
    memos: dict[str, Memo] = chat_data.setdefault(_MEMOS, {})
    key = _base36(number)
    memos[key] = memo
    while len(memos) > MEMO_LIMIT:
        del memos[next(iter(memos))]
    return key


def recall(chat_data: dict[str, Any] | None, key: str) -> Memo | None:
    if not chat_data:
        return None
    memo = chat_data.get(_MEMOS, {}).get(key)
    return memo if isinstance(memo, Memo) else None


def memo_for(reply: Reply, query: EventQuery | None) -> Memo | None:
    """What a reply's buttons act on: the listed query of a paged list, else the cited passage."""
    if reply.kind == "events":
        return Memo(query=query) if reply.pages > 1 and query is not None else None
    passage = next((c.passage for c in reply.citations if c.passage), None)
    return Memo(passage=passage) if passage else None


def keyboard(reply: Reply, key: str | None) -> InlineKeyboardMarkup | None:
    """上一页/下一页 for a paged event list, 原文 for a cited passage."""
    if key is None:
        return None
    row = []
    if reply.kind == "events" and reply.pages > 1:
        if reply.has_previous:
            row.append(
                InlineKeyboardButton(
                    texts.PREVIOUS, callback_data=Action("page", key, reply.page - 1).encode()
                )
            )
        if reply.has_next:
            row.append(
                InlineKeyboardButton(texts.NEXT, callback_data=Action("page", key, reply.page + 1).encode())
            )
    elif any(c.passage for c in reply.citations):
        row.append(InlineKeyboardButton(texts.ORIGINAL, callback_data=Action("original", key).encode()))
    return InlineKeyboardMarkup([row]) if row else None


def days_keyboard(days: list[date], per_row: int = 4) -> InlineKeyboardMarkup:
    """One button per day that has events; the data is the date itself, so it never expires."""
    buttons = [
        InlineKeyboardButton(f"{d.month}月{d.day}日", callback_data=Action("day", day=d).encode())
        for d in days
    ]
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])
