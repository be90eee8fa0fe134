"""Conversation state shared by every channel: one store, chosen by ``BOT_STATE_URL``.

Empty means an SQLite file in the bot's var directory, which is right for one machine;
``redis://`` is for workers on several machines.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.state.base import StateStore
from bot.state.limits import DEFAULT_MAX_ENTRIES, DEFAULT_TTL

__all__ = ["StateStore", "open_store"]

DEFAULT_FILE = "state.sqlite3"


def open_store(
    url: str | None,
    var_dir: Path,
    *,
    default_ttl: float = DEFAULT_TTL,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> StateStore:
    """The store ``url`` names, so deployment picks the backend without code changes.

    - ``None`` or empty: SQLite at ``var_dir/state.sqlite3``;
    - ``sqlite:///abs/path.sqlite3``: that file; ``sqlite://rel/path.sqlite3`` is relative to ``var_dir``;
    - ``redis://[:password@]host:port/db`` (or ``rediss://`` for TLS): Redis.
    """
    url = (url or "").strip()
    if not url:
        from bot.state.sqlite import SQLiteStore

        return SQLiteStore(Path(var_dir) / DEFAULT_FILE, default_ttl, max_entries)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from bot.state.sqlite import SQLiteStore

        path = unquote(url.split("://", 1)[1].split("?", 1)[0]) if "://" in url else ""
        if not path or path.endswith("/"):
            raise ValueError("a sqlite state URL needs a file: sqlite:///absolute/path/state.sqlite3")
        return SQLiteStore(Path(var_dir) / Path(path).expanduser(), default_ttl, max_entries)
    if scheme in ("redis", "rediss"):
        from bot.state.redis import RedisStore

        return RedisStore(url, default_ttl, max_entries)
    raise ValueError(
        f"unknown state store scheme {scheme or '(none)'!r} in BOT_STATE_URL: use sqlite:///path/to/file, "
        "redis://host:port/db, or leave it empty for an SQLite file in the var directory"
    )
