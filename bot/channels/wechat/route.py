"""The ``/wechat`` route of the ``serve`` app: URL verification and pushed messages, answered by the service.

WeChat waits five seconds for a passive reply and then sends the same message again, up to
three times in all. Each message goes to the service with its MsgId, so the engine runs
once per message whichever worker a retry reaches; the retries wait for that answer in the
state store. The resident's openid never leaves this module: the service, the unanswered log
and every log line see a keyed hash of it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import wording
from bot.channels.wechat.config import WeChatConfig
from bot.channels.wechat.messages import BadMessage, Incoming
from bot.channels.wechat.protocol import MAX_BODY_BYTES, SUCCESS, Forbidden, open_post, seal_reply, verify_url
from bot.channels.wechat.render import render, welcome
from bot.conversation import Conversation, Message

log = logging.getLogger(__name__)

CHANNEL = "wechat"
PSEUDONYM_HEX = 24  # 96 bits of the keyed hash: no collisions among any city's residents


def channel(config: WeChatConfig) -> Callable[[Conversation], list[Route]]:
    """What ``serve`` mounts for WeChat on its conversation service."""
    return lambda conversation: wechat_routes(conversation, config)


def pseudonym(openid: str, key: bytes) -> str:
    """A stable keyed hash of the openid: one conversation per resident, and no log holds the id."""
    return hmac.new(key, openid.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def wechat_routes(
    conversation: Conversation,
    config: WeChatConfig,
    key: bytes | None = None,
    clock: Callable[[], float] = time.time,
    path: str = "/wechat",
) -> list[Route]:
    """GET (verification) and POST (messages) at ``path``; ``key`` keys the openid hash (default: token)."""
    secret = key if key is not None else config.token.encode("utf-8")

    async def verify(request: Request) -> Response:
        echostr = verify_url(config, request.query_params, clock())
        if echostr is None:
            log.warning("wechat: URL verification refused (signature or timestamp)")
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(echostr)

    async def receive(request: Request) -> Response:
        body = await _bounded_body(request)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        now = clock()
        try:
            incoming = open_post(config, request.query_params, body, now)
        except Forbidden as exc:
            log.warning("wechat: push refused: %s", exc)
            return PlainTextResponse("forbidden", status_code=403)
        except BadMessage as exc:
            log.warning("wechat: unreadable push: %s", exc)
            return PlainTextResponse("bad request", status_code=400)
        content = await _answer(conversation, incoming, pseudonym(incoming.from_user, secret))
        if content is None:
            return Response(SUCCESS, media_type="text/plain")
        sealed = seal_reply(config, request.query_params, incoming, content, now, secrets.token_hex(8))
        return Response(sealed, media_type="application/xml")

    return [Route(path, verify, methods=["GET"]), Route(path, receive, methods=["POST"])]


async def _answer(conversation: Conversation, incoming: Incoming, resident: str) -> str | None:
    """The text to send back, or None for nothing (an event that needs no answer, a dropped retry)."""
    if incoming.msg_type == "event":
        return welcome() if incoming.event.lower() == "subscribe" else None
    if incoming.msg_type != "text":
        return wording.NOT_TEXT
    message = Message(incoming.content, id=incoming.dedup_key)
    reply = await conversation.handle_async(CHANNEL, resident, message)
    return None if reply.silent else render(reply)


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY_BYTES (whatever Content-Length claims)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
