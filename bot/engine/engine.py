"""The answer engine: normalise → route → retrieve → compose, for every adapter alike.

A :class:`Brain` is one consistent version of knowledge, intents and indexes. The engine
answers each message from the brain it held when the message arrived, and a reload builds
a new brain beside the old one and swaps it in only when it validated.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from bot.admin.unanswered import LOW_CONFIDENCE, UnansweredLog
from bot.data.knowledge import Event, Knowledge, KnowledgeError, load_knowledge
from bot.data.yamlio import Problem
from bot.engine.compose import (
    Reply,
    events_reply,
    passage_reply,
    plain_reply,
    service_reply,
)
from bot.engine.dates import DateParser, format_day
from bot.engine.dialogue import DialogueState, EventQuery, is_follow_up
from bot.engine.router import Intent, IntentError, Router
from bot.engine.search import KnowledgeSearch
from bot.engine.text import Tokenizer, has_word, normalise

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MIN_COVERAGE = 0.5
_MAX_LABEL = 60
MIN_SERVICE_COVERAGE = 0.6

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_KNOWLEDGE = ROOT / "knowledge"
DEFAULT_INTENTS = ROOT / "intents"


@dataclass(frozen=True)
class Reading:
    """What a question names: its event filters, its words, and the words the table does not know."""

    query: EventQuery
    tokens: list[str]
    content: list[str]  # tokens that are neither generic event words nor district names
    unknown: list[str]  # content the event table does not contain
    asks_events: bool
    foreign_places: list[str]  # place words the table does not have (京广路街道: another district's)

    def event_coverage(self, search: KnowledgeSearch) -> float:
        """How much of the question the event table knows (「打台球」: most; 打 is no topic)."""
        if self.foreign_places:
            return 0.0
        if not self.unknown:
            return 1.0
        return search.coverage(self.content, set(self.content) - set(self.unknown))

    def about_events(self, search: KnowledgeSearch) -> bool:
        return self.event_coverage(search) >= MIN_COVERAGE

    def articles_know_better(self, search: KnowledgeSearch) -> bool:
        """「航展有什么表演」: the table has 表演, but an article has 航展 and 表演 together."""
        if not self.unknown:
            return False
        passage = search.passages(self.tokens, district=self.query.district)
        return passage is not None and passage.coverage > self.event_coverage(search)


@dataclass(frozen=True)
class Brain:
    """Everything one knowledge version needs to answer; never changed after it is built."""

    knowledge: Knowledge
    router: Router
    tokenizer: Tokenizer
    search: KnowledgeSearch
    dates: DateParser
    event_words: frozenset[str]
    event_districts: frozenset[str]  # districts the event table covers

    @classmethod
    def build(cls, knowledge_dir: Path, intents_dir: Path) -> Brain:
        """Load, validate and index; raises KnowledgeError or IntentError with every problem."""
        problems: list[Problem] = []
        knowledge = router = None
        try:
            knowledge = load_knowledge(knowledge_dir)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
        try:
            router = Router.load(intents_dir)
        except IntentError as exc:
            problems.extend(exc.problems)
        if problems or knowledge is None or router is None:
            raise KnowledgeError(problems)
        tokenizer = Tokenizer(knowledge.lexicon)
        search = KnowledgeSearch(knowledge, tokenizer)
        dates = DateParser(
            knowledge.festivals, knowledge.relative_words, knowledge.period, knowledge.period_words
        )
        event_words = frozenset(t for word in router.event_words() for t in tokenizer.tokens(word))
        event_districts = frozenset(e.district for e in knowledge.events)
        return cls(knowledge, router, tokenizer, search, dates, event_words, event_districts)

    def events(self, query: EventQuery) -> list[Event]:
        """Every event that matches all of the query's filters, by date."""
        return self.search.events(
            list(query.activity),
            query.date_bounds(),
            list(query.places),
            query.district,
            list(query.topics),
            query.any_activity,
        )

    def read(self, message: str) -> Reading:
        """Pull the slots out of a question: dates, districts, places, activities."""
        dates = self.dates.parse(message)
        rest = dates.rest
        tokens = self.tokenizer.tokens(rest)
        districts = [d for d in self.knowledge.districts() if d in tokens]  # 管城区 → 管城回族区 by synonym
        spoken = [t for t in tokens if t in self.tokenizer.place_words]
        foreign = [t for t in spoken if t not in self.search.event_vocabulary and t not in districts]
        # 「航海东路街道」 is not the table's 「…路街道」; 「区文化馆」 is its 「文化馆」.
        places = [
            self._table_place(p)
            for p in self.search.places_in(rest)
            if p not in districts and not any(p in w and p != w for w in foreign)
        ]
        district_tokens = set(districts)
        first, last = self.knowledge.period
        topics = tuple(
            dict.fromkeys(
                self.tokenizer.canonical(r.label)
                for r in dates.ranges
                if r.named and r.label in dates.festivals and r.overlaps(first, last)
            )
        )
        content = [t for t in tokens if t not in self.event_words and t not in district_tokens]
        in_places = {t for t in content if any(t in p for p in places)}
        activity = tuple(
            dict.fromkeys(
                t
                for t in content
                if t in self.search.event_vocabulary and t not in topics and t not in in_places
            )
        )
        unknown = [t for t in content if t not in self.search.event_vocabulary and t not in in_places]
        query = EventQuery(
            activity,
            tuple(dates.ranges),
            tuple(places),
            districts[0] if districts else None,
            topics,
            tuple(dates.relative),
        )
        asks_events = any(t in self.event_words for t in tokens) or self.router.first("events").mentioned_in(
            message
        )
        return Reading(query, tokens, content, unknown, asks_events, foreign)

    def _table_place(self, place: str) -> str:
        canonical = self.tokenizer.canonical(place)
        return canonical if canonical != place and self.search.is_place(canonical) else place


