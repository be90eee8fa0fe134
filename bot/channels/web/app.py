"""The web chat: one page, its JSON API, health and metrics, on Starlette.

Telegram is blocked in mainland China, so a district office puts this page on its site (or in
an iframe). The page talks to the bot only through ``POST /api/chat``, so other front ends can
use the same API. Everything is refused safely: oversized or malformed bodies, unknown actions,
floods; no error ever shows a stack trace to a client.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from bot import wording
from bot.channels.web.config import WebSettings, web_settings_from_environment
from bot.channels.web.limits import (
    COOKIE_MAX_AGE_SECONDS,
    ENGINE_CONCURRENCY,
    HEALTH_STORE_TIMEOUT_SECONDS,
    MAX_ACTION_NUMBER,
    MAX_ACTION_VALUE_CHARS,
    REF_PATTERN,
    RESIDENT_ID_PATTERN,
)
from bot.channels.web.metrics import CONTENT_TYPE, Metrics
from bot.conversation import Conversation, Incoming, Message, Pressed
from bot.conversation.flood import FloodGate
from bot.engine import Engine
from bot.engine.reply import Action
from bot.state import StateStore, open_store

CHANNEL = "web"
COOKIE = "rid"
STATIC = Path(__file__).with_name("static")
_RESIDENT = re.compile(RESIDENT_ID_PATTERN)
_REF = re.compile(REF_PATTERN)
# The actions a page may post, with the label the service knows them by.
_ACTIONS = {
    "next_page": wording.NEXT,
    "previous_page": wording.PREVIOUS,
    "original": wording.ORIGINAL,
    "pick": "",
    "day": "",
}
_NUMBERED = ("next_page", "previous_page", "pick")

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.web.access")


class Refused(Exception):
    """A request the API will not answer: HTTP status, a code for programs, words for residents."""

    def __init__(self, status: int, code: str, message: str = wording.WEB_BAD_REQUEST) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> JSONResponse:
        headers = {"Retry-After": "10"} if self.status == 429 else None
        return JSONResponse(
            {"error": self.code, "message": self.message}, status_code=self.status, headers=headers
        )


# -- reading a request ----------------------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past ``limit`` bytes whatever Content-Length claims, or if chunked.

    Public so routes mounted later (WeChat) read bodies with their own limit the same way."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, "bad_content_length")
        if int(declared) > limit:
            raise Refused(413, "too_large", wording.WEB_TOO_LONG)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(413, "too_large", wording.WEB_TOO_LONG)
    return bytes(body)


def parse_chat(body: bytes) -> tuple[str | None, Incoming]:
    """(resident id or None, what was sent) from ``{"text"}`` or ``{"action", "ref"}``, plus ``resident``."""
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        raise Refused(400, "bad_json") from None
    if not isinstance(data, dict):
        raise Refused(400, "bad_json")
    resident = data.get("resident")
    if resident is not None and not (isinstance(resident, str) and _RESIDENT.fullmatch(resident)):
        raise Refused(400, "bad_resident")
    text, action = data.get("text"), data.get("action")
    if (text is None) == (action is None):
        raise Refused(400, "missing_fields")  # exactly one of text and action
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            raise Refused(400, "empty_text", wording.WEB_EMPTY)
        return resident, Message(text)
    ref = data.get("ref", "")
    if not isinstance(ref, str) or (ref and not _REF.fullmatch(ref)):
        raise Refused(400, "bad_ref")
    return resident, Pressed(parse_action(action), ref)


def parse_action(raw: Any) -> Action:
    """A typed action the engine knows, with a value of the right type: never words to parse again."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise Refused(400, "bad_action")
    kind = raw["type"]
    if kind not in _ACTIONS:
        raise Refused(400, "unknown_action")
    value = raw.get("value")
    if kind in _NUMBERED:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ACTION_NUMBER:
            raise Refused(400, "bad_action_value")
    elif not isinstance(value, str) or not 0 < len(value) <= MAX_ACTION_VALUE_CHARS:
        raise Refused(400, "bad_action_value")
    return Action(kind, _ACTIONS[kind], value)


def client_ip(request: Request) -> str:
    """The peer address (uvicorn already applied X-Forwarded-For from a trusted local proxy)."""
    return request.client.host if request.client else "unknown"


