"""Sending that survives a blip: transient Bot API failures are retried inside the request layer.

One HTTP 500, one dropped keep-alive connection or one 429 on sendMessage used to lose the
resident's answer: PTB raises at once and only AIORateLimiter (when on) retries 429s.
:class:`RetryingRequest` wraps any :class:`~telegram.request.BaseRequest` (httpx in production,
the in-process fake in tests) and tries again with a capped backoff. getUpdates is left alone:
PTB's Updater already retries it with its own backoff and reports it to the error handlers.

A timeout is *not* retried: the request may have reached Telegram, and a second try would
send the answer twice. A 5xx or a connection refused/reset before any response means Telegram
did not act on it (a dropped keep-alive connection is the pool's stale socket), so repeating is safe.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from .limits import (
    MAX_RETRY_AFTER_SECONDS,
    RETRY_BACKOFF_MAX_SECONDS,
    RETRY_BACKOFF_SECONDS,
    SEND_ATTEMPTS,
)
from .wrapping import WrappingRequest

log = logging.getLogger(__name__)

NOT_RETRIED = frozenset({"getupdates"})  # the Updater's own loop retries it, with its own backoff


def backoff(attempt: int) -> float:
    """Seconds before try ``attempt + 1`` (``attempt`` counts from 1): 0.5, 1, 2, 2, …"""
    return min(RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1), RETRY_BACKOFF_MAX_SECONDS)


def retry_after(body: bytes) -> float | None:
    """The ``parameters.retry_after`` of a 429's JSON body, or None when it has none."""
    try:
        value = json.loads(body)["parameters"]["retry_after"]
        return float(value)
    except (ValueError, TypeError, KeyError):
        return None


class RetryingRequest(WrappingRequest):
    """Another request object, with transient failures of every method but getUpdates retried."""

    def __init__(
        self,
        inner: BaseRequest,
        *,
        attempts: int = SEND_ATTEMPTS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(inner)
        self.attempts = attempts
        self._sleep = sleep
        self.retries = 0  # for /stats and tests: how often a send needed another try

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1].lower()
        attempts = 1 if endpoint in NOT_RETRIED else self.attempts
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                status, body = await self.inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,  # type: ignore[arg-type]
                    write_timeout=write_timeout,  # type: ignore[arg-type]
                    connect_timeout=connect_timeout,  # type: ignore[arg-type]
                    pool_timeout=pool_timeout,  # type: ignore[arg-type]
                )
            except TimedOut as exc:
                if last or not str(exc).startswith("Pool timeout"):
                    raise  # it may have been delivered: never send twice
                pause, why = backoff(attempt), "no free connection"  # PTB: "*not* sent to Telegram"
            except NetworkError as exc:
                if last:
                    raise
                pause, why = backoff(attempt), type(exc).__name__
            else:
                if status == 429:
                    wait = retry_after(body)
                    if last or wait is None or wait > MAX_RETRY_AFTER_SECONDS:
                        return status, body
                    pause, why = wait, "429"
                elif status >= 500 and not last:
                    pause, why = backoff(attempt), str(status)
                else:
                    return status, body
            self.retries += 1
            log.info("%s failed (%s), try %d of %d in %.1f s", endpoint, why, attempt + 1, attempts, pause)
            await self._sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")
