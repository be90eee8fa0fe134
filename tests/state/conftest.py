"""Both state store backends for the same contract: SQLite in a temp dir, a real redis-server on loopback.

The Redis server is started once per session on a free loopback port with persistence off,
and each test gets an emptied database. SQLite stores get an injected clock so expiry is
tested by moving time, not by sleeping; Redis expires keys itself, so its tests wait (bounded).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.state.base import StateStore
from bot.state.sqlite import SQLiteStore
from tests.processes import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
READY_TIMEOUT = 10.0


def eventually(condition: Callable[[], bool], timeout: float = 5.0, poll: float = 0.01) -> bool:
    """True as soon as ``condition()`` holds; False if it still does not after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def run_python(code: str, *args: str, timeout: float = 30.0) -> str:
    """Run ``code`` in a fresh interpreter (another process on the same store); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _answers_ping(url: str, proc: subprocess.Popen[bytes]) -> bool:
    import redis

    deadline = time.monotonic() + READY_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            if client.ping():
                return True
        except redis.ConnectionError:
            time.sleep(0.02)
        finally:
            client.close()
    return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh redis-server of our own (never a shared one: tests flush it)."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server): Redis backend not tested")
    pytest.importorskip("redis", reason="redis-py is not installed (pip install redis)")
    workdir = tmp_path_factory.mktemp("redis")
    for _attempt in range(3):  # the free port may be taken between choosing and binding it
        port = free_port()
        command = [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        command += [
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
            "--logfile",
            str(workdir / f"redis-{port}.log"),
        ]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        if _answers_ping(url, proc):
            break
        stop(proc, timeout=5)
    else:
        pytest.fail(f"redis-server did not answer PING; see the logs in {workdir}")
    try:
        yield url
    finally:
        stop(proc, timeout=5)


@dataclass
class Backend:
    """One backend under test: makes stores on the same data, moves (or waits for) time."""

    kind: str
    url: str
    var_dir: Path
    clock: FakeClock | None = None
    _open: list[StateStore] = field(default_factory=list)

    def make(self, **options: Any) -> StateStore:
        """Another store object on the same data (its own connection), closed after the test."""
        if self.kind == "sqlite":
            assert self.clock is not None
            store: StateStore = SQLiteStore(self.var_dir / "state.sqlite3", clock=self.clock, **options)
        else:
            from bot.state.redis import RedisStore

            store = RedisStore(self.url, **options)
        self._open.append(store)
        return store

    def pass_time(self, seconds: float) -> None:
        """Let ``seconds`` go by: the fake clock for SQLite, real time for Redis."""
        if self.clock is not None:
            self.clock.advance(seconds)
        else:
            time.sleep(seconds)

    def plant(self, namespace: str, key: str, raw: bytes) -> None:
        """Write raw bytes as a value behind the store's back, as another (hostile) program might."""
        if self.kind == "sqlite":
            import sqlite3

            conn = sqlite3.connect(self.var_dir / "state.sqlite3")
            with conn:
                conn.execute(
                    "INSERT OR REPLACE INTO kv (ns, key, value, expires_at, seq) VALUES (?, ?, ?, ?, 1)",
                    (namespace, key, raw, time.time() + 3600),
                )
            conn.close()
        else:
            import redis

            client = redis.Redis.from_url(self.url)
            client.set(f"bot:{namespace}:{key}", raw, ex=3600)
            client.close()

    def close(self) -> None:
        for store in self._open:
            store.close()


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        var_dir = tmp_path / "var"
        chosen = Backend("sqlite", f"sqlite://{var_dir / 'state.sqlite3'}", var_dir, FakeClock())
    else:
        import redis

        url = request.getfixturevalue("redis_url")
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
        chosen = Backend("redis", url, tmp_path / "var")
    try:
        yield chosen
    finally:
        chosen.close()


@pytest.fixture
def store(backend: Backend) -> StateStore:
    return backend.make()
