"""Candidates: every answer the knowledge could give to one understood question, with its evidence.

Three sources are asked alike — the event table (by the question's slots), the articles (the best
sentence window) and the service records (with the ways residents ask for them) — and each offer
carries its confidence; bot.engine.decide picks among them.  Small talk and paging never get here:
they are recognised before, on the resident's own words.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from bot.data.knowledge import Event, Service
from bot.engine.dialogue import EventQuery
from bot.engine.score import asked_unit, is_sure
from bot.engine.search import PassageHit
from bot.engine.thresholds import CLAUSE_SHARE, CLAUSE_TOPIC_SHARE
from bot.engine.understand import CLAUSE_JOIN

if TYPE_CHECKING:
    from bot.engine.engine import Brain, Reading

_MAX_LABEL = 30


@dataclass(frozen=True)
class Candidate:
    """One possible answer: what it is, how sure, and a short label for 「您是想问…」."""

    kind: Literal["events", "passage", "service"]
    confidence: float
    label: str
    query: EventQuery | None = None
    hit: PassageHit | None = None
    service: Service | None = None
    empty: bool = False  # an event search that finds nothing: an honest "none", never an offer
    on_topic: bool = True  # holds the question's weightiest word, so it may be offered when unsure
    who: bool = False  # answers a clause that only names who asks (「俺娘」): loses a tie to what is asked
    # An event list for a question that asks for no event, day or place (「想当志愿者,社区有志愿队伍
    # 吗」: one row says 志愿者): the table's priority on a tie is for questions that ask for events.
    unasked: bool = False
    # From a clause of a run-on question that only tells the resident's story (「男人没活干」), while
    # another clause asks (「能申请点补助不」): see collect.
    story: bool = False


def _short(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def collect(
    brain: Brain,
    reading: Reading,
    tokens: list[str],
    text: str,
    label: str,
    asking: tuple[bool, ...] = (),
) -> list[Candidate]:
    """Candidates from every source for a question; ``label`` names its event search; ``asking`` says
    of each clause of ``text`` whether it asks (Understanding.asking)."""
    elsewhere = elsewhere_topics(brain, text)
    # The table's coverage of 「坐公交去哪写春联」 is that of 「去哪写春联」: 公交 is said not to be known.
    topics = set(elsewhere) & set(brain.knowledge.speech.elsewhere)
    table_reading = replace(
        reading,
        content=[t for t in reading.content if t not in topics],
        unknown=[t for t in reading.unknown if t not in topics],
    )
    # The words of events (活动, 安排) say that events are asked, which the table's coverage leaves out;
    # an article counts them no more, or 「写春联的活动几号开始」 goes to the article about a couplet-writing
    # 活动 (which gives no day) by that word alone, over the rows that give the days.
    framed = [t for t in tokens if t not in brain.event_words] or tokens
    out = [*_events(brain, table_reading, label), *_passages(brain, reading, framed, text)]
    if not brain.router.asks_exact(text):  # 「多少」 wants a fact, not a service description
        out.extend(_services(brain, reading, tokens))
    out = [
        c
        for c in out
        if _answers_despite(brain, c, elsewhere) and _holds_more_than_district(brain, c, tokens)
    ]
    topic = _topic(brain, reading, [t for t in tokens if t not in brain.knowledge.speech.elsewhere])
    out = [replace(c, on_topic=topic is not None and _holds(brain, c, topic)) for c in out]
    if not elsewhere and not any(is_sure(c.kind, c.confidence, c.on_topic) for c in out if not c.empty):
        # Nothing answers the whole run-on question: perhaps one of its clauses is the question.
        clauses = _clause_candidates(brain, text, label, reading.query.district, asking)
        clauses = [replace(c, on_topic=topic is not None and _holds(brain, c, topic)) for c in clauses]
        # The clause that asks is the question when it is answered: the story around it (「男人没活干」 of
        # 「…,能申请点补助不」) says why the resident asks, and is answered only when no asking clause is.
        if any(is_sure(c.kind, c.confidence, c.on_topic) for c in clauses if not c.story and not c.empty):
            clauses = [c for c in clauses if not c.story]
        out.extend(clauses)
    return out


def _clause_candidates(
    brain: Brain, text: str, label: str, district: str | None = None, asking: tuple[bool, ...] = ()
) -> list[Candidate]:
    """Articles and services for each clause of a run-on question on its own: 「放假了孩子天天在家玩
    手机,社区有没有让小孩去活动的地方」 is answered by what its last clause asks, which the story
    around it would dilute.  A clause counts CLAUSE_SHARE of its coverage; events are left to the
    whole question, whose dates and places a clause may not carry, unless the clause asks for the
    events of a day: the clauses naming no topic, taken together, may ask that.  A district the question names
    (「中原区的,…」) holds for every clause that names none: another district's service is no answer."""
    parts = text.split(CLAUSE_JOIN)
    clauses = [c for c in parts if c.strip()]
    if len(clauses) < 2:
        return []
    # A clause tells a story when another asks and it does not (the flags are known when they fit).
    flags = asking if len(asking) == len(parts) and any(asking) else (True,) * len(parts)
    told = {c for c, flag in zip(parts, flags, strict=True) if not flag}
    told -= {c for c, flag in zip(parts, flags, strict=True) if flag}
    out: list[Candidate] = []
    untopical: list[str] = []
    all_tokens = brain.tokenizer.tokens(text)
    for clause in clauses:
        reading = brain.read(clause)
        tokens = brain.tokenizer.tokens(clause)
        if reading.query.ranges:  # 「1月16号」 is a day, not the number 16 of an article's 「16期」
            tokens = [t for t in tokens if t in reading.tokens]
        # 「俺娘…」 (老人) says who asks: of clauses answered equally well, one that says what is asked
        who = all(t in brain.people_words for t in tokens)
        topic = clause_topic(brain, tokens)
        if district is not None and reading.query.district is None:
            reading = replace(reading, query=replace(reading.query, district=district))
        if topic is None:
            untopical.append(clause)
            continue  # 「航海东路这边」 names where, not what: no question of its own
        found = [*_passages(brain, reading, tokens, clause)]
        if not brain.router.asks_exact(text):
            found.extend(_services(brain, reading, tokens))
        # Of one clause's answers equally sure, the one the rest of the question also speaks of comes
        # first (「村干部办事不公,想举报,又怕见不着领导」: the 信访 of 干部下访 before 手机信访); equals
        # keep this order when ranked.
        found = [c for c in found if _holds(brain, c, topic)]
        found.sort(key=lambda c: (-c.confidence, -_whole_coverage(brain, c, all_tokens)))
        out.extend(
            replace(c, confidence=c.confidence * CLAUSE_SHARE, who=who, story=clause in told) for c in found
        )
    if untopical and len(untopical) < len(clauses):
        # 「1月16号,有啥活动,俺带孩子去转转」: the clauses naming no topic ask a day's events on their own
        reading = brain.read(CLAUSE_JOIN.join(untopical))
        if district is not None and reading.query.district is None:
            reading = replace(reading, query=replace(reading.query, district=district))
        if reading.query.ranges and reading.asks_events:
            events = _events(brain, reading, label)
            out.extend(replace(c, confidence=c.confidence * CLAUSE_SHARE) for c in events if not c.empty)
    return out


