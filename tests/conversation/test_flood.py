"""Per-user flood control (bot.conversation.flood): pass, one warning, then silence until the window frees."""

from __future__ import annotations

import pytest

import bot.conversation.flood as flood
from bot.conversation.flood import FloodGate


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_within_the_limit_everything_passes_then_one_warning_then_drops() -> None:
    clock = Clock()
    gate = FloodGate(limit=3, window=10.0, clock=clock)
    assert [gate.check("u") for _ in range(6)] == ["pass", "pass", "pass", "warn", "drop", "drop"]


def test_the_window_slides_and_a_passed_message_forgets_the_warning() -> None:
    clock = Clock()
    gate = FloodGate(limit=2, window=10.0, clock=clock)
    assert [gate.check("u") for _ in range(3)] == ["pass", "pass", "warn"]
    clock.now = 9.99
    assert gate.check("u") == "drop"  # both messages still inside the window
    clock.now = 10.0
    assert gate.check("u") == "pass"  # the oldest left at exactly `window` seconds
    assert gate.check("u") == "pass"  # the second (from t=0) left too
    assert gate.check("u") == "warn"  # warned again: the earlier warning was forgiven by a pass


def test_users_are_counted_apart() -> None:
    gate = FloodGate(limit=1, window=10.0, clock=Clock())
    assert gate.check("a") == "pass"
    assert gate.check("a") == "warn"
    assert gate.check("b") == "pass"
    assert gate.check(42) == "pass"  # Telegram ids are ints


def test_idle_users_are_swept_so_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flood, "_SWEEP_EVERY", 5)
    clock = Clock()
    gate = FloodGate(limit=1, window=10.0, clock=clock)
    for user in range(4):
        gate.check(user)
    gate.check(0)  # warned
    assert len(gate._seen) == 4 and gate._warned == {0}
    clock.now = 100.0
    for _ in range(5):  # the 10th check sweeps before counting
        gate.check("active")
    assert set(gate._seen) == {"active"} and 0 not in gate._warned
