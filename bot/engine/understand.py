"""Understand: turn what a resident typed into the plain question the knowledge can be searched with.

English key terms → Chinese (glossary), Henan and chat words → plain words (dialect), fillers and
yes/no tails dropped, words that sound like a knowledge word but are not one repaired by pinyin
(「心里咨询」 → 心理咨询), and clauses that name nothing the knowledge knows left out
(「…,俺娘可爱看」).  All the words are data in knowledge/lexicon/; this module only applies them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.data.knowledge import Speech
from bot.engine.dates import LUNAR_WORDS, chinese_days, festival_relations, relations_pattern
from bot.engine.sounds import Readings, sound
from bot.engine.text import MEASURE_WORDS, NUMERALS, PLACE_KINDS, Tokenizer
from bot.engine.thresholds import (
    PINYIN_MIN_LETTERS,
    REPAIR_MAX_CHARS,
    REPAIR_MIN_CHARS,
    REPAIR_MIN_RARITY,
    SAID_CHAR_RARITY,
    SAID_REPAIR_MIN_RARITY,
)

_CLAUSE = re.compile(r"[,，。!！?？;；、~～]+\s*|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_CLAUSE_KEEP = re.compile(f"({_CLAUSE.pattern})")  # split, breaks kept
_CJK = re.compile(r"[\u4e00-\u9fff]+")
# The kept clauses are joined by a comma, so later stages can still tell the resident's story
# (「放假了孩子天天在家玩手机」) from the question (「社区有没有让小孩去活动的地方」).
CLAUSE_JOIN = ","
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_LATIN_RUN = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’]s)?")
# English endings and how to undo them, longest first: a plural, a possessive, -ing and -ed (with the
# e they drop and the consonant they double), so that 「riddles」, 「renovating」, 「neighbour's」 find the
# glossary's 「riddle」, 「renovate」, 「neighbour」 and 「helped」 is the stop word 「help」.
_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("'s", ("",)),
    ("’s", ("",)),
    ("ies", ("y",)),
    ("ied", ("y",)),
    ("ing", ("", "e", "-")),
    ("es", ("", "e")),
    ("ed", ("", "e", "-")),
    ("s", ("",)),
)
_BREAK = r"(?=[,，。!！?？;；、~～\s]|$)"
# Aspect particles: the character before one is a verb (喝着, 看了, 去过).
_ASPECT = "着了过"
# A clause that asks for an amount (「…,发了多少人」), a time (几点), a day (几号) or an age (几岁) stays with
# the question even when it names no topic: the value it asks for decides which sentence answers.
ASKS = re.compile(rf"多少|几[{MEASURE_WORDS}点号岁]|什么|哪|怎么|谁")
# ...but not when it is negated: 「没什么了」, 「不怎么样」 ask nothing.
_ASKS_ANYTHING = re.compile(rf"(?<![没不])(?:{ASKS.pattern})")


# 「有没有」, 「能不能」, 「管不管」: a verb, its negation and the verb again ask yes or no (Chinese grammar).
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")
_QUESTION_MARK = re.compile(r"[?？]")


def asks(text: str) -> bool:
    """Does the text hold a question word (「什么」, 「哪」, 「谁」, 「几号」), not negated (「没什么」)?"""
    return _ASKS_ANYTHING.search(text) is not None


# A day or month written in Chinese numerals (「一月十四号」, 「正月十五」, 「廿三」 with 日/号): a date, as a
# digit is.  Grammar of Chinese dates, not knowledge.
_WORDED_DATE = re.compile(rf"[{NUMERALS}廿卅]+[月日号]|[正腊冬]月[初{NUMERALS}廿卅]")
# A month and its day, in digits or Chinese numerals (「1月19日」, 「二月七号」, 「正月十六」,
# 「腊月二十五」), and the characters that write one.  Grammar of Chinese dates, not knowledge.
_MONTH_DAY = re.compile(
    rf"(?P<month>\d+|[{NUMERALS}]+|[正腊冬])月(?:初[{NUMERALS}]|\d+|[{NUMERALS}]+)[日号]?"
)
_DATE_CHARS = "一二三四五六七八九十月日号初"
# The words that end a place's name and say what kind of place it is (工业路|社区, 盛世|社区, 峡窝|村):
# the name before one is what foreign residents spell in pinyin.  Grammar of Chinese place names.
_PLACE_KINDS = (*PLACE_KINDS, "村委会", "居委会")


@dataclass(frozen=True)
class Understanding:
    """A question at each step: ``plain`` for small talk (「有人没有」 still says 有人没有), ``text``
    for searching, and the repairs made, so a reply can say what it understood."""

    original: str
    plain: str
    text: str
    repairs: tuple[tuple[str, str], ...] = ()
    refers_back: bool = False  # 「当天还有别的不」 is about the last list, not a request for its next page
    # The knowledge's words each need phrase was read as (「俺奶奶」 → 老人), less those the resident
    # said, one string per phrase: they search the articles; for the table see Brain.read.
    inferred: tuple[str, ...] = ()
    # For each clause of ``text``, whether it asks (a question word, a yes/no tail, 「有没有」, a question
    # mark) or only tells the resident's story (「男人没活干」, 「开了个小饭馆」); () when unknown.
    asking: tuple[bool, ...] = ()

    @property
    def clauses(self) -> list[str]:
        """The resident's clauses, every one (``text`` keeps only those that name something)."""
        return [c for c in _CLAUSE.split(self.plain) if c]

    @property
    def last_clause(self) -> str:
        clauses = self.clauses
        return clauses[-1] if clauses else self.plain

    @property
    def telling(self) -> list[str]:
        """The clauses of ``text`` that only tell the story, beside one that asks (「他们电话多少,俺想请来
        俺单位写」: the second says why, not what); none when no clause asks or the flags are unknown."""
        clauses = [c for c in _CLAUSE.split(self.text) if c]
        if len(clauses) != len(self.asking) or not any(self.asking):
            return []
        return [c for c, asks in zip(clauses, self.asking, strict=True) if not asks]


