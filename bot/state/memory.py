"""A state store in this process's memory: for one-shot commands and tests, where nothing must outlive it."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from bot.state.base import StateStore, check_key, check_name, decode, encode
from bot.state.limits import DEFAULT_MAX_ENTRIES, DEFAULT_TTL

_EMPTY: OrderedDict[str, tuple[float, str]] = OrderedDict()  # a namespace with no entries yet


class MemoryStore(StateStore):
    """The store contract in a dict: same JSON round trip, expiry and bounds as the shared stores."""

    def __init__(
        self,
        default_ttl: float = DEFAULT_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default_ttl = default_ttl
        self.max_entries = max_entries
        self._clock = clock
        self._data: dict[str, OrderedDict[str, tuple[float, str]]] = {}
        self._journal: dict[str, OrderedDict[str, str]] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str, key: str) -> Any | None:
        with self._lock:
            entry = self._data.get(check_name(namespace), _EMPTY).get(check_key(key))
        if entry is None or entry[0] <= self._clock():
            return None
        return decode(entry[1], f"{namespace}/{key}")

    def put(self, namespace: str, key: str, value: Any, ttl: float | None = None) -> None:
        text, expires = encode(value), self._clock() + self._ttl(ttl)
        with self._lock:
            entries = self._data.setdefault(check_name(namespace), OrderedDict())
            entries.pop(check_key(key), None)
            entries[key] = (expires, text)
            while len(entries) > self.max_entries:
                entries.popitem(last=False)

    def delete(self, namespace: str, key: str) -> None:
        with self._lock:
            self._data.get(check_name(namespace), OrderedDict()).pop(check_key(key), None)

    def claim(self, namespace: str, key: str, ttl: float | None = None) -> bool:
        with self._lock:
            entry = self._data.get(check_name(namespace), _EMPTY).get(check_key(key))
            if entry is not None and entry[0] > self._clock():
                return False
        self.put(namespace, key, True, ttl)
        return True

    def journal_add(self, stream: str, item_id: str, payload: Any) -> None:
        text = encode(payload)
        with self._lock:
            self._journal.setdefault(check_name(stream, "stream"), OrderedDict()).setdefault(
                check_key(item_id, "item id"), text
            )

    def journal_pending(self, stream: str) -> list[tuple[str, Any]]:
        with self._lock:
            items = list(self._journal.get(check_name(stream, "stream"), {}).items())
        return [(item, decode(text, f"journal {stream}/{item}")) for item, text in items]

    def journal_done(self, stream: str, item_id: str) -> None:
        with self._lock:
            self._journal.get(check_name(stream, "stream"), OrderedDict()).pop(item_id, None)

    def purge_expired(self) -> int:
        now, removed = self._clock(), 0
        with self._lock:
            for entries in self._data.values():
                for key in [k for k, (expires, _) in entries.items() if expires <= now]:
                    del entries[key]
                    removed += 1
        return removed

    def close(self) -> None:
        with self._lock:
            self._data.clear()
            self._journal.clear()