class Engine:
    """Answers messages; safe to call from several threads while a reload happens."""

    def __init__(
        self, brain: Brain, knowledge_dir: Path, intents_dir: Path, unanswered: UnansweredLog | None = None
    ) -> None:
        self._brain = brain
        self.knowledge_dir = knowledge_dir
        self.intents_dir = intents_dir
        self.unanswered = unanswered
        self._reload_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        knowledge_dir: Path = DEFAULT_KNOWLEDGE,
        intents_dir: Path = DEFAULT_INTENTS,
        unanswered: UnansweredLog | None = None,
    ) -> Engine:
        return cls(Brain.build(knowledge_dir, intents_dir), knowledge_dir, intents_dir, unanswered)

    def log_unanswered(self, user: str, question: str, reply: Reply) -> None:
        """Keep fallbacks and low-confidence answers for the admins (chit-chat is not a gap)."""
        if (
            self.unanswered is None
            or reply.kind == "chitchat"
            or reply.intent in ("empty", "next_page", "previous_page")
        ):
            return
        if reply.kind == "fallback" or reply.confidence < LOW_CONFIDENCE:
            self.unanswered.add(user, question, reply.intent, reply.best, reply.confidence)

    @property
    def brain(self) -> Brain:
        return self._brain

    def reload(self) -> list[Problem]:
        """Build a new brain from the files; swap it in only if it is valid. Returns the problems."""
        with self._reload_lock:
            try:
                brain = Brain.build(self.knowledge_dir, self.intents_dir)
            except KnowledgeError as exc:
                log.warning("reload refused, the previous knowledge keeps answering:\n%s", exc)
                return exc.problems
            self._brain = brain
            log.info(
                "knowledge reloaded: %d passages, %d events, %d services",
                len(brain.knowledge.passages),
                len(brain.knowledge.events),
                len(brain.knowledge.services),
            )
            return []

    # -- answering --------------------------------------------------------------------------------

    def answer(self, text: str, state: DialogueState | None = None) -> Reply:
        """Reply to one message and update the resident's dialogue state."""
        state = state if state is not None else DialogueState()
        brain = self._brain  # one version for the whole message
        message = normalise(text, limit=MAX_MESSAGE_CHARS)
        if not has_word(message):
            return plain_reply(
                "fallback", "empty", "请用文字提问,例如「哪里可以写春联?」或「怎么在手机上信访?」。"
            )
        short = brain.router.short_reply(message)
        if short is not None and not self._names_a_topic(brain, self._without_keywords(message, short[0])):
            intent = short[0]
            if intent.kind == "paging":
                return self.page(state, +1 if intent.name == "next_page" else -1, brain)
            return plain_reply("chitchat", intent.name, intent.replies[0] if intent.replies else "您好!")
        oos = brain.router.out_of_scope(message)
        if oos is not None:
            return self._fallback(brain, oos.name)
        return self._question(brain, message, state)

    @staticmethod
    def _without_keywords(message: str, intent: Intent) -> str:
        """「好的,谢谢」 less every thanks word is empty: small talk, not a question."""
        rest = message.lower()
        for keyword in sorted(intent.keywords, key=len, reverse=True):
            rest = rest.replace(keyword.lower(), " ")
        return rest

    @staticmethod
    def _names_a_topic(brain: Brain, text: str) -> bool:
        """「好的写春联」 or 「怎么用手机信访」 is a question, not thanks or help."""
        return any(
            t not in brain.event_words
            and (t in brain.search.event_vocabulary or t in brain.search.context_index)
            for t in brain.tokenizer.tokens(text)
        )

    def page(self, state: DialogueState, delta: int, brain: Brain | None = None) -> Reply:
        """The next (+1) or previous (-1) page of the resident's last event search."""
        brain = brain or self._brain
        if state.query is None:
            return plain_reply(
                "fallback",
                "next_page" if delta > 0 else "previous_page",
                "还没有可以翻页的列表。先问一个活动问题,例如「哪里可以猜灯谜?」。",
            )
        wanted = state.page + delta
        reply = self.show_events(state, state.query, wanted, brain)
        if reply.page != wanted and reply.events:
            reply.footer = ("已经是最后一页。" if delta > 0 else "已经是第一页。") + reply.footer
        return reply

    def show_events(
        self, state: DialogueState, query: EventQuery, page: int, brain: Brain | None = None
    ) -> Reply:
        brain = brain or self._brain
        events = brain.events(query)
        reply = events_reply(
            brain.knowledge,
            brain.router.first("events").name,
            events,
            self._label(query),
            page,
            note=self._relative_note(brain, query),
        )
        state.query, state.page = query, reply.page
        return reply

    def original(self, passage_id: str) -> Reply | None:
        """The whole cited paragraph, for a resident who wants to read the source (「原文」)."""
        brain = self._brain
        passage = brain.knowledge.passage_by_id.get(passage_id)
        if passage is None:
            return None
        source = brain.knowledge.sources[passage.source]
        reply = passage_reply(brain.knowledge, "original", passage, passage.text, 1.0)
        reply.lines = [passage.text]
        reply.title = f"《{source.full_title}》{passage.section}"
        return reply

    # -- routing a question -----------------------------------------------------------------------

    def _question(self, brain: Brain, message: str, state: DialogueState) -> Reply:
        invalid = self._invalid_dates(brain, message)
        if invalid is not None:
            return invalid
        reading = brain.read(message)
        query = reading.query
        table_district = query.district is None or query.district in brain.event_districts
        if (
            state.query is not None
            and is_follow_up(message)
            and not reading.unknown
            and not (query.activity and query.ranges)
        ):
            merged = state.query.follow(query)
            if merged != state.query or query.is_empty():
                return self.show_events(state, self._matching_events_query(brain, merged) or merged, 0, brain)
        # 「6月23日中原区开了什么会」 is about an article; 「2月5日有什么活动」 about the table.
        dated = (query.ranges or query.topics) and table_district
        if dated and reading.about_events(brain.search):
            if not brain.events(query) and reading.content:
                # 「1月13日峡窝镇开了什么会」: no event that day, but an article may say.
                tokens = brain.tokenizer.tokens(message)
                article = self._articles(brain, message, tokens, query.district, state)
                if article.kind != "fallback":
                    return article
            return self.show_events(state, query, 0, brain)
        if (
            (query.activity or query.places)
            and table_district
            and reading.about_events(brain.search)
            and not reading.articles_know_better(brain.search)
        ):
            event_query = self._matching_events_query(brain, query)
            if event_query is not None:
                return self.show_events(state, event_query, 0, brain)
        if query.relative and not reading.content:
            return self._period(brain, list(query.relative))
        if not reading.content:
            if query.district and reading.asks_events and query.district in brain.event_districts:
                return self.show_events(state, query, 0, brain)
            if not query.district:
                return self._fallback(brain, "no_topic")
        return self._articles(brain, message, brain.tokenizer.tokens(message), query.district, state)

    @staticmethod
    def _invalid_dates(brain: Brain, message: str) -> Reply | None:
        """A date that does not exist (「2020年正月三十」, 「13月」) is said plainly, not searched."""
        invalid = brain.dates.parse(message).invalid
        if not invalid:
            return None
        reasons = ";".join(dict.fromkeys(f"「{d.text}」不是有效日期:{d.reason}" for d in invalid))
        ask = "请换一个日期再问,例如「2月5日」或「正月十五」。"
        return plain_reply("fallback", "invalid_date", f"{reasons}。{ask}")

    @staticmethod
    def _matching_events_query(brain: Brain, query: EventQuery) -> EventQuery | None:
        """The query as it finds events: every activity word, or else (「写春联和猜灯谜」) any one."""
        bounds, places, topics = query.date_bounds(), list(query.places), list(query.topics)
        if brain.search.events(list(query.activity), bounds, places, query.district, topics):
            return query
        concepts = tuple(t for t in query.activity if t in brain.knowledge.lexicon.synonyms)
        if len(concepts) > 1 and brain.search.events(
            list(concepts), bounds, places, query.district, topics, True
        ):
            return replace(query, activity=concepts, any_activity=True)
        return None

    def _articles(
        self, brain: Brain, message: str, tokens: list[str], district: str | None, state: DialogueState
    ) -> Reply:
        number_question = brain.router.asks_exact(message)
        passage = brain.search.passages(tokens, brain.router.answer_cues(message), district, number_question)
        service = brain.search.services(tokens, district) if brain.router.asks_for_service(message) else None
        state.query = None  # 「下一页」 after an article answer has no list to page
        if (
            service is not None
            and not number_question
            and service.coverage >= MIN_SERVICE_COVERAGE
            and (passage is None or service.coverage + 0.1 >= passage.coverage)
        ):
            return service_reply(brain.knowledge, "service_lookup", service.service, service.coverage)
        if passage is None or passage.coverage < MIN_COVERAGE:
            log.debug("fallback: coverage %.2f", passage.coverage if passage else 0.0)
            return self._fallback(
                brain,
                "low_confidence",
                best=passage.text if passage else "",
                score=passage.coverage if passage else 0.0,
            )
        if any(t in brain.tokenizer.place_words and t not in passage.known for t in tokens):
            # The question names a place this article section never mentions: not its answer.
            return self._fallback(brain, "low_confidence", best=passage.text, score=passage.coverage)
        return passage_reply(
            brain.knowledge,
            brain.router.first("passages").name,
            passage.passage,
            passage.text,
            passage.coverage,
        )

    # -- replies that are not from the knowledge --------------------------------------------------

    def _fallback(self, brain: Brain, reason: str, best: str = "", score: float = 0.0) -> Reply:
        intent = brain.router.first("fallback")
        text = intent.replies[0] if intent.replies else "抱歉,这个问题我不知道。"
        reply = plain_reply("fallback", reason, text)
        reply.confidence = score
        reply.best = best
        return reply

    def _period(self, brain: Brain, words: list[str]) -> Reply:
        first, last = brain.knowledge.period
        return plain_reply(
            "fallback",
            "out_of_period",
            f"我没有「{words[0]}」的活动信息。我知道的活动是{'、'.join(sorted(brain.event_districts))}"
            f"{format_day(first)}至{format_day(last)}举办的,都已经结束了。"
            f"可以问那段时间的某一天,例如「{format_day(last)}有什么活动?」。",
        )

    @staticmethod
    def _label(query: EventQuery) -> str:
        parts = []
        if query.ranges:
            parts.append(
                "、".join(f"{r.label}({r.describe()})" if r.named else r.describe() for r in query.ranges)
            )
        if query.district:
            parts.append(query.district)
        if query.places:
            parts.append("、".join(query.places))
        if query.activity:
            parts.append("「" + ("或".join if query.any_activity else " ".join)(query.activity) + "」相关")
        elif query.topics and not query.ranges:
            parts.append("「" + " ".join(query.topics) + "」相关")
        label = " ".join(parts)
        if len(label) > _MAX_LABEL:
            label = label[: _MAX_LABEL - 1] + "…"
        return f"{label}的活动" if label else "活动"

    @staticmethod
    def _relative_note(brain: Brain, query: EventQuery) -> str:
        if not query.relative:
            return ""
        first, last = brain.knowledge.period
        return (
            f"我没有「{query.relative[0]}」的活动信息,下面是{format_day(first)}至{format_day(last)}"
            "已经举办过的活动。"
        )
