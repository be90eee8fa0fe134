"""Shared fixtures: the shipped knowledge loaded once, fresh dialogue state per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.engine import DEFAULT_INTENTS, DEFAULT_KNOWLEDGE, Engine
from bot.engine.dialogue import DialogueState

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
EVAL = SHARED / "eval"

# Loopback only: a proxy in the environment must never see test traffic.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = "127.0.0.1,localhost"


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine on the committed knowledge; its brain is immutable, so tests may share it."""
    return Engine.load(DEFAULT_KNOWLEDGE, DEFAULT_INTENTS)


@pytest.fixture
def state() -> DialogueState:
    return DialogueState()


@pytest.fixture
def ask(engine: Engine, state: DialogueState):  # type: ignore[no-untyped-def]
    """Ask within one conversation: ask("哪里可以猜灯谜?") then ask("那2月5日呢?")."""
    return lambda text: engine.answer(text, state)
