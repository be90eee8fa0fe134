"""A full disk under the SQLite state store: residents still get answers, nothing already saved is lost."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.conversation import Conversation, Message
from bot.engine import Engine
from bot.state.sqlite import SQLiteStore

DISK_BYTES = 512 * 1024  # room for the store's first pages, little else


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB tmpfs, where the machine lets the tests mount one (root, Linux)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write until the disk is full; the filler file is returned so the test can free the space."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_costs_context_not_answers(
    engine: Engine, small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = small_disk / "state.sqlite3"
    store = SQLiteStore(path)
    conversation = Conversation(engine, store)
    first = conversation.handle("t", "alice", Message("哪里可以写春联?"))
    assert first.kind == "events" and first.pages > 2
    filler = fill(small_disk)
    caplog.set_level(logging.WARNING)
    question = "哪里可以猜灯谜?"
    more = [conversation.handle("t", f"resident-{n}", Message(question, id=str(n))) for n in range(30)]
    assert all(r.kind == "events" for r in more), "every resident is still answered"
    assert "not saved" in caplog.text
    assert conversation.handle("t", "alice", Message("下一页")).page == 1  # read from what was saved
    filler.unlink()
    store.close()
    with SQLiteStore(path) as reopened:
        again = Conversation(engine, reopened).handle("t", "alice", Message("下一页"))
        assert again.kind == "events" and again.page >= 1, "the state saved before the disk filled is intact"
