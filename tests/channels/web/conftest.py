"""Fixtures of the web channel: the app on the shipped knowledge, and a real ``serve`` process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.channels.web import WebSettings, create_app
from bot.conversation import Conversation
from bot.conversation.flood import FloodGate
from bot.engine import Engine
from bot.state.memory import MemoryStore
from tests.processes import free_port, stop

ROOT = Path(__file__).resolve().parents[3]
SERVE_READY_TIMEOUT = 60.0  # loading the knowledge and jieba takes a few seconds, more on a busy CI box


@pytest.fixture
def make_app(engine: Engine) -> Callable[..., Starlette]:
    """An app on a fresh in-memory store; ``flood`` is the per-resident gate, settings as keywords."""

    def make(flood: FloodGate | None = None, conversation: Conversation | None = None, **settings: Any):
        conversation = conversation or Conversation(engine, MemoryStore(), flood=flood)
        return create_app(conversation, WebSettings(**settings))

    return make


@pytest.fixture
async def client(make_app: Callable[..., Starlette]) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app()) as http:
        yield http


def client_for(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test")


@dataclass(frozen=True)
class Server:
    """A running ``run_bot.py serve``: its base URL and process."""

    url: str
    process: subprocess.Popen[bytes]


def start_serve(tmp: Path, env: Mapping[str, str] | None = None, workers: int = 1) -> Server:
    """``run_bot.py serve`` on a free loopback port, returned once /healthz answers 200."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environment = {
        **os.environ,
        "BOT_VAR_DIR": str(tmp / "var"),
        "BOT_UNANSWERED_LOG": str(tmp / "unanswered.jsonl"),
        "BOT_WATCH_INTERVAL": "0",
        **(env or {}),
    }
    command = [sys.executable, "run_bot.py", "serve", "--port", str(port), "--workers", str(workers)]
    log = tmp / f"serve-{port}.log"
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVE_READY_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(url, process)
        except httpx.TransportError:
            time.sleep(0.1)  # polling for a condition: the server is not listening yet
    stop(process)
    pytest.fail(f"serve did not become healthy; see {log}:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server (one worker, SQLite state in a temp dir) for the module's tests."""
    running = start_serve(tmp_path_factory.mktemp("serve"))
    try:
        yield running
    finally:
        stop(running.process)
