"""The intents an admin defines in ``intents/*.yaml``, and the rules that pick one.

The router only reads the message and the intent files; whether the knowledge can answer
is decided by the engine with the retrieval scores.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.data.records import Intent as Intent  # the record; engine code imports it from here
from bot.data.schema import KnowledgeError, check_intents
from bot.data.yamlio import Problem

_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# An English word counts as this many characters against an intent's max_length: 「谢谢」 is two
# characters, "thank you very much" four words, and both are as short as small talk gets.
LATIN_WORD_LENGTH = 2
# 「好几个」, 「十几天」, 「几十人」: 几 as an indefinite amount, not the question word 几个 / 几天.
_VAGUE_AMOUNT = re.compile(r"好几|十几|几十|几百|几千|几万")


def message_length(text: str) -> int:
    """Characters without punctuation, an English word counting LATIN_WORD_LENGTH."""
    bare = _PUNCTUATION.sub("", _LATIN_WORD.sub("", text))
    return len(bare) + LATIN_WORD_LENGTH * len(_LATIN_WORD.findall(text))


class Router:
    """Intents by kind, loaded and validated from one folder."""

    def __init__(self, intents: list[Intent]) -> None:
        self.intents = intents
        self.by_kind: dict[str, list[Intent]] = {}
        for intent in intents:
            self.by_kind.setdefault(intent.kind, []).append(intent)
        # Paging and small-talk keywords, lower-cased once: words found inside the message, single
        # characters that must be the whole message, English words matched as whole words.
        self._short: list[tuple[Intent, list[str], list[str], re.Pattern[str] | None]] = []
        for intent in [*self.by_kind.get("paging", []), *self.by_kind.get("chitchat", [])]:
            lowered = [k.lower() for k in intent.keywords]
            english = [k for k in lowered if k.isascii() and k.isalpha()]
            alone = [k for k in lowered if len(k) == 1 and k not in english]
            words = [k for k in lowered if k not in english and k not in alone]
            pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, english)) + r")\b") if english else None
            self._short.append((intent, words, alone, pattern))
        for kind in ("events", "passages", "fallback"):
            if kind not in self.by_kind:
                raise KnowledgeError(
                    [Problem("intents", 1, f"no intent of kind {kind!r}; the bot needs one")]
                )

    @classmethod
    def load(cls, root: Path) -> Router:
        intents, problems = check_intents(root)
        if problems:
            raise KnowledgeError(problems)
        return cls(intents)

    def first(self, kind: str) -> Intent:
        return self.by_kind[kind][0]

    def short_reply(self, text: str) -> tuple[Intent, str] | None:
        """Paging or small talk: a short message carrying one of the intent's keywords.

        Returns the intent and the keyword, so the caller can check what else the message says."""
        length = message_length(text)
        lowered = text.lower()
        bare: str | None = None
        best: tuple[int, Intent, str] | None = None
        for intent, words, alone, english in self._short:
            if intent.max_length is not None and length > intent.max_length:
                continue
            found = [k for k in words if k in lowered]
            if alone:  # 「早」 greets only said alone: 「早上有啥活动」 is a question
                bare = _PUNCTUATION.sub("", lowered) if bare is None else bare
                found += [k for k in alone if k == bare]
            if english is not None:
                found += [m.group(0) for m in english.finditer(lowered)]
            for k in found:
                if best is None or len(k) > best[0]:
                    best = (len(k), intent, k)
        return (best[1], best[2]) if best else None

    def out_of_scope(self, text: str) -> Intent | None:
        for intent in self.by_kind["fallback"]:
            if intent.mentioned_in(text):
                return intent
        return None

    def event_words(self) -> frozenset[str]:
        """Generic words for "event": they route to event search but do not filter it."""
        return frozenset(k for i in self.by_kind["events"] for k in i.keywords)

    def asks_for_service(self, text: str) -> bool:
        return any(i.mentioned_in(text) for i in self.by_kind.get("services", []))

    def asks_exact(self, text: str) -> bool:
        """「多少」, 「是谁」, 「哪天」: a fact is wanted, not a service description."""
        text = _VAGUE_AMOUNT.sub(" ", text)  # 「跑好几个地方」 says many, it asks nothing
        return any(word in text for i in self.by_kind["passages"] for word in i.exact_words)

    def answer_cues(self, text: str) -> list[str]:
        cues: list[str] = []
        for intent in self.by_kind["passages"]:
            for question_word, wanted in intent.answer_cues.items():
                if question_word in text:
                    cues.extend(wanted)
        return cues

    def asked_words(self, text: str) -> list[str]:
        """The question words of ``text`` that have answer cues (「多少」, 「后来」): what it asks,
        no topic."""
        return [word for i in self.by_kind["passages"] for word in i.answer_cues if word in text]
