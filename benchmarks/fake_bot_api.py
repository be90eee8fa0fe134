"""A fake Telegram Bot API, on 127.0.0.1 or in-process, for tests and benchmarks of the Telegram adapter.

python-telegram-bot talks to it exactly as to api.telegram.org: ``POST /bot<TOKEN>/<method>``
with form-encoded parameters (non-strings JSON-encoded). The server keeps pushed updates
until a later ``getUpdates`` offset confirms them, records every call, remembers the
messages the bot sent (so an edit can be checked in place) and can inject faults into the
next calls of a method::

    with FakeBotAPI() as api:
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        ...
        api.push(message_update("哪里可以写春联?", user_id=1))
        await api.wait_until(lambda: api.sent(chat_id=1))
        api.inject_fault("sendMessage", "http500", times=2)   # or retry_after, delay, drop

It is an asyncio server in a daemon thread with its own event loop, so it serves an
application running in the test's loop, in another thread or in a subprocess. Its listen
backlog is a real server's (128), so a burst of new connections is queued, not refused.

:class:`FakeRequest` is the same API without sockets: a PTB request class that answers in
the caller's event loop, for the many tests that need the real application but not HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TOKEN = "123456:TEST-fake-bot-api-token"
BOT_ID = 123456
BOT_USERNAME = "zz_district_bot"

FaultKind = Literal["http500", "retry_after", "delay", "drop"]
FAULT_KINDS: tuple[FaultKind, ...] = ("http500", "retry_after", "delay", "drop")

# Parameters that are free text and must never be JSON-decoded ("123" stays a string).
_TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "action",
        "callback_query_id",
        "inline_message_id",
        "url",
        "language_code",
        "description",
        "short_description",
        "name",
    }
)
_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")
BACKLOG = 128  # a real server's listen queue: a burst of keep-alive connections must not be refused
IN_PROCESS_URL = "http://fake.invalid/bot"  # base URL for FakeRequest: never resolved, never dialled
_user_message_ids = itertools.count(1_000_000)


@dataclass
class Fault:
    """What the next ``times`` calls of one method do instead of (or before) answering."""

    kind: FaultKind
    times: int = 1
    seconds: float = 1.0  # for "delay": wait this long, then answer normally
    retry_after: int = 1  # for "retry_after": the 429's parameters.retry_after


@dataclass
class ApiCall:
    """One request the bot made, as the server understood it."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() on arrival
    fault: FaultKind | None = None
    result: Any = None  # what the server answered with ("result" of the JSON), if it answered


