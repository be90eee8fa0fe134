"""Load through the real stack: 600 updates from 60 residents, all queued at once.

The real PTB application (httpx, long polling, the conversation service and its state
store, the adapter's handlers with :class:`ResidentOrder` running residents side by side)
answers them through the fake Bot API on loopback. Every update must get exactly one reply,
in its sender's chat, in the order asked, with the text that sender's own conversation calls
for; half the residents follow up on 灯谜 and half on 春联 with the same 「那2月5日呢?」, so a
context that leaks from one resident to another shows up as a wrong answer. The figures are printed
(``pytest -s``) and written to a JSON file; nothing is asserted about speed.
"""

from __future__ import annotations

import importlib.abc
import json
import logging
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from benchmarks.fake_bot_api import FakeBotAPI, message_update
from benchmarks.telegram_load import script  # one resident script: the test and the load run
from bot import wording as texts
from bot.channels.telegram.app import ResidentOrder
from bot.channels.telegram.render import render_plain, render_reply
from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from tests.channels.telegram.conftest import TOKEN, Launch, Resident

USERS = 60
FIRST_USER = 20_001
CONCURRENT = 16
LATENCY = 0.01  # seconds per Bot API call: a (generous) network round trip to Telegram
RIDDLES_ON_FEB_5 = (23, 39, 40, 41, 42, 54)  # 猜灯谜 events of 2020-02-05 (序号 in the source)

pytestmark = pytest.mark.slow


def arrival_order(users: list[int], turns: int, seed: int = 2020) -> list[int]:
    """Who sends the next message, ``turns`` times each: shuffled, so one resident's messages
    sometimes come back to back (a follow-up right behind its question) and sometimes far apart."""
    order = [user for user in users for _ in range(turns)]
    random.Random(seed).shuffle(order)
    return order


def expected_replies(engine: Engine, messages: list[str]) -> list[str]:
    """What the bot must send for each message of one conversation, from a fresh dialogue."""
    state = DialogueState()
    replies = []
    for text in messages:
        chunks = render_plain(texts.HELP) if text == "/help" else render_reply(engine.answer(text, state))
        assert len(chunks) == 1, f"the script needs one message per reply, {text!r} gives {len(chunks)}"
        replies.append(chunks[0])
    return replies


