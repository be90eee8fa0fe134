"""Hot reload: notice edited knowledge or intents files and swap the engine's brain.

Self-contained on purpose (it needs only an object with ``knowledge_dir``, ``intents_dir``
and ``reload()``), so it can move to ``bot/reload.py`` for other adapters unchanged. The
loop is a plain asyncio task: PTB's JobQueue needs an extra that is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

Fingerprint = frozenset[tuple[str, int, int]]


class Reloadable(Protocol):
    knowledge_dir: Path
    intents_dir: Path

    def reload(self) -> list: ...


def fingerprint(folders: Iterable[Path]) -> Fingerprint:
    """Path, mtime and size of every file: an edit, an addition or a removal changes it."""
    found = set()
    for folder in folders:
        for dirpath, _, filenames in os.walk(folder):
            for name in filenames:
                path = os.path.join(dirpath, name)
                with contextlib.suppress(OSError):  # removed while we looked: the next look sees it
                    stat = os.stat(path)
                    found.add((path, stat.st_mtime_ns, stat.st_size))
    return frozenset(found)


class KnowledgeWatcher:
    """Every ``interval`` seconds, reload the engine if its files changed; ``reload()`` on demand."""

    def __init__(self, engine: Reloadable, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self.reloads = 0
        self.last_problems: list = []
        self._seen: Fingerprint | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def _folders(self) -> list[Path]:
        return [Path(self.engine.knowledge_dir), Path(self.engine.intents_dir)]

    async def reload(self) -> list:
        """Reload now (in a thread: building the indexes takes a while); return the problems."""
        async with self._lock:
            self._seen = await asyncio.to_thread(fingerprint, self._folders())
            problems = await asyncio.to_thread(self.engine.reload)
            self.reloads += 1
            self.last_problems = list(problems)
            if problems:
                log.warning(
                    "knowledge not reloaded, %d problem(s):\n%s",
                    len(problems),
                    "\n".join(str(p) for p in problems),
                )
            else:
                log.info("knowledge reloaded")
            return list(problems)

    async def check(self) -> list | None:
        """Reload if the files changed since the last look; None when nothing changed."""
        current = await asyncio.to_thread(fingerprint, self._folders())
        if self._seen is None:
            self._seen = current
            return None
        if current == self._seen:
            return None
        return await self.reload()

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # a watcher that dies silently is worse than one that logs and goes on
                log.exception("checking the knowledge files failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Start watching (no-op when the interval is 0 or it already runs)."""
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="knowledge-watcher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
