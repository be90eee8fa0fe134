"""Inline buttons: short callback data naming the reply's ``ref``, under Telegram's 64 bytes.

A button carries a typed :class:`~bot.engine.reply.Action`, never words to parse again:
``pg:<ref>:<page>`` pages the list that reply showed, ``src:<ref>`` shows the passage it
cited, ``pk:<ref>:<n>`` picks its n-th suggestion, ``day:YYYYMMDD`` lists one day's events.
The conversation service keeps what the ref stands for in the state store, so the buttons of
an older message, or of a message sent before a restart, still work; :class:`Buttons` keeps the
rest of what a press needs (the passage a 「原文」 shows) beside it. An unknown or expired
ref is answered with :data:`bot.wording.EXPIRED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import wording as texts
from bot.engine.reply import Action, Reply
from bot.state.base import StateStore

from .limits import DAYS_PER_ROW, MAX_CALLBACK_BYTES

BUTTONS = "telegram-buttons"  # state-store namespace: ref → the actions of the reply sent with it
_CODES = {"next_page": "pg", "previous_page": "pg", "original": "src", "pick": "pk", "day": "day"}


@dataclass(frozen=True)
class Press:
    """A decoded button: its code, the reply's ref and the number or date it carries."""

    code: str
    ref: str = ""
    number: int = 0
    day: date | None = None


def encode(action: Action, ref: str) -> str:
    """The callback data of one of a reply's actions."""
    code = _CODES[action.kind]
    if code == "day":
        data = f"day:{date.fromisoformat(str(action.value)):%Y%m%d}"
    elif code == "src":
        data = f"src:{ref}"
    else:
        data = f"{code}:{ref}:{int(action.value)}"
    if len(data.encode()) >= MAX_CALLBACK_BYTES:
        raise ValueError(
            f"callback data of {len(data.encode())} bytes, Telegram takes under {MAX_CALLBACK_BYTES}"
        )
    return data


def decode(data: str | None) -> Press | None:
    """The press a button's data describes, or None for data this bot never made."""
    if not data:
        return None
    code, _, rest = data.partition(":")
    try:
        if code == "day" and len(rest) == 8 and rest.isdigit():
            return Press("day", day=date(int(rest[:4]), int(rest[4:6]), int(rest[6:])))
        if code == "src" and rest and ":" not in rest:
            return Press("src", rest)
        if code in ("pg", "pk"):
            ref, _, number = rest.partition(":")
            if ref and number.isdigit():
                return Press(code, ref, int(number))
    except ValueError:
        return None
    return None


class Buttons:
    """The actions of each reply sent with buttons, by its ref, in the shared state store."""

    def __init__(self, store: StateStore, ttl: float | None = None) -> None:
        self.store = store
        self.ttl = ttl

    def keep(self, reply: Reply) -> None:
        if reply.ref and reply.actions:
            self.store.put(BUTTONS, reply.ref, [a.to_json() for a in reply.actions], self.ttl)

    def action(self, press: Press) -> Action | None:
        """The action the press stands for; None when its ref is unknown or expired."""
        if press.code == "day" and press.day is not None:
            return Action("day", "", press.day.isoformat())
        stored: Any = self.store.get(BUTTONS, press.ref)
        if not isinstance(stored, list):
            return None
        for raw in stored:
            if not isinstance(raw, dict) or _CODES.get(str(raw.get("type"))) != press.code:
                continue
            action = Action(raw["type"], str(raw.get("label", "")), raw.get("value", 0))
            if press.code == "src" or str(action.value) == str(press.number):
                return action
        return None


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's actions as buttons: 上一页/下一页 in one row, 原文, or one row per suggestion."""
    if not reply.ref or not reply.actions:
        return None
    buttons = [InlineKeyboardButton(_label(a), callback_data=encode(a, reply.ref)) for a in reply.actions]
    if reply.kind == "suggestions":
        return InlineKeyboardMarkup([[b] for b in buttons])
    return InlineKeyboardMarkup([buttons])


def _label(action: Action) -> str:
    if action.kind == "previous_page":
        return texts.PREVIOUS
    if action.kind == "next_page":
        return texts.NEXT
    if action.kind == "original":
        return texts.ORIGINAL
    if action.kind == "pick":
        return f"{action.value}. {action.label}"
    return action.label


def days_keyboard(days: list[date], per_row: int = DAYS_PER_ROW) -> InlineKeyboardMarkup:
    """One button per day that has events; the data is the date itself, so it never expires."""
    buttons = [
        InlineKeyboardButton(
            texts.MONTH_DAY.format(month=d.month, day=d.day),
            callback_data=encode(Action("day", "", d.isoformat()), ""),
        )
        for d in days
    ]
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])
