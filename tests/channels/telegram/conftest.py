"""Fixtures for the Telegram adapter: a fake Bot API, the real application, residents.

Every application is function-scoped: built fresh over the conversation service and one
state store per test (shared by a test's launches, as a restart shares the SQLite file),
started with the same steps as ``run_polling`` (``running``) and stopped after the test. By
default PTB talks to the fake Bot API in-process (:class:`FakeRequest`, no sockets);
``launch(http=True)`` goes through httpx and loopback instead. A :class:`Resident` types
messages and presses buttons the way Telegram delivers them (getUpdates) and waits, bounded,
for the bot's real Bot API calls.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from benchmarks.fake_bot_api import (
    IN_PROCESS_URL,
    ApiCall,
    FakeBotAPI,
    FakeRequest,
    callback_update,
    group_chat,
    message_update,
)
from bot.channels.telegram import TelegramBot, build_application, conversation_for, running
from bot.engine import Engine
from bot.settings import RateLimit, Secret, Settings
from bot.state.base import StateStore
from bot.state.memory import MemoryStore

# Loopback only: a proxy from the environment must never see (or swallow) test traffic.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_name, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

TOKEN = "987654:TEST-secret-token-never-in-logs"
ADMIN_ID = 4242
GROUP = group_chat(-100_777, "上街区居民群")
_barrier_users = itertools.count(900_000)

Launch = Callable[..., AbstractAsyncContextManager[Application]]


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB 23's RetryAfter.retry_after as a timedelta: PTB 22 otherwise raises a
    deprecation warning (an error here) whenever a 429 is injected."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(TOKEN) as server:
        yield server


@pytest.fixture
def store() -> Iterator[StateStore]:
    with MemoryStore() as shared:
        yield shared


@pytest.fixture
def settings(api: FakeBotAPI, tmp_path: Any) -> Settings:
    """Test settings: no AIORateLimiter (it only slows tests), 5 messages per 10 s, no watcher."""
    return Settings(
        token=Secret(TOKEN),
        base_url=IN_PROCESS_URL,
        var_dir=tmp_path,
        admin_ids=frozenset({ADMIN_ID}),
        rate_limit=RateLimit(5, 10.0),
        rate_limiter=False,
        watch_interval=0,
    )


@pytest.fixture
def launch(engine: Engine, settings: Settings, store: StateStore, api: FakeBotAPI) -> Launch:
    """``async with launch(...) as app``: a running application; call twice to test a restart."""

    @asynccontextmanager
    async def _launch(
        engine_: Engine | None = None,
        bot: TelegramBot | None = None,
        *,
        concurrent_updates: int = 1,
        http: bool = False,
        read_timeout: float = 5.0,
        **changes: Any,
    ) -> AsyncIterator[Application]:
        current = dataclasses.replace(settings, **changes)
        if http:
            current = dataclasses.replace(current, base_url=api.base_url)
        conversation = conversation_for(engine_ or engine, current, store)
        application = build_application(
            conversation,
            current,
            bot,
            concurrent_updates=concurrent_updates,
            request=None if http else (lambda: FakeRequest(api, read_timeout)),
        )
        async with running(application, poll_timeout=1) as running_app:
            yield running_app

    return _launch


@pytest.fixture
async def app(launch: Launch) -> AsyncIterator[Application]:
    async with launch() as application:
        yield application


@dataclass
class Resident:
    """A Telegram user talking to the bot, in a private chat unless ``chat`` is a group."""

    api: FakeBotAPI
    user_id: int
    chat: dict[str, Any] | None = None
    first_name: str = "居民"

    @property
    def chat_id(self) -> int:
        return self.chat["id"] if self.chat else self.user_id

    def sent(self) -> list[ApiCall]:
        """The bot's successful sendMessage calls to this resident's chat."""
        return [
            c
            for c in self.api.calls("sendMessage")
            if c.result is not None and c.params.get("chat_id") == self.chat_id
        ]

    def edits(self) -> list[ApiCall]:
        return [
            c
            for c in self.api.calls("editMessageText")
            if c.result is not None and c.params.get("chat_id") == self.chat_id
        ]

    async def say(
        self, text: str, *, expect: int = 1, reply_to: dict[str, Any] | None = None
    ) -> list[ApiCall]:
        """Send a message; wait for ``expect`` new bot messages in this chat and return them."""
        before = len(self.sent())
        update = message_update(
            text, user_id=self.user_id, chat=self.chat, first_name=self.first_name, reply_to=reply_to
        )
        self.api.push(update)
        if expect:
            await self.api.wait_until(lambda: len(self.sent()) >= before + expect, what=f"reply to {text!r}")
        return self.sent()[before:]

    async def press(
        self, message: dict[str, Any], label: str | None = None, *, data: str | None = None
    ) -> ApiCall:
        """Press a button (by label, or raw ``data``) under a bot message; return the answerCallbackQuery."""
        current = self.api.bot_message(message["chat"]["id"], message["message_id"])
        if data is None:
            data = button_data(current, label or "")
        update = callback_update(data, user_id=self.user_id, message=current, first_name=self.first_name)
        query_id = update["callback_query"]["id"]
        self.api.push(update)

        def answered() -> ApiCall | None:
            found = [
                c
                for c in self.api.calls("answerCallbackQuery")
                if c.params.get("callback_query_id") == query_id
            ]
            return found[0] if found else None

        return await self.api.wait_until(answered, what=f"answer to button {label or data!r}")


def button_data(message: dict[str, Any], label: str) -> str:
    """The callback data of the inline button labelled ``label`` under a bot message."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == label:
                return button["callback_data"]
    raise AssertionError(f"no button {label!r} under: {message.get('text', '')[:80]!r}")


def button_labels(markup: dict[str, Any] | None) -> list[str]:
    return [b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row]


async def settle(api: FakeBotAPI) -> None:
    """Wait until every update pushed so far is handled: updates are handled in order, so a
    fresh user's /help being answered means everything before it was too."""
    await Resident(api, next(_barrier_users)).say("/help")


@pytest.fixture
def resident(api: FakeBotAPI) -> Resident:
    return Resident(api, 1001, first_name="小王")


@pytest.fixture
def neighbour(api: FakeBotAPI) -> Resident:
    return Resident(api, 1002, first_name="老李")


@pytest.fixture
def admin(api: FakeBotAPI) -> Resident:
    return Resident(api, ADMIN_ID, first_name="管理员")


def operator_launch(
    api: FakeBotAPI, tmp_path: Path, token: str, **extra: str
) -> tuple[list[str], dict[str, str]]:
    """The command and environment of ``run_bot.py telegram`` as an operator starts it: a .env file
    for the fake Bot API and a SQLite store, and no TELEGRAM_/BOT_ variables of ours leaking in."""
    env_file = tmp_path / "bot.env"
    settings = {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": api.base_url,
        "BOT_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
        "BOT_WATCH_INTERVAL": "0",
        **extra,
    }
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env["BOT_UNANSWERED_LOG"] = str(tmp_path / "unanswered.jsonl")
    return [sys.executable, "run_bot.py", "telegram", "--env-file", str(env_file)], env
