"""How words sound, to repair what a pinyin input method typed: 「春连」 for 春联, 「心里」 for 心理.

A knowledge word sounds as pypinyin reads it in context (银行 is yin hang, not yin xing): that is what
a resident types to get it. These sounds are computed when the knowledge is built and cached with it.

A question's unknown word (「春连」, 「新访」: no phrase pypinyin knows) sounds as its characters do one
by one, each by its usual reading, which is how pypinyin reads a word outside its phrase dictionary.
Those readings come from a table of every character, built once per pypinyin version (~1 s) and
cached, so answering a question never imports pypinyin (~0.3 s: it parses two JSON dictionaries).
(Any reading of each character would match more typos, but rare readings make false ones: 「区有」
would become 趣味 through a rare reading of 有.)
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


@lru_cache(maxsize=65536)
def sound(word: str) -> str:
    """The toneless pinyin of ``word`` as pypinyin reads it in context, syllables joined by spaces."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(word))


def _build_table() -> dict[str, str]:
    """Every character pypinyin knows → its usual toneless reading, written as ``lazy_pinyin`` writes it
    (its first reading, tone marks dropped, ü as v; tests/test_sounds.py compares with lazy_pinyin)."""
    from pypinyin import Style
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style import convert

    return {
        chr(code): convert(readings.split(",")[0], Style.NORMAL, strict=True).replace("ü", "v")
        for code, readings in PINYIN_DICT.items()
    }


def pypinyin_release() -> str:
    """Which pypinyin is installed, without importing it (~0.3 s) or importlib.metadata (~30 ms, most
    of a start's imports after the engine's own): a digest of its ``__init__.py``, which names its
    version, so that caches built with another release miss."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        return "absent"
    return hashlib.blake2b(Path(spec.origin).read_bytes(), digest_size=8).hexdigest()


class Readings:
    """The usual reading of each character, loaded on first need from the cache directory (or built)."""

    def __init__(self, cache_dir: Path | None) -> None:
        self._cache_dir = cache_dir
        self._table: dict[str, str] | None = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Load (or build and store) the table now rather than at the first question that needs it."""
        _ = self.table

    @property
    def table(self) -> dict[str, str]:
        if self._table is None:
            with self._lock:
                if self._table is None:
                    self._table = _load_table(self._cache_dir)
        return self._table

    def sound_of(self, word: str) -> str:
        """``word`` read character by character (one without a reading stands for itself, as in pypinyin)."""
        table = self.table
        return " ".join(table.get(char, char) for char in word)


_TABLES: dict[str, dict[str, str]] = {}


def _load_table(cache_dir: Path | None) -> dict[str, str]:
    """The table this process already has, else the verified one in ``cache_dir``, else built (and
    stored in ``cache_dir`` whenever it is not there yet)."""
    from bot.engine import snapshot

    version = pypinyin_release()
    key = f"readings 3 pypinyin {version}"
    path = cache_dir / f"readings-{version}.marshal" if cache_dir is not None else None
    table = _TABLES.get(version)
    if table is None and path is not None:
        table = _unpacked(snapshot.read_file(path, key))
        if table is None and path.exists():
            log.warning("pinyin readings cache rejected: not characters and readings; building it again")
            path.unlink(missing_ok=True)
    if table is None:
        table = _build_table()
    if path is not None and not path.exists():
        snapshot.write_file(path, key, ("".join(table), "\n".join(table.values())))
        snapshot.prune(path.parent, "readings-*.marshal", 1)
    _TABLES.clear()
    _TABLES[version] = table
    return table


def _unpacked(stored: object) -> dict[str, str] | None:
    """The table from its stored form: every character in one string, their readings in another, one a
    line. Two strings load ~2x faster than a dict of 40,000 pairs, and their types check at once."""
    if not (isinstance(stored, tuple) and len(stored) == 2 and all(type(part) is str for part in stored)):
        return None
    chars, readings = stored
    lines = readings.split("\n")
    return dict(zip(chars, lines, strict=True)) if len(lines) == len(chars) else None
