"""The /wechat route end to end: the fake WeChat server talks to the app over ASGI, as WeChat would."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from bot.channels.wechat.config import MODES, Mode, WeChatConfig
from bot.channels.wechat.messages import MAX_CONTENT_BYTES
from bot.channels.wechat.protocol import MAX_BODY_BYTES
from bot.channels.wechat.route import pseudonym, wechat_routes
from bot.conversation import Conversation
from bot.engine import ROOT, Engine
from bot.engine.dialogue import DialogueState
from bot.engine.reply import Reply
from bot.state.memory import MemoryStore
from tests.channels.wechat.conftest import AES_KEY, APPID, TOKEN
from tests.channels.wechat.fake_wechat import FakeWeChat


def config_for(mode: Mode) -> WeChatConfig:
    if mode == "plain":
        return WeChatConfig(token=TOKEN)
    return WeChatConfig(token=TOKEN, appid=APPID, aes_key=AES_KEY, mode=mode)


def app_for(conversation: Conversation, mode: Mode) -> Starlette:
    return Starlette(routes=wechat_routes(conversation, config_for(mode)))


@pytest.fixture
def conversation(engine: Engine) -> Conversation:
    return Conversation(engine, MemoryStore())


async def fake_for(app: Starlette, mode: Mode) -> AsyncIterator[FakeWeChat]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        yield FakeWeChat(client, TOKEN, aes_key=AES_KEY if mode != "plain" else "", appid=APPID, mode=mode)


@pytest.mark.parametrize("mode", MODES)
async def test_a_whole_conversation(conversation: Conversation, mode: Mode) -> None:
    async for wechat in fake_for(app_for(conversation, mode), mode):
        assert await wechat.averify()
        resident = wechat.openid(1)
        welcome = await wechat.asend(wechat.event(resident, "subscribe"))
        assert welcome.content and "可以这样问" in welcome.content
        first = await wechat.asend(wechat.text(resident, "哪里可以猜灯谜?"))
        assert first.content and "第1/" in first.content and "下一页" in first.content
        pages = int(first.content.split("第1/")[1].split("页")[0])
        seen = [first.content]
        for number in range(2, pages + 1):
            reply = await wechat.asend(wechat.text(resident, "下一页"))
            assert reply.content and f"第{number}/{pages}页" in reply.content
            seen.append(reply.content)
        for number in range(pages - 1, 0, -1):
            reply = await wechat.asend(wechat.text(resident, "上一页"))
            assert reply.content and f"第{number}/{pages}页" in reply.content
            assert reply.content == seen[number - 1]
        follow = await wechat.asend(wechat.text(resident, "那2月5日呢?"))
        assert follow.content and "2020年2月5日" in follow.content and "来源" in follow.content
        for exchange in wechat.exchanges:
            assert exchange.content is None or len(exchange.content.encode()) <= MAX_CONTENT_BYTES
            if exchange.sent.method == "POST" and exchange.content is not None:
                assert exchange.encrypted == (mode != "plain")


async def test_other_message_types_get_asked_for_text(conversation: Conversation) -> None:
    async for wechat in fake_for(app_for(conversation, "plain"), "plain"):
        image = wechat.text(wechat.openid(), "")
        image.update(MsgType="image", PicUrl="http://example.invalid/x.jpg")
        image.pop("Content")
        reply = await wechat.asend(image)
        assert reply.content and "文字" in reply.content
        gone = await wechat.asend(wechat.event(wechat.openid(), "unsubscribe"))
        assert gone.content is None


async def test_a_slow_answer_runs_once_for_all_retries(engine: Engine) -> None:
    calls: list[str] = []
    release = threading.Event()

    class Held(Engine):
        def answer(self, text: str, state: DialogueState | None = None) -> Reply:
            calls.append(text)
            release.wait(10)
            return super().answer(text, state)

    conversation = Conversation(Held(engine.brain, engine.knowledge_dir, engine.intents_dir), MemoryStore())
    async for wechat in fake_for(app_for(conversation, "safe"), "safe"):
        sent = wechat.push(wechat.text(wechat.openid(), "哪里可以猜灯谜?"))
        tries = [asyncio.create_task(wechat.aresend(sent, resign=n > 0)) for n in range(3)]
        while not calls:
            await asyncio.sleep(0.01)
        release.set()
        replies = await asyncio.gather(*tries)
        assert calls == ["哪里可以猜灯谜?"]
        assert {r.content for r in replies} == {replies[0].content} and replies[0].content


async def test_bad_requests_are_refused(conversation: Conversation) -> None:
    app = app_for(conversation, "plain")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        wechat = FakeWeChat(client, TOKEN)
        sent = wechat.push(wechat.text(wechat.openid(), "你好"))
        wrong = dict(sent.params, signature="0" * 40)
        assert (await client.post("/wechat", params=wrong, content=sent.body)).status_code == 403
        missing = {k: v for k, v in sent.params.items() if k != "signature"}
        assert (await client.post("/wechat", params=missing, content=sent.body)).status_code == 403
        stale = FakeWeChat(client, TOKEN, clock=lambda: 1_000_000.0)
        old = stale.push(stale.text(stale.openid(), "你好"))
        assert (await client.post("/wechat", params=old.params, content=old.body)).status_code == 403
        big = b"<xml>" + b"a" * (MAX_BODY_BYTES + 1) + b"</xml>"
        assert (await client.post("/wechat", params=sent.params, content=big)).status_code == 413
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<xml><ToUserName>x</ToUserName><Content>&b;</Content></xml>"
        )
        assert (await client.post("/wechat", params=sent.params, content=bomb)).status_code == 400
        bad_get = dict(wechat.verification().params, signature="f" * 40)
        assert (await client.get("/wechat", params=bad_get)).status_code == 403


async def test_the_openid_never_reaches_state_or_logs(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore()
    conversation = Conversation(engine, store)
    async for wechat in fake_for(app_for(conversation, "plain"), "plain"):
        resident = wechat.openid(7)
        await wechat.asend(wechat.text(resident, "今天郑州天气怎么样"))
        assert store.get("dialogue", f"wechat:{pseudonym(resident, TOKEN.encode())}") is not None
        keys = [key for entries in store._data.values() for key in entries]
        assert all(resident not in key for key in keys)
        assert resident not in caplog.text


async def test_answer_text_with_cdata_end_stays_valid_xml(conversation: Conversation) -> None:
    async for wechat in fake_for(app_for(conversation, "plain"), "plain"):
        reply = await wechat.asend(wechat.text(wechat.openid(), "]]><x>哪里可以写春联]]>"))
        assert reply.content is not None


async def test_serve_mounts_wechat_only_when_configured(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.channels.web.app import build_app, served_channels
    from bot.channels.web.config import WebSettings

    settings = WebSettings(var_dir=tmp_path, watch_interval=0.0)
    for name in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_AES_KEY", "WECHAT_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    assert served_channels() == []
    assert "WeChat is off" in caplog.text
    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    app = build_app(engine, settings, served_channels())
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bot") as client,
    ):
        wechat = FakeWeChat(client, TOKEN)
        assert await wechat.averify()
        reply = await wechat.asend(wechat.text(wechat.openid(), "你好"))
        assert reply.content and "您好" in reply.content


def test_serve_without_wechat_imports_none_of_its_protocol(tmp_path: Path) -> None:
    """No token: neither the route nor cryptography is imported (start-up of `serve`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_")}
    env["PYTHONPATH"] = str(ROOT)
    script = (
        "import sys; from bot.channels.web.app import served_channels;"
        "print(served_channels(), 'cryptography' in sys.modules, 'bot.channels.wechat.route' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["[]", "False", "False"]
