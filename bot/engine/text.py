"""Text handling shared by ingest, indexing and questions: normalise, split sentences, tokenise.

Everything that is vocabulary (the jieba user dictionary, synonyms, stop words) comes from
the lexicon files in ``knowledge/lexicon``; this module only applies them.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import opencc

from bot.engine.dictionary import Frequencies, WordCounts, jieba, jieba_frequencies
from bot.engine.memo import remembered

# Chinese counting, grammar the code must know: the numerals (beside digits) and the measure words
# that say what a number counts (「多少次」, 「几支」, 「120余次」).
NUMERALS = "〇零一二三四五六七八九十两"
MEASURE_WORDS = "次个支家场项条架位名期所座台辆间户件批届轮遍回天人"
# Aspect particles (开了, 住着, 看过) and the little amounts a verb takes (开个, 干点, 看下, 去趟): with them
# a verb of one character is still one verb, however jieba's dictionary glues it (「开了个」, 「干点」).
ASPECT = "着了过"
VERB_AMOUNTS = "个点些下趟"
# The words that end a place's name and say its kind (grammar of Chinese place names, not knowledge).
PLACE_KINDS = ("街道", "社区", "村", "镇", "小区")

_T2S = opencc.OpenCC("t2s")
_T2S_LOCK = threading.Lock()

# Sentence ends: Chinese and Western terminal punctuation, optionally followed by closing quotes.
_SENTENCE_END = re.compile(r"(?<=[。!?;!?;])(?![”’」』))])|(?<=[。!?!?][”’」』)])")
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
# Zero-width characters join or split nothing a reader sees: 「写\u200b春联」 is 「写春联」, so they are
# deleted, while other control characters still become spaces.
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
# A short English word written in capitals (「GDP」, 「ATM」): an acronym, the name of a thing, which a
# question's tokens keep in capitals so that its weight can tell it from a plain short word (「old」).
ACRONYM_LETTERS = (2, 3)
_ACRONYM = re.compile(rf"(?<![A-Za-z])[A-Z]{{{ACRONYM_LETTERS[0]},{ACRONYM_LETTERS[1]}}}(?![A-Za-z])")

logging.getLogger("jieba").setLevel(logging.WARNING)
jieba.setLogLevel(logging.WARNING)


def normalise(text: str, limit: int | None = None) -> str:
    """Fold what residents type into one form: NFKC (full-width → half-width), traditional →
    simplified, no control or bidi characters, single spaces.  ``limit`` bounds the work on giant
    messages."""
    if limit is not None and len(text) > limit:
        text = text[:limit]
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub(" ", text)
    with _T2S_LOCK:  # the reimplemented OpenCC keeps state while converting
        text = _T2S.convert(text)
    return _SPACES.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Cut a paragraph into sentences, keeping closing quotes with the sentence they close."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]


def has_word(text: str) -> bool:
    """True when the text holds at least one letter, digit or Chinese character."""
    return bool(_WORD.search(text))


@dataclass
class Lexicon:
    """The vocabulary an admin edits: dictionary words, synonym concepts and stop words."""

    words: list[tuple[str, int | None, str | None]] = field(default_factory=list)
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    kinds: dict[str, list[str]] = field(default_factory=dict)  # a broader word → the narrower ones

    def canonical_map(self) -> dict[str, str]:
        """Every variant (and the concept itself) → the concept's canonical token."""
        mapping: dict[str, str] = {}
        for concept, variants in self.synonyms.items():
            for variant in [concept, *variants]:
                mapping[normalise(variant).lower()] = concept
        return mapping


@dataclass
class TokenMemo:
    """Index tokens by text: ``known`` from earlier builds, ``used`` by this one, ``added`` newly cut."""

    known: dict[str, list[str]] = field(default_factory=dict)
    used: dict[str, list[str]] = field(default_factory=dict)
    added: int = 0


