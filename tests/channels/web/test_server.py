"""Serving: settings checked before listening, other channels joining, the workers' socket marked TCP."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.channels.web import WebSettings
from bot.channels.web.app import build_app
from bot.channels.web.server import FACTORY, TCPConfig
from bot.cli import main
from bot.conversation import Conversation
from bot.engine import Engine
from tests.channels.web.conftest import client_for


def test_the_workers_socket_is_tcp_so_asyncio_sets_nodelay() -> None:
    sock = TCPConfig(FACTORY, factory=True, host="127.0.0.1", port=0, workers=2).bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.get_inheritable()
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_serve_refuses_a_malformed_setting_before_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_WEB_FRAME_ANCESTORS", "*; script-src *")
    assert main(["serve", "--port", "0"]) == 2
    assert "BOT_WEB_FRAME_ANCESTORS" in capsys.readouterr().err


async def test_other_channels_join_the_served_app_on_its_conversation(engine: Engine, tmp_path: Path) -> None:
    seen: list[Conversation] = []

    def channel(conversation: Conversation) -> list[Route]:
        seen.append(conversation)
        return [Route("/other", lambda request: PlainTextResponse("other"), methods=["GET"])]

    app = build_app(engine, WebSettings(var_dir=tmp_path), channels=[channel])
    try:
        async with client_for(app) as client:
            assert (await client.get("/other")).text == "other"
            assert (await client.post("/api/chat", json={"text": "你好"})).status_code == 200
        assert seen == [app.state.web.conversation]
    finally:
        app.state.web.conversation.store.close()
