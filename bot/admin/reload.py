"""Hot reload: notice edits under knowledge/ and intents/ and reload without a restart.

Polling (mtime + size of every file) needs no extra package and works on every file system
and editor.  :meth:`bot.engine.Engine.reload` builds the new version beside the old one and
swaps only when it is valid, so residents never see a half-loaded or broken knowledge base:
a broken edit is reported (file and line) and the previous knowledge keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from bot.data.yamlio import Problem
from bot.settings import DEFAULT_WATCH_INTERVAL, load_settings

log = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]
OnResult = Callable[[list[Problem]], Awaitable[None] | None]


class Reloadable(Protocol):
    """What the watcher needs from the engine (so tests may pass a stand-in)."""

    knowledge_dir: Path
    intents_dir: Path

    def reload(self) -> list[Problem]: ...


def watch_interval(env_file: str | Path | None = ".env") -> float:
    """BOT_WATCH_INTERVAL in seconds, read and checked by bot.settings; 0 turns watching off.

    Raises ConfigError for a value that is not a number of seconds."""
    return load_settings(env_file, require_token=False).watch_interval


def snapshot(*roots: Path) -> Snapshot:
    """mtime (ns) and size of every file under the roots; a missing root counts as empty.

    lstat, never stat or open: a symlink out of the folder or a FIFO is noticed as a change (and the
    reload refuses it, see bot/data/files.py) without the watcher following or blocking on it."""
    files: Snapshot = {}
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            for file_name in names:
                path = os.path.join(dirpath, file_name)
                try:
                    stat = os.lstat(path)
                except OSError:  # deleted between listing and stat: the next poll sees it
                    continue
                files[path] = (stat.st_mtime_ns, stat.st_size)
    return files


def log_result(problems: list[Problem]) -> None:
    """The default report: the console and server logs."""
    if problems:
        log.warning(
            "knowledge NOT reloaded, the previous version keeps answering; fix:\n%s",
            "\n".join(f"  {p}" for p in problems),
        )
    else:
        log.warning("knowledge reloaded")


class Watcher:
    """Polls the engine's folders and reloads it when a file was added, changed or removed.

    ``check_once`` is the whole logic (and what tests call); ``run`` is the asyncio loop for the
    Telegram bot, ``start_background``/``stop`` a thread for the console."""

    def __init__(self, engine: Reloadable, interval: float = DEFAULT_WATCH_INTERVAL) -> None:
        self.engine = engine
        self.interval = interval
        self._seen = self._snapshot()  # the files the engine was built from (or close to it)
        self._lock = threading.Lock()  # one check at a time, whichever loop calls it
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self.reloads = 0
        self.last_problems: list[Problem] = []

    def _snapshot(self) -> Snapshot:
        return snapshot(Path(self.engine.knowledge_dir), Path(self.engine.intents_dir))

    def changed(self) -> bool:
        """Do the files differ from those of the last (re)load?"""
        return self._snapshot() != self._seen

    def check_once(self) -> list[Problem] | None:
        """None when nothing changed; else the reload's problems ([] when the new version is live).

        The snapshot is taken before reloading, so an edit made during the reload is seen by the
        next check; a broken edit is reported once, not at every poll."""
        with self._lock:
            current = self._snapshot()
            if current == self._seen:
                return None
            self._seen = current
            return self._reload()

    def reload_now(self) -> list[Problem]:
        """Reload whatever the files hold now (an admin's /reload), changed or not."""
        with self._lock:
            self._seen = self._snapshot()
            return self._reload()

    def _reload(self) -> list[Problem]:
        try:
            problems = list(self.engine.reload())
        except Exception as exc:  # a bug must not stop the watcher or the old knowledge
            log.exception("reload failed")
            problems = [Problem(str(self.engine.knowledge_dir), 1, f"reload failed: {exc!r}")]
        self.reloads += 1
        self.last_problems = problems
        return problems

    async def run(self, on_result: OnResult = log_result) -> None:
        """Check every ``interval`` seconds until cancelled; reloads run in a worker thread so
        the event loop keeps answering meanwhile.  ``on_result`` may be a coroutine function."""
        while True:
            await asyncio.sleep(self.interval)
            problems = await asyncio.to_thread(self.check_once)
            if problems is not None:
                await self._report(on_result, problems)

    @staticmethod
    async def _report(on_result: OnResult, problems: list[Problem]) -> None:
        try:
            outcome = on_result(problems)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            log.exception("reporting a reload failed")

    def start_task(self, on_result: OnResult = log_result) -> None:
        """Watch from the running event loop (the Telegram bot); no-op when the interval is 0."""
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self.run(on_result), name="knowledge-watcher")

    async def stop_task(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def start_background(self, on_result: Callable[[list[Problem]], None] = log_result) -> threading.Thread:
        """Watch in a daemon thread (the console has no event loop); ``stop()`` ends it."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(self.interval):
                problems = self.check_once()
                if problems is not None:
                    try:
                        on_result(problems)
                    except Exception:
                        log.exception("reporting a reload failed")

        self._thread = threading.Thread(target=loop, name="knowledge-watcher", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 10.0) -> None:
        """End the background thread; a reload in progress finishes first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