class FakeBotAPI:
    """The server and its state; every public method is thread-safe."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = BOT_USERNAME,
        bot_id: int = BOT_ID,
        max_poll_wait: float = 1.0,
        latency: float = 0.0,
    ) -> None:
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.latency = latency  # seconds each call takes before it is handled, like a network round trip
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "郑州社区助手",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._cond = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._calls: list[ApiCall] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._commands: dict[str, list[Any]] = {}
        self._answered: set[str] = set()  # callback queries answered (Telegram takes one answer)
        self._closed = False
        self._sent = 0
        self._listeners: list[Callable[[], None]] = []  # woken by push(): in-process long polls
        self._holding: set[str] = set()
        self._held = 0
        self._deliver_held = True
        self._server: _Loopback | None = None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        self._server = _Loopback(self)
        self._server.start()
        return self

    def stop(self) -> None:
        self.release(deliver=False)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return self._server.port

    @property
    def base_url(self) -> str:
        """What to give ApplicationBuilder().base_url(...) or TELEGRAM_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    def server_thread_id(self) -> int | None:
        """The native id of the loopback server's thread: benchmarks read its CPU time, to show the
        fake Bot API is not what limits a load figure (it shares the benchmark's process)."""
        return self._server.thread_id if self._server is not None else None

    # -- feeding the bot --------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update (its update_id is assigned here) and wake a waiting getUpdates."""
        with self._cond:
            update = {**update, "update_id": next(self._update_ids)}
            for message in (update.get("message"), (update.get("callback_query") or {}).get("message")):
                if message:
                    self._chats.setdefault(message["chat"]["id"], message["chat"])
            self._updates.append(update)
            self._cond.notify_all()
            listeners = list(self._listeners)
        for wake in listeners:
            wake()
        return update["update_id"]

    def listen(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Call ``wake`` on every push (thread-safe callers only); returns the function that stops it."""
        with self._cond:
            self._listeners.append(wake)

        def forget() -> None:
            with self._cond:
                if wake in self._listeners:
                    self._listeners.remove(wake)

        return forget

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._cond:
            return len(self._updates)

    # -- faults -----------------------------------------------------------------------------------

    def inject_fault(
        self, method: str, kind: FaultKind, *, times: int = 1, seconds: float = 1.0, retry_after: int = 1
    ) -> None:
        """The next ``times`` calls of ``method`` fail: http500, retry_after (429), delay or drop."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self._cond:
            self._faults.setdefault(method.lower(), deque()).append(Fault(kind, times, seconds, retry_after))

    def hold(self, method: str) -> None:
        """Calls of ``method`` wait at the door (not yet received) until :meth:`release`."""
        with self._cond:
            self._holding.add(method.lower())

    def held(self) -> int:
        """Calls waiting at the door."""
        with self._cond:
            return self._held

    def release(self, *, deliver: bool = True) -> None:
        """Let held calls in, or (``deliver=False``) drop them unanswered, as a network that lost them."""
        with self._cond:
            self._holding.clear()
            self._deliver_held = deliver

    def is_held(self, method: str) -> bool:
        with self._cond:
            return method.lower() in self._holding

    def begin(self, method: str, params: dict[str, Any]) -> tuple[ApiCall, Fault | None]:
        """Record one call and take the fault it meets, if any (both transports start here)."""
        call = ApiCall(method, params, time.monotonic())
        fault = self._take_fault(call.method)
        if fault is not None:
            call.fault = fault.kind
        self._record(call)
        return call, fault

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()

    def _take_fault(self, method: str) -> Fault | None:
        with self._cond:
            queue = self._faults.get(method.lower())
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            return fault

    # -- inspecting what the bot did --------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method.lower() == method.lower()]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Parameters of every successful sendMessage, optionally to one chat, oldest first."""
        return self._params("sendMessage", chat_id)

    def edits(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return self._params("editMessageText", chat_id)

    def sent_count(self) -> int:
        """How many sendMessage calls succeeded, without copying the call log (cheap to poll)."""
        with self._cond:
            return self._sent

    def _params(self, method: str, chat_id: int | None) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.calls(method)
            if c.result is not None and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def bot_message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A message the bot sent, as it reads now (after any edits)."""
        with self._cond:
            return dict(self._messages[(chat_id, message_id)])

    def last_bot_message(self, chat_id: int) -> dict[str, Any]:
        with self._cond:
            ids = [mid for (cid, mid) in self._messages if cid == chat_id]
            return dict(self._messages[(chat_id, max(ids))])

    def commands(self, scope: dict[str, Any] | None = None) -> list[Any]:
        with self._cond:
            return list(self._commands.get(_scope_key(scope), []))

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
        """Poll ``predicate`` until truthy (returns its value); fail the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not (value := _checked(predicate, deadline, timeout, what)):
            await asyncio.sleep(0.01)
        return value

    def wait_until_sync(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
        """``wait_until`` for code without an event loop (subprocess tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while not (value := _checked(predicate, deadline, timeout, what)):
            time.sleep(0.01)
        return value

    # -- the Bot API ------------------------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for one call (faults already applied by the handler)."""
        name = method.lower()
        handler = getattr(self, f"_api_{name}", None)
        try:
            result = handler(params) if handler else True
        except _ApiError as exc:
            return exc.code, {"ok": False, "error_code": exc.code, "description": exc.description}
        return 200, {"ok": True, "result": result}

    def _record(self, call: ApiCall) -> None:
        with self._cond:
            self._calls.append(call)

    def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            with self._cond:
                self._updates.clear()
        return True

    def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": self.pending_updates()}

    def take_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """getUpdates without waiting: confirm up to the offset, return what is queued."""
        return self._api_getupdates({**params, "timeout": 0})

    def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        with self._cond:
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return [dict(u) for u in self._updates[:limit]]

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if not str(params.get("text", "")).strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(params["text"]) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        chat_id = params["chat_id"]
        with self._cond:
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": self._chats.get(chat_id) or _default_chat(chat_id),
                "from": self.bot_user,
                "text": params["text"],
            }
            if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
                message["reply_markup"] = params["reply_markup"]
            self._messages[(chat_id, message["message_id"])] = message
            self._sent += 1
            return dict(message)

    def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        if len(str(params.get("text", ""))) > 4096:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        key = (params.get("chat_id"), params.get("message_id"))
        with self._cond:
            message = self._messages.get(key)  # type: ignore[arg-type]
            if message is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            markup = params.get("reply_markup")
            if message["text"] == params.get("text") and message.get("reply_markup") == markup:
                raise _ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message["text"] = params.get("text")
            if markup:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            message["edit_date"] = int(time.time())
            return dict(message)

    def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        with self._cond:
            query_id = str(params.get("callback_query_id", ""))
            if query_id in self._answered:
                raise _ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID is invalid",
                )
            self._answered.add(query_id)
        return True

    def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._commands[_scope_key(params.get("scope"))] = list(params.get("commands") or [])
        return True

    def _api_getmycommands(self, params: dict[str, Any]) -> list[Any]:
        return self.commands(params.get("scope"))

    def _api_deletemycommands(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._commands.pop(_scope_key(params.get("scope")), None)
        return True


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}


class _Loopback:
    """The HTTP/1.1 side: an asyncio server in its own thread, keeping connections alive like Telegram.

    asyncio rather than ``http.server``: a thread per connection managed about 300 calls/s and
    so, not the bot, limited every load figure."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, name="fake-bot-api", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Bot API did not start")

    @property
    def thread_id(self) -> int | None:
        return self._thread.native_id

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self._shutdown()))
            self._thread.join(timeout=5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._server = self.loop.run_until_complete(
            asyncio.start_server(self._accept, "127.0.0.1", 0, backlog=BACKLOG)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.loop.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                _, target, _ = head[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)
                }
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                answer = await self._answer(target, body, headers.get("content-type", ""))
                if answer is None:
                    break  # no status line at all: the client sees a dropped connection
                status, payload = answer
                data = json.dumps(payload, ensure_ascii=False).encode()
                writer.write(
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass  # the bot hung up (a long poll it gave up on, or a killed process): fine
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _answer(self, target: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any]] | None:
        api = self.api
        url = urlsplit(target)
        match = _PATH.match(url.path)
        if match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if match["token"] != api.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        params = _parse(url.query, body, content_type)
        method = match["method"]
        if api.is_held(method) and not await _at_the_door(api, method):
            return None  # lost on the way: Telegram never saw it
        if api.latency > 0:
            await asyncio.sleep(api.latency)
        call, fault = api.begin(method, params)
        if fault is not None and fault.kind == "drop":
            return None
        if fault is not None and fault.kind == "http500":
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if fault is not None and fault.kind == "retry_after":
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {fault.retry_after}",
                "parameters": {"retry_after": fault.retry_after},
            }
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        if method.lower() == "getupdates":
            await _long_poll(api, params)
            params = {**params, "timeout": 0}  # waited already: never block this loop's thread
        status, payload = api.answer(method, params)
        call.result = payload.get("result")
        return status, payload


async def _at_the_door(api: FakeBotAPI, method: str) -> bool:
    """Wait while ``method`` is held (every held call counted); True when let in, False when dropped."""
    with api._cond:
        api._held += 1
    try:
        while api.is_held(method):
            await asyncio.sleep(0.005)  # test-only machinery: a short poll is simpler than a cross-loop event
    finally:
        with api._cond:
            api._held -= 1
    with api._cond:
        return api._deliver_held


async def _long_poll(api: FakeBotAPI, params: dict[str, Any]) -> None:
    """Wait, without a thread, until an update is queued or the poll's wait is over."""
    loop, arrived = asyncio.get_running_loop(), asyncio.Event()
    forget = api.listen(lambda: loop.call_soon_threadsafe(arrived.set))
    try:
        if api.take_updates(params):  # after listening: a push in between still wakes us
            return
        wait = min(float(params.get("timeout") or 0), api.max_poll_wait)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), wait)
    finally:
        forget()


