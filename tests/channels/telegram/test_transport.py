"""PTB over aiohttp (bot.channels.telegram.transport): what reaches the Bot API is what PTB's own httpx
transport sends, timeouts and network failures are PTB's errors, files go as multipart."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from benchmarks.fake_bot_api import FakeBotAPI
from bot.channels.telegram.transport import AiohttpRequest
from tests.conftest import ROOT
from tests.processes import free_port
from tests.tls import LoopbackAuthority, make_authority


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


async def sent_by(request: BaseRequest, api: FakeBotAPI, chat: int) -> list[dict[str, Any]]:
    async with Bot(api.token, base_url=api.base_url, request=request) as bot:
        await bot.send_message(chat, "哪里可以写春联?\n<b>第1/6页</b> & 「下一页」", parse_mode="HTML")
        await bot.send_message(chat, "2", reply_markup=None, disable_notification=True)
    return [{k: v for k, v in params.items() if k != "chat_id"} for params in api.sent(chat)]


async def test_the_bot_api_receives_what_httpx_would_send(api: FakeBotAPI) -> None:
    ours = await sent_by(AiohttpRequest(), api, 7)
    reference = await sent_by(HTTPXRequest(), api, 8)  # PTB's own transport, the oracle
    assert ours == reference
    assert len(ours) == 2 and "「下一页」" in str(ours[0]["text"])


async def test_a_slow_answer_is_ptbs_timeout(api: FakeBotAPI) -> None:
    api.inject_fault("sendMessage", "delay", seconds=2.0)
    request = AiohttpRequest(read_timeout=0.3)
    async with Bot(api.token, base_url=api.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "你好")


async def test_nobody_listening_is_ptbs_network_error() -> None:
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.do_request(f"http://127.0.0.1:{free_port()}/botx/getMe", "POST", RequestData())
        assert "aiohttp." in str(raised.value)
    finally:
        await request.shutdown()


async def test_a_session_lives_from_initialize_to_shutdown(api: FakeBotAPI) -> None:
    request = AiohttpRequest()
    url = f"{api.base_url}{api.token}/getMe"
    with pytest.raises(RuntimeError):
        await request.do_request(url, "POST", RequestData())
    await request.initialize()
    await request.initialize()  # PTB may initialise twice: one session
    status, body = await request.do_request(url, "POST", RequestData())
    assert status == 200 and b'"ok"' in body
    await request.shutdown()
    await request.shutdown()
    with pytest.raises(RuntimeError):
        await request.do_request(url, "POST", RequestData())


async def test_files_go_as_multipart_with_the_other_parameters() -> None:
    seen: dict[str, Any] = {}

    async def upload(request: web.Request) -> web.Response:
        seen["type"] = request.content_type
        form = await request.post()
        seen["chat_id"] = form["chat_id"]
        document = form["document"]
        assert isinstance(document, web.FileField)
        seen["file"] = (document.filename, document.file.read())
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/botx/sendDocument", upload)
    async with TestServer(app, host="127.0.0.1") as server:
        request = AiohttpRequest()
        await request.initialize()
        try:
            data = RequestData(
                [
                    RequestParameter.from_input("chat_id", 5),
                    RequestParameter.from_input("document", InputFile(b"\xe6\x98\xa5", filename="a.txt")),
                ]
            )
            status, _ = await request.do_request(str(server.make_url("/botx/sendDocument")), "POST", data)
        finally:
            await request.shutdown()
    assert status == 200
    assert seen == {"type": "multipart/form-data", "chat_id": "5", "file": ("a.txt", b"\xe6\x98\xa5")}


@pytest.fixture
def authority(tmp_path: Path) -> LoopbackAuthority:
    return make_authority(tmp_path)


@asynccontextmanager
async def https_bot_api(authority: LoopbackAuthority) -> AsyncIterator[str]:
    """A getMe URL served over TLS on loopback with a certificate ``authority`` signed."""

    async def get_me(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {"id": 1}})

    app = web.Application()
    app.router.add_post("/botx/getMe", get_me)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=authority.server_context()).start()
    try:
        yield f"https://127.0.0.1:{port}/botx/getMe"
    finally:
        await runner.cleanup()


async def get_me(url: str) -> tuple[int, bytes]:
    request = AiohttpRequest()
    await request.initialize()
    try:
        return await request.do_request(url, "POST")
    finally:
        await request.shutdown()


async def test_https_is_verified_against_the_certificates_the_system_trusts(
    authority: LoopbackAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.ca))
    async with https_bot_api(authority) as url:
        status, body = await get_me(url)
    assert (status, b'"ok": true' in body) == (200, True)


async def test_a_certificate_the_system_does_not_trust_is_refused(
    authority: LoopbackAuthority, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "other").mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(make_authority(tmp_path / "other").ca))
    async with https_bot_api(authority) as url:
        with pytest.raises(NetworkError, match="certificate verify failed"):
            await get_me(url)


@pytest.mark.slow
def test_no_certificates_are_loaded_until_an_https_request_needs_them(authority: LoopbackAuthority) -> None:
    """aiohttp's own default contexts, built as it is imported, are left empty; ours is made on demand."""
    code = (
        "import bot.channels.telegram.transport as t, aiohttp.connector as c\n"
        "print(c._SSL_CONTEXT_VERIFIED.cert_store_stats()['x509_ca'], t.uses_tls('http://127.0.0.1/'),"
        " t.uses_tls(' HTTPS://127.0.0.1/'), t.verified_context().cert_store_stats()['x509_ca'])"
    )
    env = {**os.environ, "SSL_CERT_FILE": str(authority.ca)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["0", "False", "True", "1"], done.stderr


async def test_a_redirect_is_returned_to_ptb_not_followed() -> None:
    """As PTB's httpx transport: the Bot API never redirects, and following one to an https URL would
    reach aiohttp's own contexts, which trust nothing here."""
    followed: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/botx/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        followed.append(request.path)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/botx/getMe", moved)
    app.router.add_route("*", "/botx/elsewhere", elsewhere)
    async with TestServer(app, host="127.0.0.1") as server:
        status, _ = await get_me(str(server.make_url("/botx/getMe")))
    assert (status, followed) == (302, [])
