"""The conversation service: state across turns, typed actions, order, flood, de-duplication."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.conversation import Conversation, Message, Pressed
from bot.conversation.flood import FloodGate
from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from bot.engine.reply import Action, Reply
from bot.state.memory import MemoryStore
from bot.state.sqlite import SQLiteStore


@pytest.fixture
def conversation(engine: Engine) -> Iterator[Conversation]:
    store = MemoryStore()
    yield Conversation(engine, store)
    store.close()


def first_paged_list(conversation: Conversation, user: str = "u") -> tuple[str, Reply]:
    """Ask until a reply pages (the shipped table has more than five couplet events)."""
    reply = conversation.handle("test", user, Message("哪里可以写春联?"))
    assert reply.kind == "events" and reply.pages > 1, reply.text
    return user, reply


def test_follow_up_uses_the_stored_state(conversation: Conversation) -> None:
    first = conversation.handle("test", "a", Message("哪里可以写春联?"))
    later = conversation.handle("test", "a", Message("那1月15日呢?"))
    assert later.kind == "events"
    assert set(later.events) < set(first.events)
    other = conversation.handle("test", "b", Message("那1月15日呢?"))
    assert set(later.events) < set(other.events), "another resident has no activity to keep"


def test_button_pages_the_list_it_was_under(conversation: Conversation) -> None:
    _, first = first_paged_list(conversation)
    next_page = next(a for a in first.actions if a.kind == "next_page")
    conversation.handle("test", "u", Message("元宵节有什么活动?"))  # a newer list in between
    paged = conversation.handle("test", "u", Pressed(next_page, first.ref))
    assert paged.page == 1 and paged.events == first.events


def test_typed_next_page_follows_the_latest_list(conversation: Conversation) -> None:
    _, first = first_paged_list(conversation)
    assert conversation.handle("test", "u", Message("下一页")).page == 1
    assert conversation.handle("test", "u", Message("上一页")).page == 0
    assert first.ref


def test_original_shows_the_whole_cited_passage(conversation: Conversation) -> None:
    reply = conversation.handle("test", "u", Message("小板凳恳谈会是什么?"))
    assert reply.kind == "passages" and reply.passage
    action = next(a for a in reply.actions if a.kind == "original")
    whole = conversation.handle("test", "u", Pressed(action, reply.ref))
    assert whole.intent == "original"
    assert reply.lines[0].rstrip("…") in whole.lines[0] or len(whole.lines[0]) >= len(reply.lines[0])
    typed = conversation.handle("test", "u", Message("原文"))
    assert typed.lines == whole.lines


def test_unknown_action_value_is_a_polite_reply(conversation: Conversation) -> None:
    reply = conversation.handle("test", "u", Pressed(Action("day", "x", "not-a-date")))
    assert reply.kind == "fallback" and reply.text
    reply = conversation.handle("test", "u", Pressed(Action("pick", "x", 7)))
    assert reply.kind == "fallback"


def test_a_retried_message_is_answered_once(engine: Engine) -> None:
    calls: list[str] = []
    release = threading.Event()

    class Slow(Engine):
        def answer(self, text: str, state: DialogueState | None = None) -> Reply:
            calls.append(text)
            release.wait(5)
            return super().answer(text, state)

    slow = Slow(engine.brain, engine.knowledge_dir, engine.intents_dir)
    conversation = Conversation(slow, MemoryStore())
    replies = []
    threads = [
        threading.Thread(
            target=lambda: replies.append(conversation.handle("t", "u", Message("春联", id="m1")))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert calls == ["春联"]
    assert len(replies) == 3 and len({r.text for r in replies}) == 1


def test_flood_warns_once_then_ignores(engine: Engine) -> None:
    clock = [0.0]
    conversation = Conversation(engine, MemoryStore(), flood=FloodGate(2, 10.0, clock=lambda: clock[0]))
    kinds = [conversation.handle("t", "u", Message("你好")).intent for _ in range(4)]
    assert kinds[2] == "slow_down" and kinds[3] == "ignored"
    assert conversation.handle("t", "someone-else", Message("你好")).intent != "slow_down"
    clock[0] = 11.0
    assert conversation.handle("t", "u", Message("你好")).intent not in ("slow_down", "ignored")


def test_a_failing_engine_gives_a_sorry_not_a_traceback(engine: Engine) -> None:
    class Broken(Engine):
        def answer(self, text: str, state: DialogueState | None = None) -> Reply:
            raise RuntimeError("secret detail")

    conversation = Conversation(Broken(engine.brain, engine.knowledge_dir, engine.intents_dir), MemoryStore())
    reply = conversation.handle("t", "u", Message("春联"))
    assert reply.kind == "fallback" and "secret" not in reply.text
    assert conversation.stats.errors == 1


def test_state_survives_a_restart_on_sqlite(engine: Engine, tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "state.sqlite3") as store:
        Conversation(engine, store).handle("t", "u", Message("哪里可以写春联?"))
    with SQLiteStore(tmp_path / "state.sqlite3") as store:
        assert Conversation(engine, store).handle("t", "u", Message("下一页")).page == 1


async def test_one_resident_in_order_others_in_parallel(conversation: Conversation) -> None:
    replies = await asyncio.gather(
        conversation.handle_async("t", "a", Message("哪里可以写春联?")),
        conversation.handle_async("t", "a", Message("下一页")),
        conversation.handle_async("t", "a", Message("下一页")),
        conversation.handle_async("t", "b", Message("哪里可以猜灯谜?")),
    )
    assert [r.page for r in replies[:3]] == [0, 1, 2]
    assert replies[3].kind == "events"


def test_what_an_answer_leaves_behind_is_written_in_one_batch(engine: Engine, tmp_path: Path) -> None:
    """Dialogue, the memo behind the buttons and the reply kept for retries: one SQLite commit, written
    after the engine answered (the claim of the message id comes first, on its own)."""
    store = SQLiteStore(tmp_path / "state.sqlite3")
    writes: list[tuple[str, bool]] = []
    put = store.put

    def spy(namespace: str, key: str, value: object, ttl: float | None = None) -> None:
        writes.append((namespace, store._batched > 0))
        put(namespace, key, value, ttl)

    store.put = spy  # type: ignore[method-assign]  # a spy on the real store
    with store:
        reply = Conversation(engine, store).handle("test", "u", Message("哪里可以写春联?", id="m1"))
        assert reply.ref, "a paged list has buttons, and their memo"
        assert writes == [("dialogue", True), ("memo", True), ("answers", True)]
        assert store.get("memo", reply.ref) is not None
