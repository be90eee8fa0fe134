"""A private on-disk cache of what a Brain build costs: validated records, index tokens, sounds.

Start-up used to re-read and re-validate every YAML file, re-cut every passage with jieba and re-read
jieba's dictionary; for an unchanged knowledge base all of that gives the same result every time. A
snapshot is keyed by a hash of every input that shapes it (every file under ``knowledge/`` and
``intents/``, jieba's dictionary file, the source of the modules that build the brain, the library
versions), so any edit misses and rebuilds; nothing is trusted by modification time.

Trust: the files are ``marshal`` data (plain values only; nothing is executed or imported while loading,
unlike pickle), written 0600 in a directory the bot owns with mode 0700, and each carries a BLAKE2b
digest of its key and payload. A file that is missing, truncated, corrupt, of another format or for
other inputs is logged, deleted and rebuilt. A directory owned by someone else is not used at all.

Index tokens are cached apart from the snapshot, per tokenizer (lexicon + dictionary + code) and per
text, so editing one article re-cuts only that article's sentences. So is the pinyin of the knowledge's
words (per code and pypinyin version): a warm start then never imports pypinyin. jieba's dictionary
(``bot.engine.dictionary``) and the characters' readings (``bot.engine.sounds``) are kept in the same
directory with the same files and digests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import marshal
import os
import stat
import sys
import tempfile
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from bot.data.knowledge import Event, Knowledge, Passage, Service, Source, Speech
from bot.data.records import Record
from bot.data.yamlio import MAX_FILE_BYTES
from bot.engine.dates import Festival
from bot.engine.router import Intent
from bot.engine.sounds import pypinyin_release
from bot.engine.text import Lexicon, TokenMemo

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
CACHE_ENV = "BOT_CACHE_DIR"
DEFAULT_CACHE_DIR = ROOT / "var" / "cache"
# BOT_CACHE_DIR values that turn the cache off (e.g. a read-only deployment).
_OFF = ("", "0", "off", "none", "false")
# Bump when the layout of a cache file changes; old files then miss and are rebuilt.
FORMAT = 1
_MAGIC = b"zzbot-cache-v1\n"
_DIGEST_SIZE = 32
# Snapshots and token files kept per directory: the running version, the one a reload builds, and one
# to roll back to; older ones are never read again.
KEEP_SNAPSHOTS = 3
KEEP_TOKENS = 3
KEEP_SOUNDS = 3
# Modules whose code shapes a snapshot (records, tokens); editing any of them changes every key.
_CODE = ("bot/data", "bot/engine")
_RECORDS: dict[str, type] = {
    cls.__name__: cls for cls in (Source, Passage, Event, Service, Festival, Lexicon, Intent, Speech)
}

CacheDir = Path | Literal[False] | None


class CacheFileError(ValueError):
    """A cache file that cannot be trusted: it is deleted and rebuilt."""


# -- files ------------------------------------------------------------------------------------------


def resolve_cache_dir(requested: CacheDir = None) -> Path | None:
    """``False``: no cache; a path: that directory; ``None``: ``$BOT_CACHE_DIR`` or ``var/cache``."""
    if requested is False:
        return None
    if requested is None:
        env = os.environ.get(CACHE_ENV)
        if env is not None and env.strip().lower() in _OFF:
            return None
        requested = Path(env) if env else DEFAULT_CACHE_DIR
    return private_dir(Path(requested))


def private_dir(path: Path) -> Path | None:
    """Create ``path`` with mode 0700 (tightened if looser); None if it is not ours or not a directory."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
        if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "geteuid") and info.st_uid != os.geteuid()):
            log.warning("cache directory %s is not a directory of this user; running without a cache", path)
            return None
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(path, 0o700)
    except OSError as exc:
        log.warning("cache directory %s unusable (%s); running without a cache", path, exc)
        return None
    return path


def write_file(path: Path, key: str, value: Any) -> None:
    """Atomically write ``value`` as marshal data, mode 0600, with a digest over ``key`` and payload."""
    payload = marshal.dumps(value)
    digest = hashlib.blake2b(key.encode() + payload, digest_size=_DIGEST_SIZE).digest()
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".marshal")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + digest + payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        log.warning("cache file %s not written (%s); the next start builds again", path, exc)


