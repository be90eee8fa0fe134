"""The fake WeChat driving a minimal endpoint over HTTP, sync (MockTransport) and async (ASGI)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from bot.channels.wechat.config import MODES, Mode, WeChatConfig
from bot.channels.wechat.messages import BadMessage
from bot.channels.wechat.protocol import MAX_BODY_BYTES, SUCCESS, Forbidden, open_post, seal_reply, verify_url
from tests.channels.wechat.conftest import ACCOUNT, AES_KEY, APPID, TOKEN
from tests.channels.wechat.fake_wechat import FakeWeChat


class Endpoint:
    """What the planned /wechat route does, minus the bot: echo, dedupe retries by MsgId."""

    def __init__(self, config: WeChatConfig) -> None:
        self.config = config
        self.answers: dict[str, bytes] = {}
        self.handled = 0

    def handle(self, method: str, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
        now = time.time()
        if method == "GET":
            echo = verify_url(self.config, query, now)
            return (200, echo.encode()) if echo else (403, b"")
        if len(body) > MAX_BODY_BYTES:
            return 413, b""
        try:
            incoming = open_post(self.config, query, body, now)
        except Forbidden:
            return 403, b""
        except BadMessage:
            return 400, b""
        if incoming.msg_type != "text":
            return 200, SUCCESS
        if incoming.dedup_key not in self.answers:
            self.handled += 1
            self.answers[incoming.dedup_key] = seal_reply(
                self.config, query, incoming, f"收到：{incoming.content}", now, "424242"
            )
        return 200, self.answers[incoming.dedup_key]

    def mock(self, request: httpx.Request) -> httpx.Response:
        status, body = self.handle(request.method, dict(request.url.params), request.content)
        return httpx.Response(status, content=body)

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        query = dict(parse_qsl(scope["query_string"].decode()))
        status, payload = self.handle(scope["method"], query, body)
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/xml")]}
        )
        await send({"type": "http.response.body", "body": payload})


def config_for(mode: Mode) -> WeChatConfig:
    if mode == "plain":
        return WeChatConfig(token=TOKEN)
    return WeChatConfig(token=TOKEN, appid=APPID, aes_key=AES_KEY, mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_sync_client(mode: Mode) -> None:
    endpoint = Endpoint(config_for(mode))
    client = httpx.Client(transport=httpx.MockTransport(endpoint.mock), base_url="http://bot")
    wechat = FakeWeChat(client, token=TOKEN, aes_key=AES_KEY, appid=APPID, mode=mode, account=ACCOUNT)
    assert wechat.verify()
    resident = wechat.openid(1)
    reply = wechat.send(wechat.text(resident, "二七区图书馆几点开门？"))
    assert reply.content == "收到：二七区图书馆几点开门？"
    assert reply.encrypted is (mode != "plain")
    assert wechat.send(wechat.event(resident, "subscribe")).content is None


@pytest.mark.parametrize("mode", MODES)
async def test_async_asgi_with_retries(mode: Mode) -> None:
    endpoint = Endpoint(config_for(mode))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=endpoint), base_url="http://bot"
    ) as client:
        wechat = FakeWeChat(client, token=TOKEN, aes_key=AES_KEY, appid=APPID, mode=mode, account=ACCOUNT)
        assert await wechat.averify("echo-123")
        first = await wechat.asend(wechat.text(wechat.openid(2), "中原区有哪些庙会？"))
        again = await wechat.aresend(first.sent)
        resigned = await wechat.aresend(first.sent, resign=True)
    assert first.content == again.content == resigned.content == "收到：中原区有哪些庙会？"
    assert resigned.sent.params["nonce"] != first.sent.params["nonce"]
    assert resigned.sent.message["MsgId"] == first.sent.message["MsgId"]
    assert endpoint.handled == 1
    assert len(wechat.exchanges) == 4


async def test_wrong_token_is_refused_over_http() -> None:
    endpoint = Endpoint(config_for("safe"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=endpoint), base_url="http://bot"
    ) as client:
        stranger = FakeWeChat(client, token="not-our-token", aes_key=AES_KEY, appid=APPID, mode="safe")
        assert not await stranger.averify()
        plain = FakeWeChat(client, token=TOKEN, mode="plain")
        with pytest.raises(AssertionError, match="HTTP 403"):
            await plain.asend(plain.text(plain.openid(), "hi"))


def test_base_url_string_makes_a_sync_client() -> None:
    wechat = FakeWeChat("http://127.0.0.1:9", token=TOKEN)
    assert isinstance(wechat.target, httpx.Client)
    wechat.target.close()
