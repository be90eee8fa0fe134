"""Retrieval over the knowledge: sentence windows of the articles, service records, events.

Articles are searched at two levels at once: the sentence (so an answer quotes 1–3
sentences) and its paragraph with the article title, section heading and district (so
「冯春社区为老人提供什么服务?」 finds a sentence that never names 冯春社区 itself).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.data.knowledge import Event, Knowledge, Passage, Service
from bot.engine.index import BM25Index
from bot.engine.memo import remembered
from bot.engine.text import NUMERALS, PLACE_KINDS, Tokenizer, one_verb, verb_and_amount
from bot.engine.thresholds import (
    ANSWER_BONUS,
    COMPOUND_PART,
    ENGLISH_WEIGHT,
    ENGLISH_WORD_LETTERS,
    EVERYDAY_FLOOR,
    EVERYDAY_RARITY,
    GLUED_AMOUNT_MIN_RARITY,
    HEADLINE_SHARE,
    LACKED_EVERYDAY,
    NOISE_WEIGHT,
    STEM_MIN_CHARS,
    TOPIC_RARITY,
    UNANSWERED_FACTOR,
    UNSEEN_RARITY,
)

_HAN = re.compile(r"[\u4e00-\u9fff]+")  # a year or a number (「2024」) is never noise

MAX_WINDOW_CHARS = 400
_CONTEXT_WEIGHT = 0.6
# A count in a sentence: digits or Chinese numerals, 「余」/「多」, then the unit asked (120余次, 近千个).
_COUNT = rf"[\d{NUMERALS}百千万亿]\s*(?:余|多)?\s*(?:{{unit}})"
# Units that count the same thing: 「多少人」 is answered in 名 or 位 too, 「几回」 in 次.
_SAME_COUNT = {
    "人": ("人", "名", "位"),
    "名": ("名", "人", "位"),
    "位": ("位", "名", "人"),
    "次": ("次", "回"),
    "回": ("回", "次"),
}


@functools.lru_cache(maxsize=64)
def _counted(unit: str) -> re.Pattern[str]:
    """A number counted in ``unit`` or a unit that counts the same thing."""
    return re.compile(_COUNT.format(unit="|".join(map(re.escape, _SAME_COUNT.get(unit, (unit,))))))


_SHORT_SENTENCE = 60
# The words that end a place's name and say its kind (grammar of Chinese place names).
_TARGET_CHARS = 260


@dataclass(frozen=True)
class SentenceRef:
    passage: int  # index into Knowledge.passages
    sentence: int  # index into that passage's sentences


@dataclass(frozen=True)
class PassageHit:
    """The best window of sentences for a question, with how sure we are."""

    passage: Passage
    first: int
    last: int
    score: float
    coverage: float
    known: frozenset[str]  # the words of the window's section, title and district

    @property
    def text(self) -> str:
        return "".join(self.passage.sentences[self.first : self.last + 1])


@dataclass(frozen=True)
class ServiceHit:
    service: Service
    score: float
    coverage: float


class KnowledgeSearch:
    """All indexes over one knowledge version; immutable once built, so safe to share."""

    def __init__(self, knowledge: Knowledge, tokenizer: Tokenizer) -> None:
        self.knowledge = knowledge
        self.tokenizer = tokenizer
        self.sentences: list[SentenceRef] = []
        sentence_docs: list[list[str]] = []
        context_docs: list[list[str]] = []
        self._context_sets: list[frozenset[str]] = []
        for p_index, passage in enumerate(knowledge.passages):
            for s_index, sentence in enumerate(passage.sentences):
                self.sentences.append(SentenceRef(p_index, s_index))
                sentence_docs.append(tokenizer.tokens(sentence, for_index=True))
        # The whole section is the context: 冯春社区 is named once, in its first paragraph.
        section_tokens: dict[tuple[str, str], list[str]] = {}
        for ref, tokens in zip(self.sentences, sentence_docs, strict=True):
            passage = knowledge.passages[ref.passage]
            key = (passage.source, passage.section)
            if key not in section_tokens:
                source = knowledge.sources[passage.source]
                heading = " ".join([source.title, source.subtitle, passage.section, source.district])
                section_tokens[key] = tokenizer.tokens(heading, for_index=True)
            section_tokens[key].extend(tokens)
        # One set and one text per section, shared by its passages: a copy per passage costs
        # passages × section size, quadratic in a long single-section article.
        section_parts: dict[tuple[str, str], list[str]] = {}
        for passage in knowledge.passages:
            section_parts.setdefault((passage.source, passage.section), []).append(passage.text)
        section_sets: dict[tuple[str, str], frozenset[str]] = {}
        section_text: dict[tuple[str, str], str] = {}
        for key, parts in section_parts.items():
            source = knowledge.sources[key[0]]
            section_sets[key] = frozenset(section_tokens.get(key, ()))
            section_text[key] = "".join([source.title, source.subtitle, key[1], *parts])
        self._context_text: list[str] = []
        for passage in knowledge.passages:
            key = (passage.source, passage.section)
            context_docs.append(section_tokens.get(key, []))
            self._context_sets.append(section_sets[key])
            self._context_text.append(section_text[key])
        self._source_districts = frozenset(s.district for s in knowledge.sources.values())
        self._sentence_sets = [frozenset(doc) for doc in sentence_docs]
        self.sentence_index = BM25Index(sentence_docs)
        self.context_index = BM25Index(context_docs)
        self._first_sentence: dict[int, int] = {}
        for number, ref in enumerate(self.sentences):
            self._first_sentence.setdefault(ref.passage, number)
        # Each article's headline words and its first sentence: a question the headline answers as a
        # whole (「航展今年有啥新变化」 of 「2020郑州航展有这些新变化」) is answered by the article's lead.
        self._title_sets = {
            sid: frozenset(tokenizer.tokens(f"{s.title} {s.subtitle}", for_index=True))
            for sid, s in knowledge.sources.items()
        }
        self._lead: dict[str, int] = {}
        for index, passage in enumerate(knowledge.passages):
            if index in self._first_sentence:
                self._lead.setdefault(passage.source, self._first_sentence[index])

        self.service_docs = [
            tokenizer.tokens(
                " ".join([s.name, s.offers, s.provider, s.how, s.district, *s.keywords, *s.asks]),
                for_index=True,
            )
            for s in knowledge.services
        ]
        self.service_index = BM25Index(self.service_docs)
        # A service's words as written, for a question word jieba cuts otherwise (「大病」 of 大病患者).
        self._service_words = frozenset().union(*map(frozenset, self.service_docs))
        self._service_text = [
            " ".join([s.name, s.offers, s.how, s.quote, *s.keywords, *s.asks]) for s in knowledge.services
        ]

        said = [frozenset(tokenizer.tokens(e.text, for_index=True)) for e in knowledge.events]
        # The broader words only the lexicon's `kinds` give a row (its 春晚 is a 晚会).
        self._event_kinds = [_kinds_of(tokens, tokenizer) - tokens for tokens in said]
        self.event_tokens = [tokens | kinds for tokens, kinds in zip(said, self._event_kinds, strict=True)]
        self.event_vocabulary = frozenset().union(*self.event_tokens) if self.event_tokens else frozenset()
        self._max_idf = max((self.context_index.idf(t) for t in self.context_index.vocabulary), default=1.0)
        self._places_words = tokenizer.place_words
        self._situation = tuple(mark for mark in knowledge.speech.situation if mark)
        # The names of the dictionary's places without their kind (航海东路 of 航海东路街道), which jieba
        # cuts into words (航海 东路) when a resident leaves the kind out.
        self._place_names = frozenset(
            place[: -len(kind)]
            for place in self._places_words
            for kind in PLACE_KINDS
            if place.endswith(kind) and len(place) > len(kind) + 1
        )
        self._places = _substrings([f"{e.place} {e.organiser}" for e in knowledge.events])
        self.vocabulary = frozenset(
            {*self.context_index.vocabulary, *self.event_vocabulary, *tokenizer.lexicon.canonical_map()}
        ).union(*map(frozenset, self.service_docs))

    # -- articles ---------------------------------------------------------------------------------

    @remembered
    def weight(self, token: str) -> float:
        """How much a question word says: rare words a lot; words the knowledge does not have,
        by how rare they are in everyday Chinese (they make a question out of scope), single
        characters (「开」, 「打」) little."""
        if token in self.context_index:
            return max(self.context_index.idf(token) * self._everyday(token), 0.1)
        if len(token) == 1:
            return 1.0
        if (
            token.isascii()
            and token.isalpha()
            and (len(token) >= ENGLISH_WORD_LETTERS or not token.isupper())
        ):
            # An English word the glossary does not translate (「service」, 「office」, 「old」): more
            # often a word of the question's wording than a topic the knowledge lacks, whose Chinese
            # rarity (jieba's dictionary has almost no English) would make it the heaviest word of
            # all.  A short word written in capitals (「GDP」: the tokens keep it so) is an acronym.
            return ENGLISH_WEIGHT
        if (
            token not in self.vocabulary
            and _HAN.fullmatch(token)
            and self.tokenizer.rarity(token) >= UNSEEN_RARITY
        ):
            # Neither the knowledge nor jieba's dictionary has it: jieba glued characters together
            # (「找个」, 「大得」, 「我接」), which is no topic a question could be out of scope for.
            return NOISE_WEIGHT
        stem = self.stem(token)
        if stem is not None:
            # 「咨询室」 is the knowledge's 咨询 and one character more: that character is what the
            # knowledge may lack, not the whole word (see coverage).
            return self.weight(stem) + NOISE_WEIGHT
        if token not in self.vocabulary and any(mark in token for mark in self._situation):
            # 「睡不着」, 「看不起」, 「太穷」: how things are for the resident, which the knowledge says in
            # its own words (心理疏导, 救助), not a topic it lacks; as rare as jieba's dictionary finds
            # such a phrase, it would otherwise be the question's heaviest word.
            return NOISE_WEIGHT
        everyday = self._everyday(token)
        # An everyday word (「这种」, 「以后」, 「一直」) keeps the share of a glued word's weight that an
        # everyday word of the knowledge keeps of its own: lacking it says nothing against an answer.
        floor = NOISE_WEIGHT * everyday if everyday < LACKED_EVERYDAY else NOISE_WEIGHT
        weight = max(floor, self._max_idf * 1.2 * self.tokenizer.rarity(token) * everyday)
        if one_verb(token) or (
            verb_and_amount(token) and self.tokenizer.rarity(token) >= GLUED_AMOUNT_MIN_RARITY
        ):
            # 「开了个」, 「学学」, 「干点」: one verb jieba's dictionary keeps glued to its particle or said
            # twice; it says what a single character says, not a topic the knowledge lacks.  A word of a
            # character and an amount that everyday Chinese uses (景点, 特点) is a word of its own.
            return min(weight, NOISE_WEIGHT)
        return weight

    @property
    def rarest(self) -> float:
        """The weight of the knowledge's rarest word: what "much" means for this knowledge."""
        return self._max_idf

    def says_little(self, token: str) -> bool:
        """A single character or an everyday word (「这样」, 「您」, 「先」): it names no topic, so
        「先这样吧,拜拜」 stays a goodbye; 「孩子」, 「手机」, 「春联」 do name one."""
        return len(token) < 2 or self._everyday(token) <= EVERYDAY_FLOOR

    def _everyday(self, token: str) -> float:
        """How much of its weight a word keeps for being rare in everyday Chinese: 「到底」, 「他们」,
        「期间」 are rare in the articles but say nothing about what is asked, so they neither make
        nor break an answer; a rare word (充电桩, 公积金) keeps all of its weight."""
        rarity = self.tokenizer.rarity(token)
        share = (rarity - EVERYDAY_RARITY) / (TOPIC_RARITY - EVERYDAY_RARITY)
        return min(1.0, max(EVERYDAY_FLOOR, share))

    def coverage(self, tokens: list[str], known: frozenset[str] | set[str], text: str = "") -> float:
        """The share of the question's weight found in ``known`` words, or (two characters or
        more) inside ``text``, where jieba may have cut the same word differently."""
        total = sum(self.weight(t) for t in tokens)
        if not total:
            return 0.0
        found = 0.0
        for token in tokens:
            if token in known or self._inside(token, text):
                found += self.weight(token)
                continue
            stem = self.stem(token)
            if stem is not None and (stem in known or self._inside(stem, text)):
                found += self.weight(stem)
        return found / total

    @remembered
    def stem(self, token: str) -> str | None:
        """The knowledge's word a question word is with one character added (咨询室 → 咨询, 服务站点
        → 服务站), when the question word itself is none of the knowledge's words."""
        if len(token) < STEM_MIN_CHARS + 1 or token in self.vocabulary or not _HAN.fullmatch(token):
            return None
        for stem in (token[:-1], token[1:]):
            if stem in self.context_index or stem in self._service_words:
                return stem
        return None

    @staticmethod
    def _inside(token: str, text: str) -> bool:
        """Is the word in ``text``, whole or (a compound such as 「街道社区」) as two parts of two
        characters or more that each are?"""
        if len(token) < 2 or not text:
            return False
        if token in text:
            return True
        return any(
            token[:cut] in text and token[cut:] in text for cut in range(COMPOUND_PART, len(token) - 1)
        )

    def passages(
        self,
        tokens: list[str],
        cues: Sequence[str] = (),
        district: str | None = None,
        wants_number: bool = False,
        unit: str = "",
        within: int | None = None,
    ) -> PassageHit | None:
        """Best 1–3 sentence window for a question's tokens; ``cues`` favour sentences that hold
        what is asked (a number for 「多少」), not counting the question's own words.  ``unit`` is
        the measure word of an asked count (「多少次」: 次): the answer's unit, not its topic, so it
        neither picks the sentence (「督查27次」 for 「志愿服务120余次」) nor counts as missing.
        ``within``: only the sentences of that passage (by its index), for a follow-up about it."""
        counted = None
        if unit and len(tokens) > 1:
            tokens = [t for t in tokens if t != unit] or tokens
            counted = _counted(unit)
        if not tokens:
            return None
        asked = sorted(set(tokens), key=len, reverse=True)
        # Places are matched by the section context; the sentence must match what is asked.
        named = self._named_places(tokens)
        focus = [t for i, t in enumerate(tokens) if t not in self._places_words and i not in named] or tokens
        # 「追回来」 is found in the sentences as the knowledge's 追回 (see stem).
        focus = [self.stem(t) or t for t in focus]
        sentence_hits = self.sentence_index.top_k(focus, 40)
        context_hits = self.context_index.top_k(tokens, 8)
        context_score = {h.doc: h.score for h in context_hits}
        candidates = {h.doc for h in sentence_hits}
        for hit in context_hits[:3]:
            start = self._first_sentence.get(hit.doc)
            if start is None:
                continue
            count = len(self.knowledge.passages[hit.doc].sentences)
            candidates.update(range(start, start + count))
        if district and district in self._source_districts:
            # A question that names its district is answered from that district's articles only.
            in_district = {
                h.doc for h in self.context_index.top_k(tokens, 40) if self._district_of(h.doc) == district
            }
            candidates = {c for c in candidates if self._district_of(self.sentences[c].passage) == district}
            for doc in sorted(in_district, key=lambda d: -context_score.get(d, 0.0))[:3]:
                start = self._first_sentence[doc]
                candidates.update(range(start, start + len(self.knowledge.passages[doc].sentences)))
        if within is not None:
            start = self._first_sentence.get(within)
            if start is None:
                return None
            candidates = set(range(start, start + len(self.knowledge.passages[within].sentences)))
        if not candidates:
            return None
        ordered = sorted(candidates)
        sentence_scores = dict(zip(ordered, self.sentence_index.scores_for(focus, ordered), strict=True))
        missing = sorted({self.sentences[c].passage for c in ordered} - context_score.keys())
        if missing:
            context_score.update(zip(missing, self.context_index.scores_for(tokens, missing), strict=True))
        top_sentence = max(sentence_scores.values()) or 1.0
        scored: list[tuple[float, int]] = []
        for number in ordered:
            ref = self.sentences[number]
            passage = self.knowledge.passages[ref.passage]
            score = sentence_scores[number] + _CONTEXT_WEIGHT * context_score.get(ref.passage, 0.0)
            # A short caption that shares two words must not beat the sentence that answers.
            score *= 0.5 + self.coverage(focus, self._sentence_sets[number])
            sentence = passage.sentences[ref.sentence]
            if counted is not None or cues:
                said = self._without(sentence, asked)
                if counted is not None:  # 「多少次」: a number of that unit (120余次), not any number
                    answers, judged = counted.search(said) is not None, True
                else:  # 「多少」 wants a number the question did not already say
                    answers = any(cue in said for cue in cues)
                    judged = answers or wants_number
                if judged:
                    score = score + ANSWER_BONUS * top_sentence if answers else score * UNANSWERED_FACTOR
            scored.append((score, number))
        best_score, best = min(scored, key=lambda pair: (-pair[0], pair[1]))
        lead = self._headline_lead(best, focus) if within is None else None
        best = best if lead is None else lead
        ref = self.sentences[best]
        passage = self.knowledge.passages[ref.passage]
        first, last = self.window(passage, ref.sentence, summary=lead is not None)
        coverage = self.coverage(tokens, self._context_sets[ref.passage], self._context_text[ref.passage])
        return PassageHit(passage, first, last, best_score, coverage, self._context_sets[ref.passage])

    def _named_places(self, tokens: list[str]) -> set[int]:
        """The positions of words that together say a place's name without its kind (「航海东路」 as 航海
        东路): like the place word itself, they are matched by the section, not by the sentence."""
        named: set[int] = set()
        for i in range(len(tokens)):
            for j in range(i + 2, min(len(tokens), i + 4) + 1):
                if "".join(tokens[i:j]) in self._place_names:
                    named.update(range(i, j))
        return named

    def holds_asked(self, text: str, tokens: list[str], cues: Sequence[str], unit: str = "") -> bool:
        """Does ``text`` hold what a question asks, beyond the question's own words: a number of the
        asked ``unit`` (「多少次」: 53次), else one of its answer ``cues``?  False when it asks neither."""
        said = self._without(text, sorted(set(tokens) - {unit}, key=len, reverse=True))
        if unit:
            return _counted(unit).search(said) is not None
        return any(cue in said for cue in cues)

    @staticmethod
    def _without(sentence: str, words: list[str]) -> str:
        for word in words:
            sentence = sentence.replace(word, " ")
        return sentence

    def _district_of(self, passage: int) -> str:
        return self.knowledge.sources[self.knowledge.passages[passage].source].district

    def _headline_lead(self, best: int, focus: list[str]) -> int | None:
        """The article's first sentence, when the question's topic is its headline's and ``best``
        lacks some of it: the question asks what the article is about as a whole (「航展今年有啥新
        变化」), which its lead sums up, not one section that happens to share a word."""
        source = self.knowledge.passages[self.sentences[best].passage].source
        topic = {t for t in focus if not self.says_little(t)}
        title = topic & self._title_sets[source]
        if (
            len(title) < 2
            or sum(self.weight(t) for t in title) < HEADLINE_SHARE * sum(self.weight(t) for t in topic)
            or title <= self._sentence_sets[best]
        ):
            return None
        return self._lead.get(source)

    @staticmethod
    def window(passage: Passage, index: int, summary: bool = False) -> tuple[int, int]:
        """Grow a window around the best sentence while it stays short enough to read on a phone; a
        ``summary`` (an article's lead) grows to the target length, short sentences or not."""
        sentences = passage.sentences
        first = last = index
        length = len(sentences[index])
        # A short lead sentence ("“小板凳恳谈会”做实民生文章。") needs the one that explains it.
        while last + 1 < len(sentences) and (summary or last - first < 2):
            following = len(sentences[last + 1])
            if length >= _TARGET_CHARS or length + following > MAX_WINDOW_CHARS:
                break
            if length >= _SHORT_SENTENCE and last > first and not summary:
                break
            length += following
            last += 1
            if length >= _SHORT_SENTENCE * 2:
                break
        return first, last

    # -- services ---------------------------------------------------------------------------------

    def services(self, tokens: list[str], district: str | None = None) -> ServiceHit | None:
        """The best service record; one in the district the question names, when there is one."""
        hits = self.service_hits(tokens, district, 1)
        return hits[0] if hits else None

    def service_hits(self, tokens: list[str], district: str | None = None, k: int = 3) -> list[ServiceHit]:
        """The ``k`` best service records by how much of the question each one covers."""
        hits = self.service_index.top_k(tokens, len(self.service_docs))
        if district and any(s.district == district for s in self.knowledge.services):
            hits = [h for h in hits if self.knowledge.services[h.doc].district == district]
        found = [
            ServiceHit(
                self.knowledge.services[h.doc],
                h.score,
                self.coverage(tokens, set(self.service_docs[h.doc]), self._service_text[h.doc]),
            )
            for h in hits
        ]
        return found[:k]

    def sections(self, tokens: list[str], k: int = 3) -> list[tuple[Passage, float]]:
        """The ``k`` article paragraphs whose section context covers most of the question."""
        out: list[tuple[Passage, float]] = []
        seen: set[tuple[str, str]] = set()
        for hit in self.context_index.top_k(tokens, 4 * k):
            passage = self.knowledge.passages[hit.doc]
            if (passage.source, passage.section) in seen:
                continue
            seen.add((passage.source, passage.section))
            out.append(
                (passage, self.coverage(tokens, self._context_sets[hit.doc], self._context_text[hit.doc]))
            )
        out.sort(key=lambda pair: -pair[1])
        return out[:k]

    # -- events -----------------------------------------------------------------------------------

    def is_place(self, text: str) -> bool:
        """Is ``text`` part of a place or organiser name in the event table?"""
        return text in self._places

    def places_in(self, text: str) -> list[str]:
        """Place or organiser names of the event table said in the question, longest first."""
        found: list[str] = []
        i = 0
        while i < len(text):
            for j in range(min(len(text), i + 24), i + 2, -1):
                if text[i:j] in self._places:
                    found.append(text[i:j])
                    i = j - 1
                    break
            i += 1
        return found

    def events(
        self,
        activity: list[str],
        ranges: Sequence[tuple[date, date]] = (),
        places: Sequence[str] = (),
        district: str | None = None,
        topics: Sequence[str] = (),
        any_activity: bool = False,
    ) -> list[Event]:
        """Events matching every filter given. ``topics`` (festival words) widen the date filter:
        an event on the day *or* about the festival matches."""
        out: list[Event] = []
        activity_areas = [(t, _area(t)) for t in activity]
        place_areas = [(p, _area(p)) for p in places]
        for event, tokens, kinds in zip(
            self.knowledge.events, self.event_tokens, self._event_kinds, strict=True
        ):
            if activity and not (any if any_activity else all)(
                t in tokens or (area is not None and area in event.place) for t, area in activity_areas
            ):
                continue
            if (
                topics
                and kinds
                and not any(t in tokens for t in topics)
                and any(t in kinds for t in activity)
            ):
                # 「元宵晚会」: a row only a kind of the activity (a 春晚), on the festival's day but not
                # about it, is two steps from the question; one that says the festival is not.
                continue
            if places and not all(
                p in event.place or p in event.organiser or (area is not None and area in event.place)
                for p, area in place_areas
            ):
                continue
            if district and event.district != district:
                continue
            if ranges or topics:
                on_day = any(event.start <= hi and lo <= event.end for lo, hi in ranges)
                about = any(t in tokens for t in topics)
                if not (on_day or about):
                    continue
            out.append(event)
        out.sort(key=lambda e: (e.start, e.number))
        return out


def _kinds_of(tokens: frozenset[str], tokenizer: Tokenizer) -> frozenset[str]:
    """The broader words the lexicon's `kinds` give a row's words: a 春晚 is a 晚会 too."""
    return frozenset(
        tokenizer.canonical(word)
        for word, narrower in tokenizer.lexicon.kinds.items()
        if any(tokenizer.canonical(n) in tokens for n in narrower)
    )


# A street office is named for its area (矿山办, 工业路街道): what is held at a place of that name is
# held in its area, whoever organised it.
_OFFICE = ("街道办事处", "办事处", "街道办", "街道", "办")


def _area(place: str) -> str | None:
    """The area a street office is named for (矿山办 → 矿山), or None when ``place`` names no office:
    an event held at a place containing it is in that office's area."""
    for suffix in _OFFICE:
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return None


def _substrings(texts: list[str], shortest: int = 3, longest: int = 24) -> frozenset[str]:
    grams: set[str] = set()
    for text in texts:
        for part in text.split():
            for i in range(len(part)):
                for j in range(i + shortest, min(len(part), i + longest) + 1):
                    grams.add(part[i:j])
    return frozenset(grams)