def read_file(path: Path, key: str) -> Any | None:
    """The value stored for ``key``, or None when absent; an untrustworthy file is logged and deleted."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cache file %s unreadable (%s); rebuilding", path, exc)
        return None
    head = len(_MAGIC) + _DIGEST_SIZE
    try:
        if len(raw) < head or not raw.startswith(_MAGIC):
            raise CacheFileError("not a cache file of this format")
        payload = memoryview(raw)[head:]
        digest = hashlib.blake2b(key.encode() + payload, digest_size=_DIGEST_SIZE).digest()
        if digest != raw[len(_MAGIC) : head]:
            raise CacheFileError("digest mismatch (corrupt, truncated or for other inputs)")
        return marshal.loads(payload)
    except (CacheFileError, ValueError, EOFError, TypeError) as exc:
        log.warning("cache file %s rejected: %s; rebuilding it", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None


def prune(directory: Path, pattern: str, keep: int) -> None:
    """Delete all but the ``keep`` most recently written files matching ``pattern``."""
    files = []
    for path in directory.glob(pattern):
        with contextlib.suppress(OSError):
            files.append((path.stat().st_mtime_ns, path))
    for _, path in sorted(files, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            path.unlink()


# -- keys ---------------------------------------------------------------------------------------------

_code_version: str | None = None


def code_version() -> str:
    """Hash of the code that turns files into records and tokens, and of the libraries it relies on."""
    global _code_version
    if _code_version is None:
        import jieba
        import opencc

        pinyin = pypinyin_release()
        h = hashlib.blake2b(digest_size=16)
        libraries = f"jieba {jieba.__version__} opencc {opencc.__file__} pypinyin {pinyin}"
        h.update(f"{FORMAT} {sys.version} {libraries}".encode())
        for folder in _CODE:
            for path in sorted((ROOT / folder).glob("*.py")):
                h.update(path.name.encode() + b"\0" + path.read_bytes())
        _code_version = h.hexdigest()
    return _code_version


def input_key(knowledge_dir: Path, intents_dir: Path, dictionary_digest: str) -> str:
    """Hash of every file under both folders (path and bytes), the dictionary and the code."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{code_version()} {dictionary_digest}".encode())
    for label, root in (("knowledge", knowledge_dir), ("intents", intents_dir)):
        for path in _entries(Path(root)):
            h.update(f"\0{label}/{path.relative_to(root).as_posix()}\0".encode() + _fingerprint(path))
    return h.hexdigest()


def _entries(root: Path) -> list[Path]:
    """Every entry below ``root`` without following links: a link or a pipe changes the key too."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        found.extend(Path(folder) / name for name in sorted(files))
        found.extend(Path(folder) / name for name in dirs if (Path(folder) / name).is_symlink())
    return sorted(found)


def _fingerprint(path: Path) -> bytes:
    """A regular file's bytes (up to the size a knowledge file may have); else what it is, unopened.

    Links, pipes and oversized files are never read here: validation refuses them, and a change
    to any of them gives a new key so that validation runs and says so."""
    info = path.lstat()
    if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES:
        data = path.read_bytes()
        return f"{len(data)}\0".encode() + data
    target = os.readlink(path) if stat.S_ISLNK(info.st_mode) else ""
    return f"{stat.S_IFMT(info.st_mode)}:{info.st_size}:{info.st_mtime_ns}:{target}".encode()


def tokenizer_key(lexicon: Lexicon, dictionary_digest: str) -> str:
    """What decides the index tokens of a text: the lexicon (order kept: it decides jieba's suggested
    frequencies), jieba's dictionary and the code."""
    words = json.dumps(
        [lexicon.words, lexicon.synonyms, sorted(lexicon.stopwords)], ensure_ascii=False
    ).encode()
    return hashlib.blake2b(
        f"{code_version()} {dictionary_digest}\0".encode() + words, digest_size=20
    ).hexdigest()


# -- records ------------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    """Plain marshal values; tuples are tags: ("d", date), ("t", tuple), ("f", frozenset), ("r", record)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return ("t", [_encode(v) for v in value])
    if isinstance(value, frozenset):
        return ("f", [_encode(v) for v in value])
    if isinstance(value, date):
        return ("d", value.isoformat())
    name = type(value).__name__
    if is_dataclass(value) and _RECORDS.get(name) is type(value):
        return ("r", name, {f.name: _encode(getattr(value, f.name)) for f in fields(value) if f.init})
    raise TypeError(f"cannot snapshot a {name}")


