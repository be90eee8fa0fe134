"""What only the SQLite store promises: damaged files moved aside, private files, crash safety,
exact expiry."""

from __future__ import annotations

import logging
import os
import select
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.state.sqlite import SQLiteStore
from tests.state.conftest import ROOT, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "var" / "state.sqlite3"


@pytest.fixture
def open_sqlite() -> Iterator[list[SQLiteStore]]:
    stores: list[SQLiteStore] = []
    yield stores
    for store in stores:
        store.close()


def _open(stores: list[SQLiteStore], path: Path, clock: FakeClock, **options: Any) -> SQLiteStore:
    store = SQLiteStore(path, clock=clock, **options)
    stores.append(store)
    return store


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --- damaged files --------------------------------------------------------------------------------


def _write_truncated_database(path: Path) -> None:
    with SQLiteStore(path) as store:
        for i in range(400):
            store.put("chat", f"k{i}", {"text": "数据" * 100})
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 2)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"this is not a database\n" * 200),
        lambda p: p.write_bytes(b"SQLite format 3\x00" + os.urandom(4096)),
        _write_truncated_database,
    ],
    ids=["garbage", "garbage-after-header", "truncated"],
)
def test_a_damaged_file_is_moved_aside_and_the_store_starts_empty(
    db: Path,
    clock: FakeClock,
    open_sqlite: list[SQLiteStore],
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], object],
) -> None:
    db.parent.mkdir(mode=0o700)
    damage(db)
    before = db.read_bytes()
    with caplog.at_level(logging.WARNING, logger="bot.state"):
        store = _open(open_sqlite, db, clock)
    store.put("chat", "1", "works")
    assert store.get("chat", "1") == "works"
    moved = [p for p in db.parent.iterdir() if p.name.startswith("state.sqlite3.broken-")]
    assert [p.read_bytes() for p in moved] == [before]  # kept for a post-mortem, untouched
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "not a readable SQLite database" in warnings[0].getMessage()
    assert moved[0].name in warnings[0].getMessage()


def test_an_empty_file_is_a_fine_new_store(
    db: Path, clock: FakeClock, open_sqlite: list[SQLiteStore], caplog: pytest.LogCaptureFixture
) -> None:
    db.parent.mkdir()
    db.touch()
    store = _open(open_sqlite, db, clock)
    store.put("chat", "1", 1)
    assert store.get("chat", "1") == 1
    assert not caplog.records
    assert sorted(p.name for p in db.parent.iterdir() if "broken" in p.name) == []


def test_a_file_that_cannot_be_opened_is_an_error_not_damage(tmp_path: Path, clock: FakeClock) -> None:
    """A directory where the file should be is a deployment mistake: say so, move nothing."""
    path = tmp_path / "state.sqlite3"
    path.mkdir()
    with pytest.raises(OSError):
        SQLiteStore(path, clock=clock)
    assert path.is_dir()
    assert not [p for p in tmp_path.iterdir() if "broken" in p.name]


def test_a_second_open_after_repair_keeps_the_fresh_store(
    db: Path, clock: FakeClock, open_sqlite: list[SQLiteStore]
) -> None:
    db.parent.mkdir()
    db.write_bytes(b"garbage" * 100)
    first = _open(open_sqlite, db, clock)
    first.put("chat", "1", "kept")
    second = _open(open_sqlite, db, clock)
    assert second.get("chat", "1") == "kept"
    assert len([p for p in db.parent.iterdir() if "broken" in p.name]) == 1


# --- files are private ----------------------------------------------------------------------------


def test_new_directory_is_0700_and_files_0600_whatever_the_umask(
    db: Path, clock: FakeClock, open_sqlite: list[SQLiteStore]
) -> None:
    old = os.umask(0)
    try:
        store = _open(open_sqlite, db, clock)
        store.put("chat", "1", "secret conversation")
    finally:
        os.umask(old)
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    files = sorted(db.parent.iterdir())
    assert {p.name for p in files} >= {"state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm"}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}


# --- crash safety ---------------------------------------------------------------------------------

WRITER = """
import sys
from bot.state.sqlite import SQLiteStore
store = SQLiteStore(sys.argv[1])
i = 0
while True:
    store.put("chat", f"k{i}", {"i": i, "text": "居民问答" * 20})
    store.journal_add("in", f"m{i}", i)
    print(i, flush=True)
    i += 1
"""