# -- the app ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Web:
    """What the routes share: the service, settings, per-IP gate, metrics, the page, engine slots."""

    conversation: Conversation
    settings: WebSettings
    ip_gate: FloodGate | None
    metrics: Metrics
    page: bytes
    engine_slots: asyncio.Semaphore


async def page(request: Request) -> Response:
    return HTMLResponse(request.app.state.web.page, headers={"Cache-Control": "no-cache"})


async def chat(request: Request) -> Response:
    """One message or button press → the reply's ``to_api()`` JSON."""
    web: Web = request.app.state.web
    started = time.perf_counter()
    try:
        if web.ip_gate is not None and web.ip_gate.check(client_ip(request)) != "pass":
            raise Refused(429, "too_many_requests", wording.SLOW_DOWN)
        resident, incoming = parse_chat(await read_body(request, web.settings.max_body))
    except Refused as refused:
        web.metrics.reject(refused.code)
        return refused.response()
    cookie = request.cookies.get(COOKIE)
    resident = resident or (cookie if cookie and _RESIDENT.fullmatch(cookie) else secrets.token_urlsafe(16))
    if web.settings.log_text:
        request.state.text = incoming.text if isinstance(incoming, Message) else incoming.action.kind
    async with web.engine_slots:
        reply = await web.conversation.handle_async(CHANNEL, resident, incoming)
    if reply.silent:  # the resident was told to slow down once already
        web.metrics.reject("flood")
        return Refused(429, "too_many_requests", wording.SLOW_DOWN).response()
    web.metrics.answered(
        "text" if isinstance(incoming, Message) else "action", reply, time.perf_counter() - started
    )
    response = JSONResponse(reply.to_api(), headers={"Cache-Control": "no-store"})
    if cookie != resident:
        response.set_cookie(
            COOKIE,
            resident,
            max_age=COOKIE_MAX_AGE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


async def healthz(request: Request) -> Response:
    """200 when the state store answers (a load balancer takes a worker with a dead Redis out)."""
    store = request.app.state.web.conversation.store
    try:
        await asyncio.wait_for(asyncio.to_thread(store.get, "health", "probe"), HEALTH_STORE_TIMEOUT_SECONDS)
    except Exception:
        log.warning("health check: the state store does not answer", exc_info=True)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def metrics(request: Request) -> Response:
    return Response(request.app.state.web.metrics.exposition(), media_type=CONTENT_TYPE)


async def _internal_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "internal", "message": wording.SORRY}, status_code=500)


