"""The knowledge base: sources, passages, events and services, loaded from ``knowledge/``.

Loading is all-or-nothing: :func:`load_knowledge` validates every file first and raises
:class:`KnowledgeError` with every problem, so a broken edit never half-replaces good data.
The records are the dataclasses of :mod:`bot.data.records`; this module only derives what the
files do not say (passage order and sentences, an event's district from its source).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

from bot.data.records import Event, Passage, Service, Source
from bot.data.schema import KnowledgeError, check_knowledge
from bot.engine.dates import Festival
from bot.engine.text import Lexicon, split_sentences

__all__ = ["Event", "Knowledge", "KnowledgeError", "Passage", "Service", "Source", "Speech", "load_knowledge"]


@dataclass(frozen=True)
class Speech:
    """How residents type (knowledge/lexicon/colloquial.yaml, glossary.yaml): data, applied by
    bot.engine.understand before anything is searched."""

    dialect: tuple[tuple[str, str], ...] = ()
    particles: tuple[tuple[str, str], ...] = ()  # a dialect particle ending a clause, and what it means there
    fillers: tuple[str, ...] = ()
    endings: tuple[str, ...] = ()
    glossary: tuple[tuple[str, str], ...] = ()
    same_day: tuple[str, ...] = ()
    narrow: tuple[str, ...] = ()
    that_one: tuple[str, ...] = ()
    same_place: tuple[str, ...] = ()  # 「那个社区还搞过啥」: the community of the event just shown
    besides: tuple[str, ...] = ()  # 「还」: the rows just shown are not asked for again
    go_on: tuple[str, ...] = ()  # 「后来呢」: the passage after the one just quoted
    row_asks: tuple[str, ...] = ()  # 「谁办的」 after a list asks what each row shown says
    other_years: tuple[str, ...] = ()  # 「明年」: the event table is of one year only
    people: tuple[str, ...] = ()  # 「多少居民」 counts people: unit 人
    situation: tuple[str, ...] = ()  # 不, 没, 太: a word holding one tells the resident's situation
    degree: tuple[str, ...] = ()  # 老是, 有点: inside a need phrase (「心情老是不好」) it is that phrase
    day_parts: tuple[str, ...] = ()  # 晚上, 上午: the table gives days, so it cannot lack these
    attributes: tuple[tuple[str, tuple[str, ...], str], ...] = ()  # name, question words, value pattern
    needs: tuple[tuple[str, str], ...] = ()  # an everyday word of a problem, the knowledge's words for it
    elsewhere: tuple[str, ...] = ()  # topics of city services the knowledge does not cover (公积金)
    elsewhere_places: tuple[str, ...] = ()  # cities and districts it does not cover (金水区)
    askers: tuple[str, ...] = ()  # who asks or is addressed: 「我妈让我问问」 names no topic
    asking: tuple[str, ...] = ()
    linking: tuple[str, ...] = ()


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
    speech: Speech = field(default_factory=Speech)
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


def load_knowledge(root: Path) -> Knowledge:
    """Validate and load every file under ``root``; raise KnowledgeError listing all problems."""
    files, problems = check_knowledge(root)
    if problems:
        raise KnowledgeError(problems)
    sources: dict[str, Source] = {}
    passages: list[Passage] = []
    for file in files.sources:
        source = Source(**{f.name: getattr(file, f.name) for f in fields(Source)})
        sources[source.id] = source
        for section in file.sections:
            for item in section.passages:
                text = item.text.strip()
                passages.append(
                    Passage(
                        id=item.id,
                        text=text,
                        source=source.id,
                        section=section.heading,
                        order=len(passages),
                        sentences=tuple(split_sentences(text)),
                    )
                )
    events = sorted(
        (e if e.district else replace(e, district=sources[e.source].district) for e in files.events),
        key=lambda e: e.number,
    )
    lexicon = Lexicon(
        words=files.userdict,
        synonyms={word: list(variants) for word, variants in files.synonyms.synonyms.items()},
        stopwords=frozenset(files.stopwords.stopwords),
        kinds={word: list(narrower) for word, narrower in files.synonyms.kinds.items()},
    )
    festivals = [
        Festival(
            name=f.name,
            aliases=f.aliases,
            lunar=(f.lunar.month, f.lunar.day) if f.lunar else None,
            solar=(f.solar.month, f.solar.day) if f.solar else None,
            offset=f.offset,
            season=f.season,
        )
        for f in files.festivals.festivals
    ]
    relative, periods = list(files.festivals.relative), list(files.festivals.periods)
    colloquial = files.colloquial
    speech = Speech(
        dialect=tuple(colloquial.dialect.items()),
        particles=tuple(colloquial.particles.items()),
        fillers=colloquial.fillers,
        endings=colloquial.endings,
        glossary=tuple(files.glossary.glossary.items()),
        same_day=colloquial.same_day,
        narrow=colloquial.narrow,
        that_one=colloquial.that_one,
        same_place=colloquial.same_place,
        besides=colloquial.besides,
        go_on=colloquial.go_on,
        row_asks=colloquial.row_asks,
        other_years=colloquial.other_years,
        people=colloquial.people,
        situation=colloquial.situation,
        degree=colloquial.degree,
        day_parts=colloquial.day_parts,
        attributes=tuple((name, spec.asks, spec.value) for name, spec in colloquial.attributes.items()),
        needs=tuple((said, words) for words, saids in files.needs.needs.items() for said in saids),
        elsewhere=files.elsewhere.topics,
        elsewhere_places=files.elsewhere.places,
        askers=colloquial.askers,
        asking=colloquial.asking,
        linking=colloquial.linking,
    )
    return Knowledge(
        sources, passages, events, files.services, lexicon, festivals, relative, root, periods, speech
    )
