"""PTB over aiohttp (bot.channels.telegram.transport): what reaches the Bot API is what PTB's own httpx
transport sends, timeouts and network failures are PTB's errors, files go as multipart."""

from __future__ import annotations

from collections.abc import Iterator
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
from tests.processes import free_port


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