def create_app(
    conversation: Conversation,
    settings: WebSettings | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    *,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    """The web app on a conversation service; ``extra_routes`` lets other channels (WeChat) join it."""
    settings = settings or WebSettings()
    web = Web(
        conversation=conversation,
        settings=settings,
        ip_gate=FloodGate(*settings.ip_limit) if settings.ip_limit else None,
        metrics=Metrics(),
        page=render_page(),
        engine_slots=asyncio.Semaphore(ENGINE_CONCURRENCY),
    )
    app = Starlette(
        routes=[
            Route("/", page, methods=["GET", "HEAD"]),
            Route("/api/chat", chat, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            Route("/metrics", metrics, methods=["GET"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            *extra_routes,
        ],
        exception_handlers={Exception: _internal_error},
        lifespan=lifespan,
    )
    app.state.web = web
    # Each add wraps the previous: AccessLog(SecurityHeaders(ErrorGuard(app))), so every
    # response, a 500 too, carries the security headers and is logged.
    app.add_middleware(ErrorGuard)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    app.add_middleware(AccessLog, log_text=settings.log_text)
    return app


# -- the page ---------------------------------------------------------------------------------------


def render_page() -> bytes:
    """index.html with the fixed wording filled in (escaped); the script reads its strings from JSON."""
    strings = {
        "you": wording.WEB_YOU,
        "bot": wording.WEB_BOT,
        "waiting": wording.WEB_WAITING,
        "offline": wording.WEB_OFFLINE,
        "empty": wording.WEB_EMPTY,
        "actions": wording.WEB_ACTIONS_LABEL,
    }
    # A JSON data block is never executed, so the CSP needs no exception; "<" is escaped so
    # no string can end the block.
    data = json.dumps(strings, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    chip = '<li><button type="button" class="chip" data-question="{0}">{0}</button></li>'
    chips = "\n".join(chip.format(html.escape(q)) for q in wording.EXAMPLE_QUESTIONS)
    values = {
        name.lower(): html.escape(value)
        for name, value in {
            "TITLE": wording.WEB_TITLE,
            "INTRO": wording.WEB_INTRO,
            "HINT": wording.WEB_HINT,
            "EXAMPLES": wording.EXAMPLES_TITLE,
            "INPUT_LABEL": wording.WEB_INPUT_LABEL,
            "PLACEHOLDER": wording.WEB_INPUT_PLACEHOLDER,
            "SEND": wording.WEB_SEND,
            "BIGGER": wording.WEB_BIGGER,
            "SMALLER": wording.WEB_SMALLER,
            "NEW_CHAT": wording.WEB_NEW_CHAT,
            "LOG_LABEL": wording.WEB_LOG_LABEL,
            "BOT": wording.WEB_BOT,
        }.items()
    }
    template = Template((STATIC / "index.html").read_text(encoding="utf-8"))
    return template.substitute(values, chips=chips, strings=data).encode("utf-8")


# -- middleware (plain ASGI, so they wrap any route, mounted ones too) ---------------------------


class ErrorGuard:
    """Any unhandled error becomes a JSON 500 with no detail; the traceback goes to the log only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking(message: ASGIMessage) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            log.exception("error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half a response is out; the server closes the connection
            await _json_500(scope, receive, send)


async def _json_500(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"error": "internal", "message": wording.SORRY}, status_code=500)
    await response(scope, receive, send)


class SecurityHeaders:
    """CSP without inline script, embedding only by ``frame_ancestors``, no sniffing, no referrer."""

    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self.app = app
        csp = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {frame_ancestors}"
        )
        self.headers = {
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
            "Cross-Origin-Resource-Policy": "same-origin",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: ASGIMessage) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


class AccessLog:
    """One JSON line per request: method, path, status, ms; the message text only if configured."""

    def __init__(self, app: ASGIApp, log_text: bool = False) -> None:
        self.app = app
        self.log_text = log_text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def recording(message: ASGIMessage) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            record: dict[str, Any] = {
                "method": scope.get("method"),
                "path": scope.get("path"),  # never the query string
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
            text = scope.get("state", {}).get("text")
            if self.log_text and text is not None:
                record["text"] = text
            access_log.info("%s", json.dumps(record, ensure_ascii=False))


# -- building it from settings (the serve command, uvicorn workers) ---------------------------------


def open_state(settings: WebSettings) -> StateStore:
    """The shared store BOT_STATE_URL names (SQLite in var/ by default), so workers share residents."""
    return open_store(settings.state_url or None, settings.var_dir, default_ttl=settings.state_ttl)


Channel = Callable[[Conversation], Sequence[BaseRoute]]


def build_app(engine: Engine, settings: WebSettings, channels: Sequence[Channel] = ()) -> Starlette:
    """The app as served: the shared store, per-resident flood control, hot reload of the knowledge.

    ``channels`` add routes on the same conversation service, e.g.
    ``lambda conversation: wechat_routes(conversation, config)``."""
    from bot.admin.reload import Watcher

    store = open_state(settings)
    conversation = Conversation(
        engine, store, flood=FloodGate(*settings.resident_limit), ttl=settings.state_ttl
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        interval = settings.watch_interval
        watcher = Watcher(engine, interval) if interval > 0 else None
        if watcher is not None:
            watcher.start_background()
        try:
            yield
        finally:
            if watcher is not None:
                watcher.stop()
            store.close()

    routes = [route for channel in channels for route in channel(conversation)]
    return create_app(conversation, settings, routes, lifespan=lifespan)


def configure_logging() -> None:
    """Warnings to stderr, and the access log at INFO (each uvicorn worker is a fresh process)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    access_log.setLevel(logging.INFO)


def app_from_environment() -> Starlette:
    """uvicorn's factory for ``--workers N``: each worker builds engine and store from the environment."""
    from bot.admin.unanswered import UnansweredLog

    configure_logging()
    settings = web_settings_from_environment()
    engine = Engine.load(settings.knowledge, settings.intents, UnansweredLog(settings.unanswered_log))
    return build_app(engine, settings, served_channels())


def served_channels() -> list[Channel]:
    """The other channels ``serve`` mounts beside the web chat: WeChat when its settings are given
    (its protocol, and cryptography with it, is imported only then)."""
    from bot.channels.wechat.config import configured
    from bot.settings import load_settings

    config = configured(load_settings(require_token=False))
    if config is None:
        return []
    from bot.channels.wechat.route import channel

    return [channel(config)]
