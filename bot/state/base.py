"""The state store contract every channel relies on, whatever the backend.

Values are JSON (dicts, lists, strings, numbers, booleans, None) stored as text and decoded
with ``json.loads`` only: data written by another process is parsed, never executed, so a
tampered store can at worst lose a conversation. Tuples come back as lists.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

from bot.state.limits import MAX_KEY_CHARS, MAX_VALUE_BYTES, WAIT_POLL

log = logging.getLogger(__name__)

# Letters, digits, "_", "." and "-", not starting with "_": names starting with "_" are the
# backends' own bookkeeping, and no ":" so Redis keys built from names cannot collide.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class StateStore(ABC):
    """Small synchronous key-value store with expiry, claims and a journal.

    Each namespace holds at most ``max_entries`` entries (the least recently written are evicted)
    and every entry expires, ``default_ttl`` seconds after it was written unless told otherwise."""

    default_ttl: float
    max_entries: int

    @abstractmethod
    def get(self, namespace: str, key: str) -> Any | None:
        """The stored value, or None when absent, expired or unreadable."""

    @abstractmethod
    def put(self, namespace: str, key: str, value: Any, ttl: float | None = None) -> None:
        """Store ``value`` (JSON-serialisable) for ``ttl`` seconds, replacing any previous value."""

    @abstractmethod
    def delete(self, namespace: str, key: str) -> None:
        """Remove the entry; absent entries are fine."""

    @abstractmethod
    def claim(self, namespace: str, key: str, ttl: float | None = None) -> bool:
        """True for the first caller only, across threads and processes, until the marker expires.

        The marker is the value ``True`` under the same namespace and key, so keep claims and
        results in separate namespaces (``wait_for`` on a claimed key would return at once)."""

    @abstractmethod
    def journal_add(self, stream: str, item_id: str, payload: Any) -> None:
        """Record work before doing it; adding an id that is already pending changes nothing."""

    @abstractmethod
    def journal_pending(self, stream: str) -> list[tuple[str, Any]]:
        """Items added and not yet done, oldest first: what a restarted worker must redo."""

    @abstractmethod
    def journal_done(self, stream: str, item_id: str) -> None:
        """Mark the item done; unknown ids are fine (it may have been finished by a retry)."""

    @abstractmethod
    def purge_expired(self) -> int:
        """Remove what has expired; the number of entries removed."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Writes in the block are committed together where the backend can (SQLite: one transaction,
        so a burst costs one commit instead of one per write); elsewhere each write stands alone.

        Callers batch the writes of one unit of work, e.g. every update of one getUpdates answer."""
        yield

    def wait_for(self, namespace: str, key: str, timeout: float, poll: float = WAIT_POLL) -> Any | None:
        """Wait until another worker stores the value (the result of a claimed message), or None.

        Polls, because the writer may be another process; ``timeout`` is real time."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            value = self.get(namespace, key)
            if value is not None:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(poll, remaining))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _ttl(self, ttl: float | None) -> float:
        ttl = self.default_ttl if ttl is None else float(ttl)
        if not ttl > 0:  # also refuses NaN
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        return ttl


def check_name(name: str, what: str = "namespace") -> str:
    """Refuse names that could collide with another name or with the backend's bookkeeping."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{what} {name!r} must be 1-64 letters, digits, '_', '.' or '-', not starting with '_' or '.'"
        )
    return name


def check_key(key: str, what: str = "key") -> str:
    """Refuse empty and over-long keys (truncating would make two keys one)."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        raise ValueError(f"{what} must be a non-empty string of at most {MAX_KEY_CHARS} characters")
    return key


def encode(value: Any) -> str:
    """JSON text of ``value``; TypeError for what JSON cannot hold, ValueError when too large."""
    if value is None:
        raise ValueError("None cannot be stored: get() uses it for 'absent'; delete the key instead")
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_VALUE_BYTES:
        raise ValueError(f"value is larger than {MAX_VALUE_BYTES} bytes")
    return text


def decode(raw: str | bytes | None, where: str) -> Any | None:
    """The value from stored JSON text; anything else is logged and treated as absent."""
    if raw is None:
        return None
    try:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, TypeError):
        log.warning("state store: %s does not hold JSON text; treated as absent", where)
        return None
