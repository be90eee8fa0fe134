"""The state store in one SQLite file: the default, for one machine with one or more processes.

WAL mode lets readers and one writer work at once; every write is one ``BEGIN IMMEDIATE``
transaction, so a killed process leaves every committed entry and nothing half-written, and
writers in other processes wait (``busy_timeout``) instead of failing. A file that is not a
readable database is moved aside and the bot starts empty: losing conversations is better
than not answering at all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.state.base import StateStore, check_key, check_name, decode, encode
from bot.state.limits import (
    DEFAULT_MAX_ENTRIES,
    DEFAULT_TTL,
    PURGE_EVERY_WRITES,
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_SYNCHRONOUS,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock around the broken-file check
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at REAL NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (ns, key)
);
CREATE INDEX IF NOT EXISTS kv_by_age ON kv (ns, seq);
CREATE INDEX IF NOT EXISTS kv_by_expiry ON kv (expires_at);
-- Entries per namespace, kept by triggers so bounding a namespace costs no COUNT(*) scan.
CREATE TABLE IF NOT EXISTS kv_count (ns TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS kv_counted AFTER INSERT ON kv BEGIN
    INSERT INTO kv_count (ns, n) VALUES (new.ns, 1) ON CONFLICT (ns) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS kv_uncounted AFTER DELETE ON kv BEGIN
    UPDATE kv_count SET n = n - 1 WHERE ns = old.ns;
END;
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    item_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    expires_at REAL NOT NULL,
    UNIQUE (stream, item_id)
);
CREATE INDEX IF NOT EXISTS journal_by_expiry ON journal (expires_at);
"""

# Insert, or on a conflicting key overwrite; ``seq`` orders writes within a namespace for eviction.
_UPSERT = """
INSERT INTO kv (ns, key, value, expires_at, seq)
VALUES (?1, ?2, ?3, ?4, (SELECT coalesce(max(seq), 0) + 1 FROM kv WHERE ns = ?1))
ON CONFLICT (ns, key) DO UPDATE
SET value = excluded.value, expires_at = excluded.expires_at, seq = excluded.seq
"""
# The same, but an existing entry is only replaced once it has expired.
_CLAIM = _UPSERT + " WHERE kv.expires_at <= ?5"


class _Broken(Exception):
    """The file opens but SQLite's own check finds it damaged."""


