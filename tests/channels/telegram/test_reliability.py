"""Reliability of the Telegram adapter: sends survive blips, updates survive crashes, poison is skipped.

Each test reproduces one defect of the adapter before it moved onto the conversation service:
a single 500 or dropped connection lost the answer, fetched updates were confirmed before
they were answered, and one update PTB could not parse stopped all answering. The real
application runs in-process against the fake Bot API; nothing waits on the wall clock.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from benchmarks.fake_bot_api import FakeBotAPI, message_update
from bot import wording as texts
from bot.channels.telegram import delivery
from bot.channels.telegram.delivery import RetryingRequest, backoff
from bot.channels.telegram.journal import ANSWERED, STREAM
from bot.channels.telegram.limits import MAX_RETRY_AFTER_SECONDS, SEND_ATTEMPTS
from bot.conversation.service import SEEN
from bot.engine import Engine
from bot.engine.dialogue import Choice, DialogueState, EventQuery
from bot.engine.reply import Offer, Reply, finished
from bot.state.base import StateStore
from tests.channels.telegram.conftest import Launch, Resident, button_labels, settle


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses between tries of a few ms: the same code path, without seconds of test time."""
    monkeypatch.setattr(delivery, "RETRY_BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(delivery, "RETRY_BACKOFF_MAX_SECONDS", 0.04)


# -- a send that fails once is tried again ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["http500", "drop", "retry_after"])
async def test_one_failed_send_does_not_lose_the_answer(
    launch: Launch, api: FakeBotAPI, resident: Resident, kind: Any
) -> None:
    async with launch():
        api.inject_fault("sendMessage", kind, retry_after=1)
        [answer] = await resident.say("哪里可以写春联?")
        await settle(api)
    assert "春联" in answer.params["text"]
    attempts = [c.fault for c in api.calls("sendMessage") if c.params.get("chat_id") == resident.chat_id]
    assert attempts == [kind, None], "tried again once, delivered once"


async def test_one_failed_edit_still_turns_the_page(
    launch: Launch, api: FakeBotAPI, resident: Resident
) -> None:
    async with launch():
        [answer] = await resident.say("哪里可以写春联?")
        api.inject_fault("editMessageText", "http500")
        await resident.press(answer.result, texts.NEXT)
        await api.wait_until(lambda: resident.edits(), what="page 2 despite the 500")
    assert "第2/6页" in resident.edits()[0].params["text"]
    assert [c.fault for c in api.calls("editMessageText")] == ["http500", None]


async def test_a_send_failing_past_the_cap_is_logged_without_personal_data(
    launch: Launch, api: FakeBotAPI, resident: Resident, neighbour: Resident, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with launch():
        api.inject_fault("sendMessage", "http500", times=SEND_ATTEMPTS)
        failed = api.push(message_update("我家住在幸福路8号,哪里可以写春联?", user_id=resident.user_id))
        await api.wait_until(
            lambda: any(r.getMessage().startswith(f"update {failed} failed") for r in caplog.records),
            timeout=15,
            what="the give-up logged",
        )
        [fine] = await neighbour.say("哪里可以猜灯谜?")
    assert "灯谜" in fine.params["text"]
    assert len([c for c in api.calls("sendMessage") if c.params.get("chat_id") == resident.chat_id]) == (
        SEND_ATTEMPTS
    )
    assert "幸福路" not in caplog.text and resident.first_name not in caplog.text


class _Inner(BaseRequest):
    """A request layer that answers from a script: (status, body) or an exception per call."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.calls = 0

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        step = self.script[self.calls]
        self.calls += 1
        if isinstance(step, BaseException):
            raise step
        return step


def _retrying(script: list[Any]) -> tuple[RetryingRequest, _Inner, list[float]]:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    inner = _Inner(script)
    return RetryingRequest(inner, sleep=sleep), inner, pauses


async def test_retries_back_off_are_capped_and_never_repeat_a_timed_out_send() -> None:
    ok = (200, b'{"ok": true, "result": true}')
    url, data = "http://x/bot1:a/sendMessage", RequestData()
    request, inner, pauses = _retrying([(500, b"{}"), NetworkError("reset"), (502, b"{}"), ok])
    assert await request.do_request(url, "POST", data) == ok
    assert pauses == [backoff(1), backoff(2), backoff(3)] and backoff(1) < backoff(2) <= backoff(9)

    request, inner, pauses = _retrying([(500, b"{}")] * SEND_ATTEMPTS)
    assert await request.do_request(url, "POST", data) == (500, b"{}"), "PTB then raises NetworkError"
    assert inner.calls == SEND_ATTEMPTS

    slow = b'{"ok": false, "error_code": 429, "parameters": {"retry_after": %d}}'
    request, inner, pauses = _retrying([(429, slow % 3), (429, slow % (MAX_RETRY_AFTER_SECONDS + 1))])
    assert (await request.do_request(url, "POST", data))[0] == 429
    assert pauses == [3.0], "a long flood wait is not slept out inside a handler"

    request, inner, pauses = _retrying([TimedOut(), ok])
    with pytest.raises(TimedOut):
        await request.do_request(url, "POST", data)
    assert inner.calls == 1, "it may have been delivered: never sent twice"

    request, inner, pauses = _retrying([NetworkError("down"), ok])
    with pytest.raises(NetworkError):
        await request.do_request("http://x/bot1:a/getUpdates", "POST", data)
    assert inner.calls == 1, "getUpdates is the Updater's to retry"


# -- updates are journalled until answered ------------------------------------------------------------


async def test_an_update_is_journalled_before_telegram_hears_it_arrived(
    launch: Launch, api: FakeBotAPI, engine: Engine, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, answer = threading.Event(), engine.answer

    def held(text: str, state: DialogueState | None = None) -> Reply:
        release.wait(10)
        return answer(text, state)

    monkeypatch.setattr(engine, "answer", held)
    resident = Resident(api, 1501)
    try:
        async with launch():
            update_id = api.push(message_update("哪里可以写春联?", user_id=resident.user_id))
            await api.wait_until(
                lambda: any(int(c.params.get("offset") or 0) > update_id for c in api.calls("getUpdates")),
                what="the update confirmed to Telegram",
            )
            assert [i for i, _ in store.journal_pending(STREAM)] == [str(update_id)], "journalled first"
            release.set()
            await api.wait_until(lambda: resident.sent(), what="the answer")
            await api.wait_until(lambda: not store.journal_pending(STREAM), what="journalled as answered")
    finally:
        release.set()
    assert store.get(ANSWERED, str(update_id)) is True


async def test_what_a_killed_run_left_unanswered_is_answered_once_at_start(
    launch: Launch, api: FakeBotAPI, store: StateStore, resident: Resident
) -> None:
    # the killed run had fetched (and journalled) two updates; Telegram never heard they arrived
    first = api.push(message_update("哪里可以猜灯谜?", user_id=resident.user_id))
    second = api.push(message_update("那2月5日呢?", user_id=resident.user_id))
    answered = api.push(message_update("/help", user_id=resident.user_id))
    for raw in api.take_updates({"offset": 0}):
        store.journal_add(STREAM, str(raw["update_id"]), raw)
    # it had answered the third, and claimed the first for answering when it was killed
    store.put(ANSWERED, str(answered), True)
    store.journal_done(STREAM, str(answered))
    store.claim(SEEN, f"telegram:{resident.user_id}:{first}")
    async with launch():
        await api.wait_until(lambda: len(resident.sent()) >= 2, what="both answered")
        await settle(api)
    riddles, follow_up = (c.params["text"] for c in resident.sent())
    assert len(resident.sent()) == 2, "each once; the answered one not again"
    assert "灯谜" in riddles and "2020年2月5日" in follow_up and "共6场" in follow_up, "in order"
    assert store.journal_pending(STREAM) == []
    assert {store.get(ANSWERED, str(i)) for i in (first, second, answered)} == {True}


async def test_a_journal_write_that_fails_loses_no_update_of_the_batch(
    launch: Launch, api: FakeBotAPI, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A getUpdates answer is journalled in one batch; when a write fails, none of its updates is
    taken for in flight, so PTB's retry of the same getUpdates journals and answers each once."""
    residents = [Resident(api, 1551 + i) for i in range(3)]
    journal_add, failures = store.journal_add, [1]

    def flaky(stream: str, item_id: str, payload: Any) -> None:
        if stream == STREAM and failures and len(store.journal_pending(STREAM)) == 1:
            failures.pop()
            raise OSError("disk full")
        journal_add(stream, item_id, payload)

    monkeypatch.setattr(store, "journal_add", flaky)
    for resident in residents:  # queued before the first poll: one getUpdates answer holds all three
        api.push(message_update("哪里可以写春联?", user_id=resident.user_id))
    async with launch():
        await api.wait_until(lambda: all(r.sent() for r in residents), timeout=15, what="every answer")
        await settle(api)
    assert failures == [], "the write did fail once"
    assert [len(r.sent()) for r in residents] == [1, 1, 1]
    assert store.journal_pending(STREAM) == []


# -- one unreadable update ----------------------------------------------------------------------------


async def test_an_update_the_library_cannot_read_is_skipped_once_and_answering_goes_on(
    launch: Launch, api: FakeBotAPI, resident: Resident, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    poison = message_update("我的手机号13800000000", user_id=1601, first_name="张秘密")
    del poison["message"]["from"]["is_bot"]  # PTB cannot build a User without it
    async with launch():
        poisoned = api.push(poison)
        [answer] = await resident.say("哪里可以写春联?")
        await settle(api)
    assert "春联" in answer.params["text"]
    assert api.pending_updates() == 0, "confirmed to Telegram, so it does not come back"
    logged = [r for r in caplog.records if f"update {poisoned} " in r.getMessage()]
    assert len(logged) == 1 and "cannot be read" in logged[0].getMessage()
    assert "张秘密" not in caplog.text and "13800000000" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]


# -- suggestions --------------------------------------------------------------------------------------


async def test_a_suggestions_reply_has_numbered_lines_and_a_button_per_offer(
    launch: Launch, engine: Engine, api: FakeBotAPI, resident: Resident
) -> None:
    class Suggesting(Engine):
        def answer(self, text: str, state: DialogueState | None = None) -> Reply:
            if text != "活动" or state is None:
                return super().answer(text, state)
            state.choices = [
                Choice("events", "春联", EventQuery(activity=("春联",))),
                Choice("events", "灯谜", EventQuery(activity=("灯谜",))),
            ]
            offers = (Offer(1, "「春联」相关的活动", "events"), Offer(2, "「灯谜」相关的活动", "events"))
            return finished(Reply("suggestions", "suggest", title="您想问哪一个?", items=offers))

    suggesting = Suggesting(engine.brain, engine.knowledge_dir, engine.intents_dir)
    async with launch(suggesting):
        [offer] = await resident.say("活动")
        await resident.say("哪里可以写春联?")  # a newer question: the older buttons still pick
        text, markup = offer.params["text"], offer.params["reply_markup"]
        assert "1. 「春联」相关的活动\n2. 「灯谜」相关的活动" in text and texts.PICK_HINT in text
        assert button_labels(markup) == ["1. 「春联」相关的活动", "2. 「灯谜」相关的活动"]
        assert all(b["callback_data"].startswith("pk:") for row in markup["inline_keyboard"] for b in row)
        pressed = await resident.press(offer.result, "2. 「灯谜」相关的活动")
        await api.wait_until(lambda: len(resident.sent()) == 3, what="the picked answer")
    assert "text" not in pressed.params
    assert "「灯谜」相关的活动" in resident.sent()[2].params["text"]