class Understander:
    """Applies one knowledge version's speech data; immutable once built."""

    def __init__(
        self,
        speech: Speech,
        tokenizer: Tokenizer,
        vocabulary: frozenset[str],
        generic: frozenset[str],
        written: str = "",
        known_sounds: Mapping[str, str] | None = None,
        readings: Readings | None = None,
        table_places: Sequence[str] = (),
        days: Sequence[str] = (),
    ) -> None:
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary  # every word the knowledge uses, canonical and as written
        self.generic = generic  # words that say "event" or "where": no topic of their own
        # An English word the synonyms already fold (「spring couplets」) is left to them.
        folded = tokenizer.lexicon.canonical_map()
        self._glossary_terms = [
            (en, zh)
            for en, zh in sorted(speech.glossary, key=lambda pair: -len(pair[0]))
            if en.lower() not in folded
        ]
        self._glossary: list[tuple[re.Pattern[str], str]] | None = None  # compiled on the first English
        self._relations: re.Pattern[str] | None = None  # 「around 元宵节」, compiled on the first English
        self._glossary_words = {en.lower(): zh for en, zh in self._glossary_terms if " " not in en}
        # ...and the synonyms' English words (「scam」 → 诈骗), so that their inflections (「scamming」) fold
        # too.
        for variant, concept in folded.items():
            if variant.isascii() and variant.isalpha() and _CJK.fullmatch(concept):
                self._glossary_words.setdefault(variant.lower(), concept)
        # ...yet written in Chinese in the text as well (「drones」 → 无人机): the tokens fold it either
        # way, but the article's characters are what the character-bigram retrieval finds.
        self._glossary_terms += sorted(
            (
                (variant, concept)
                for variant, concept in folded.items()
                if variant.isascii() and any(c.isalpha() for c in variant) and _CJK.fullmatch(concept)
            ),
            key=lambda pair: -len(pair[0]),
        )
        self._english_stop = frozenset(w for w in tokenizer.lexicon.stopwords if w.isascii())
        self._same_day = speech.same_day
        # Who asks and whom they address (colloquial.yaml `askers`, `asking`, `linking`): see _who_asks.
        self._askers = frozenset(speech.askers)
        self._asking = frozenset(speech.asking)
        self.who_words = self._askers | self._asking | frozenset(speech.linking)
        self._ending_words = frozenset(speech.endings)
        # Festival names and period words (「过年」, 「元宵」): a clause naming one says when, which the
        # event table's answer depends on (「想带孩子去玩点游戏,过年哪儿有」), though no article uses it.
        self._days = tuple(d.lower() for d in days if d)
        # The Chinese words of a day (festivals, periods, 「当天」, 「正月」, 「初三」) are repaired by sound
        # like the knowledge's words: the dates they say decide the table's answer, though no text of
        # the knowledge writes them so.
        self._day_words = frozenset(
            w
            for w in (*self._days, *speech.same_day, *LUNAR_WORDS)
            if REPAIR_MIN_CHARS <= len(w) <= REPAIR_MAX_CHARS and _CJK.fullmatch(w)
        )
        # Topics the knowledge is known not to cover (身份证, 公积金): a clause naming one is no story
        # around the question, it is the question, and it must stay for the question to fall back.
        self._elsewhere = tuple(w.lower() for w in (*speech.elsewhere, *speech.elsewhere_places))
        self._dialect = sorted(speech.dialect, key=lambda pair: -len(pair[0]))
        # A dialect particle means one thing inside a clause (「唱戏嘞」: 的) and another at its end
        # (「那十七号嘞」: 呢, which makes a follow-up); the end is read first.
        self._particles = dict(speech.particles)
        self._final_particles = (
            re.compile(
                "(?<=.)(?:" + "|".join(map(re.escape, sorted(self._particles, key=len, reverse=True))) + ")"
                r"(?=[,，。!！?？;；~～\s]|$)"
            )
            if self._particles
            else None
        )
        # A need word the knowledge itself uses (「矛盾」, 「主题党日」: ``written`` is all its text) is
        # already found as it is: left alone.
        self._needs = {
            said: words for said, words in speech.needs if said not in vocabulary and said not in written
        }
        # The knowledge's texts one a line (a passage, an event, a service): a repair must make sense
        # beside the question's other words (see _fits).
        self._texts = tuple(line for line in written.split("\n") if line)
        variants: dict[str, set[str]] = {}
        for variant, concept in tokenizer.lexicon.canonical_map().items():
            if _CJK.fullmatch(variant):
                variants.setdefault(concept, {concept}).add(variant)
        self._variants = {concept: frozenset(ways) for concept, ways in variants.items()}
        saids = sorted(self._needs, key=len, reverse=True)
        self._need_words = re.compile("|".join(map(re.escape, saids))) if saids else None
        # A word of how much or how often may stand inside a phrase (「心情老是不好」 is 心情不好): see
        # _without_degree.
        degree = "|".join(map(re.escape, sorted(speech.degree, key=len, reverse=True)))
        self._degree = re.compile(degree) if degree else None
        self._need_reach = max(map(len, saids), default=0)  # how far a phrase reaches past a degree word
        long_fillers = sorted((f for f in speech.fillers if len(f) > 1), key=len, reverse=True)
        self._long_fillers = long_fillers
        short = "".join(re.escape(f) for f in speech.fillers if len(f) == 1)
        self._short_fillers = re.compile(rf"[{short}]+{_BREAK}") if short else None
        endings = sorted(speech.endings, key=len, reverse=True)
        self._endings = (
            re.compile("(?<=.)(?:" + "|".join(map(re.escape, endings)) + r")(?=[,，。!！?？;；~～\s]*$)")
            if endings
            else None
        )
        stop = tokenizer.lexicon.stopwords
        known = known_sounds or {}
        self.sounds: dict[str, str] = {}  # pinyin of the repairable words, kept by the snapshot cache
        by_sound: dict[str, set[str]] = {}
        for word in vocabulary:
            if (
                REPAIR_MIN_CHARS <= len(word) <= REPAIR_MAX_CHARS
                and _CJK.fullmatch(word)
                and word not in stop
            ):
                said = self.sounds[word] = known.get(word) or sound(word)
                by_sound.setdefault(said, set()).add(word)
        for word in self._day_words - vocabulary:
            said = self.sounds[word] = known.get(word) or sound(word)
            by_sound.setdefault(said, set()).add(word)
        # Words of one sound that are one concept (灯谜 and its variant 灯迷) are no ambiguity; nor are
        # words that all say a day (元宵 and 元霄, two names of one festival): the dates read either.
        self._by_sound = {
            said: min(words, key=lambda w: (w not in vocabulary, tokenizer.canonical(w) != w, w))
            for said, words in by_sound.items()
            if len({tokenizer.canonical(w) for w in words}) == 1 or words <= self._day_words
        }
        # Words residents say that no text of the knowledge writes, each with what the lexicon reads it
        # as: need phrases (「老头」 → 老人), dialect words (「对子」 → 对联) and the words that only shape a
        # question (「安排」, 「什么」: themselves; only those everyday Chinese has as words, not the
        # lexicon's phrases such as 「多少场」).  A typo of one (「老投」, 「安派」, 「什嚜」) is repaired to
        # what it is read as, where no word of the knowledge has its sound.
        self._said_reads: dict[str, str] = {}
        for word, reads in (
            *((w, w) for w in stop if tokenizer.rarity(w) < SAID_REPAIR_MIN_RARITY),
            *speech.dialect,
            *((w, " ".join(reads.split())) for w, reads in self._needs.items()),
        ):
            if REPAIR_MIN_CHARS <= len(word) <= REPAIR_MAX_CHARS and _CJK.fullmatch(word):
                self._said_reads.setdefault(word, reads)
        said_by_sound: dict[str, set[str]] = {}
        for word in self._said_reads:
            said = self.sounds[word] = known.get(word) or sound(word)
            if said not in by_sound:
                said_by_sound.setdefault(said, set()).add(word)
        for said, words in said_by_sound.items():
            if len({self._said_reads[w] for w in words}) == 1:
                self._by_sound[said] = min(words)
        # The same sounds spelled as one pinyin word (「Tonghang」, 「Shang Jie」): foreign residents
        # write the knowledge's place and activity names so.  A sound two words share is left alone,
        # unless exactly one of them is a place name.
        places = tokenizer.place_words
        self._by_spelling: dict[str, str] = {}
        for said, words in by_sound.items():
            spelling = said.replace(" ", "")
            named = [w for w in words if w in places] if len(words) > 1 else list(words)
            if len(spelling) >= PINYIN_MIN_LETTERS and len(named) == 1 and spelling.isascii():
                self._by_spelling[spelling] = named[0]
        # The names of the table's places before their kind (``table_places``: its place and organiser
        # names), spelled whole: jieba cuts 「工业路」 into 工业 路, and 盛世 shares its sound with
        # another word of the knowledge, yet 「Gongyelu」, 「Shengshi」 name one place each.
        spelled: dict[str, set[str]] = {}
        for place in table_places:
            cut = tokenizer.words(place)
            # A dictionary word that holds its kind (「蜜蜂张街道」, kept whole) is cut before it too.
            kind = next((k for k in _PLACE_KINDS if len(cut) == 1 and place.endswith(k) and place != k), "")
            cut = [place[: -len(kind)], kind] if kind else cut
            for i, word in enumerate(cut):
                if word not in _PLACE_KINDS:
                    continue
                for n in (1, 2):
                    name = "".join(cut[i - n : i]) if i >= n else ""
                    if not (REPAIR_MIN_CHARS <= len(name) <= REPAIR_MAX_CHARS and _CJK.fullmatch(name)):
                        continue
                    said = self.sounds[name] = self.sounds.get(name) or known.get(name) or sound(name)
                    spelling = said.replace(" ", "")
                    if len(spelling) >= PINYIN_MIN_LETTERS and spelling.isascii():
                        spelled.setdefault(spelling, set()).add(name)
        for spelling, names in spelled.items():
            if len(names) == 1 and spelling not in self._by_spelling:
                self._by_spelling[spelling] = next(iter(names))
        self._readings = readings or Readings(None)
        # Single characters that only shape a question (在, 的): a resident's input method types a
        # character of the same sound (「再哪」, 「在几号」 as 「再几号」) where no word is made.
        self._little_by_sound: dict[str, str] = {}
        little: dict[str, set[str]] = {}
        for word in stop:
            if len(word) == 1 and _CJK.fullmatch(word):
                said = self.sounds[word] = known.get(word) or sound(word)
                little.setdefault(said, set()).add(word)
        self._little_by_sound = {said: min(chars) for said, chars in little.items() if len(chars) == 1}
        # The characters of a date by sound: an input method's slip in one (「正月十流」, 「二月其号」,
        # 「1月19驲」) is told by the date the rest of it makes (see _date_slips).
        self._date_chars: dict[str, str] = {}
        for char in _DATE_CHARS:
            said = self.sounds[char] = known.get(char) or sound(char)
            self._date_chars.setdefault(said, char)
        # The first two characters of the stop phrases (在哪儿 → 在哪): where a slip can be told.
        self._phrase_starts = frozenset(w[:2] for w in stop if len(w) > 2 and _CJK.fullmatch(w))

    def understand(self, message: str) -> Understanding:
        text = message
        if any(c.isascii() and c.isalpha() for c in text):
            # English words put into Chinese side by side are one phrase (「Zhengzhou air show」 →
            # 郑州航展, as the articles write it), while the resident's own space between two Chinese
            # words still ends a clause.
            text = _CJK_SPACE.sub(CLAUSE_JOIN, text)
            text = chinese_days(text)
            if self._relations is None:
                self._relations = relations_pattern(self._days) or re.compile(r"(?!)")
            # Before the glossary, whose 「the day before」 would part it from the festival named after
            # it; after it too, for a festival the glossary wrote in Chinese.
            text = festival_relations(text, self._relations)
            if self._glossary is None:
                self._glossary = [
                    (re.compile(rf"\b{re.escape(en)}\b", re.IGNORECASE), zh)
                    for en, zh in self._glossary_terms
                ]
            for pattern, zh in self._glossary:
                text = pattern.sub(zh, text)
            text = festival_relations(text, self._relations)
            text = _LATIN_WORD.sub(self._folded, text)
            text = self._spelled(text)
            text = _CJK_SPACE.sub("", text)
        if self._final_particles is not None:
            text = self._final_particles.sub(lambda m: self._particles[m.group(0)], text)
        for word, plain in self._dialect:
            text = text.replace(word, plain)
        text = self._without_who_asks(self._without_degree(text))
        # Each clause the resident wrote asks or tells as a whole: the need phrases named in it stand
        # apart (「社区有人来劝和不」 → 社区有人来 矛盾纠纷 调解 不), and every piece keeps its clause's
        # yes/no tail.
        written = _CLAUSE_KEEP.split(text)
        inferred: list[str] = []
        out: list[str] = []
        asking: list[bool] = []
        for clause, brk in zip(written[::2], [*written[1::2], ""], strict=True):
            clause, named = self._name_needs(clause)
            inferred += named
            for filler in self._long_fillers:
                clause = clause.replace(filler, " ")
            if self._short_fillers is not None:
                clause = self._short_fillers.sub("", clause)
            pieces = [p for p in _CLAUSE.split(clause.strip()) if p]
            flag = _QUESTION_MARK.search(brk) is not None or self._asks(re.sub(r"\s+", "", clause))
            asking += [flag] * len(pieces)
            out += [clause, brk]
        plain = re.sub(r"\s+", " ", "".join(out)).strip()
        pieces = _CLAUSE_KEEP.split(plain)
        clauses = [c for c in pieces[::2] if c]
        if len(asking) != len(clauses):  # a break the fillers made or removed: each piece on its own
            breaks = [*pieces[1::2], ""]
            marked = {c for c, brk in zip(pieces[::2], breaks, strict=True) if _QUESTION_MARK.search(brk)}
            asking = [c in marked or self._asks(c) for c in clauses]
        if self._endings is not None:
            clauses = [self._endings.sub("", c) or c for c in clauses]
        repaired, repairs = self._repair(clauses)
        if self._endings is not None:  # a repaired tail asks yes or no too (「木又」 → 没有)
            repaired = [
                r if r == c else self._endings.sub("", r) or r for r, c in zip(repaired, clauses, strict=True)
            ]
        clauses = repaired
        if any(target in self._needs for _, target in repairs):
            # A need repaired (「尘图」 → 尘土 → 扬尘) stands apart as the need words do (_name_needs).
            inferred += [self._said_reads[target] for _, target in repairs if target in self._needs]
            split = [(p, a) for c, a in zip(clauses, asking, strict=True) for p in _CLAUSE.split(c.strip())]
            parts = [(p, a) for p, a in split if p]
            clauses, asking = [p for p, _ in parts], [a for _, a in parts]
        topical = [i for i, c in enumerate(clauses) if self._names_something(c) or ASKS.search(c)]
        chosen = topical if topical and len(topical) < len(clauses) else range(len(clauses))
        kept = [clauses[i] for i in chosen]
        refers = any(w in plain for w in self._same_day)
        said = message.lower()
        unsaid = (" ".join(w for w in words.split() if w.lower() not in said) for words in inferred)
        needs = tuple(words for words in unsaid if words)
        text = CLAUSE_JOIN.join(kept) or plain
        return Understanding(
            message, plain, text, tuple(repairs), refers, needs, tuple(asking[i] for i in chosen)
        )

    def _asks(self, clause: str) -> bool:
        """Does the clause ask (「能申请点补助不」, 「找谁」, 「有没有人管」), not tell (「男人没活干」)?"""
        ending = self._endings is not None and self._endings.search(clause) is not None
        return ending or asks(clause) or _A_NOT_A.search(clause) is not None

    def _without_who_asks(self, text: str) -> str:
        """Each clause less the words that only say who asks or whom the resident addresses: a head
        of such words holding a word of asking (「我妈让我问问」, 「我想打听个事儿」), and a tail from the
        one asked on (「…有哪些活动你给说说」).  A clause of nothing else is left out with its break.
        A tail needs the one asked (你, 您): 「哪里能问问」 keeps its verb; a need's words stay whole."""
        if not self._asking:
            return text
        parts = _CLAUSE_KEEP.split(text)
        out: list[str] = []
        called = ""  # a clause of people only (「闺女」): whom the next clause asks, if it asks
        for i in range(0, len(parts), 2):
            clause, brk = parts[i], parts[i + 1] if i + 1 < len(parts) else ""
            words = self.tokenizer.words(clause)
            parts_of = [self._who_parts(w) for w in words]
            if self._need_words is not None:
                # 「我想说说心里话」: 说说 begins a need that says more than who asks, and stays with it.
                starts = list(itertools.accumulate((len(w) for w in words), initial=0))
                for need in self._need_words.finditer(clause):
                    a, b = need.span()
                    inside = [k for k in range(len(words)) if a < starts[k + 1] and starts[k] < b]
                    if any(not parts_of[k] for k in inside):
                        for k in inside:
                            parts_of[k] = ()
            head = 0
            while head < len(words) and parts_of[head]:
                head += 1
            if not any(p in self._asking for parts in parts_of[:head] for p in parts):
                head = 0
            elif all(w in self._ending_words for w in words[head:]):
                head = len(words)  # 「知道不」: the yes/no tail of the asking is no clause of its own
            tail = len(words)
            while tail > head and parts_of[tail - 1]:
                tail -= 1
            run = parts_of[tail:]
            first = next((k for k, parts in enumerate(run) if parts[0] in self._askers), None)
            if first is not None and any(p in self._asking for parts in run[first:] for p in parts):
                tail += first
            else:
                tail = len(words)
            if head == 0 and called:
                out.append(called)
            called = ""
            if head == 0 and tail == len(words):
                if words and all(w in self._askers for w in words if w.strip()):
                    called = clause + brk
                else:
                    out.append(clause + brk)
            elif head < tail:
                out.append("".join(words[head:tail]) + brk)
        return "".join(out) + called

    def _who_parts(self, word: str) -> tuple[str, ...]:
        """The who-asks words a word of the question is (itself, or two that jieba glued: 「我查」),
        or () when it is something else."""
        if word in self.who_words:
            return (word,)
        for k in range(1, len(word)):
            if word[:k] in self.who_words and word[k:] in self.who_words:
                return (word[:k], word[k:])
        return ()

    def _folded(self, match: re.Match[str]) -> str:
        """An inflected English word the glossary or the stop words know in its plain form → that
        form's Chinese, or nothing for a stop word; any other word is left as it is."""
        word = match.group(0)
        lowered = word.lower()
        if lowered in self._english_stop or lowered in self._glossary_words:
            return word
        for ending, replacements in _ENDINGS:
            if not lowered.endswith(ending) or len(lowered) - len(ending) < 2:
                continue
            stem = lowered[: -len(ending)]
            for replacement in replacements:
                plain = stem[:-1] if replacement == "-" and len(stem) > 2 and stem[-1] == stem[-2] else stem
                plain = plain + replacement if replacement != "-" else plain
                if plain in self._glossary_words:
                    return f" {self._glossary_words[plain]} "
                if plain in self._english_stop:
                    return " "
        return word

    def _spelled(self, text: str) -> str:
        """Pinyin written as English (「Kangle community」, 「Shang Jie」) → the knowledge's word with
        that sound; two adjacent words are tried together first."""

        def chinese(match: re.Match[str]) -> str:
            words = match.group(0).split()
            out: list[str] = []
            i = 0
            while i < len(words):
                pair = "".join(words[i : i + 2]).lower() if i + 1 < len(words) else ""
                if pair in self._by_spelling:
                    out.append(self._by_spelling[pair])
                    i += 2
                    continue
                out.append(self._by_spelling.get(words[i].lower(), words[i]))
                i += 1
            return " ".join(out)

        return _LATIN_RUN.sub(chinese, text)

    def _name_needs(self, text: str) -> tuple[str, list[str]]:
        """Everyday words of a problem → the words the knowledge uses for it (「工钱」 → 欠薪 工资), and
        those words.  Longest first, each place of the text once: 「不给工钱」 is not also 「工钱」; two
        phrases that overlap (「从楼上扯」, 「扯根线」 in 「从楼上扯根线下来」) are one stretch, read as the
        words of both, so that no piece of either (「根线」) is left behind as a word of its own."""
        if self._need_words is None:
            return text, []
        spans: list[tuple[int, int, list[str]]] = []
        for start in range(len(text)):
            match = self._need_words.match(text, start)
            if match is None:
                continue
            end = match.end()
            if spans and end <= spans[-1][1]:
                continue  # inside a longer phrase found already
            read = self._needs[match.group(0)].split()
            if spans and start < spans[-1][1]:
                first, _, before = spans[-1]
                spans[-1] = (first, end, [*before, *(w for w in read if w not in before)])
            else:
                spans.append((start, end, read))
        named: list[str] = []
        out, at = [], 0
        for start, end, stretch in spans:
            joined = " ".join(stretch)
            named.append(joined)
            out.append(f"{text[at:start]} {joined} ")
            at = end
        out.append(text[at:])
        return "".join(out), named

    def _without_degree(self, text: str) -> str:
        """The text less each word of degree that stands inside a need phrase (「心情老是不好」 →
        心情不好): left out only where a phrase then runs across the place it stood, so 「特别」 in
        「特别想写春联」 stays.  Cheaper than a pattern with a gap between every two characters of every
        phrase, which took ~0.4 s to compile at start-up."""
        if self._degree is None or self._need_words is None:
            return text
        at = 0
        while (found := self._degree.search(text, at)) is not None:
            start, end = found.span()
            joined = text[:start] + text[end:]
            near = self._need_words.finditer(
                joined, max(0, start - self._need_reach), start + self._need_reach
            )
            if any(m.start() < start < m.end() for m in near):
                text, at = joined, start
            else:
                at = end
        return text

    def _names_something(self, clause: str) -> bool:
        """Does the clause name a topic or a date (a digit, a festival), not only feelings and fillers?
        The people asked and the words of asking (「麻烦您了」, 「你说呢」) name none."""
        lowered = clause.lower()
        if any(c.isdigit() for c in clause) or _WORDED_DATE.search(clause):
            return True
        if any(w in lowered for w in (*self._elsewhere, *self._days)):
            return True
        return any(
            t in self.vocabulary and t not in self.generic and t not in self._askers and t not in self._asking
            for t in self.tokenizer.tokens(clause)
        )

    def _bounds(self, piece: str) -> tuple[set[int], dict[int, int]]:
        """Offsets where jieba's words of ``piece`` begin or end; and offsets inside a word neither the
        knowledge nor everyday Chinese has, each with where that word ends: a typo makes jieba cut
        wrongly (「心里咨询室」 → 心里 咨询室, where 「心里咨询」 is the word to repair).  A window may
        end inside such a word, or start inside it and end by its end, never run on out of it
        (「室在」 is no word of 「心里咨询室在哪」)."""
        bounds, inside, at = {0}, {}, 0
        for word in self.tokenizer.words(piece):
            if (
                len(word) > 1
                and word not in self.vocabulary
                and self.tokenizer.rarity(word) >= REPAIR_MIN_RARITY
            ):
                for offset in range(at + 1, at + len(word)):
                    inside[offset] = at + len(word)
            at += len(word)
            bounds.add(at)
        return bounds, inside

    def _little_slips(self, piece: str) -> str:
        """A single character that joins no word with the next one and sounds like a character that
        only shapes a question (「再哪」: 再 is 在) is that character."""
        if not self._little_by_sound:
            return piece
        words = self.tokenizer.words(piece)
        stop = self.tokenizer.lexicon.stopwords
        for i, word in enumerate(words[:-1]):
            if len(word) != 1 or word in stop or words[i + 1][0] in _ASPECT:
                continue  # 「喝着」: a character an aspect particle follows is a verb, no slip of 和
            target = self._little_by_sound.get(self._readings.sound_of(word))
            if target is None or target == word:
                continue
            before = words[i - 1][-1:] if i else ""
            after = words[i + 1][:1]
            rarity = self.tokenizer.rarity
            # The character makes no word with either neighbour (「写对子」, 「坐一块」 are words), and
            # the character of its sound begins a question phrase with what follows (「再哪儿」 →
            # 在哪儿, a stop phrase); 「又不想跑」, 「商量事的」, 「这种事怎么办」 begin none.
            if rarity(word + words[i + 1]) < 1.0 or (before and rarity(before + word) < 1.0):
                continue
            if target + after in self._phrase_starts:
                words[i] = target
        return "".join(words)

    def _date_slips(self, clause: str, repairs: list[tuple[str, str]]) -> str:
        """A character that sounds like a numeral or a date's unit and, written as it, makes a month and
        its day with its neighbours (「以月十六号」 → 一月十六号, 「正月是四」 → 正月十四, 「1月19驲」 →
        1月19日) is that character.  It may end the date only as its unit or as a lunar day
        (「正月十流」): 「一月是不是」 is no 一月十; nor begin one that is a date without it."""
        if "月" not in clause:
            return clause
        for at, char in enumerate(clause):
            if char in _DATE_CHARS or not _CJK.fullmatch(char):
                continue
            written = self._date_chars.get(self._readings.sound_of(char))
            if written is None:
                continue
            candidate = clause[:at] + written + clause[at + 1 :]
            for match in _MONTH_DAY.finditer(candidate):
                if not match.start() <= at < match.end():
                    continue
                if at == match.end() - 1 and written not in "日号" and match["month"] not in "正腊冬":
                    continue
                if at == match.start() and _MONTH_DAY.match(clause, at + 1):
                    continue  # 「就是二月五号」: a date already, no 十二月
                repairs.append((char, written))
                clause = candidate
                break
        return clause

    def _said_slip(self, window: str, piece: str, at: int, bounds: set[int]) -> bool:
        """Can ``window`` (at ``at`` in ``piece``) be a slip in typing a word residents say (a need, a
        dialect or a question word)?  Those are everyday words, and so are many of their sound: the
        window must be no word of jieba's dictionary (「水管」 is no typo of 谁管), and the slip must show:
        a word of jieba's cut it touches is one jieba never saw (「老投」 of 老|投想, 「那田」 of 那田有),
        or it holds a character nobody writes alone (「什嚜」).  「不像」 (不|像, or 不像样), 「的紧」
        (的|紧巴) are everyday words side by side, no 不想 or 得劲."""
        rarity = self.tokenizer.rarity
        if rarity(window) < SAID_REPAIR_MIN_RARITY:
            return False
        cuts = sorted(b for b in bounds if b <= len(piece))
        touched = [piece[a:b] for a, b in itertools.pairwise(cuts) if a < at + len(window) and b > at]
        return any(len(w) > 1 and rarity(w) >= SAID_REPAIR_MIN_RARITY for w in touched) or any(
            rarity(char) >= SAID_CHAR_RARITY for char in window
        )

    def _word_and_particle(self, window: str, at: int, bounds: set[int]) -> bool:
        """Is ``window`` one of the knowledge's words of two characters or more, written right, and a
        single character that only shapes the question (是, 的, 在) which jieba cut on its own before or
        after it?  (「对自」 is no 对 beside the knowledge's character 自: it is 对子.)"""
        stop = self.tokenizer.lexicon.stopwords
        end = at + len(window)
        return (
            window[-1] in stop
            and end - 1 in bounds
            and len(window) > REPAIR_MIN_CHARS
            and window[:-1] in self.vocabulary
        ) or (
            window[0] in stop
            and at + 1 in bounds
            and len(window) > REPAIR_MIN_CHARS
            and window[1:] in self.vocabulary
        )

    def _fits(self, target: str, others_said: list[str], rest: str) -> bool:
        """A repair must make sense beside the question's other topic words: when the question names
        any (words of the knowledge, no place, no question or event word), one text of the knowledge
        must hold the repaired word with one of them.  「呛死人了」 beside 餐饮 is no 私人 (the knowledge
        says 私人 only of private planes); 「心里咨询室在哪」 names nothing else and is repaired."""
        if not self._texts or target in self._day_words:
            return True  # a day is no topic a text must hold beside the others: texts write dates in digits
        if target in self._said_reads:
            # A resident's own word is checked as the knowledge's words it is read as; a word that only
            # shapes a question (「安排」) names no topic to fit.
            reads = self._said_reads[target].split()
            return target in self.tokenizer.lexicon.stopwords or any(
                self._fits(word, others_said, rest) for word in reads if word not in self._said_reads
            )
        places = self.tokenizer.place_words
        others = {
            t
            for clause in (*others_said, rest)
            for t in self.tokenizer.tokens(clause)
            if len(t) > 1
            and t in self.vocabulary
            and t not in self.generic
            and t not in places
            and t != target
            and t not in target
            and target not in t
        }
        if not others:
            return True
        # The question's words are folded onto their concepts (「比赛」 for the row's 大赛): a text may say
        # any way of writing one.
        targets = self._written_as(target)
        written = [self._written_as(o) for o in others]
        return any(
            any(t in text for t in targets) and any(w in text for ways in written for w in ways)
            for text in self._texts
        )

    def _written_as(self, word: str) -> frozenset[str]:
        """The ways a text of the knowledge may write ``word``: itself and the Chinese variants of its
        concept (「比赛」: 大赛, 竞赛...)."""
        return self._variants.get(self.tokenizer.canonical(word), frozenset()) | {word}

    def _repair(self, clauses: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
        """A word not in the knowledge that sounds exactly like one word that is becomes that word.

        Only whole words of the question (jieba's cut: 「我妈可爱看」 has no word 「妈可」) and only
        words everyday Chinese rarely uses (「知道」 is no typo of 指导)."""
        repairs: list[tuple[str, str]] = []
        out = []
        stop = self.tokenizer.lexicon.stopwords
        for clause in clauses:
            clause = self._date_slips(clause, repairs)
            fixed = []
            for piece in re.split(r"([\u4e00-\u9fff]+)", clause):
                if not _CJK.fullmatch(piece or " "):
                    fixed.append(piece)
                    continue
                piece = self._little_slips(piece)
                bounds, inside = self._bounds(piece)
                i, chars = 0, []
                while i < len(piece):
                    step = 1
                    for n in range(min(REPAIR_MAX_CHARS, len(piece) - i), REPAIR_MIN_CHARS - 1, -1):
                        window = piece[i : i + n]
                        if (
                            window in self.vocabulary
                            or window in stop
                            or window in self._day_words
                            or window in self._said_reads
                        ):
                            chars.append(window)
                            step = n
                            break
                        if not (i in bounds and i + n in bounds):
                            # Inside a word: only a window that straddles one of jieba's cuts, the
                            # sign that the typo misled it (「公积」 of 公积金 is no typo), or that begins
                            # a word neither the knowledge nor everyday Chinese has (「那田」 of 那田有).
                            # A window straddling may start one character into such a word, which jieba
                            # glued onto the typo (「脱老」 of 有脱|老; not 「住人」 of 常住人口, nor
                            # 「大一」 of 郑大一, which end with the word).
                            glued = i in inside and i - 1 in bounds and i + n > inside[i]
                            starts = i in bounds or (i in inside and i + n <= inside[i]) or glued
                            ends = i + n in bounds or i + n in inside
                            straddles = any(b in bounds for b in range(i + 1, i + n))
                            begins_unknown = i in bounds and i + 1 in inside and i + n in inside
                            if not ((starts and ends and straddles) or begins_unknown):
                                continue
                        if self.tokenizer.rarity(window) < REPAIR_MIN_RARITY:
                            continue  # an everyday word is no typo; and no pinyin is needed for it
                        if all(char in stop for char in window):
                            continue  # 「能去的」: characters that each only shape a question, no 取得
                        if self._word_and_particle(window, i, bounds):
                            continue  # 「活动是」: the knowledge's 活动 written right, then 是; no 活动室
                        target = self._by_sound.get(self._readings.sound_of(window))
                        if target in self._said_reads and not self._said_slip(window, piece, i, bounds):
                            continue
                        if (
                            target is not None
                            and target != window
                            and self._fits(
                                target,
                                [c for c in clauses if c is not clause],
                                clause.replace(window, CLAUSE_JOIN, 1),
                            )
                        ):
                            read = self._said_reads.get(target, target)
                            chars.append(f" {read} " if target in self._needs else read)
                            repairs.append((window, target))
                            step = n
                            break
                    else:
                        chars.append(piece[i])
                    i += step
                fixed.append("".join(chars))
            out.append("".join(fixed))
        return out, repairs
