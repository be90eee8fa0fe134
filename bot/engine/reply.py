"""The structured reply every channel renders: what was answered, from where, and what can be done next.

A :class:`Reply` is immutable. It keeps its parts apart (title, items, footer, citations,
actions) so each channel lays them out in its own markup — console text, Telegram HTML and
buttons, web JSON, WeChat text within a byte budget — while :attr:`Reply.text` is the plain
form the console and the JSON batch contract show. Events are described here once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from bot import wording

Kind = Literal["events", "passages", "chitchat", "fallback", "suggestions"]
ActionKind = Literal["next_page", "previous_page", "original", "pick", "day"]


@dataclass(frozen=True)
class Citation:
    source: str
    title: str
    locator: str
    quote: str
    passage: str | None = None  # passage id, for showing the whole paragraph (「原文」)
    when: str = ""  # the source's date or period: 「今年」 in a 2019 article is 2019

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "title": self.title, "locator": self.locator, "quote": self.quote}


@dataclass(frozen=True)
class EventItem:
    """One row of the event table as residents read it: number on the list, date with year, place."""

    number: int  # position in the whole list (1-based), not the table's 序号
    row: int  # the table's 序号, which the citation names
    when: str
    place: str
    content: str
    organiser: str = ""

    @property
    def line(self) -> str:
        organiser = wording.EVENT_ORGANISER.format(organiser=self.organiser) if self.organiser else ""
        return f"{self.number}. {self.when},{self.place}:{self.content}{organiser}"


@dataclass(frozen=True)
class TextItem:
    """A quoted passage, a service description or any other paragraph of the answer."""

    text: str

    @property
    def line(self) -> str:
        return self.text


@dataclass(frozen=True)
class Offer:
    """One choice of a suggestions reply: picking it (number, label or button) gives that answer."""

    number: int
    label: str
    kind: Literal["events", "passages"]

    @property
    def line(self) -> str:
        return f"{self.number}. {self.label}"

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "kind": self.kind}


Item = EventItem | TextItem | Offer


@dataclass(frozen=True)
class Action:
    """Something the resident can do next, as a button or a typed command; ``value`` is its argument."""

    kind: ActionKind
    label: str
    value: int | str = 0

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, "label": self.label, "value": self.value}


@dataclass(frozen=True)
class Reply:
    kind: Kind
    intent: str
    title: str = ""
    items: tuple[Item, ...] = ()
    footer: str = ""
    citations: tuple[Citation, ...] = ()
    actions: tuple[Action, ...] = ()
    events: tuple[int, ...] = ()  # every matching event's 序号, all pages
    page: int = 0
    pages: int = 1
    confidence: float = 1.0
    best: str = ""  # the nearest candidate when the reply is a fallback, for the unanswered log
    ref: str = ""  # set by the conversation service: the memo its actions act on

    @property
    def silent(self) -> bool:
        """Nothing to send (a resident flooding the bot is ignored after one warning)."""
        return not self.text

    @property
    def lines(self) -> list[str]:
        return [item.line for item in self.items]

    @property
    def offers(self) -> tuple[Offer, ...]:
        return tuple(item for item in self.items if isinstance(item, Offer))

    @property
    def passage(self) -> str | None:
        """The cited passage a 「原文」 shows in full, if any."""
        return next((c.passage for c in self.citations if c.passage), None)

    @property
    def source_line(self) -> str:
        if not self.citations:
            return ""
        first = self.citations[0]
        if self.kind == "events":
            numbers = "、".join(c.locator.removeprefix(wording.EVENT_NUMBER) for c in self.citations)
            return wording.SOURCE_EVENTS.format(title=first.title, numbers=numbers)
        when = wording.SOURCE_WHEN.format(when=first.when) if first.when else ""
        locator = ("· " + first.locator) if first.locator else ""
        return wording.SOURCE.format(title=first.title, when=when, locator=locator)

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

    def with_(self, **changes: Any) -> Reply:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The batch contract of ``../shared/eval/README.md``."""
        data: dict[str, Any] = {
            "text": self.text,
            "kind": self.kind,
            "intent": self.intent,
            "events": list(self.events) if self.kind == "events" else [],
            "citations": [c.to_json() for c in self.citations] if self.kind in ("events", "passages") else [],
        }
        if self.kind == "suggestions":
            data["offers"] = [o.to_json() for o in self.offers]
        return data

    def to_api(self) -> dict[str, Any]:
        """Everything a front end needs to lay the reply out itself (the web API's answer)."""
        data = self.to_json()
        data.update(
            title=self.title,
            items=[
                {"type": type(item).__name__.removesuffix("Item").lower(), **asdict(item)}
                for item in self.items
            ],
            footer=self.footer,
            source=self.source_line,
            actions=[a.to_json() for a in self.actions],
            page=self.page,
            pages=self.pages,
            ref=self.ref,
        )
        return data


_ITEMS: dict[str, type[EventItem] | type[TextItem] | type[Offer]] = {
    "event": EventItem,
    "text": TextItem,
    "offer": Offer,
}


def reply_to_state(reply: Reply) -> dict[str, Any]:
    """Plain JSON of a whole reply, for a state store (a retried message gets the same reply)."""
    data = asdict(reply)
    data["items"] = [{"type": _item_type(i), **asdict(i)} for i in reply.items]
    return data


def reply_from_state(data: dict[str, Any]) -> Reply:
    items = tuple(_ITEMS[i.pop("type")](**i) for i in (dict(x) for x in data.pop("items", ())))
    citations = tuple(Citation(**c) for c in data.pop("citations", ()))
    actions = tuple(Action(**a) for a in data.pop("actions", ()))
    events = tuple(data.pop("events", ()))
    return Reply(**data, items=items, citations=citations, actions=actions, events=events)


def _item_type(item: Item) -> str:
    return type(item).__name__.removesuffix("Item").lower()


def plain_reply(kind: Kind, intent: str, text: str) -> Reply:
    return Reply(kind, intent, title=text)


def reply_actions(reply: Reply) -> tuple[Action, ...]:
    """What can follow a reply: paging a list, the whole source of a quote, picking a suggestion."""
    actions: list[Action] = []
    if reply.kind == "events" and reply.pages > 1:
        if reply.has_previous:
            actions.append(Action("previous_page", wording.PREVIOUS, reply.page - 1))
        if reply.has_next:
            actions.append(Action("next_page", wording.NEXT, reply.page + 1))
    elif reply.kind == "passages" and reply.passage:
        actions.append(Action("original", wording.ORIGINAL, reply.passage))
    elif reply.kind == "suggestions":
        actions.extend(Action("pick", o.label, o.number) for o in reply.offers)
    return tuple(actions)


def finished(reply: Reply) -> Reply:
    """The reply with the actions its content allows (computed once, when it is composed)."""
    return replace(reply, actions=reply_actions(reply))


__all__ = [
    "Action",
    "Citation",
    "EventItem",
    "Item",
    "Kind",
    "Offer",
    "Reply",
    "TextItem",
    "finished",
    "plain_reply",
]
