"""Faults: the Bot API fails, stalls, throttles and hangs up; a handler crashes; the process is killed.

The fake server injects each fault into getUpdates and into sendMessage. Polling is PTB's:
it retries getUpdates with a growing pause (at once after a time out, after ``retry_after``
for a 429), so no update is lost or answered twice. A failed sendMessage is tried again by
the adapter (a 500, a dropped connection, a 429); only a time out is not, since Telegram may
have the message already, and it is logged with the update id. After every fault a fresh
question must get its answer, and the bot token must appear in no log line, no error and no
traceback. The last tests run ``run_bot.py telegram`` itself, stop it with SIGTERM and kill
it with SIGKILL mid-burst: every question is answered exactly once.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ContextTypes

import bot.state
from benchmarks.fake_bot_api import FAULT_KINDS, ApiCall, FakeBotAPI, FaultKind, message_update
from bot import wording as texts
from bot.channels.telegram import delivery
from bot.channels.telegram.journal import STREAM
from bot.channels.telegram.limits import CONCURRENT_UPDATES
from bot.channels.telegram.render import render_plain, render_reply
from bot.engine import ROOT, Engine
from bot.engine.dialogue import DialogueState
from tests.channels.telegram.conftest import TOKEN, Launch, Resident, operator_launch

pytestmark = pytest.mark.slow

READ_TIMEOUT = 1.0  # the in-process request's read timeout here; getUpdates adds its long-poll timeout
POLL_TIMEOUT = 1  # what the tests' ``running`` asks getUpdates to wait
# Past PTB's timeout: getUpdates gives up after READ_TIMEOUT + POLL_TIMEOUT, sendMessage after READ_TIMEOUT.
DELAY = {"getUpdates": READ_TIMEOUT + POLL_TIMEOUT + 1.0, "sendMessage": READ_TIMEOUT + 0.5}
# What the bot's error handler sees when sendMessage meets each fault.
SEND_ERRORS = {
    "http500": "NetworkError",
    "retry_after": "RetryAfter",
    "drop": "NetworkError",
    "delay": "TimedOut",
}
SECRET = TOKEN.partition(":")[2]
needs_shared_store = pytest.mark.skipif(
    not hasattr(bot.state, "open_store"), reason="needs bot.state.open_store (SQLite across processes)"
)


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pauses between tries of a few ms: the same code path, without seconds of test time."""
    monkeypatch.setattr(delivery, "RETRY_BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(delivery, "RETRY_BACKOFF_MAX_SECONDS", 0.04)


def assert_no_token(text: str, where: str) -> None:
    assert TOKEN not in text, f"the bot token leaked into {where}"
    assert SECRET not in text, f"the token's secret half leaked into {where}"


def answers(api: FakeBotAPI, chat_id: int) -> list[ApiCall]:
    return [c for c in api.calls("sendMessage") if c.params.get("chat_id") == chat_id and c.result]


async def ask(api: FakeBotAPI, user_id: int, text: str, *, timeout: float = 10.0) -> tuple[int, ApiCall]:
    """Push a question; return its update id and the bot's (first) answer in that chat."""
    before = len(answers(api, user_id))
    update_id = api.push(message_update(text, user_id=user_id))
    await api.wait_until(
        lambda: len(answers(api, user_id)) > before, timeout=timeout, what=f"an answer to {text!r}"
    )
    return update_id, answers(api, user_id)[before]


def failure_logged(caplog: pytest.LogCaptureFixture, update_id: int, error: str) -> bool:
    return any(
        r.levelno == logging.ERROR
        and r.getMessage().startswith(f"update {update_id} failed: ")
        and error in r.getMessage()
        for r in caplog.records
    )


class ErrorLog:
    """A second error handler: every exception the application passed on, for the token check."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    def text(self) -> str:
        return "\n".join(f"{e!r} {e}\n" + "".join(traceback.format_exception(e)) for e in self.errors)


# -- the Bot API fails -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_get_updates_faults_polling_backs_off_and_loses_nothing(
    launch: Launch, api: FakeBotAPI, caplog: pytest.LogCaptureFixture, kind: FaultKind
) -> None:
    caplog.set_level(logging.DEBUG)
    times = 2 if kind == "http500" else 1
    errors = ErrorLog()
    async with launch(concurrent_updates=CONCURRENT_UPDATES, read_timeout=READ_TIMEOUT) as app:
        app.add_error_handler(errors)
        await ask(api, 1101, "/help")  # polling is live
        api.inject_fault("getUpdates", kind, times=times, seconds=DELAY["getUpdates"])
        await api.wait_until(
            lambda: [c for c in api.calls("getUpdates") if c.fault == kind], what=f"a getUpdates {kind}"
        )
        # asked while polling is failing (or stalled): answered once it recovers, exactly once
        update_id, answer = await ask(api, 1101, "哪里可以猜灯谜?", timeout=DELAY["getUpdates"] + 10)
        assert "灯谜" in answer.params["text"]
        _, fresh = await ask(api, 1102, "哪里可以写春联?")
        assert "春联" in fresh.params["text"]
    polls = api.calls("getUpdates")
    faulted = [i for i, c in enumerate(polls) if c.fault == kind]
    assert len(faulted) == times and faulted[-1] < len(polls) - 1, "polling went on after the fault"
    assert len(answers(api, 1101)) == 2 and len(answers(api, 1102)) == 1, "nothing lost, nothing twice"
    assert api.pending_updates() == 0
    if kind in ("http500", "drop"):  # reported by the adapter's error handler, as under run_polling
        warnings = [
            r for r in caplog.records if r.getMessage().startswith("getUpdates failed, polling again")
        ]
        assert len(warnings) == times and all("NetworkError" in r.getMessage() for r in warnings)
        assert [type(e).__name__ for e in errors.errors] == ["NetworkError"] * times
    else:  # a 429 and a time out are PTB's own business: it waits or retries, nothing to report
        assert errors.errors == []
    assert_no_token(caplog.text, "the logs")
    assert_no_token(errors.text(), "the exceptions")
    print(f"\nfault getUpdates/{kind}: {times} injected, survived; update {update_id} answered once")


@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_send_message_faults_are_retried_or_logged_and_the_bot_goes_on(
    launch: Launch, api: FakeBotAPI, caplog: pytest.LogCaptureFixture, kind: FaultKind
) -> None:
    caplog.set_level(logging.DEBUG)
    errors = ErrorLog()
    async with launch(concurrent_updates=CONCURRENT_UPDATES, read_timeout=READ_TIMEOUT) as app:
        app.add_error_handler(errors)
        await ask(api, 1201, "哪里可以猜灯谜?")
        api.inject_fault("sendMessage", kind, seconds=DELAY["sendMessage"])
        faulted = api.push(message_update("那2月5日呢?", user_id=1201))
        await api.wait_until(lambda: [c for c in api.calls("sendMessage") if c.fault], what="the fault")
        # the next updates are served meanwhile (with a delay, while the failed reply still hangs)
        _, fresh = await ask(api, 1202, "哪里可以写春联?")
        assert "春联" in fresh.params["text"]
        await api.wait_until(lambda: len(answers(api, 1201)) == 2, timeout=10, what="the faulted answer")
        if kind == "delay":  # Telegram got it, the bot stopped waiting: delivered late, not sent twice
            await api.wait_until(
                lambda: failure_logged(caplog, faulted, SEND_ERRORS[kind]),
                timeout=DELAY["sendMessage"] + 5,
                what=f"update {faulted} logged as failed with {SEND_ERRORS[kind]}",
            )
        # the resident asks again: served, and their context is intact
        _, again = await ask(api, 1201, "下一页", timeout=10)
        assert "第2/2页" in again.params["text"] and "序号 54" in again.params["text"]
    attempts = [c for c in api.calls("sendMessage") if c.params.get("chat_id") == 1201]
    assert [c.fault for c in attempts] == [None, kind, *([] if kind == "delay" else [None]), None]
    assert "共6场" in attempts[1].params["text"] and "共6场" in answers(api, 1201)[1].params["text"]
    if kind == "delay":
        assert [type(e).__name__ for e in errors.errors] == [SEND_ERRORS[kind]]
    else:
        assert errors.errors == [], "a transient failure is retried, not an error"
    sorry = [c for c in api.calls("sendMessage") if c.params.get("text") == texts.SORRY]
    assert sorry == [], "a Bot API failure is not answered with another message"
    assert_no_token(caplog.text, "the logs")
    assert_no_token(errors.text(), "the exceptions")
    print(f"\nfault sendMessage/{kind}: 1 injected, survived; update {faulted} answered once")


# -- a handler crashes -------------------------------------------------------------------------------


async def test_a_crash_in_a_handler_is_logged_with_its_update_and_spares_the_others(
    launch: Launch,
    api: FakeBotAPI,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer = engine.answer

    def crashing(text: str, state: DialogueState | None = None) -> Any:
        if text == "炸一下":
            raise RuntimeError(f"engine exploded (token {TOKEN})")
        return answer(text, state)

    monkeypatch.setattr(engine, "answer", crashing)
    caplog.set_level(logging.INFO)
    crasher, neighbours = Resident(api, 1301), [Resident(api, 1302 + i) for i in range(5)]
    async with launch(concurrent_updates=CONCURRENT_UPDATES):
        await ask(api, crasher.user_id, "哪里可以猜灯谜?")
        crash = api.push(message_update("炸一下", user_id=crasher.user_id))
        for neighbour in neighbours:
            api.push(message_update("哪里可以写春联?", user_id=neighbour.user_id))
        follow = api.push(message_update("那2月5日呢?", user_id=crasher.user_id))
        await api.wait_until(
            lambda: len(crasher.sent()) == 3 and all(n.sent() for n in neighbours), what="everyone answered"
        )
    sorry, follow_up = (c.params["text"] for c in crasher.sent()[1:])
    assert sorry == texts.SORRY, "the resident hears that something went wrong"
    assert "2020年2月5日" in follow_up and "共6场" in follow_up, "their context survived the crash"
    assert all("春联" in n.sent()[0].params["text"] and len(n.sent()) == 1 for n in neighbours)
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(crashes) == 1 and "RuntimeError: engine exploded" in (crashes[0].exc_text or "")
    assert not [r for r in caplog.records if f"update {follow} " in r.getMessage()]
    assert crash > 0
    assert_no_token(caplog.text, "the logs")


async def test_a_crash_behind_a_button_answers_the_press_and_is_logged(
    launch: Launch,
    api: FakeBotAPI,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    resident = Resident(api, 1401)
    caplog.set_level(logging.INFO)
    async with launch(concurrent_updates=CONCURRENT_UPDATES):
        _, listed = await ask(api, resident.user_id, "哪里可以写春联?")

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise KeyError("index gone")

        monkeypatch.setattr(engine, "show_events", broken)
        pressed = await resident.press(listed.result, texts.NEXT)  # answered before the work
        await api.wait_until(lambda: len(resident.sent()) == 2, what="a sorry after the press")
        monkeypatch.undo()
        _, fresh = await ask(api, resident.user_id, "下一页")
    assert "text" not in pressed.params, "the spinner stopped at once"
    # the press was already answered, so the apology comes as a message in the private chat
    assert resident.sent()[1].params["text"] == texts.SORRY
    assert "第2/6页" in fresh.params["text"] and resident.edits() == []
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and "KeyError" in (failures[0].exc_text or "")


# -- the real entry point: faults, then SIGTERM mid-answer, then a restart -----------------------------

PROCESS_TOKEN = "987654:SECRET-token-xyz"


@pytest.fixture
def process_api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(PROCESS_TOKEN) as server:
        yield server


def start_bot(
    api: FakeBotAPI, tmp_path: Path, run: int, **extra: str
) -> tuple[subprocess.Popen[bytes], Path]:
    """``python run_bot.py telegram`` as an operator starts it; stderr to a file (it may grow)."""
    command, env = operator_launch(api, tmp_path, PROCESS_TOKEN, **extra)
    stderr = tmp_path / f"run{run}.stderr"
    with stderr.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=sink)
    return process, stderr


def stop_bot(process: subprocess.Popen[bytes], stderr: Path) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = stderr.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == 0, log
    assert_no_token(log, "the process's stderr")
    return log


def saved_dialogue(tmp_path: Path, user: int) -> DialogueState:
    with bot.state.open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path) as store:
        return DialogueState.from_json(store.get("dialogue", f"telegram:{user}") or {})


@needs_shared_store
def test_run_bot_survives_faults_stops_on_sigterm_mid_answer_and_resumes_the_dialogue(
    process_api: FakeBotAPI, tmp_path: Path
) -> None:
    api, riddler, unlucky, late = process_api, 7007, 7008, 7009
    process, stderr = start_bot(api, tmp_path, 1)
    try:
        api.wait_until_sync(lambda: api.calls("getUpdates"), timeout=30, what="the bot to poll")
        api.inject_fault("getUpdates", "http500")
        api.wait_until_sync(lambda: [c for c in api.calls("getUpdates") if c.fault], what="the 500")
        api.inject_fault("sendMessage", "retry_after", retry_after=1)
        api.push(message_update("哪里可以猜灯谜?", user_id=riddler))
        api.wait_until_sync(lambda: answers(api, riddler), timeout=15, what="the riddle answer")
        api.inject_fault("sendMessage", "http500")  # tried again: answered all the same
        api.push(message_update("怎么在手机上信访?", user_id=unlucky))
        api.wait_until_sync(lambda: answers(api, unlucky), timeout=15, what="the answer despite the 500")
        api.inject_fault("sendMessage", "delay", seconds=2.0)
        api.push(message_update("哪里可以写春联?", user_id=late))
        api.wait_until_sync(
            lambda: [c for c in api.calls("sendMessage") if c.params.get("chat_id") == late],
            what="the answer on its way",
        )
    finally:
        first_log = stop_bot(process, stderr)  # SIGTERM while that answer is still in flight
    assert "getUpdates failed, polling again after a pause: NetworkError: Internal Server Error" in first_log
    assert [c.fault for c in api.calls("sendMessage") if c.params.get("chat_id") == riddler] == [
        "retry_after",
        None,
    ]
    assert [c.fault for c in api.calls("sendMessage") if c.params.get("chat_id") == unlucky] == [
        "http500",
        None,
    ]
    assert len(answers(api, late)) == 1, "the answer in flight at SIGTERM was delivered"
    riddles, couplets = saved_dialogue(tmp_path, riddler).query, saved_dialogue(tmp_path, late).query
    assert riddles is not None and riddles.activity == ("灯谜",)
    assert couplets is not None and couplets.activity == ("春联",), "state changed mid-answer is saved"
    assert api.pending_updates() == 0

    polls = len(api.calls("getUpdates"))
    process, stderr = start_bot(api, tmp_path, 2)
    try:
        api.wait_until_sync(lambda: len(api.calls("getUpdates")) > polls, timeout=30, what="polling again")
        api.push(message_update("那2月5日呢?", user_id=riddler))
        api.wait_until_sync(lambda: len(answers(api, riddler)) == 2, timeout=30, what="the follow-up")
        api.push(message_update("下一页", user_id=riddler))
        api.wait_until_sync(lambda: len(answers(api, riddler)) == 3, timeout=10, what="its next page")
    finally:
        stop_bot(process, stderr)
    follow_up, next_page = (c.params["text"] for c in answers(api, riddler)[1:])
    assert "2020年2月5日" in follow_up and "灯谜" in follow_up and "共6场" in follow_up
    assert "序号 39、23、40、41、42" in follow_up and "序号 54" in next_page
    assert len(answers(api, late)) == 1 and len(answers(api, unlucky)) == 1, "nothing answered twice"
    faults = [c.fault for c in api.calls() if c.fault]
    assert sorted(faults) == ["delay", "http500", "http500", "retry_after"]
    print(f"\nrun_bot.py: {len(faults)} faults injected, survived; SIGTERM x2 exit 0; dialogue resumed")


KILL_RESIDENTS = 24  # enough that all 16 workers are busy when the sends are held
KILL_SCRIPT = ("哪里可以猜灯谜?", "那2月5日呢?", "下一页", "/help", "怎么在手机上信访?")


def expected_texts(engine: Engine, messages: tuple[str, ...]) -> list[str]:
    """What one resident must receive, in order, from a fresh conversation."""
    state, replies = DialogueState(), []
    for text in messages:
        chunks = render_plain(texts.HELP) if text == "/help" else render_reply(engine.answer(text, state))
        assert len(chunks) == 1
        replies.append(chunks[0])
    return replies


@needs_shared_store
def test_kill_9_mid_burst_then_restart_answers_every_question_exactly_once(
    process_api: FakeBotAPI, tmp_path: Path, engine: Engine
) -> None:
    api = process_api
    users = [8_000 + i for i in range(KILL_RESIDENTS)]
    off = {"BOT_RATE_LIMIT": "off", "BOT_RATE_LIMITER": "off"}
    process, stderr = start_bot(api, tmp_path, 1, **off)
    try:
        api.wait_until_sync(lambda: api.calls("getUpdates"), timeout=30, what="the bot to poll")
        for turn in range(len(KILL_SCRIPT)):
            for user in users:
                api.push(message_update(KILL_SCRIPT[turn], user_id=user))
        api.wait_until_sync(lambda: api.sent_count() >= 20, timeout=30, what="the burst under way")
        api.hold("sendMessage")  # every worker ends up in a send that Telegram never receives
        api.wait_until_sync(
            lambda: api.held() == CONCURRENT_UPDATES, timeout=30, what="all workers in a send"
        )
        process.kill()  # SIGKILL: no clean-up, no flush, no confirmation of fetched updates
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        api.release(deliver=False)
    answered_before = api.sent_count()
    total = len(users) * len(KILL_SCRIPT)
    assert answered_before < total, "killed mid-burst"

    process, stderr = start_bot(api, tmp_path, 2, **off)
    try:
        api.wait_until_sync(lambda: api.sent_count() >= total, timeout=60, what=f"all {total} answers")
        log = stop_bot(process, stderr)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    expected = expected_texts(engine, KILL_SCRIPT)
    for user in users:
        got = [c["text"] for c in api.sent(user)]
        assert got == expected, f"resident {user}: lost, doubled or out of order after the kill"
    assert len(api.sent()) == total and api.pending_updates() == 0
    with bot.state.open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path) as store:
        assert store.journal_pending(STREAM) == []
    assert "left unanswered by the previous run" in log
    print(f"\nkill -9 after {answered_before}/{total} answers; restart answered the rest, each once")