class Tokenizer:
    """jieba with the project's user dictionary, mapping synonyms onto one canonical token.

    Each Tokenizer owns its own ``jieba.Tokenizer`` (the shared base dictionary under its own user
    words) so a reload with a new dictionary never changes how a running index was built.

    ``index_memo`` lets a build reuse the index tokens of texts an earlier build with the same lexicon
    and dictionary already cut (the snapshot cache fills it, and saves it after the build)."""

    def __init__(self, lexicon: Lexicon, dictionary: Frequencies | None = None) -> None:
        self.lexicon = lexicon
        if dictionary is None:
            from bot.engine.snapshot import resolve_cache_dir

            dictionary = jieba_frequencies(resolve_cache_dir())
        self._jieba = jieba.Tokenizer()
        self._jieba.FREQ, self._jieba.total = WordCounts(dictionary), dictionary.total
        self._jieba.initialized = True
        self.index_memo: TokenMemo | None = None
        self._canonical = lexicon.canonical_map()
        for word, freq, tag in lexicon.words:
            self._jieba.add_word(word, freq, tag)
        # Chinese variants must survive segmentation; multi-word English ones are replaced whole.
        for variant in self._canonical:
            if not variant.isascii():
                self._jieba.add_word(variant)
        # Dictionary words tagged as places or organisations (ns, nt): what a question is about,
        # rather than what it asks.
        self.place_words = frozenset(word for word, _, tag in lexicon.words if tag in ("ns", "nt"))
        self._phrases = sorted((v for v in self._canonical if " " in v), key=len, reverse=True)
        self._lock = threading.Lock()

    def tokens(self, text: str, keep_stopwords: bool = False, for_index: bool = False) -> list[str]:
        """Normalised, canonical tokens of ``text``: no punctuation, English lower-cased, except (not
        ``for_index``) a short word written in capitals that no synonym or stop word folds: 「GDP」.

        ``for_index`` also yields the words inside compounds (专家教授 → 专家, 教授, 专家教授), as
        jieba's search mode does, so a question's plain word finds a document's compound."""
        memo = self.index_memo if for_index and not keep_stopwords else None
        if memo is None:
            return list(self._cut_tokens(text, keep_stopwords, for_index))
        tokens = memo.used.get(text)
        if tokens is None:
            tokens = memo.known.get(text)
            if tokens is None:
                tokens = self._tokens(text, keep_stopwords, for_index)
                memo.added += 1
            memo.used[text] = tokens
        return list(tokens)

    @remembered
    def _cut_tokens(self, text: str, keep_stopwords: bool, for_index: bool) -> tuple[str, ...]:
        return tuple(self._tokens(text, keep_stopwords, for_index))

    def _tokens(self, text: str, keep_stopwords: bool, for_index: bool) -> list[str]:
        text = normalise(text)
        acronyms = frozenset() if for_index else frozenset(_ACRONYM.findall(text))
        text = text.lower()
        for phrase in self._phrases:
            if phrase in text:
                text = text.replace(phrase, f" {self._canonical[phrase]} ")
        with self._lock:
            raw = self._jieba.lcut_for_search(text) if for_index else self._jieba.lcut(text)
        out: list[str] = []
        for token in raw:
            token = token.strip()
            if not token or not has_word(token) or (len(token) == 1 and token.isascii()):
                continue
            if len(token) > 1 and token.endswith("了") and token not in self._canonical:
                token = token[:-1]  # 「建了」: the particle says nothing, and a bare verb little
                if len(token) == 1 and not for_index:
                    continue
            if (
                acronyms
                and token.upper() in acronyms
                and token not in self._canonical
                and token not in self.lexicon.stopwords
            ):
                out.append(token.upper())
                continue
            token = self._canonical.get(token, token)
            if not keep_stopwords and (
                token in self.lexicon.stopwords or only_stopwords(token, self.lexicon.stopwords)
            ):
                continue
            out.append(token)
        return out

    def words(self, text: str) -> list[str]:
        """jieba's plain cut of ``text``, nothing folded or dropped (for offsets into the text)."""
        return list(self._cut_words(text))

    @remembered
    def _cut_words(self, text: str) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._jieba.lcut(text))

    @remembered
    def rarity(self, token: str) -> float:
        """How rare a word is in everyday Chinese (jieba's dictionary counts), from 0 to 1: 「有人」
        says little, a word jieba has never seen says the most."""
        total = self._jieba.total or 1
        return math.log((total + 1) / (self._jieba.FREQ.get(token, 0) + 1)) / math.log(total + 1)

    def canonical(self, token: str) -> str:
        return self._canonical.get(token, token)


def one_verb(word: str) -> bool:
    """Is ``word`` one character said twice (学学, 转转) or with an aspect particle and a little amount
    (开了个, 住着, 干点): jieba keeps such phrases as words, yet they say no more than the verb."""
    if len(word) < 2 or not all("\u4e00" <= c <= "\u9fff" for c in word):
        return False
    if len(word) == 2 and word[0] == word[1]:
        return True
    rest = word[1:].lstrip(ASPECT)
    return rest != word[1:] and len(rest) <= 1 and all(c in VERB_AMOUNTS for c in rest)


def verb_and_amount(word: str) -> bool:
    """「干点」, 「看下」: a character and a little amount; a word too (景点, 重点), unless it is rare."""
    return len(word) == 2 and "\u4e00" <= word[0] <= "\u9fff" and word[1] in VERB_AMOUNTS


@functools.lru_cache(maxsize=65536)
def only_stopwords(token: str, stopwords: frozenset[str]) -> bool:
    """「哪办」, 「哪些地方」, 「这里」: jieba's word made of stop words only carries no topic either."""
    if len(token) < 2 or token.isascii():
        return False
    ends = {0}
    for end in range(1, len(token) + 1):
        if any(start in ends and token[start:end] in stopwords for start in range(end)):
            ends.add(end)
    return len(token) in ends