class SQLiteStore(StateStore):
    """State in one SQLite file, shared by the threads of a process and by processes on one machine.

    One connection per store object, used under a lock, so one object may be shared by threads;
    each process must open its own store (never pass one across ``fork``). ``clock`` gives the
    time in seconds since the epoch, injectable so tests can expire entries without sleeping."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        default_ttl: float = DEFAULT_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        *,
        clock: Callable[[], float] = time.time,
        purge_every: int = PURGE_EVERY_WRITES,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.path = Path(path)
        self.max_entries = int(max_entries)
        self.default_ttl = self._ttl(default_ttl)
        self._clock = clock
        self._purge_every = max(1, int(purge_every))
        self._writes = 0
        self._batched = 0  # depth of batch() blocks open in the thread holding the lock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = self._open()

    # --- opening -------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if not self.path.parent.exists():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._startup_lock():
            try:
                return self._connect()
            except (sqlite3.DatabaseError, _Broken) as exc:
                if not _is_damage(exc):
                    raise
                moved = self._move_aside()
                log.warning(
                    "state store %s is not a readable SQLite database (%s); moved it to %s "
                    "and started with an empty store",
                    self.path,
                    exc,
                    moved.name,
                )
                return self._connect()

    def _connect(self) -> sqlite3.Connection:
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))  # 0600 before SQLite creates it
        conn = sqlite3.connect(
            self.path,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
            check_same_thread=False,  # guarded by self._lock
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_MS)}")
            (result,) = conn.execute("PRAGMA quick_check").fetchone()
            if result != "ok":
                raise _Broken(f"quick_check: {result}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {SQLITE_SYNCHRONOUS}")
            conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _startup_lock(self) -> Iterator[None]:
        """Only one process checks (and maybe moves aside) the file at a time.

        Without it a second process could move aside the fresh file the first just created."""
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # also releases the lock

    def _move_aside(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.broken-{stamp}-{n}")
        os.replace(self.path, target)
        for suffix in ("-wal", "-shm"):  # a stale WAL replayed into the fresh file would corrupt it
            with contextlib.suppress(FileNotFoundError):
                os.replace(
                    self.path.with_name(self.path.name + suffix), target.with_name(target.name + suffix)
                )
        return target

    # --- plumbing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Every write in the block in one transaction: all committed at the end, or none if it raises.

        The lock is held throughout, so other threads' writes wait for the commit; nested blocks
        join the outer one."""
        with self._lock:
            if self._batched:
                self._batched += 1
                try:
                    yield
                finally:
                    self._batched -= 1
                return
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            self._batched = 1
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._batched = 0
            if not conn.in_transaction:  # SQLite rolled back by itself (a full disk, an I/O error)
                raise sqlite3.OperationalError(f"state store {self.path}: a batch of writes was rolled back")
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so concurrent writers queue instead of deadlocking."""
        with self._lock:
            conn = self._connection()
            if self._batched:  # inside batch(): its transaction, committed when the block ends
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A transaction that counts towards the next opportunistic purge."""
        with self._lock:
            with self._transaction() as conn:
                yield conn
            self._writes += 1
            due = self._writes % self._purge_every == 0
        if due:
            self.purge_expired()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"state store {self.path} is closed")
        return self._conn

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    # --- key-value -----------------------------------------------------------------------------

    def get(self, namespace: str, key: str) -> Any | None:
        check_name(namespace)
        check_key(key)
        rows = self._read(
            "SELECT value FROM kv WHERE ns = ? AND key = ? AND expires_at > ?",
            (namespace, key, self._clock()),
        )
        return decode(rows[0][0], f"{namespace}/{key}") if rows else None

    def put(self, namespace: str, key: str, value: Any, ttl: float | None = None) -> None:
        check_name(namespace)
        check_key(key)
        text = encode(value)
        expires_at = self._clock() + self._ttl(ttl)
        with self._write() as conn:
            conn.execute(_UPSERT, (namespace, key, text, expires_at))
            self._evict(conn, namespace)

    def delete(self, namespace: str, key: str) -> None:
        check_name(namespace)
        check_key(key)
        with self._write() as conn:
            conn.execute("DELETE FROM kv WHERE ns = ? AND key = ?", (namespace, key))

    def claim(self, namespace: str, key: str, ttl: float | None = None) -> bool:
        check_name(namespace)
        check_key(key)
        now = self._clock()
        with self._write() as conn:
            won = conn.execute(_CLAIM, (namespace, key, "true", now + self._ttl(ttl), now)).rowcount == 1
            if won:
                self._evict(conn, namespace)
        return won

    def _evict(self, conn: sqlite3.Connection, namespace: str) -> None:
        row = conn.execute("SELECT n FROM kv_count WHERE ns = ?", (namespace,)).fetchone()
        excess = (row[0] if row else 0) - self.max_entries
        if excess > 0:
            conn.execute(
                "DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv WHERE ns = ? ORDER BY seq LIMIT ?)",
                (namespace, excess),
            )

    # --- journal -------------------------------------------------------------------------------

    def journal_add(self, stream: str, item_id: str, payload: Any) -> None:
        check_name(stream, "stream")
        check_key(item_id, "item_id")
        text = encode(payload)
        now = self._clock()
        with self._write() as conn:
            conn.execute(  # an expired entry with this id is gone, so the id may be added again
                "DELETE FROM journal WHERE stream = ? AND item_id = ? AND expires_at <= ?",
                (stream, item_id, now),
            )
            added = conn.execute(
                "INSERT INTO journal (stream, item_id, payload, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (stream, item_id) DO NOTHING",
                (stream, item_id, text, now + self.default_ttl),
            ).rowcount
            if added:
                (count,) = conn.execute("SELECT count(*) FROM journal WHERE stream = ?", (stream,)).fetchone()
                excess = count - self.max_entries
                if excess > 0:
                    conn.execute(
                        "DELETE FROM journal WHERE seq IN "
                        "(SELECT seq FROM journal WHERE stream = ? ORDER BY seq LIMIT ?)",
                        (stream, excess),
                    )
                    log.warning("journal %s is full: dropped its %d oldest pending items", stream, excess)

    def journal_pending(self, stream: str) -> list[tuple[str, Any]]:
        check_name(stream, "stream")
        rows = self._read(
            "SELECT item_id, payload FROM journal WHERE stream = ? AND expires_at > ? ORDER BY seq",
            (stream, self._clock()),
        )
        out = []
        for item_id, raw in rows:
            payload = decode(raw, f"journal {stream}/{item_id}")
            if payload is not None:
                out.append((item_id, payload))
        return out

    def journal_done(self, stream: str, item_id: str) -> None:
        check_name(stream, "stream")
        check_key(item_id, "item_id")
        with self._write() as conn:
            conn.execute("DELETE FROM journal WHERE stream = ? AND item_id = ?", (stream, item_id))

    # --- housekeeping --------------------------------------------------------------------------

    def purge_expired(self) -> int:
        now = self._clock()
        with self._transaction() as conn:
            removed = conn.execute("DELETE FROM kv WHERE expires_at <= ?", (now,)).rowcount
            removed += conn.execute("DELETE FROM journal WHERE expires_at <= ?", (now,)).rowcount
            conn.execute("DELETE FROM kv_count WHERE n <= 0")
        return removed

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"


def _is_damage(exc: BaseException) -> bool:
    """Damage means move the file aside; "locked", "read-only" or "cannot open" must surface instead."""
    if isinstance(exc, _Broken):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