class FakeRequest(BaseRequest):
    """PTB's request layer answered by a :class:`FakeBotAPI` in this process: no sockets, same faults.

    Use with ``ApplicationBuilder().base_url(IN_PROCESS_URL)``; a dropped connection raises
    NetworkError and a delay past the read timeout TimedOut, as httpx would make PTB raise."""

    def __init__(self, api: FakeBotAPI, read_timeout: float = 5.0) -> None:
        self.api = api
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeout = read_timeout if isinstance(read_timeout, int | float) else self._read_timeout
        try:
            return await asyncio.wait_for(self._answer(url, request_data), timeout)
        except TimeoutError:
            raise TimedOut from None

    async def _answer(self, url: str, request_data: RequestData | None) -> tuple[int, bytes]:
        api = self.api
        match = _PATH.match(urlsplit(url).path)
        if match is None or match["token"] != api.token:
            return 401, b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
        raw = request_data.json_parameters if request_data else {}
        params = {key: _decode(key, value) for key, value in raw.items()}
        if api.latency > 0:
            await asyncio.sleep(api.latency)
        call, fault = api.begin(match["method"], params)
        if fault is not None and fault.kind == "drop":
            raise NetworkError("httpx.RemoteProtocolError: Server disconnected without sending a response.")
        if fault is not None and fault.kind == "http500":
            return 500, b'{"ok": false, "error_code": 500, "description": "Internal Server Error"}'
        if fault is not None and fault.kind == "retry_after":
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {fault.retry_after}",
                "parameters": {"retry_after": fault.retry_after},
            }
            return 429, json.dumps(body).encode()
        if fault is not None and fault.kind == "delay":
            delivered = asyncio.get_running_loop().create_task(self._late(call, fault.seconds))
            await asyncio.shield(delivered)  # a time out leaves it running: delivered late, like Telegram
            return delivered.result()
        if call.method.lower() == "getupdates":
            await _long_poll(api, params)
            params = {**params, "timeout": 0}  # waited already: never block the caller's loop
        status, payload = api.answer(call.method, params)
        call.result = payload.get("result")
        return status, json.dumps(payload, ensure_ascii=False).encode()

    async def _late(self, call: ApiCall, seconds: float) -> tuple[int, bytes]:
        await asyncio.sleep(seconds)
        status, payload = self.api.answer(call.method, call.params)
        call.result = payload.get("result")
        return status, json.dumps(payload, ensure_ascii=False).encode()


