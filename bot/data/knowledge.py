"""The knowledge base: sources, passages, events and services, loaded from ``knowledge/``.

Loading is all-or-nothing: :func:`load_knowledge` validates every file first and raises
:class:`KnowledgeError` with every problem, so a broken edit never half-replaces good data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.data.schema import check_knowledge
from bot.data.yamlio import Problem
from bot.engine.dates import Festival
from bot.engine.text import Lexicon, read_userdict, split_sentences


class KnowledgeError(Exception):
    """The files on disk do not make a valid knowledge base; ``problems`` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    district: str
    kind: str = "article"
    subtitle: str = ""
    newspaper_section: str = ""
    date: str = ""
    period: str = ""
    byline: str = ""

    @property
    def full_title(self) -> str:
        return f"{self.title}——{self.subtitle}" if self.subtitle else self.title


@dataclass(frozen=True)
class Passage:
    """One paragraph of an article, with the section it sits in."""

    id: str
    source: str
    section: str
    text: str
    order: int
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    number: int
    start: date
    end: date
    place: str
    content: str
    organiser: str
    district: str
    source: str

    @property
    def text(self) -> str:
        return f"{self.content} {self.place} {self.organiser}"


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    offers: str
    provider: str
    how: str
    district: str
    source: str
    passage: str
    quote: str
    keywords: tuple[str, ...] = ()


@dataclass
class Knowledge:
    sources: dict[str, Source]
    passages: list[Passage]
    events: list[Event]
    services: list[Service]
    lexicon: Lexicon
    festivals: list[Festival]
    relative_words: list[str]
    root: Path
    period_words: list[str] = field(default_factory=list)
    passage_by_id: dict[str, Passage] = field(init=False)
    event_by_number: dict[int, Event] = field(init=False)

    def __post_init__(self) -> None:
        self.passage_by_id = {p.id: p for p in self.passages}
        self.event_by_number = {e.number: e for e in self.events}

    @property
    def period(self) -> tuple[date, date]:
        """The days the event table covers; dates without a year are read inside it."""
        if not self.events:
            return date(2020, 1, 1), date(2020, 12, 31)
        return min(e.start for e in self.events), max(e.end for e in self.events)

    def districts(self) -> list[str]:
        return sorted({s.district for s in self.sources.values() if s.district})


def _source(raw: dict) -> Source:
    return Source(
        id=raw["id"],
        title=raw["title"],
        district=raw.get("district", ""),
        kind=raw.get("kind", "article"),
        subtitle=raw.get("subtitle", ""),
        newspaper_section=raw.get("newspaper_section", ""),
        date=str(raw.get("date", "")),
        period=str(raw.get("period", "")),
        byline=raw.get("byline", ""),
    )


def load_knowledge(root: Path) -> Knowledge:
    """Validate and load every file under ``root``; raise KnowledgeError listing all problems."""
    data, problems = check_knowledge(root)
    if problems:
        raise KnowledgeError(problems)
    sources: dict[str, Source] = {}
    passages: list[Passage] = []
    for raw in data["sources"]:
        source = _source(raw)
        sources[source.id] = source
        for section in raw.get("sections", []):
            for item in section["passages"]:
                text = item["text"].strip()
                passages.append(
                    Passage(
                        item["id"],
                        source.id,
                        section.get("heading", ""),
                        text,
                        len(passages),
                        tuple(split_sentences(text)),
                    )
                )
    events = [
        Event(
            number=int(e["number"]),
            start=date.fromisoformat(str(e["start"])),
            end=date.fromisoformat(str(e.get("end", e["start"]))),
            place=e["place"],
            content=e["content"],
            organiser=e.get("organiser", ""),
            district=e.get("district", "") or sources[e["source"]].district,
            source=e["source"],
        )
        for e in data["events"]
    ]
    events.sort(key=lambda e: e.number)
    services = [
        Service(
            id=s["id"],
            name=s["name"],
            offers=s["offers"],
            provider=s["provider"],
            how=s.get("how", ""),
            district=s.get("district", ""),
            source=s["source"],
            passage=s["passage"],
            quote=s["quote"],
            keywords=tuple(s.get("keywords", [])),
        )
        for s in data["services"]
    ]
    lexicon = Lexicon(
        words=read_userdict(root / "lexicon" / "userdict.txt", root)
        if (root / "lexicon" / "userdict.txt").exists()
        else [],
        synonyms={k: list(v) for k, v in data["synonyms"].items()},
        stopwords=frozenset(data["stopwords"]),
    )
    festivals = [
        Festival(
            name=f["name"],
            aliases=tuple(f.get("aliases", [])),
            lunar=(f["lunar"]["month"], f["lunar"]["day"]) if "lunar" in f else None,
            solar=(f["solar"]["month"], f["solar"]["day"]) if "solar" in f else None,
            offset=int(f.get("offset", 0)),
        )
        for f in data["festivals"]
    ]
    relative, periods = list(data["relative"]), list(data["periods"])
    return Knowledge(sources, passages, events, services, lexicon, festivals, relative, root, periods)
