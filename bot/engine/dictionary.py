"""jieba's word frequencies, looked up one word at a time instead of loaded whole at every start.

jieba keeps its dictionary as one dict of ~500,000 words and word prefixes (``FREQ``); building it
costs ~1 s and even unmarshalling a cached copy ~0.2-0.4 s, while a warm start and a question look
up ~700 of them. Here the prefix dictionary that jieba's own ``gen_pfdict`` makes is stored once as an
SQLite table in the private cache directory, read in place (memory-mapped, no parsing), and each
word is read from it when jieba first asks and remembered. jieba reads the same numbers from another
mapping, so its tokens are identical.

Trust: the table file's BLAKE2b digest is kept in a small cache file that carries its own digest
(``bot.engine.snapshot``); the bytes are hashed before SQLite sees them, and a file that is missing,
changed or unreadable is deleted and built again from jieba's dictionary file. Hashing the 9 MB table
and jieba's 5 MB file costs ~25 ms of every start, so, as git trusts its index, a file whose size,
times and inode are those recorded after a full check is not hashed again: any write changes them.
A signature is recorded only for a file last written ``SETTLED_SECONDS`` before the check (a write
within the same clock tick as the check would keep its times).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bot.imports import import_without

log = logging.getLogger(__name__)


# jieba 0.42 imports pkg_resources only to open its own data files and falls back to plain ``open``
# when it is missing; importing it costs ~0.1-0.2 s of start-up.
jieba = import_without("jieba", ["pkg_resources"])

# Words looked up once are remembered. Lookups of words jieba does not know are remembered too, and
# questions can bring endless new ones: past this many the memory starts again (a few MB at most).
MEMO_LIMIT = 200_000
_FORMAT = 2
# A file's stat signature is trusted once its last write is this old: file times are kept in clock
# ticks of a few ms at most, so a later write always shows in them.
SETTLED_SECONDS = 2.0

# The table is mapped into memory up to this size (it is ~9 MB): a lookup then costs no system call.
MMAP_BYTES = 64 << 20

Signature = tuple[int, int, int, int]


def signature(path: Path) -> Signature:
    """What any write to ``path`` changes: size, modification and change times, inode."""
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _settled(sig: Signature) -> bool:
    return time.time_ns() - max(sig[1], sig[2]) >= SETTLED_SECONDS * 1e9


class Frequencies:
    """jieba's prefix dictionary for one dictionary file: ``total`` and each word's count (0: a prefix).

    Shared by every Tokenizer built from the same file, and never changed: user words live in each
    Tokenizer's own :class:`WordCounts`."""

    def __init__(self, digest: str, total: int, table: dict[str, int] | sqlite3.Connection) -> None:
        self.digest = digest
        self.total = total
        self._table = table
        self._memo: dict[str, int | None] = {}
        self._lock = threading.Lock()

    def count(self, word: str) -> int | None:
        """The word's count in jieba's dictionary, 0 for a prefix of a word, None if neither."""
        if isinstance(self._table, dict):
            return self._table.get(word)
        try:
            return self._memo[word]
        except KeyError:
            pass
        with self._lock:
            row = self._table.execute("SELECT n FROM freq WHERE w = ?", (word,)).fetchone()
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[word] = None if row is None else int(row[0])
        return found

    @property
    def in_memory(self) -> bool:
        return isinstance(self._table, dict)


class WordCounts:
    """What jieba's ``Tokenizer.FREQ`` must do (``in``, ``[]``, ``get``, assignment by ``add_word``):
    the Tokenizer's own words first, then the shared dictionary."""

    def __init__(self, base: Frequencies) -> None:
        self._base = base
        self._own: dict[str, int] = {}

    def get(self, word: str, default: int | None = None) -> int | None:
        found = self._own.get(word)
        if found is None:
            found = self._base.count(word)
        return default if found is None else found

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        found = self.get(word)
        if found is None:
            raise KeyError(word)
        return found

    def __setitem__(self, word: str, count: int) -> None:
        self._own[word] = count

    def __iter__(self) -> Iterator[str]:
        raise TypeError("jieba's dictionary is looked up word by word, never listed")


_LOADED: dict[str, Frequencies] = {}
_LOADED_LOCK = threading.Lock()


def dictionary_file() -> Path:
    return Path(str(jieba.__file__)).parent / str(jieba.DEFAULT_DICT_NAME)