def _parse(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    pairs = parse_qsl(query, keep_blank_values=True)
    if body and content_type.startswith("application/json"):
        return {**dict(pairs), **json.loads(body)}
    if body and content_type.startswith("application/x-www-form-urlencoded"):
        pairs += parse_qsl(body.decode(), keep_blank_values=True)
    return {key: _decode(key, value) for key, value in pairs}


def _decode(key: str, value: str) -> Any:
    """PTB JSON-encodes every non-string parameter; free-text parameters stay as they came."""
    if key in _TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _scope_key(scope: dict[str, Any] | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _default_chat(chat_id: Any) -> dict[str, Any]:
    if isinstance(chat_id, int) and chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "居民"}
    return {"id": chat_id, "type": "supergroup", "title": "居民群"}


# -- update builders: what Telegram would send when a resident types or presses a button ---------


def user(user_id: int, first_name: str = "居民", username: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": "zh-hans",
    }
    if username:
        data["username"] = username
    return data


def private_chat(user_id: int, first_name: str = "居民") -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": first_name}


def group_chat(chat_id: int = -100_200_300, title: str = "上街区居民群") -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": title}


def utf16_len(text: str) -> int:
    """Telegram counts entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def entities(text: str) -> list[dict[str, Any]]:
    """The bot_command at offset 0 and every @mention, as Telegram marks them."""
    found = []
    command = re.match(r"/\w+(@\w+)?", text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
    for mention in re.finditer(r"@\w+", text):
        if command and mention.start() < command.end():
            continue
        found.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: mention.start()]),
                "length": utf16_len(mention.group()),
            }
        )
    return found


def message_update(
    text: str,
    *,
    user_id: int,
    chat: dict[str, Any] | None = None,
    first_name: str = "居民",
    reply_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A text message from a resident (a private chat unless ``chat`` says otherwise)."""
    message: dict[str, Any] = {
        "message_id": next(_user_message_ids),
        "date": int(time.time()),
        "chat": chat or private_chat(user_id, first_name),
        "from": user(user_id, first_name),
        "text": text,
    }
    if found := entities(text):
        message["entities"] = found
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    return {"message": message}


def callback_update(
    data: str, *, user_id: int, message: dict[str, Any], first_name: str = "居民"
) -> dict[str, Any]:
    """A press of an inline button with ``data`` under the bot's ``message``."""
    return {
        "callback_query": {
            "id": f"cb{next(_user_message_ids)}",
            "from": user(user_id, first_name),
            "chat_instance": f"ci{message['chat']['id']}",
            "message": message,
            "data": data,
        }
    }


def _checked(predicate: Callable[[], Any], deadline: float, timeout: float, what: str) -> Any:
    """The predicate's value; a failure once the deadline has passed and it is still falsy."""
    value = predicate()
    if not value and time.monotonic() > deadline:
        raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
    return value
