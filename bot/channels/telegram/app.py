"""Building and running the PTB application: persistence, rate limiter, long polling, shutdown.

``run_telegram`` is the thin main behind ``python run_bot.py telegram``: PTB's
``run_polling`` owns the event loop and turns SIGINT/SIGTERM into a clean stop, which
flushes the pickle file. ``running`` does the same start and stop inside a caller's own
event loop, for tests and benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    PersistenceInput,
    PicklePersistence,
)

from bot.engine import Engine
from bot.settings import ConfigError, Settings, load_settings

from .handlers import TelegramBot
from .logs import protect_handlers, quiet_loggers, redact

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
POLL_TIMEOUT = 10  # seconds one getUpdates long poll may wait on Telegram's side
PERSIST_EVERY = 15  # seconds between pickle writes while running (and always at stop)
BOOTSTRAP_RETRIES = 3  # start-up attempts when the Bot API is briefly unreachable
CONCURRENT_UPDATES = 16  # residents answered side by side by run_telegram (each one's messages in order)


class ResidentOrder(BaseUpdateProcessor):
    """Different residents' updates are handled side by side, each resident's strictly in order.

    PTB's own ``concurrent_updates`` would let 「那2月5日呢?」 overtake the question it follows
    up on, and two worker threads change one DialogueState at once. Here an update waits for
    its sender's previous one (the chat's, when there is no sender); at most ``workers``
    handlers run at a time. PTB starts one task per update in arrival order and the task
    reaches the resident's FIFO lock without yielding, so arrival order is kept: the base
    class's semaphore is made too large ever to make a task wait before that lock.
    """

    def __init__(self, workers: int) -> None:
        super().__init__(max_concurrent_updates=1_000_000)
        self.workers = workers
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
        key = self.key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock, count = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, count + 1)
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            lock, count = self._locks[key]
            if count > 1:
                self._locks[key] = (lock, count - 1)
            else:
                del self._locks[key]  # nothing waits: memory stays bounded by the residents in flight

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: Application.stop has already waited for every update."""


def build_application(
    engine: Engine, settings: Settings, bot: TelegramBot | None = None, *, concurrent_updates: int = 1
) -> Application:
    """The application with every handler registered; nothing runs until it is started.

    With ``concurrent_updates`` above 1, that many residents are answered at once
    (:class:`ResidentOrder`); 1 handles every update in turn, which tests rely on.
    """
    quiet_loggers()
    settings.persistence.parent.mkdir(parents=True, exist_ok=True)
    bot = bot or TelegramBot(engine, settings)
    persistence = PicklePersistence(
        settings.persistence,
        store_data=PersistenceInput(bot_data=False, callback_data=False),
        update_interval=PERSIST_EVERY,
    )
    builder = (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .persistence(persistence)
        .job_queue(None)
        .post_init(bot.post_init)
        .post_shutdown(bot.post_shutdown)
    )
    if settings.rate_limiter:
        # PTB types the builder's limiter argument as BaseRateLimiter[None]; AIORateLimiter is [int].
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    if concurrent_updates > 1:
        builder = builder.concurrent_updates(ResidentOrder(concurrent_updates))
    application = builder.build()
    bot.register(application)
    return application


@asynccontextmanager
async def running(
    application: Application, *, poll_timeout: float = 1.0, poll_interval: float = 0.0
) -> AsyncIterator[Application]:
    """Initialise, post_init, poll and start; on exit stop, flush persistence and post_shutdown.

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


def run_telegram(engine: Engine, args: argparse.Namespace) -> int:
    """Long-poll until SIGTERM or Ctrl-C. Exit code 0 then, 2 for bad settings, 1 if the Bot API fails."""
    try:
        settings = load_settings(getattr(args, "env_file", ".env"))
    except ConfigError as exc:
        print(f"telegram: {exc}", file=sys.stderr)
        return 2
    token = settings.token.get_secret_value()
    protect_handlers(token)
    quiet_loggers()
    bot_logger = logging.getLogger("bot")
    if bot_logger.getEffectiveLevel() > logging.INFO:
        bot_logger.setLevel(logging.INFO)  # start-up, reloads and handler errors are worth seeing
    application = build_application(engine, settings, concurrent_updates=CONCURRENT_UPDATES)
    try:
        application.run_polling(
            allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT, bootstrap_retries=BOOTSTRAP_RETRIES
        )
    except InvalidToken:
        print("telegram: the Bot API rejected TELEGRAM_BOT_TOKEN (revoked or mistyped?)", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(
            f"telegram: the Bot API at {settings.base_url} failed: {redact(str(exc), token)}",
            file=sys.stderr,
        )
        return 1
    except Exception:  # e.g. an unreadable pickle file; its traceback must not carry the token either
        print(
            f"telegram: stopped by an error:\n{redact(traceback.format_exc(), token)}",
            file=sys.stderr,
        )
        return 1
    log.info("Telegram bot stopped")
    return 0