def _decode(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        tag = value[0]
        if tag == "t" and len(value) == 2 and isinstance(value[1], list):
            return tuple(_decode(v) for v in value[1])
        if tag == "f" and len(value) == 2 and isinstance(value[1], list):
            return frozenset(_decode(v) for v in value[1])
        if tag == "d" and len(value) == 2 and isinstance(value[1], str):
            return date.fromisoformat(value[1])
        if tag == "r" and len(value) == 3 and value[1] in _RECORDS and isinstance(value[2], dict):
            record, decoded = _RECORDS[value[1]], {k: _decode(v) for k, v in value[2].items()}
            if issubclass(record, Record):
                return _rebuild(record, decoded)
            return record(**decoded)
    raise CacheFileError(f"unexpected value of type {type(value).__name__}")


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _rebuild(record: type[Record], values: dict[str, Any]) -> Record:
    """A record as it was validated when the snapshot was made (its digest checked), not validated again:
    its instance dictionary is filled at once, without the constructor, its checks or the per-field
    ``object.__setattr__`` a frozen dataclass's constructor makes."""
    names = _FIELD_NAMES.get(record)
    if names is None:
        names = _FIELD_NAMES[record] = frozenset(f.name for f in fields(record))
    if values.keys() != names:
        raise CacheFileError(f"{record.__name__} fields differ from the code's")
    built = object.__new__(record)
    built.__dict__.update(values)
    return built


def _knowledge_fields(knowledge: Knowledge) -> dict[str, Any]:
    return {f.name: getattr(knowledge, f.name) for f in fields(knowledge) if f.init and f.name != "root"}


class SnapshotCache:
    """Snapshots of validated records and per-text index tokens in one private directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def open(cls, requested: CacheDir = None) -> SnapshotCache | None:
        directory = resolve_cache_dir(requested)
        return None if directory is None else cls(directory)

    def _snapshot_path(self, key: str) -> Path:
        return self.directory / f"snapshot-{key}.marshal"

    def _tokens_path(self, key: str) -> Path:
        return self.directory / f"tokens-{key}.marshal"

    def load(self, key: str, knowledge_dir: Path) -> tuple[Knowledge, list[Intent]] | None:
        """The validated knowledge and intents of inputs hashing to ``key``, or None (then build)."""
        value = read_file(self._snapshot_path(key), f"snapshot {key}")
        if value is None:
            return None
        try:
            if not (isinstance(value, dict) and isinstance(value.get("knowledge"), dict)):
                raise CacheFileError("not a snapshot")
            knowledge = Knowledge(**_decode(value["knowledge"]), root=knowledge_dir)
            intents = _decode(value["intents"])
            if not all(isinstance(i, Intent) for i in intents):
                raise CacheFileError("intents of the wrong type")
        except (CacheFileError, TypeError, ValueError) as exc:
            log.warning("snapshot %s rejected: %s; rebuilding it", key, exc)
            with contextlib.suppress(OSError):
                self._snapshot_path(key).unlink()
            return None
        return knowledge, intents

    def save(self, key: str, knowledge: Knowledge, intents: list[Intent]) -> None:
        value = {"knowledge": _encode(_knowledge_fields(knowledge)), "intents": _encode(intents)}
        write_file(self._snapshot_path(key), f"snapshot {key}", value)
        prune(self.directory, "snapshot-*.marshal", KEEP_SNAPSHOTS)

    def token_memo(self, key: str) -> TokenMemo:
        """The index tokens cut by earlier builds with this tokenizer (empty if none or untrusted)."""
        value = read_file(self._tokens_path(key), f"tokens {key}")
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, list) for k, v in value.items()
        )
        if value is not None and not ok:
            log.warning("token cache %s rejected: not text → tokens; rebuilding it", key)
        return TokenMemo(known=value if ok and isinstance(value, dict) else {})

    def sounds(self) -> dict[str, str]:
        """The pinyin of words earlier builds with this code and pypinyin computed (empty if none)."""
        key = code_version()
        value = read_file(self.directory / f"sounds-{key}.marshal", f"sounds {key}")
        if isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return value
        if value is not None:
            log.warning("pinyin cache %s rejected: not word → pinyin; rebuilding it", key)
        return {}

    def save_sounds(self, known: dict[str, str], used: dict[str, str]) -> None:
        """Keep exactly the words this build used, when they differ from what was read."""
        if used != known:
            key = code_version()
            write_file(self.directory / f"sounds-{key}.marshal", f"sounds {key}", used)
            prune(self.directory, "sounds-*.marshal", KEEP_SOUNDS)

    def save_tokens(self, key: str, memo: TokenMemo) -> None:
        """Keep exactly the texts this build used, when it cut new ones or dropped old ones."""
        if memo.added or len(memo.used) != len(memo.known):
            write_file(self._tokens_path(key), f"tokens {key}", memo.used)
            prune(self.directory, "tokens-*.marshal", KEEP_TOKENS)