def _whole_coverage(brain: Brain, candidate: Candidate, tokens: list[str]) -> float:
    """The share of the whole question's weight a clause's answer holds."""
    search = brain.search
    if candidate.kind == "service" and candidate.service is not None:
        index = brain.knowledge.services.index(candidate.service)
        return search.coverage(tokens, set(search.service_docs[index]))
    hit = candidate.hit
    return search.coverage(tokens, hit.known, hit.text) if hit is not None else 0.0


def clause_topic(brain: Brain, tokens: list[str]) -> str | None:
    """The weightiest word of a clause that the knowledge uses and that is no part of a place name,
    no event word and no everyday word: what the clause asks about, if it asks about anything."""
    places = [*brain.tokenizer.place_words, *brain.knowledge.districts()]
    focus = [
        t
        for t in tokens
        if t in brain.search.vocabulary
        and t not in brain.event_words
        and not brain.search.says_little(t)
        and not any(t in place for place in places)
        and brain.search.weight(t) >= CLAUSE_TOPIC_SHARE * brain.search.rarest
    ]
    return max(focus, key=brain.search.weight) if focus else None


@functools.lru_cache(maxsize=8)
def _lowered(words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each word with its lower-case form, computed once per knowledge version's word list."""
    return tuple((word, word.lower()) for word in words)


def elsewhere_topics(brain: Brain, text: str) -> list[str]:
    """The city-service topics the knowledge does not cover (knowledge/lexicon/elsewhere.yaml) that
    the question names.  A candidate that does not speak of them answers something else: 「公积金咋提」
    shares only 「提」 with any article, and a near score from such stray words is no answer."""
    lowered, speech = text.lower(), brain.knowledge.speech
    named = [word for word, low in _lowered((*speech.elsewhere, *speech.elsewhere_places)) if low in lowered]
    if named:
        # 「动车」 inside 「电动车」: a word of the knowledge that holds a topic's name is not that topic
        for word in brain.tokenizer.words(lowered):
            inside = any(n in word and n != word for n in named)
            if inside and len(word) > 1 and word in brain.search.vocabulary:
                lowered = lowered.replace(word, " ")
        named = [word for word in named if word.lower() in lowered]
    clauses = [c for c in lowered.split(CLAUSE_JOIN) if c.strip()]
    if not named or len(clauses) < 3:
        return named
    # A topic named only in the middle of a resident's story (「拆迁了,在外头租房子等着,有没有人关心」),
    # while another clause names one of the knowledge's own topics, is the story around the question;
    # the first clause sets what is asked about (「孩子上小学咋划片,…」), the last asks.
    story = [
        word
        for word in named
        if word.lower() not in clauses[-1]
        and word.lower() not in clauses[0]
        and any(
            word.lower() not in clause and clause_topic(brain, brain.tokenizer.tokens(clause)) is not None
            for clause in clauses
        )
    ]
    return [word for word in named if word not in story]


def _holds_more_than_district(brain: Brain, candidate: Candidate, tokens: list[str]) -> bool:
    """A district says where, not what: an article or service of 中原区 that holds none of the other
    words of 「中原区有没有心理咨询」 the knowledge uses answers nothing asked, however much the
    district's name weighs beside them."""
    if candidate.kind == "events":
        return True
    search, districts = brain.search, set(brain.knowledge.districts())
    if not districts & set(tokens):
        return True
    asked = [
        t
        for t in tokens
        if t not in districts
        and t in search.vocabulary
        and not search.says_little(t)
        and t not in brain.event_words
    ]
    return not asked or any(_holds(brain, candidate, t) for t in asked)


def _answers_despite(brain: Brain, candidate: Candidate, elsewhere: list[str]) -> bool:
    """Whether a candidate still answers a question that also names topics the knowledge lacks.

    An event search that found the activity asked for (「坐公交去哪写春联」) answers the part the
    table knows, and the reply says what the reports do not give; any other candidate must speak
    of those topics itself, or it only shares stray words with the question."""
    if all(_holds(brain, candidate, word) for word in elsewhere):
        return True
    if any(word in brain.knowledge.speech.elsewhere_places for word in elsewhere):
        return False  # 「金水区哪写春联」: the table's activity is found, but in another district
    query = candidate.query
    return candidate.kind == "events" and not candidate.empty and query is not None and bool(query.activity)


def _topic(brain: Brain, reading: Reading, tokens: list[str]) -> str | None:
    """The question's weightiest word that is not a place or a day: 「京广路街道哪里写春联」 is about
    春联.  Single characters (「来」, 「着」) are too ambiguous to be what a question is about."""
    days = {brain.tokenizer.canonical(r.label) for r in reading.query.ranges} | set(reading.query.topics)
    places = brain.tokenizer.place_words | set(brain.knowledge.districts()) | days
    focus = [t for t in tokens if t not in places and t not in brain.event_words and len(t) > 1]
    best = max(focus, key=brain.search.weight) if focus else None
    # A word every article uses (「文化」 of 「惠济区春节有啥文化活动」) is no subject to be on.
    if best is None or brain.search.weight(best) < CLAUSE_TOPIC_SHARE * brain.search.rarest:
        return None
    return best


def _holds(brain: Brain, candidate: Candidate, word: str) -> bool:
    search = brain.search
    if candidate.kind == "events":
        return word in search.event_vocabulary or any(
            word in p for p in (candidate.query or EventQuery()).places
        )
    if candidate.kind == "service" and candidate.service is not None:
        index = brain.knowledge.services.index(candidate.service)
        return word in search.service_docs[index]
    hit = candidate.hit
    return hit is not None and (word in hit.known or word in hit.text)


def matching_events_query(brain: Brain, query: EventQuery) -> EventQuery | None:
    """The query as it finds events: every activity word, or else (「写春联和猜灯谜」, 「春晚或春节联欢
    晚会」) any one of the activities the lexicon names: a synonym concept or a dictionary word that
    is no place (an everyday word beside them, 「老人」, narrows rather than adds)."""
    search = brain.search
    bounds, places, topics = query.date_bounds(), list(query.places), list(query.topics)
    if search.events(list(query.activity), bounds, places, query.district, topics):
        return query
    concepts = tuple(t for t in query.activity if t in brain.activity_names)
    if len(concepts) > 1 and search.events(list(concepts), bounds, places, query.district, topics, True):
        return replace(query, activity=concepts, any_activity=True)
    return None


def _events(brain: Brain, reading: Reading, label: str) -> list[Candidate]:
    query = reading.query
    if query.district is not None and query.district not in brain.event_districts:
        return []  # 「惠济区春节有啥活动」: the table is 上街区's only; articles may still answer
    if query.ranges or query.topics:
        found = brain.events(query)
        if not found and len(query.activity) > 1:
            # 「过年写春联 猜灯谜 分别是啥时候」: no row is both, each is asked for (as without a date)
            query = matching_events_query(brain, query) or query
            found = brain.events(query)
        coverage = _event_coverage(brain, reading, found)
        return [Candidate("events", coverage, label, query=query, empty=not found)]
    if query.activity or query.places:
        matching = matching_events_query(brain, query)
        if matching is None:
            return []
        coverage = _event_coverage(brain, reading, brain.events(matching))
        unasked = not (
            reading.asks_events
            or query.places
            or query.relative
            or any(t in brain.activity_names for t in matching.activity)
        )
        return [Candidate("events", coverage, label, query=matching, unasked=unasked)]
    if not reading.content and query.district and reading.asks_events:
        return [Candidate("events", 1.0, label, query=query)]
    return []


def _event_coverage(brain: Brain, reading: Reading, found: list[Event]) -> float:
    """How much of the question the event table knows; a word the table's index lacks still counts
    when the rows found say it (「腊八那天哪儿发粥」: row 12 says 浓粥飘香, though its word is 施粥)."""
    if reading.foreign_places:
        return 0.0
    unknown = [t for t in reading.unknown if not any(t in event.text for event in found)]
    if not unknown:
        return 1.0
    return brain.search.coverage(reading.content, set(reading.content) - set(unknown))


def _passages(brain: Brain, reading: Reading, tokens: list[str], text: str) -> list[Candidate]:
    router = brain.router
    hit = brain.search.passages(
        tokens,
        router.answer_cues(text),
        reading.query.district,
        router.asks_exact(text),
        asked_unit(text, brain.knowledge.speech.people),
    )
    if hit is None:
        return []
    if any(t in brain.tokenizer.place_words and t not in hit.known for t in tokens):
        return []  # the question names a place this section never mentions: not its answer
    source = brain.knowledge.sources[hit.passage.source]
    heading = f"《{source.title}》" + (f"{hit.passage.section}" if hit.passage.section else "")
    return [Candidate("passage", hit.coverage, _short(heading), hit=hit)]


def _services(brain: Brain, reading: Reading, tokens: list[str]) -> list[Candidate]:
    return [
        Candidate(
            "service",
            hit.coverage,
            _short(f"{hit.service.name}({hit.service.district})"),
            service=hit.service,
        )
        for hit in brain.search.service_hits(tokens, reading.query.district, 2)
    ]
