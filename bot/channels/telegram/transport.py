"""PTB's HTTP requests over aiohttp instead of its default httpx.

Every answer is one ``sendMessage``, so the HTTP client's own cost bounds how many residents one
process serves. Measured on loopback (``benchmarks/telegram_load.py`` and a 3,000-POST probe), a
request costs ~2.5 ms of CPU through httpx and ~0.3 ms through aiohttp, whose HTTP parser is in C;
in a burst httpx was about half of the bot's CPU. python-telegram-bot documents ``BaseRequest`` as the
place for another networking backend; this is one, with the same timeouts and errors as its own.

aiohttp loads the system's CA certificates into two default TLS contexts as it is imported (~70 ms of
every start, on the main thread). Requests here bring one verified context of their own instead, shared
by the process and made in a worker thread at the first ``https`` URL (~35 ms, beside the event loop),
so that import skips the loading, and a bot that talks to a local Bot API server over plain HTTP never
loads certificates at all. Redirects are not followed (as PTB's own httpx transport does not): the
Bot API never redirects, and a redirect could otherwise lead to aiohttp's own, empty, contexts.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any

from telegram._utils.defaultvalue import DefaultValue  # as PTB's own HTTPXRequest: "use my default"
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.imports import certificates_deferred

with certificates_deferred():
    import aiohttp

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

_verified: ssl.SSLContext | None = None


def verified_context() -> ssl.SSLContext:
    """The process's TLS context: the system's certificates, verified with the host name, as
    ``ssl.create_default_context`` sets them (and HTTP/1.1 offered, as aiohttp's own contexts do)."""
    global _verified
    if _verified is None:
        context = ssl.create_default_context()
        context.set_alpn_protocols(["http/1.1"])
        _verified = context
    return _verified


def uses_tls(url: str) -> bool:
    return url.lstrip().lower().startswith("https:")


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most ``connection_pool_size`` connections, made in ``initialize``
    (a session belongs to the running event loop) and closed in ``shutdown``.

    Timeouts mean what they mean for PTB's ``HTTPXRequest``: ``pool`` to wait for a free connection,
    ``connect`` to open one, ``read`` between bytes of the answer; aiohttp has no write timeout, so
    ``write`` (``media_write`` when files are sent) bounds the whole request beyond the other three."""

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write = self._media_write if files else self._write
        if not isinstance(write_timeout, DefaultValue):
            write = write_timeout
        parts = [read, connect, pool, write]
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        body: Any = _form(fields, files) if files else fields
        tls: ssl.SSLContext | bool = True  # aiohttp's default: no TLS for an http URL
        if uses_tls(url):
            tls = _verified if _verified is not None else await asyncio.to_thread(verified_context)
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, ssl=tls, allow_redirects=False
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's ServerTimeoutError is one too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _form(fields: dict[str, str] | None, files: dict[str, Any]) -> aiohttp.FormData:
    """Parameters and files as one multipart body, as Telegram takes uploads."""
    form = aiohttp.FormData()
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