async def test_a_burst_from_many_residents_is_answered_once_each_in_order(
    launch: Launch, api: FakeBotAPI, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    days = sorted({event.start for event in engine.brain.knowledge.events})
    users = [FIRST_USER + i for i in range(USERS)]
    scripts = {user: script(i, days) for i, user in enumerate(users)}
    cache: dict[tuple[str, ...], list[str]] = {}
    for messages in scripts.values():
        if tuple(messages) not in cache:
            cache[tuple(messages)] = expected_replies(engine, messages)
    expected = {user: cache[tuple(messages)] for user, messages in scripts.items()}
    total = sum(len(s) for s in scripts.values())
    assert total == USERS * 10

    pushed_at: dict[int, list[float]] = defaultdict(list)
    api.latency = LATENCY
    async with launch(rate_limit=None, rate_limiter=False, concurrent_updates=CONCURRENT, http=True):
        started = time.monotonic()
        for user in arrival_order(users, len(scripts[users[0]])):
            turn = len(pushed_at[user])
            api.push(message_update(scripts[user][turn], user_id=user))
            pushed_at[user].append(time.monotonic())
        pushed = time.monotonic()
        await api.wait_until(lambda: api.sent_count() >= total, timeout=120, what=f"{total} replies")
        answered = time.monotonic()
    # the application has stopped: every update it fetched is handled, nothing more can arrive

    replies = [c for c in api.calls("sendMessage") if c.result is not None]
    by_chat: dict[int, list[Any]] = defaultdict(list)
    for call in replies:
        by_chat[call.params["chat_id"]].append(call)
    assert len(replies) == total, "every update gets exactly one reply"
    assert set(by_chat) == set(users), "replies go only to the residents' own chats"
    for user in users:
        got = [c.params["text"] for c in by_chat[user]]
        assert got == expected[user], f"resident {user}: replies differ from their own conversation"
    assert api.pending_updates() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no handler failed"

    # the follow-up, spelled out: 灯谜 residents get the six riddle events of 2020-02-05 …
    riddles, couplets = by_chat[users[0]], by_chat[users[1]]
    follow_up, next_page = riddles[1].params["text"], riddles[2].params["text"]
    assert "2020年2月5日" in follow_up and "灯谜" in follow_up and "共6场" in follow_up
    listed = follow_up.split("序号")[-1] + next_page.split("序号")[-1]
    assert sorted(int(n) for n in listed.replace("</i>", "").replace("、", " ").split()) == list(
        RIDDLES_ON_FEB_5
    )
    assert "第2/2页" in next_page and "通航社区" in next_page
    # … and 春联 residents asking the very same words get none
    assert "没有找到" in couplets[1].params["text"] and "春联" in couplets[1].params["text"]
    for user in users:
        second = by_chat[user][1].params["text"]
        assert ("共6场" in second) == (user % 2 == FIRST_USER % 2), f"context leaked into {user}'s chat"

    latencies = [call.at - pushed_at[user][turn] for user in users for turn, call in enumerate(by_chat[user])]
    wall = answered - started
    figures = {
        "updates_sent": total,
        "replies_received": len(replies),
        "users": USERS,
        "concurrent_updates": CONCURRENT,
        "api_latency_seconds": LATENCY,
        "push_seconds": round(pushed - started, 3),
        "wall_seconds": round(wall, 3),
        "updates_per_second": round(total / wall, 1),
        "latency_p50_seconds": round(statistics.median(latencies), 3),
        "latency_max_seconds": round(max(latencies), 3),
        "get_updates_calls": len(api.calls("getUpdates")),
        "send_chat_action_calls": len(api.calls("sendChatAction")),
        "wrong_chat": 0,
        "lost": total - len(replies),
    }
    out = tmp_path / "load-figures.json"
    out.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print("\ntelegram load:", json.dumps(figures, ensure_ascii=False))

    saved = json.loads(out.read_text(encoding="utf-8"))
    assert set(saved) == set(figures)
    assert all(isinstance(v, int | float) and v >= 0 for v in saved.values())
    assert saved["updates_sent"] == saved["replies_received"] == total and saved["users"] == USERS
    assert TOKEN not in caplog.text


async def test_a_slow_answer_holds_up_only_its_own_resident(
    launch: Launch, api: FakeBotAPI, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The follow-up waits for the slow question it follows up on; other residents do not wait."""
    release = threading.Event()
    answer = engine.answer

    def slow(text: str, state: DialogueState | None = None) -> Any:
        if text == "哪里可以猜灯谜?":
            release.wait(10)
        return answer(text, state)

    monkeypatch.setattr(engine, "answer", slow)
    riddler, others = Resident(api, 30_001), [Resident(api, 30_002 + i) for i in range(20)]
    try:
        async with launch(rate_limit=None, concurrent_updates=CONCURRENT) as app:
            order = app.update_processor
            assert isinstance(order, ResidentOrder)
            api.push(message_update("哪里可以猜灯谜?", user_id=riddler.user_id))
            api.push(message_update("那2月5日呢?", user_id=riddler.user_id))
            for other in others:
                api.push(message_update("哪里可以写春联?", user_id=other.user_id))
            await api.wait_until(lambda: all(o.sent() for o in others), what="the others answered")
            await api.wait_until(lambda: order.residents_in_flight == 1, what="the others done")
            assert riddler.sent() == [], "the follow-up did not overtake the slow question"
            release.set()
            await api.wait_until(lambda: len(riddler.sent()) == 2, what="the riddler answered")
            await api.wait_until(lambda: order.residents_in_flight == 0, what="nothing kept")
    finally:
        release.set()
    first, follow_up = (c.params["text"] for c in riddler.sent())
    assert "共13场" in first and "2020年2月5日" in follow_up and "共6场" in follow_up


class _FailedImports(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path, so asked only when no real finder has the module: an import failing."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        self.names.append(name)


async def test_answering_tries_no_import_that_fails(
    launch: Launch, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once running, answering over httpx (questions, follow-ups, paging, commands, the rate limiter
    on) imports nothing that is missing: an optional module tried per request (httpcore looking
    for ``sniffio``, say) would cost every update a search of the whole path."""
    residents = [Resident(api, 40_001 + i) for i in range(4)]
    failed = _FailedImports()
    async with launch(rate_limit=None, rate_limiter=True, concurrent_updates=CONCURRENT, http=True):
        await residents[0].say("/start")  # the first round trip may import lazily; not counted
        monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, failed])
        for resident in residents:
            await resident.say("哪里可以写春联?")
            await resident.say("下一页")
            await resident.say("/help")
    assert failed.names == []
