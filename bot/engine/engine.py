"""The answer engine: normalise → route → retrieve → compose, for every adapter alike.

A :class:`Brain` is one consistent version of knowledge, intents and indexes. The engine
answers each message from the brain it held when the message arrived, and a reload builds
a new brain beside the old one and swaps it in only when it validated.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path

from bot import wording
from bot.admin.unanswered import LOW_CONFIDENCE, UnansweredLog
from bot.data.knowledge import Event, Knowledge, KnowledgeError, Passage, Service, load_knowledge
from bot.data.yamlio import Problem
from bot.engine.bigram import BigramIndex
from bot.engine.candidates import Candidate, clause_topic, collect, elsewhere_topics, matching_events_query
from bot.engine.compose import event_date, events_reply, original_reply, passage_reply, service_reply
from bot.engine.dates import DateParser, DateRange, format_day
from bot.engine.decide import Decision, decide, ranked
from bot.engine.dialogue import Choice, DialogueState, EventQuery, is_follow_up, picked, without_lead
from bot.engine.dictionary import jieba_frequencies
from bot.engine.followup import read_follow_up
from bot.engine.memo import remembered
from bot.engine.reply import Action, Offer, Reply, finished, plain_reply
from bot.engine.router import Intent, Router
from bot.engine.score import Attribute, asked_attribute, asked_unit, attributes, is_sure
from bot.engine.search import KnowledgeSearch, PassageHit
from bot.engine.snapshot import CacheDir, SnapshotCache, input_key, tokenizer_key
from bot.engine.sounds import Readings
from bot.engine.text import NUMERALS, PLACE_KINDS, Tokenizer, has_word, normalise
from bot.engine.thresholds import PLACE_MIN_CHARS, STEM_MIN_CHARS
from bot.engine.understand import Understander, Understanding, asks

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
_MAX_LABEL = 60
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")
# 「在哪个社区搞的」, 「在哪办的」, 「都去看了哪些地方」: a question of where, and 「在」 or 「到」 before
# a name ending in a kind of place (在通航社区内开展, 先后到桐柏路街道…) that answers it.  Grammar of
# Chinese place names, not knowledge.
_ASKS_WHERE = re.compile(rf"哪个?(?:{'|'.join(PLACE_KINDS)})|在哪|哪里|哪些?地方|什么地方")
_NAMED_PLACE = re.compile(rf"[在到]([\u4e00-\u9fff]{{2,4}}?(?:{'|'.join((*PLACE_KINDS, '广场', '公园'))}))")

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
    understander: Understander
    attributes: tuple[Attribute, ...]
    bigrams: BigramIndex
    # The words of the event table's own title (传统, 文化, 活动, 安排): every row is one, so said in
    # a question (「元旦有什么文化活动」) they filter nothing.
    table_words: frozenset[str] = frozenset()

    @classmethod
    def build(cls, knowledge_dir: Path, intents_dir: Path, cache_dir: CacheDir = None) -> Brain:
        """Load, validate and index; raises KnowledgeError with every problem.

        ``cache_dir`` (default ``$BOT_CACHE_DIR`` or ``var/cache``; ``False`` for none) holds snapshots
        of earlier builds: unchanged inputs skip validation and tokenising (see bot.engine.snapshot)."""
        cache = SnapshotCache.open(cache_dir)
        dictionary = jieba_frequencies(cache.directory if cache else None)
        key = input_key(knowledge_dir, intents_dir, dictionary.digest) if cache else ""
        loaded = cache.load(key, knowledge_dir) if cache else None
        if loaded is None:
            knowledge, router = cls._validated(knowledge_dir, intents_dir)
        else:
            knowledge, router = loaded[0], Router(loaded[1])
        tokenizer = Tokenizer(knowledge.lexicon, dictionary)
        tokens_key = tokenizer_key(knowledge.lexicon, dictionary.digest) if cache else ""
        sounds = cache.sounds() if cache else {}
        if cache:
            tokenizer.index_memo = cache.token_memo(tokens_key)
        readings = Readings(cache.directory if cache else None)
        brain = cls._indexed(knowledge, router, tokenizer, sounds, readings)
        if cache:
            assert tokenizer.index_memo is not None
            cache.save_tokens(tokens_key, tokenizer.index_memo)
            cache.save_sounds(sounds, brain.understander.sounds)
            if loaded is None:
                cache.save(key, knowledge, router.intents)
                readings.prepare()  # stored now, so that later starts answer typos without pypinyin
        tokenizer.index_memo = None
        return brain

    @staticmethod
    def _validated(knowledge_dir: Path, intents_dir: Path) -> tuple[Knowledge, Router]:
        problems: list[Problem] = []
        knowledge = router = None
        try:
            knowledge = load_knowledge(knowledge_dir)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
        try:
            router = Router.load(intents_dir)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
        if problems or knowledge is None or router is None:
            raise KnowledgeError(problems)
        return knowledge, router

    @classmethod
    def _indexed(
        cls,
        knowledge: Knowledge,
        router: Router,
        tokenizer: Tokenizer,
        sounds: dict[str, str] | None = None,
        readings: Readings | None = None,
    ) -> Brain:
        search = KnowledgeSearch(knowledge, tokenizer)
        dates = DateParser(
            knowledge.festivals,
            knowledge.relative_words,
            knowledge.period,
            knowledge.period_words,
            words=[word for word, _, _ in knowledge.lexicon.words],
            same_day=knowledge.speech.same_day,
        )
        event_words = frozenset(t for word in router.event_words() for t in tokenizer.tokens(word))
        event_districts = frozenset(e.district for e in knowledge.events)
        table_titles = {
            knowledge.sources[e.source].title for e in knowledge.events if e.source in knowledge.sources
        }
        table_words = frozenset(
            t for title in table_titles for t in tokenizer.tokens(title) if t not in knowledge.districts()
        )
        understander = Understander(
            knowledge.speech,
            tokenizer,
            search.vocabulary,
            event_words | knowledge.lexicon.stopwords,
            "\n".join(
                [p.text for p in knowledge.passages]
                + [e.text for e in knowledge.events]
                + [f"{s.name} {s.offers} {s.how} {s.quote}" for s in knowledge.services]
            ),
            known_sounds=sounds,
            readings=readings,
            # The table's places and organisers, and the dictionary's place names (蜜蜂张街道): foreign
            # residents spell the name before its kind in pinyin (「Mifengzhang」).
            table_places=[
                *(name for e in knowledge.events for name in (e.place, e.organiser)),
                *sorted(tokenizer.place_words),
            ],
            days=[
                *(name for f in knowledge.festivals for name in (f.name, *f.aliases)),
                *knowledge.period_words,
            ],
        )
        return cls(
            knowledge,
            router,
            tokenizer,
            search,
            dates,
            event_words,
            event_districts,
            understander,
            attributes(knowledge.speech),
            BigramIndex(
                [f"{knowledge.sources[p.source].title} {p.section} {p.text}" for p in knowledge.passages],
                knowledge.lexicon.stopwords,
            ),
            table_words,
        )

    @cached_property
    def passage_index(self) -> dict[str, int]:
        """Each passage's place in Knowledge.passages, by its id."""
        return {p.id: i for i, p in enumerate(self.knowledge.passages)}

    @cached_property
    def people_words(self) -> frozenset[str]:
        """The lexicon's words for people (colloquial.yaml ``people``: 老人, 居民) as tokens read them."""
        return frozenset(self.tokenizer.canonical(p) for p in self.knowledge.speech.people)

    @cached_property
    def activity_names(self) -> frozenset[str]:
        """The words the lexicon names activities with: synonym concepts and dictionary words not
        tagged as places or organisations (ns, nt)."""
        lexicon = self.knowledge.lexicon
        words = {self.tokenizer.canonical(word) for word, _, tag in lexicon.words if tag not in ("ns", "nt")}
        return frozenset(words | set(lexicon.synonyms))

    @remembered
    def naming(self, attribute: Attribute) -> frozenset[str]:
        """The words that only name what an attribute asks (电话, 号码, 多少钱): no topic of a question."""
        return frozenset(t for phrase in attribute.asks for t in self.tokenizer.tokens(phrase))

    def events(self, query: EventQuery) -> list[Event]:
        """Every event that matches all of the query's filters, by date, less the rows it asks past."""
        found = self.search.events(
            list(query.activity),
            query.date_bounds(),
            list(query.places),
            query.district,
            list(query.topics),
            query.any_activity,
        )
        if query.only:
            found = [e for e in found if e.number in query.only]
        return [e for e in found if e.number not in query.besides] if query.besides else found

    def read(self, message: str, inferred: tuple[str, ...] = ()) -> Reading:
        """Pull the slots out of a question: dates, districts, places, activities.

        ``inferred`` are the words a need phrase was read as (Understanding.inferred): when the
        question also names something the table knows and no row has both (「俺奶奶爱听戏」: 老人 and
        戏曲), they say who asks, not what, and are left out of the table's filters and coverage;
        said alone, or held by a row with the rest (「俺奶奶想喝腊八粥」), they still filter."""
        dates = self.dates.parse(message)
        rest = dates.rest
        tokens = self.tokenizer.tokens(rest)
        districts = [d for d in self.knowledge.districts() if d in tokens]  # 管城区 → 管城回族区 by synonym
        spoken = [t for t in tokens if t in self.tokenizer.place_words]
        foreign = [t for t in spoken if t not in self.search.event_vocabulary and t not in districts]
        # 「航海东路街道」 is not the table's 「…路街道」; 「区文化馆」 is its 「文化馆」.
        said = self.search.places_in(rest)
        ends = self._word_ends(rest) if said else frozenset()
        whole = [self._whole_words(p, rest, ends) for p in said]
        places = [
            self._table_place(p)
            for p in whole
            if p
            and p not in districts
            and not any(p in w and p != w for w in foreign)
            and not self._says_any_row(p)
        ]
        district_tokens = set(districts)
        first, last = self.knowledge.period
        # 「元宵节当天」 is the day only; 「元宵节的活动」 also the festival's events on other days.
        same_day = any(w in message for w in self.knowledge.speech.same_day)
        topics = (
            ()
            if same_day
            else tuple(
                dict.fromkeys(
                    self.tokenizer.canonical(r.label)
                    for r in dates.ranges
                    if r.named and r.label in dates.festivals and r.overlaps(first, last)
                )
            )
        )
        # A part of the day (「正月十五晚上」) is no filter the table could lack: its rows are days.
        day_parts = set(self.knowledge.speech.day_parts)
        content = [
            self._table_stem(t)
            for t in tokens
            if t not in self.event_words and t not in district_tokens and t not in day_parts
        ]
        in_places = {t for t in content if any(t in p for p in places)}
        activity = tuple(
            dict.fromkeys(
                t
                for t in content
                if t in self.search.event_vocabulary
                and len(t) > 1  # 「赢点小奖品」: 小 is a character of some rows, no activity asked
                and t not in topics
                and t not in in_places
                and t not in self.table_words
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
        needs = [set(self.tokenizer.tokens(words)) for words in inferred]
        # The people a resident says the question is for (「我们家老人想去看扭秧歌」: colloquial.yaml
        # `people`) say who asks, like a need's words: no filter beside an activity.
        who = set().union(*needs) | (set(tokens) & self.people_words)
        # A row filter of its own (another activity, a place, a day: 「工业路社区有活动没有,俺妈想去」) is
        # what is asked; who asks narrows it only when some row has both.
        other = any(t not in who for t in activity) or bool(query.places or query.ranges or query.topics)
        if who & set(activity) and other and not self.events(query):
            query = replace(query, activity=tuple(t for t in activity if t not in who))
            content = [t for t in content if t not in who & set(activity)]
            unknown = [t for t in unknown if t not in who & set(activity)]
        # A need a row was found by (残疾人 → 特殊群体 困难家庭 救助: 「慰问特殊群体」) is answered; its
        # other words are the articles' names for the same need, not something the table lacks.
        found = {t for words in needs if words & set(query.activity) for t in words}
        content = [t for t in content if t not in found or t in query.activity]
        unknown = [t for t in unknown if t not in found]
        asks_events = any(t in self.event_words for t in tokens) or self.router.first("events").mentioned_in(
            message
        )
        return Reading(query, tokens, content, unknown, asks_events, foreign)

    def _table_stem(self, token: str) -> str:
        """A question word the table lacks that is one of its words with one character more in front
        or behind (「小游戏」 = 小 + 游戏) is that word: the character adds nothing to filter rows by."""
        vocabulary = self.search.event_vocabulary
        if len(token) <= STEM_MIN_CHARS or token in vocabulary or not _HAN_WORD.fullmatch(token):
            return token
        for stem in (token[1:], token[:-1]):
            if stem in vocabulary and stem not in self.event_words and stem not in self.table_words:
                return stem
        return token

    def _word_ends(self, text: str) -> frozenset[int]:
        """The offsets where the question's words end, as jieba cuts it."""
        return frozenset(itertools.accumulate(map(len, self.tokenizer.words(text))))

    def _whole_words(self, place: str, text: str, ends: frozenset[int]) -> str:
        """A place name said with a word glued on (「商业街社区门口」 finds the table's 商业街社区门前
        as 「商业街社区门」) ends where the question's own word ends (``ends``): 「商业街社区」, when that
        is a place too.  '' when it cannot end there: 「社区一共」 holds 「社区一」 of 社区一楼服务大厅, but
        the question's word is 一共, and no place of the table was said."""
        at = text.find(place)
        if at < 0:
            return place
        end = at + len(place)
        while end not in ends and end - at > PLACE_MIN_CHARS and self.search.is_place(text[at : end - 1]):
            end -= 1
        return text[at:end] if end in ends else ""

    def _says_any_row(self, words: str) -> bool:
        """「文化活动」 (part of a place's name, 文化活动中心) said of the table's rows names no place."""
        tokens = self.tokenizer.tokens(words)
        return bool(tokens) and all(t in self.table_words or t in self.event_words for t in tokens)

    def _table_place(self, place: str) -> str:
        canonical = self.tokenizer.canonical(place)
        return canonical if canonical != place and self.search.is_place(canonical) else place


class Engine:
    """Answers messages; safe to call from several threads while a reload happens."""

    def __init__(
        self,
        brain: Brain,
        knowledge_dir: Path,
        intents_dir: Path,
        unanswered: UnansweredLog | None = None,
        cache_dir: CacheDir = None,
    ) -> None:
        self._brain = brain
        self.knowledge_dir = knowledge_dir
        self.intents_dir = intents_dir
        self.unanswered = unanswered
        self.cache_dir = cache_dir
        self._reload_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        knowledge_dir: Path = DEFAULT_KNOWLEDGE,
        intents_dir: Path = DEFAULT_INTENTS,
        unanswered: UnansweredLog | None = None,
        cache_dir: CacheDir = None,
    ) -> Engine:
        brain = Brain.build(knowledge_dir, intents_dir, cache_dir)
        return cls(brain, knowledge_dir, intents_dir, unanswered, cache_dir)

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
                brain = Brain.build(self.knowledge_dir, self.intents_dir, self.cache_dir)
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
            return plain_reply("fallback", "empty", wording.EMPTY_MESSAGE)
        number = picked(message, state.choices)
        if number is not None:
            return self.pick(state, number, brain)
        state.choices = []  # a message that picks none of them moves on: a later 「5」 is no pick
        understood = brain.understander.understand(message)
        if not understood.refers_back:
            for said in (message, understood.plain, understood.last_clause):
                short = brain.router.short_reply(said)
                # The whole message less the small-talk words: 「老人…不适应,有没有人能帮帮」 ends
                # like a greeting but asks for help with something the knowledge knows.
                if short is not None and not self._asks_more(
                    brain, self._without_keywords(understood.plain, short[0], brain.router), short[0]
                ):
                    intent = short[0]
                    if intent.kind == "paging" and intent.name == "show_original":
                        return self.act(state, Action("original", wording.ORIGINAL, state.passage or ""))
                    if intent.kind == "paging":
                        return self.page(state, +1 if intent.name == "next_page" else -1, brain)
                    return plain_reply(
                        "chitchat",
                        intent.name,
                        intent.replies[0] if intent.replies else wording.CHITCHAT_DEFAULT,
                    )
        oos = brain.router.out_of_scope(message)
        if oos is not None and not self._only_in_story(brain, understood, oos):
            return self._fallback(brain, oos.name)
        return self._question(brain, understood, state)

    @staticmethod
    def _only_in_story(brain: Brain, understood: Understanding, intent: Intent) -> bool:
        """Is the out-of-scope word said only in the middle of a resident's story (「顶楼那家私自搭了个
        棚子,一下雨就往我们家漏,能让他拆了不」: 下雨 says when it leaks), while another clause names
        one of the knowledge's own topics?  Then it is no question about the weather; the first clause
        and the last, which set and ask the question, still make it one (as elsewhere_topics does)."""
        clauses = understood.clauses
        if len(clauses) < 3 or any(intent.mentioned_in(c) for c in (clauses[0], clauses[-1])):
            return False
        return any(
            not intent.mentioned_in(c) and clause_topic(brain, brain.tokenizer.tokens(c)) is not None
            for c in clauses
        )

    @staticmethod
    def _without_keywords(message: str, intent: Intent, router: Router) -> str:
        """「好的,谢谢」 less every thanks word is empty: small talk, not a question. Small talk
        mixes its kinds (「你好啊,你都会弄啥」, 「Thanks, bye!」), so every small-talk word goes."""
        rest = message.lower()
        intents = router.by_kind.get("chitchat", []) if intent.kind == "chitchat" else [intent]
        keywords = {k for i in intents for k in i.keywords}
        for keyword in sorted(keywords, key=len, reverse=True):
            rest = rest.replace(keyword.lower(), " ")
        return rest

    @classmethod
    def _asks_more(cls, brain: Brain, rest: str, intent: Intent) -> bool:
        """Does the message, less its small-talk words, still ask something?  Thanks or a greeting (an
        intent marked `courtesy`) is small talk only when nothing else is asked: 「大年初一有啥活动,
        谢谢啊」 asks for a day's events, 「暖气不热,找谁来修,麻烦了」 asks who (and falls back), though
        neither names a word of the knowledge.  A day said with a word of events (not a wish: 「谢谢,
        春节快乐」), an attribute asked for (「给我个电话号码」) or a question word (understand.asks)
        beside any word but the people asked (「请问您是谁」 is small talk) is a question; paging words
        (「还有吗」) are paging whatever else is said, and small talk about the bot (「你是机器人吗,
        咋听着不像人」) asks nothing more."""
        if cls._names_a_topic(brain, rest):
            return True
        if intent.kind != "chitchat" or not intent.courtesy:
            return False
        if asked_attribute(brain.attributes, rest) is not None:
            return True
        # 「您是谁」 asks the bot about itself: a question word beside nothing but the one asked.
        who = brain.understander.who_words
        if asks(rest) and any(t not in who for t in brain.tokenizer.tokens(rest)):
            return True
        # A day asks with a word of events (「大年初一有活动吗,谢谢」), not in a wish (「谢谢,春节快乐」).
        dates = brain.dates.parse(rest)
        return bool(dates.ranges or dates.relative) and brain.read(rest).asks_events

    @staticmethod
    def _names_a_topic(brain: Brain, text: str) -> bool:
        """「好的写春联」 or 「怎么用手机信访」 is a question, not thanks or help; so is 「帮我查一下社保」,
        which the knowledge cannot answer but which is no request for the help text either."""
        return bool(elsewhere_topics(brain, text)) or any(
            t not in brain.event_words
            and not brain.search.says_little(t)
            and (t in brain.search.event_vocabulary or t in brain.search.context_index)
            for t in brain.tokenizer.tokens(text)
        )

    def nearest_record(self, question: str) -> str:
        """The service record (or article section) an unanswered question is closest to, for
        `run_bot.py unanswered`: a service gets the question as one more of its `asks:`."""
        brain = self._brain
        understood = brain.understander.understand(normalise(question, limit=MAX_MESSAGE_CHARS))
        tokens = brain.tokenizer.tokens(understood.text)
        services = brain.search.service_hits(tokens, None, 1)
        if services and services[0].coverage > 0:
            hit = services[0]
            return f"services.yaml {hit.service.id}({hit.service.name},覆盖 {hit.coverage:.0%}):可加入 asks"
        sections = brain.search.sections(tokens, 1)
        if sections and sections[0][1] > 0:
            passage, coverage = sections[0]
            return f"sources/{passage.source}.yaml {passage.id}(覆盖 {coverage:.0%})"
        return ""

    def page(self, state: DialogueState, delta: int, brain: Brain | None = None) -> Reply:
        """The next (+1) or previous (-1) page of the resident's last event search."""
        brain = brain or self._brain
        # 「还有呢」, 「接着」 after an article's answer: no list, but the article goes on.
        after = self._next_passage(brain, state) if state.query is None and delta > 0 else None
        if after is not None:
            return after
        if state.query is None:
            return plain_reply(
                "fallback",
                "next_page" if delta > 0 else "previous_page",
                wording.NOTHING_TO_PAGE,
            )
        wanted = state.page + delta
        reply = self.show_events(state, state.query, wanted, brain)
        if reply.page != wanted and reply.events:
            edge = wording.LAST_PAGE if delta > 0 else wording.FIRST_PAGE
            return reply.with_(footer=edge + reply.footer)
        return reply

    def act(self, state: DialogueState, action: Action) -> Reply:
        """A typed action (a button, a tapped chip): never parsed again from words."""
        if action.kind in ("next_page", "previous_page"):
            if state.query is None:
                return self.page(state, +1 if action.kind == "next_page" else -1)
            wanted = int(action.value) if str(action.value).lstrip("-").isdigit() else state.page
            return self.page(state, wanted - state.page)
        if action.kind == "pick":
            return self.pick(state, int(action.value) if str(action.value).isdigit() else 0)
        if action.kind == "day":
            try:
                day = date.fromisoformat(str(action.value))
            except ValueError:
                return plain_reply("fallback", "day", wording.BAD_DAY)
            return self.show_events(state, EventQuery(ranges=(DateRange(day, day),)), 0)
        original = self.original(str(action.value or state.passage or ""))
        if original is None:
            return plain_reply("fallback", "original", wording.ORIGINAL_GONE)
        return original

    def pick(self, state: DialogueState, number: int, brain: Brain | None = None) -> Reply:
        """The full answer behind suggestion ``number`` (1-based) of the last suggestions reply."""
        brain = brain or self._brain
        if not 1 <= number <= len(state.choices):
            return plain_reply("fallback", "pick", wording.NO_SUCH_CHOICE)
        choice = state.choices[number - 1]
        state.choices = []
        if choice.kind == "events" and choice.query is not None:
            return self.show_events(state, choice.query, 0, brain)
        passage = brain.knowledge.passage_by_id.get(choice.target)
        if choice.kind == "passage" and passage is not None:
            state.passage, state.quoted = passage.id, None
            intent = brain.router.first("passages").name
            return passage_reply(brain.knowledge, intent, passage, choice.quote or passage.text, 1.0)
        service = next((s for s in brain.knowledge.services if s.name == choice.target), None)
        if choice.kind == "service" and service is not None:
            _remember_service(brain, state, service)
            return service_reply(brain.knowledge, "service_lookup", service, 1.0)
        return plain_reply("fallback", "pick", wording.CHOICE_GONE)

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
        state.query, state.page, state.passage = query, reply.page, None  # the list is what was shown last
        return reply

    def original(self, passage_id: str) -> Reply | None:
        """The whole cited paragraph, for a resident who wants to read the source (「原文」)."""
        brain = self._brain
        passage = brain.knowledge.passage_by_id.get(passage_id)
        if passage is None:
            return None
        return original_reply(brain.knowledge, passage)

    # -- answering a question: understand → candidates → score → decide ------------------------------

    def _question(self, brain: Brain, understood: Understanding, state: DialogueState) -> Reply:
        text = understood.text
        invalid = self._invalid_dates(brain, text)
        if invalid is not None:
            return invalid
        followed = self._follow_up(brain, understood, state)
        if followed is not None:
            return followed
        reading = brain.read(text, understood.inferred)
        dated = brain.dates.with_months(text)  # 「15号哪有写春联」: no month shown before
        if dated is not None:
            # ...a day only when events are asked: 「3号门怎么走」, 「5号窗口」 name no day.
            redated = brain.read(dated, understood.inferred)
            if redated.query.activity or redated.asks_events:
                text, reading = dated, redated
        asked = self._attribute_of_last_passage(brain, text, reading, state)
        if asked is not None:
            return asked
        query = reading.query
        tokens = brain.tokenizer.tokens(text)
        candidates = collect(brain, reading, tokens, text, self._label(query), understood.asking)
        year = next((w for w in brain.knowledge.speech.other_years if w in understood.plain.lower()), None)
        if year is not None and any(c.kind == "events" for c in candidates):
            return self._period(brain, [year])
        if not any(c.kind == "events" for c in candidates):
            if query.relative and not reading.content:
                # 「接下来呢」 after an article reads on; otherwise it asks of the days to come.
                return self._after_last_passage(brain, understood, state) or self._period(
                    brain, list(query.relative)
                )
            if not reading.content and not query.district:
                where = self._where_of_last_passage(brain, text, state)
                if where is None and (last := brain.knowledge.passage_by_id.get(state.passage or "")):
                    where = self._cued_in_last_passage(brain, text, last, state)  # 「哪天搞的」
                return where if where is not None else self._fallback(brain, "no_topic")
        own = self._in_last_passage_words(brain, text, reading, tokens, state, understood.plain)
        if own is not None:
            return own
        decision = decide(candidates)
        if decision.band == "sure" and decision.best is not None:
            reply = self._answer(brain, decision.best, state, asked_attribute(brain.attributes, text))
            said = reply.text
            missing = [
                w
                for w in elsewhere_topics(brain, text)
                if w not in said and brain.tokenizer.canonical(w) not in said
            ]
            if missing and reply.kind == "events":
                return reply.with_(
                    title=wording.NOT_IN_REPORTS.format(words="、".join(missing)) + "\n" + reply.title
                )
            return reply
        if decision.band == "close":
            return self._suggest(brain, decision, state)
        again = self._about_last_passage(brain, text, state)
        again = again or self._after_last_passage(brain, understood, state)  # 「后来呢」
        if again is not None:
            return again
        best = ranked(candidates)[0] if candidates else None
        log.debug("fallback: best %s", best)
        return self._fallback(
            brain,
            "low_confidence",
            best=best.label if best else "",
            score=best.confidence if best else 0.0,
        )

    def _after_last_passage(
        self, brain: Brain, understood: Understanding, state: DialogueState
    ) -> Reply | None:
        """「后来呢」 after an article's answer: what the article says next, the passage after the one just
        quoted, opened at its first sentence; the article's last passage has nothing after it."""
        knowledge = brain.knowledge
        last = knowledge.passage_by_id.get(state.passage or "")
        go_on = knowledge.speech.go_on
        if last is None or not go_on:
            return None
        said = without_lead(understood.text).lower()
        for word in sorted(go_on, key=len, reverse=True):
            said = said.replace(word, " ")
        if said == understood.text.lower() or brain.tokenizer.tokens(said) or brain.read(said).content:
            return None
        return self._next_passage(brain, state)

    def _next_passage(self, brain: Brain, state: DialogueState) -> Reply | None:
        """What the article says after the window just quoted: the passage's next sentences, else the
        next passage opened at its first sentence; nothing after the article's last."""
        order = brain.knowledge.passages
        last = brain.knowledge.passage_by_id.get(state.passage or "")
        if last is None:
            return None
        if state.quoted is not None and state.quoted + 1 < len(last.sentences):
            return self._answer(brain, _sentence_of(brain, last, state.quoted + 1), state)
        at = brain.passage_index[last.id] + 1
        if at >= len(order) or order[at].source != last.source:
            return None
        return self._answer(brain, _sentence_of(brain, order[at], 0), state)

    def _where_of_last_passage(self, brain: Brain, text: str, state: DialogueState) -> Reply | None:
        """「在哪个社区搞的」 after an article's answer: the passage of that article (the one quoted
        first, then the others in order) that names a place, quoted around that name.  「在哪弄」 after a
        service whose article names no place: the service, whose 途径 (``how``) says where it is used."""
        knowledge = brain.knowledge
        last = knowledge.passage_by_id.get(state.passage or "")
        if last is None or not _ASKS_WHERE.search(text):
            return None
        same = [p for p in knowledge.passages if p.source == last.source and p.id != last.id]
        service = next((s for s in knowledge.services if s.passage == last.id and s.how), None)
        for passage in (last, *same):
            named = _NAMED_PLACE.search(passage.text)
            if named is None:
                continue
            tokens = brain.tokenizer.tokens(named.group(1))
            hit = brain.search.passages(tokens, (), within=brain.passage_index[passage.id])
            if hit is not None:
                return self._answer(brain, Candidate("passage", hit.coverage, passage.id, hit=hit), state)
        # No 「在…社区」 anywhere: the section's own place (「京广路街道冯春社区坚持…」), meant by every
        # paragraph after it, as the search's section context means it; the longest place word it names.
        districts = set(knowledge.districts())
        section = [p for p in same if p.section == last.section]
        for passage in (last, *section):
            places = [w for w in brain.tokenizer.place_words if w in passage.text and w not in districts]
            if not places:
                continue
            tokens = [max(places, key=len)]
            hit = brain.search.passages(tokens, (), within=brain.passage_index[passage.id])
            if hit is not None:
                return self._answer(brain, Candidate("passage", hit.coverage, passage.id, hit=hit), state)
        if service is not None:
            return service_reply(knowledge, "service_lookup", service, 1.0)
        return None

    def _about_last_passage(
        self, brain: Brain, text: str, state: DialogueState, first: bool = False
    ) -> Reply | None:
        """A question nothing answers on its own, asked of the passage just quoted: 「他们追回来过多少
        钱」 after the passage on wage disputes (its 「追回被拖欠工资421万元」).  Answered only as surely
        as any passage (bot.engine.score.is_sure), so a question about something else still falls back.
        ``first``: asked before the whole knowledge is, so a value asked for (a number, a day) must be
        in the window found, or another article may hold it."""
        knowledge, router = brain.knowledge, brain.router
        passage = knowledge.passage_by_id.get(state.passage or "")
        if passage is None:
            return None
        tokens = brain.tokenizer.tokens(text)
        if not tokens:
            return self._cued_in_last_passage(brain, text, passage, state)
        hit = brain.search.passages(
            tokens,
            router.answer_cues(text),
            wants_number=router.asks_exact(text),
            unit=asked_unit(text, knowledge.speech.people),
            within=brain.passage_index[passage.id],
        )
        if hit is None or not tokens:
            return None
        # As any candidate: one holding the question's weightiest word needs less (ON_TOPIC_MARGIN).
        top = max(tokens, key=brain.search.weight)
        topic = brain.search.stem(top) or top
        on_topic = topic in hit.known or topic in hit.text
        if not is_sure("passage", hit.coverage, on_topic) and not self._only_asks(brain, text, tokens, hit):
            return None
        cues, unit = router.answer_cues(text), asked_unit(text, knowledge.speech.people)
        if first and (cues or unit) and not brain.search.holds_asked(hit.text, tokens, cues, unit):
            return None
        candidate = Candidate("passage", hit.coverage, passage.id, hit=hit)
        return self._answer(brain, candidate, state, asked_attribute(brain.attributes, text))

    def _in_last_passage_words(
        self,
        brain: Brain,
        text: str,
        reading: Reading,
        tokens: list[str],
        state: DialogueState,
        plain: str = "",
    ) -> Reply | None:
        """「都是哪的专家」 right after the passage on the district's 7名专家教授: a question whose every
        word that names something is that passage's own, and that names no day, place or activity but
        the passage's own (「那在外地打工的党员呢」: its 流动党员), asks that passage, though another
        article or a row says 专家 or 党员 too; answered as surely as any passage."""
        passage = brain.knowledge.passage_by_id.get(state.passage or "")
        query = reading.query
        if passage is None or query.ranges or query.places or query.topics or query.district:
            return None
        # 「那X呢」 with no question word of its own asks the last question of X, so X may be an activity.
        if query.activity and not (is_follow_up(plain) and not asks(plain)):
            return None
        if not all(a in passage.text for a in query.activity):
            return None
        search = brain.search
        named = [t for t in tokens if not search.says_little(t)]
        if query.activity and all(t in query.activity for t in named):
            return None  # 「那猜灯谜呢」 names only an activity: the table's rows of it
        if not named or not all(t in passage.text or (search.stem(t) or "\0") in passage.text for t in named):
            return None
        # 「那个驿站搁哪个社区」: where the thing the passage names is, as 「在哪个社区搞的」 asks it.
        where = self._where_of_last_passage(brain, text, state)
        return where or self._about_last_passage(brain, text, state, first=True)

    @staticmethod
    def _only_asks(brain: Brain, text: str, tokens: list[str], hit: PassageHit) -> bool:
        """「开了多少次」, 「一共抽了多少干部」 right after a passage: every word is the passage's own or says
        little (开, 抽 of its 抽调), so the question names nothing else it could be about; it asks that
        passage for what its question word wants, and is answered when the window holds it."""
        search, passage = brain.search, hit.passage
        unit = asked_unit(text, brain.knowledge.speech.people)
        # 「几支队」 as jieba cuts it (几 支队): the measure word of the count glued to what it counts.
        named = [
            t[1:] if unit and t.startswith(unit) and re.search(f"(?:几|多少){re.escape(t)}", text) else t
            for t in tokens
        ]
        asked = brain.router.asked_words(text)
        if not all(
            t in passage.text
            or search.says_little(t)
            or (search.stem(t) or "\0") in passage.text
            or any(t in word for word in asked)
            for t in named
        ):
            return False
        return search.holds_asked(hit.text, tokens, brain.router.answer_cues(text), unit)

    def _attribute_of_last_passage(
        self, brain: Brain, text: str, reading: Reading, state: DialogueState
    ) -> Reply | None:
        """「电话多少」 right after an article's answer asks for that passage's phone number: words that
        only name the attribute are no topic to search the whole knowledge for.  Its sentence carrying
        such a value answers; without one, the reports' silence is said of that passage."""
        attribute = asked_attribute(brain.attributes, text)
        last = brain.knowledge.passage_by_id.get(state.passage or "")
        if attribute is None or last is None:
            return None
        named = brain.naming(attribute)
        query = reading.query
        # 「惠济区的电话多少」, 「2月8日的电话」: it names where or when, so it is asked afresh.
        if any(t not in named for t in reading.content) or query.activity or query.district:
            return None
        if query.places or query.ranges or query.topics or query.relative or elsewhere_topics(brain, text):
            return None
        at = next((i for i, s in enumerate(last.sentences) if attribute.carried_by(s)), 0)
        return self._answer(brain, _sentence_of(brain, last, at), state, attribute)

    def _cued_in_last_passage(
        self, brain: Brain, text: str, passage: Passage, state: DialogueState
    ) -> Reply | None:
        """「哪天搞的」 after a passage: a question that names nothing but what it asks for is asked of
        the passage just quoted, answered by its first sentence holding what is asked (a day: 日), or
        not at all."""
        # A cue of one character that is a unit (日, 点, 米) answers only after a number: 「1月15日」 says a
        # day, 「党日」 does not.
        cues = [
            re.escape(c) if len(c) > 1 or c.isdigit() else rf"[\d{NUMERALS}]{re.escape(c)}"
            for c in brain.router.answer_cues(text)
        ]
        if not cues:
            return None
        cued = re.compile("|".join(cues))
        at = next((i for i, s in enumerate(passage.sentences) if cued.search(s)), None)
        if at is None:
            return None
        return self._answer(brain, _sentence_of(brain, passage, at), state)

    def _answer(
        self, brain: Brain, candidate: Candidate, state: DialogueState, attribute: Attribute | None = None
    ) -> Reply:
        """The full answer of one candidate, or, when it lacks the asked attribute, an honest "not given"."""
        if candidate.kind == "events" and candidate.query is not None:
            events = brain.events(candidate.query)
            said = [self._event_line(e) for e in events]
            if attribute is not None and events and not any(map(attribute.carried_by, said)):
                state.query, state.page = candidate.query, 0
                return self._not_given(
                    brain, attribute, wording.EVENT_TABLE, [self._event_line(e) for e in events[:2]]
                )
            return self.show_events(state, candidate.query, 0, brain)
        if candidate.kind == "service" and candidate.service is not None:
            service = candidate.service
            if attribute is not None and not attribute.carried_by(f"{service.how} {service.quote}"):
                return self._not_given(brain, attribute, service.name, [service.quote])
            _remember_service(brain, state, service)
            return service_reply(brain.knowledge, "service_lookup", service, candidate.confidence)
        hit = candidate.hit
        assert hit is not None
        if attribute is not None and not attribute.carried_by(hit.text):
            return self._not_given(
                brain, attribute, brain.knowledge.sources[hit.passage.source].title, [hit.text]
            )
        state.query, state.passage = None, hit.passage.id  # 「下一页」 after an article has no list to page
        state.quoted = hit.last
        return passage_reply(
            brain.knowledge, brain.router.first("passages").name, hit.passage, hit.text, candidate.confidence
        )

    def _suggest(self, brain: Brain, decision: Decision, state: DialogueState) -> Reply:
        """「您是想问下面哪一个?」 with the close candidates; picking one gives its full answer."""
        choices = []
        for candidate in decision.chosen:
            if candidate.kind == "events":
                choices.append(Choice("events", candidate.label, query=candidate.query))
            elif candidate.kind == "service" and candidate.service is not None:
                choices.append(Choice("service", candidate.label, target=candidate.service.name))
            elif candidate.hit is not None:
                choices.append(
                    Choice(
                        "passage", candidate.label, target=candidate.hit.passage.id, quote=candidate.hit.text
                    )
                )
        state.choices = choices
        best = decision.chosen[0]
        return finished(
            Reply(
                "suggestions",
                "suggestions",
                title=wording.SUGGEST_TITLE,
                items=tuple(
                    Offer(i, c.label, "events" if c.kind == "events" else "passages")
                    for i, c in enumerate(choices, 1)
                ),
                confidence=best.confidence,
                best=best.label,
            )
        )

    def _follow_up(self, brain: Brain, understood: Understanding, state: DialogueState) -> Reply | None:
        """A message that leans on the last list: 「其中…的呢」, 「当天…」, 「那2月5日呢」, 「地址在哪」."""
        if state.query is None:
            return None
        turn = read_follow_up(brain, understood, state.query)
        if turn is None:
            return None
        if turn.attribute is not None:
            events = brain.events(turn.query)
            if not any(turn.attribute.carried_by(self._event_line(e)) for e in events):
                return self._not_given(
                    brain, turn.attribute, wording.EVENT_TABLE, [self._event_line(e) for e in events[:2]]
                )
        # 「在哪」 about the rows on the page being read: that page again.
        page = state.page if turn.query == state.query else 0
        return self.show_events(state, matching_events_query(brain, turn.query) or turn.query, page, brain)

    @staticmethod
    def _event_line(event: Event) -> str:
        """Everything a row says, its day included: what an attribute asked of it is looked for in."""
        return wording.EVENT_LINE.format(
            when=event_date(event), place=event.place, content=event.content, organiser=event.organiser
        )

    @staticmethod
    def _invalid_dates(brain: Brain, message: str) -> Reply | None:
        """A date that does not exist (「2020年正月三十」, 「13月」) is said plainly, not searched."""
        invalid = brain.dates.parse(message).invalid
        if not invalid:
            return None
        reasons = ";".join(
            dict.fromkeys(wording.INVALID_DATE.format(text=d.text, reason=d.reason) for d in invalid)
        )
        return plain_reply("fallback", "invalid_date", f"{reasons}。{wording.INVALID_DATE_ASK}")

    def _not_given(self, brain: Brain, attribute: Attribute, where: str, said: list[str]) -> Reply:
        """The asked attribute is not in the knowledge: say so, and what it does say (as text only:
        the reply states no fact it does not have, and cites nothing it does not answer from)."""
        shown = ";".join(s if len(s) <= 120 else s[:119] + "…" for s in said)
        text = wording.NOT_GIVEN.format(attribute=attribute.name, where=where, shown=shown)
        return plain_reply("fallback", "missing_attribute", text)

    # -- replies that are not from the knowledge --------------------------------------------------

    def _fallback(self, brain: Brain, reason: str, best: str = "", score: float = 0.0) -> Reply:
        intent = brain.router.first("fallback")
        text = intent.replies[0] if intent.replies else wording.DONT_KNOW
        return plain_reply("fallback", reason, text).with_(confidence=score, best=best)

    def _period(self, brain: Brain, words: list[str]) -> Reply:
        first, last = brain.knowledge.period
        return plain_reply(
            "fallback",
            "out_of_period",
            wording.OUT_OF_PERIOD.format(
                word=words[0],
                districts="、".join(sorted(brain.event_districts)),
                first=format_day(first),
                last=format_day(last),
            ),
        )

    @staticmethod
    def _label(query: EventQuery) -> str:
        parts = []
        if query.ranges:
            parts.append("、".join(Engine._range_label(r, bool(query.topics)) for r in query.ranges))
        if query.district:
            parts.append(query.district)
        if query.places:
            parts.append("、".join(query.places))
        if query.activity:
            joined = ("或".join if query.any_activity else " ".join)(query.activity)
            parts.append(wording.LABEL_RELATED.format(words=joined))
        elif query.topics and not query.ranges:
            parts.append(wording.LABEL_RELATED.format(words=" ".join(query.topics)))
        label = " ".join(parts)
        if len(label) > _MAX_LABEL:
            label = label[: _MAX_LABEL - 1] + "…"
        return wording.LABEL_EVENTS_OF.format(label=label) if label else wording.LABEL_EVENTS

    @staticmethod
    def _range_label(day: DateRange, about_festival: bool) -> str:
        """Say what was searched: the festival's events (any day) or the festival's day only."""
        if not day.named:
            return day.describe()
        if day.start != day.end:  # 「过年」, 「春节期间」: a period, not a day
            label = day.label.removesuffix(wording.PERIOD_SUFFIX)  # 「春节期间」 is not 「春节期间期间」
            return wording.RANGE_PERIOD.format(label=label, days=day.describe())
        if about_festival:
            return wording.RANGE_FESTIVAL_DAY_AND_RELATED.format(days=day.describe(), label=day.label)
        return wording.RANGE_FESTIVAL_DAY.format(days=day.describe(), label=day.label)

    @staticmethod
    def _relative_note(brain: Brain, query: EventQuery) -> str:
        if not query.relative:
            return ""
        first, last = brain.knowledge.period
        return wording.RELATIVE_NOTE.format(
            word=query.relative[0], first=format_day(first), last=format_day(last)
        )


def _remember_service(brain: Brain, state: DialogueState, service: Service) -> None:
    """A service answered: its passage is the one 「还有呢」, 「在哪」 or 「原文」 lean on next, read on
    from the sentence its quote ends in."""
    state.query, state.passage = None, service.passage
    state.quoted = _quoted_at(brain.knowledge.passage_by_id.get(service.passage or ""), service.quote)


def _quoted_at(passage: Passage | None, quote: str) -> int | None:
    """The last of the passage's sentences a service's quote is taken from, or None: `check` makes
    every quote a verbatim piece of its passage, so the sentence it ends in is found exactly."""
    if passage is None or not quote or (at := passage.text.find(quote)) < 0:
        return None
    end, start, last = at + len(quote), 0, None
    for i, sentence in enumerate(passage.sentences):
        begins = passage.text.find(sentence.strip(), start)
        if begins < 0:
            continue
        if begins < end:
            last = i
        start = begins + len(sentence.strip())
    return last


def _sentence_of(brain: Brain, passage: Passage, at: int) -> Candidate:
    """The passage's sentence ``at``, with the window around it a phone shows, as a sure candidate: a
    follow-up already chose the passage, so no search score applies."""
    first, last = brain.search.window(passage, at)
    return Candidate("passage", 1.0, passage.id, hit=PassageHit(passage, first, last, 0.0, 1.0, frozenset()))
