"""Building and running the PTB application: the state store, requests, long polling, shutdown.

``run_telegram`` is the thin main behind ``python run_bot.py telegram``: PTB's
``run_polling`` owns the event loop and turns SIGINT/SIGTERM into a clean stop. ``running``
does the same start and stop inside a caller's own event loop, for tests and benchmarks.

No PTB persistence: residents' dialogue, button memos and the update journal all live in
the conversation service's state store (JSON, never pickle), which every channel shares.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, BaseUpdateProcessor
from telegram.request import BaseRequest

import bot.state
from bot.conversation import Conversation
from bot.conversation.flood import FloodGate
from bot.engine import Engine
from bot.settings import ConfigError, Settings, load_settings
from bot.state.base import StateStore
from bot.state.memory import MemoryStore

from .delivery import RetryingRequest
from .handlers import CHANNEL, TelegramBot
from .journal import IntakeRequest, UpdateJournal, is_stand_in
from .limits import (
    BOOTSTRAP_RETRIES,
    CONCURRENT_UPDATES,
    GIL_SWITCH_SECONDS,
    POLL_TIMEOUT,
    SEND_CONNECTIONS,
)
from .logs import protect_handlers, quiet_loggers, redact
from .transport import AiohttpRequest

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]

RequestFactory = Callable[[], BaseRequest]


def open_state_store(settings: Settings) -> StateStore:
    """The shared state store ``BOT_STATE_URL`` names (an SQLite file in var/ when empty).

    ``bot.state.open_store`` chooses the backend; where it is not available, a memory store
    keeps one run's conversations (nothing then survives a restart)."""
    opener = getattr(bot.state, "open_store", None)
    if opener is None:
        return MemoryStore()
    return opener(settings.state_url or None, settings.var_dir)


def conversation_for(engine: Engine, settings: Settings, store: StateStore | None = None) -> Conversation:
    """The conversation service with the settings' flood limit and admins."""
    limit = settings.rate_limit
    return Conversation(
        engine,
        store if store is not None else open_state_store(settings),
        flood=FloodGate(limit.messages, limit.seconds) if limit else None,
        admins=frozenset(f"{CHANNEL}:{admin}" for admin in settings.admin_ids),
    )