def jieba_frequencies(cache_dir: Path | None = None, source: Path | None = None) -> Frequencies:
    """jieba's default dictionary (or ``source``): the copy this process already has for the same file
    contents, else the verified table in ``cache_dir``, else built from the file (~1 s) and stored."""
    path = source or dictionary_file()
    digest, raw = _source_digest(path, cache_dir)
    with _LOADED_LOCK:
        known = _LOADED.get(digest)
        if known is not None:
            return known
        loaded = _open_table(cache_dir, digest) if cache_dir is not None else None
        if loaded is None:
            loaded = _build(raw if raw is not None else path.read_bytes(), digest, cache_dir)
        _LOADED.clear()  # a changed dictionary file replaces the old copy
        _LOADED[digest] = loaded
        return loaded


def _source_digest(path: Path, cache_dir: Path | None) -> tuple[str, bytes | None]:
    """The digest of jieba's dictionary file, and its bytes when they had to be read: the digest kept
    in ``cache_dir`` for the file's signature when it has not changed since."""
    from bot.engine import snapshot

    sig = signature(path)
    memo = cache_dir / "jieba-source.memo" if cache_dir is not None else None
    key = f"jieba source {_FORMAT} {path}"
    if memo is not None:
        known = snapshot.read_file(memo, key)
        if isinstance(known, tuple) and len(known) == 2 and known[0] == sig and isinstance(known[1], str):
            return known[1], None
    raw = path.read_bytes()
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    if memo is not None and _settled(sig) and signature(path) == sig:
        snapshot.write_file(memo, key, (sig, digest))
    return digest, raw


def _paths(directory: Path, digest: str) -> tuple[Path, Path]:
    return directory / f"jieba-{digest}.sqlite3", directory / f"jieba-{digest}.sqlite3.meta"


def _meta_key(digest: str) -> str:
    return f"jieba table {_FORMAT} {digest}"


def _open_table(directory: Path, digest: str) -> Frequencies | None:
    from bot.engine import snapshot

    table_path, meta_path = _paths(directory, digest)
    meta = snapshot.read_file(meta_path, _meta_key(digest))
    if meta is None:
        return None
    try:
        if not (isinstance(meta, tuple) and len(meta) == 3 and isinstance(meta[0], str)):
            raise ValueError("not a table description")
        expected, total, trusted = meta
        sig = signature(table_path)
        if sig != trusted:
            if hashlib.blake2b(table_path.read_bytes(), digest_size=32).hexdigest() != expected:
                raise ValueError("digest mismatch (changed, truncated or corrupt)")
            if _settled(sig) and signature(table_path) == sig:
                snapshot.write_file(meta_path, _meta_key(digest), (expected, total, sig))
        # Read in place, never written: SQLite reads the ~700 pages a start needs, not 9 MB.
        uri = f"{table_path.resolve().as_uri()}?mode=ro&immutable=1"
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        connection.execute("PRAGMA query_only = ON")
        connection.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")  # pages as memory, not a read() each
        connection.execute("SELECT n FROM freq LIMIT 1").fetchall()  # not our table: fails here, not later
        return Frequencies(digest, int(total), connection)
    except (OSError, ValueError, sqlite3.Error) as exc:
        log.warning("jieba table %s rejected: %s; building it again", table_path.name, exc)
        for path in (table_path, meta_path):
            with contextlib.suppress(OSError):
                path.unlink()
        return None


def _build(raw: bytes, digest: str, directory: Path | None) -> Frequencies:
    freq, total = jieba.Tokenizer.gen_pfdict(io.BytesIO(raw))
    if directory is not None:
        _store(directory, digest, freq, total)
    return Frequencies(digest, total, freq)


def _store(directory: Path, digest: str, freq: dict[str, int], total: int) -> None:
    """Write the table beside a description holding its digest; a failure only costs the next start."""
    from bot.engine import snapshot

    table_path, meta_path = _paths(directory, digest)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".sqlite3")  # mode 0600
        os.close(fd)
        try:
            with contextlib.closing(sqlite3.connect(tmp)) as connection:
                connection.execute("PRAGMA journal_mode = OFF")
                connection.execute("CREATE TABLE freq (w TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
                connection.executemany("INSERT INTO freq VALUES (?, ?)", sorted(freq.items()))
                connection.commit()
            written = Path(tmp).read_bytes()
            os.replace(tmp, table_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, sqlite3.Error) as exc:
        log.warning("jieba table not written (%s); the next start builds it again", exc)
        return
    snapshot.write_file(
        meta_path, _meta_key(digest), (hashlib.blake2b(written, digest_size=32).hexdigest(), total, ())
    )
    for pattern, keep in (("jieba-*.sqlite3", 1), ("jieba-*.sqlite3.meta", 1), ("jieba-*.marshal", 0)):
        snapshot.prune(directory, pattern, keep)  # the last pattern: whole dictionaries of earlier versions
