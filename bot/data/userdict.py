"""The jieba user dictionary, ``lexicon/userdict.txt``: read in one place for ``check`` and the engine.

One entry a line, ``word [frequency] [tag]`` (``写春联 20 v``), ``#`` starts a comment. jieba
itself would split a line with a space in the word silently and wrongly, so such lines are
problems with their line number.
"""

from __future__ import annotations

from pathlib import Path

from bot.data.yamlio import Problem, read_text

UserWord = tuple[str, int | None, str | None]  # word, frequency, part-of-speech tag


def parse_userdict(text: str, name: str) -> tuple[list[UserWord], list[Problem]]:
    """Every entry, and a problem for every line that is not ``word [frequency] [tag]``."""
    words: list[UserWord] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        if len(parts) > 3 or (len(parts) == 3 and not parts[1].isdigit()):
            problems.append(
                Problem(
                    name,
                    number,
                    "write `word [frequency] [tag]` with one word and no spaces in it, e.g. 写春联 20 v",
                )
            )
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[2] if len(parts) > 2 else (parts[1] if len(parts) > 1 and freq is None else None)
        words.append((parts[0], freq, tag))
    return words, problems


def read_userdict(path: Path) -> list[UserWord]:
    """The entries of a user dictionary file (raises YamlError if it cannot be read)."""
    return parse_userdict(read_text(path), str(path))[0]