class ResidentOrder(BaseUpdateProcessor):
    """Different residents' updates are handled side by side, each resident's strictly in order.

    PTB's own ``concurrent_updates`` would let 「那2月5日呢?」 overtake the question it follows
    up on, and two worker threads change one DialogueState at once. Here an update waits for
    its sender's previous one (the chat's, when there is no sender); at most ``workers``
    handlers run at a time; once an update's handlers are done it is journalled as answered.
    PTB starts one task per update in arrival order and the task
    reaches the resident's FIFO lock without yielding, so arrival order is kept: the base
    class's semaphore is made too large ever to make a task wait before that lock.
    """

    def __init__(self, workers: int, journal: UpdateJournal | None = None) -> None:
        super().__init__(max_concurrent_updates=1_000_000)
        self.workers = workers
        self.journal = journal
        self._slots = asyncio.Semaphore(workers)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}  # key → (lock, updates holding or waiting)

    @property
    def residents_in_flight(self) -> int:
        """Residents with an update being handled or waiting; 0 when idle (nothing is kept)."""
        return len(self._locks)

    @staticmethod
    def key(update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_user is not None:
            return update.effective_user.id
        return update.effective_chat.id if update.effective_chat is not None else None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = 0 if self.workers == 1 else self.key(update)  # one worker: every update in arrival order
        if key is None:
            async with self._slots:
                await coroutine
                self._answered(update)
            return
        lock, count = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, count + 1)
        try:
            async with lock, self._slots:
                await coroutine
                self._answered(update)
        finally:
            lock, count = self._locks[key]
            if count > 1:
                self._locks[key] = (lock, count - 1)
            else:
                del self._locks[key]  # nothing waits: memory stays bounded by the residents in flight

    def _answered(self, update: object) -> None:
        """Journal the update as answered, still holding its slot (a kill never falls in between)."""
        if self.journal is not None and isinstance(update, Update) and not is_stand_in(update):
            self.journal.answered(update.update_id)  # one small commit, in line: no thread hop under load

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: Application.stop has already waited for every update."""


def build_application(
    conversation: Conversation | Engine,
    settings: Settings,
    bot: TelegramBot | None = None,
    *,
    concurrent_updates: int = 1,
    request: RequestFactory | None = None,
) -> Application:
    """The application with every handler registered; nothing runs until it is started.

    With ``concurrent_updates`` above 1, that many residents are answered at once
    (:class:`ResidentOrder`); 1 handles every update in turn, which tests rely on. ``request``
    makes the HTTP layer (tests plug an in-process fake Bot API); sends are retried over it.
    """
    quiet_loggers()
    protect_handlers(settings.token.get_secret_value())
    if isinstance(conversation, Engine):
        conversation = conversation_for(conversation, settings)
    bot = bot or TelegramBot(conversation, settings)
    sends = request() if request else AiohttpRequest(connection_pool_size=SEND_CONNECTIONS)
    polls = request() if request else AiohttpRequest(connection_pool_size=1)
    builder = (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .request(RetryingRequest(sends))
        .get_updates_request(IntakeRequest(polls, bot.journal))
        .concurrent_updates(ResidentOrder(max(1, concurrent_updates), bot.journal))
        .job_queue(None)
        .post_init(bot.post_init)
        .post_shutdown(bot.post_shutdown)
    )
    if settings.rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]  # PTB types the limiter generically
    application = builder.build()
    bot.register(application)
    return application


@asynccontextmanager
async def running(
    application: Application, *, poll_timeout: float = 1.0, poll_interval: float = 0.0
) -> AsyncIterator[Application]:
    """Initialise, post_init, poll and start; on exit stop, and post_shutdown.

    The same steps, in the same order, as ``run_polling``, which cannot be used inside an
    event loop that is already running.
    """
    token = application.bot.token

    def polling_failed(error: TelegramError) -> None:
        """As under run_polling: a failed getUpdates goes to the error handlers (PTB then retries)."""
        if application.running:
            application.create_task(application.process_error(update=None, error=error))
        else:  # the moment between starting to poll and starting the application
            log.warning("getUpdates failed: %s", redact(f"{type(error).__name__}: {error}", token))

    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=poll_interval,
            timeout=int(poll_timeout),
            allowed_updates=ALLOWED_UPDATES,
            error_callback=polling_failed,
        )
        await application.start()
        yield application
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def use_uvloop() -> None:
    """uvloop's event loop under ``run_polling`` where it is installed (not on Windows): the bot is one
    CPU-bound thread of handlers, sends and polls, and uvloop's faster loop and sockets measured about
    10% more updates per second in the bench's burst."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run_telegram(engine: Engine, args: argparse.Namespace) -> int:
    """Long-poll until SIGTERM or Ctrl-C. Exit code 0 then, 2 for bad settings, 1 if the Bot API fails."""
    try:
        settings = load_settings(getattr(args, "env_file", ".env"))
    except ConfigError as exc:
        print(f"telegram: {exc}", file=sys.stderr)
        return 2
    secret = settings.token.get_secret_value()
    protect_handlers(secret)
    quiet_loggers()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    bot_logger = logging.getLogger("bot")
    if bot_logger.getEffectiveLevel() > logging.INFO:
        bot_logger.setLevel(logging.INFO)  # start-up, reloads and handler errors are worth seeing
    try:
        store = open_state_store(settings)
    except Exception as exc:  # an unreadable path or URL: say which setting, not a traceback
        print(f"telegram: cannot open the state store (BOT_STATE_URL): {exc}", file=sys.stderr)
        return 2
    try:
        application = build_application(
            conversation_for(engine, settings, store), settings, concurrent_updates=CONCURRENT_UPDATES
        )
        use_uvloop()
        application.run_polling(
            allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT, bootstrap_retries=BOOTSTRAP_RETRIES
        )
    except InvalidToken:
        print("telegram: the Bot API rejected TELEGRAM_BOT_TOKEN (revoked or mistyped?)", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(
            f"telegram: the Bot API at {settings.base_url} failed: {redact(str(exc), secret)}",
            file=sys.stderr,
        )
        return 1
    except Exception:  # its traceback must not carry the token either
        print(
            f"telegram: stopped by an error:\n{redact(traceback.format_exc(), secret)}",
            file=sys.stderr,
        )
        return 1
    finally:
        store.close()
    log.info("Telegram bot stopped")
    return 0
