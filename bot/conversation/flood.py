"""Per-user flood control: a resident typing faster than the limit is told once to slow down.

A sliding window of the times each user's messages were let through; past the limit the
user gets one "请慢一点" and is then ignored until the window has room again. Other users
are counted apart, so one resident's burst never delays another's answer. In memory only:
a restart forgives everyone.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["pass", "warn", "drop"]
_SWEEP_EVERY = 10_000  # checks between sweeps of idle users: bounded memory at a negligible cost


@dataclass
class FloodGate:
    """``check(user)`` says whether to answer (pass), slow the user down once (warn) or ignore (drop)."""

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str | int, deque[float]] = field(default_factory=dict, repr=False)
    _warned: set[str | int] = field(default_factory=set, repr=False)
    _checks: int = 0

    def check(self, user_id: str | int) -> Verdict:
        now = self.clock()
        self._checks += 1
        if self._checks % _SWEEP_EVERY == 0:
            self._sweep(now)
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            self._warned.discard(user_id)
            return "pass"
        if user_id in self._warned:
            return "drop"
        self._warned.add(user_id)
        return "warn"

    def _sweep(self, now: float) -> None:
        """Forget users whose every message has left the window, so memory stays bounded."""
        for user_id in [u for u, seen in self._seen.items() if not seen or seen[-1] <= now - self.window]:
            del self._seen[user_id]
            self._warned.discard(user_id)
