"""Shared fixtures.

Two kinds of knowledge:

* ``fixture_engine`` / ``fixture_ask`` / ``make_tree``: a small invented knowledge written by
  ``tests/fixtures/world.py`` in the shipped format. Tests of mechanisms (paging, follow-ups,
  citations, fallbacks, the CLI contract) use these, so an admin's edit of ``knowledge/`` cannot
  break them.
* ``engine`` / ``ask``: the shipped ``knowledge/`` and ``intents/`` (or the folders named by
  ``BOT_KNOWLEDGE`` / ``BOT_INTENTS``). Only tests marked ``shipped`` use them; their facts are
  checked as question sets in ``tests/eval/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.engine import DEFAULT_INTENTS, DEFAULT_KNOWLEDGE, Engine
from bot.engine.dialogue import DialogueState
from bot.engine.reply import Reply
from tests.fixtures.trees import Tree
from tests.fixtures.world import knowledge_tree

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (a git worktree under /work/wt/<name> finds the one beside /work/main).
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.exists()), ROOT.parent / "shared"
)
SEEDS = SHARED / "seeds"
EVAL = SHARED / "eval"
# The knowledge the shipped tests and the question sets run against: the committed folders unless
# BOT_KNOWLEDGE / BOT_INTENTS name a copy (the same variables run_bot.py reads).
KNOWLEDGE = Path(os.environ.get("BOT_KNOWLEDGE") or DEFAULT_KNOWLEDGE)
INTENTS = Path(os.environ.get("BOT_INTENTS") or DEFAULT_INTENTS)

# Loopback only: a proxy in the environment must never see test traffic.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

Ask = Callable[[str], Reply]


# -- the invented knowledge --------------------------------------------------------------------


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[..., Tree]:
    """``make_tree(events=[...], services=[...], ...)``: a fresh knowledge + intents folder in tmp_path.

    Arguments left out are the fixture world of ``tests/fixtures/world.py``; see ``knowledge_tree``.
    """
    count = 0

    def make(**overrides: Any) -> Tree:
        nonlocal count
        count += 1
        return knowledge_tree(tmp_path / f"tree{count}", **overrides)

    return make


@pytest.fixture(scope="session")
def world_tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    """The fixture world on disk, shared read-only by the whole session."""
    return knowledge_tree(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="session")
def fixture_engine(world_tree: Tree) -> Engine:
    """An engine on the fixture world; its brain is immutable, so tests may share it."""
    return Engine.load(world_tree.knowledge, world_tree.intents)


@pytest.fixture
def fixture_ask(fixture_engine: Engine) -> Ask:
    """Ask the fixture engine within one conversation: ask("哪里可以猜灯谜?") then ask("那2月5日呢?")."""
    state = DialogueState()
    return lambda text: fixture_engine.answer(text, state)


# -- the shipped knowledge (tests marked `shipped`, and the Telegram tests) --------------------


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine on the committed knowledge (or BOT_KNOWLEDGE); immutable, so tests may share it."""
    return Engine.load(KNOWLEDGE, INTENTS)


@pytest.fixture
def state() -> DialogueState:
    return DialogueState()


@pytest.fixture
def ask(engine: Engine, state: DialogueState) -> Ask:
    """Ask the shipped engine within one conversation."""
    return lambda text: engine.answer(text, state)


# Files owned by other work in progress, marked here rather than edited: benchmarks, the Telegram
# load and fault runs. Everything in them takes seconds; `make quick` (-m "not slow") leaves them out.
SLOW_FILES = {"test_bench.py", "test_bench_scale.py", "test_load.py", "test_faults.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