def test_kill_9_mid_writes_keeps_every_committed_entry(db: Path, clock: FakeClock) -> None:
    db.parent.mkdir()
    SQLiteStore(db).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None  # both are PIPEs
    stdout, stderr = proc.stdout, proc.stderr
    committed = -1
    buffer = b""
    deadline = time.monotonic() + 30
    try:
        while committed < 300 and time.monotonic() < deadline:
            ready, _, _ = select.select([stdout], [], [], 1.0)
            if not ready:
                continue
            chunk = os.read(stdout.fileno(), 65536)
            assert chunk, stderr.read().decode()
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            if lines:
                committed = int(lines[-1])
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stdout.close()
        stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert committed >= 300

    with SQLiteStore(db, clock=clock) as store:
        for i in range(committed + 1):
            assert store.get("chat", f"k{i}") == {"i": i, "text": "居民问答" * 20}
        pending = store.journal_pending("in")
        assert [p for _, p in pending[: committed + 1]] == list(range(committed + 1))
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]


# --- expiry with a clock --------------------------------------------------------------------------


def test_expiry_is_exact_and_purge_removes_rows(
    db: Path, clock: FakeClock, open_sqlite: list[SQLiteStore]
) -> None:
    store = _open(open_sqlite, db, clock)
    store.put("chat", "1", "x", ttl=10)
    store.journal_add("in", "m", 1)
    clock.advance(9.999)
    assert store.get("chat", "1") == "x"
    clock.advance(0.001)
    assert store.get("chat", "1") is None
    assert _rows(db, "SELECT key FROM kv") == [("1",)]  # invisible, not yet removed
    clock.advance(store.default_ttl)
    assert store.purge_expired() == 2
    assert _rows(db, "SELECT count(*) FROM kv") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM journal") == [(0,)]


def test_expired_rows_are_purged_every_n_writes(
    db: Path, clock: FakeClock, open_sqlite: list[SQLiteStore]
) -> None:
    store = _open(open_sqlite, db, clock, purge_every=3)
    store.put("chat", "old", 1, ttl=1)
    clock.advance(2)
    store.put("chat", "a", 1)
    assert _rows(db, "SELECT count(*) FROM kv") == [(2,)]
    store.put("chat", "b", 1)  # the third write
    assert _rows(db, "SELECT key FROM kv ORDER BY key") == [("a",), ("b",)]


def test_default_ttl_is_seven_days(db: Path, clock: FakeClock, open_sqlite: list[SQLiteStore]) -> None:
    store = _open(open_sqlite, db, clock)
    store.put("chat", "1", 1)
    clock.advance(7 * 24 * 3600 - 1)
    assert store.get("chat", "1") == 1
    clock.advance(1)
    assert store.get("chat", "1") is None


# --- the file itself ------------------------------------------------------------------------------


def test_wal_mode_and_values_stored_as_json_text(
    db: Path, clock: FakeClock, open_sqlite: list[SQLiteStore]
) -> None:
    store = _open(open_sqlite, db, clock)
    store.put("chat", "1", {"区": "上街"})
    assert _rows(db, "PRAGMA journal_mode") == [("wal",)]
    assert _rows(db, "SELECT value, typeof(value) FROM kv") == [('{"区":"上街"}', "text")]


def test_entry_counts_stay_exact_through_overwrites_and_deletes(
    db: Path, clock: FakeClock, open_sqlite: list[SQLiteStore]
) -> None:
    store = _open(open_sqlite, db, clock, max_entries=5)
    for i in range(8):
        store.put("chat", str(i % 4), i)
    store.claim("chat", "9", ttl=1)
    store.claim("chat", "9", ttl=1)
    store.delete("chat", "0")
    assert _rows(db, "SELECT n FROM kv_count WHERE ns = 'chat'") == _rows(
        db, "SELECT count(*) FROM kv WHERE ns = 'chat'"
    )
    assert _rows(db, "SELECT count(*) FROM kv") == [(4,)]


def test_a_batch_is_one_transaction_kept_whole_or_not_at_all(
    db: Path, open_sqlite: list[SQLiteStore]
) -> None:
    """Another connection sees none of a batch until it ends; a batch that raises leaves nothing."""
    writer, reader = SQLiteStore(db), SQLiteStore(db)
    open_sqlite += [writer, reader]
    with writer.batch():
        writer.journal_add("updates", "1", {"update_id": 1})
        writer.put("answered", "0", True)
        assert reader.journal_pending("updates") == [] and reader.get("answered", "0") is None
    assert reader.journal_pending("updates") == [("1", {"update_id": 1})] and reader.get("answered", "0")
    with pytest.raises(RuntimeError), writer.batch():
        writer.journal_add("updates", "2", {"update_id": 2})
        writer.journal_done("updates", "1")
        raise RuntimeError("killed half-way")
    assert reader.journal_pending("updates") == [("1", {"update_id": 1})]
    writer.put("dialogue", "telegram:1", {"page": 1})  # the store goes on after a failed batch
    assert reader.get("dialogue", "telegram:1") == {"page": 1}
