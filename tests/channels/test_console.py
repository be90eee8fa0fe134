"""The console and the JSON batch as channels: any bytes, any JSON, every line answered."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from bot.channels.console import batch, chat
from bot.conversation import Conversation
from bot.engine import Engine
from bot.state.memory import MemoryStore
from tests.conftest import ROOT


@pytest.fixture
def conversation(engine: Engine) -> Conversation:
    return Conversation(engine, MemoryStore())


@pytest.mark.parametrize(
    "line",
    [
        "[" * 1000 + "]" * 1000,  # RecursionError in json.loads
        "{" + '"a":' * 1000 + "1" + "}" * 1000,
        '{"text": ' + "9" * 5000 + "}",  # int too long to convert
        '{"text": 1e999, "user": ["x"]}',
        '{"text": {"nested": true}}',
        "[1, 2, 3]",
        '"just a string"',
        "{" * 10,
    ],
)
def test_every_line_gets_its_json_line(conversation: Conversation, line: str) -> None:
    out = io.StringIO()
    assert batch(conversation, [line, "你好"], out) == 0
    answers = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(answers) == 2 and answers[1]["kind"] == "chitchat"
    assert set(answers[0]) >= {"text", "kind", "intent", "events", "citations"}


def test_batch_keeps_each_users_conversation(conversation: Conversation) -> None:
    lines = [
        json.dumps({"user": "a", "text": "哪里可以猜灯谜?"}, ensure_ascii=False),
        json.dumps({"user": "b", "text": "哪里可以写春联?"}, ensure_ascii=False),
        json.dumps({"user": "a", "text": "下一页"}, ensure_ascii=False),
    ]
    out = io.StringIO()
    batch(conversation, lines, out)
    first, other, paged = (json.loads(x) for x in out.getvalue().splitlines())
    assert paged["events"] == first["events"] != other["events"]


def test_console_reads_bytes_that_are_not_utf8(conversation: Conversation) -> None:
    out = io.StringIO()
    chat(conversation, io.BytesIO(b"\xff\xfe\xe5\n" + "你好\n退出\n".encode()), out)
    assert "\ufffd" in out.getvalue() and "您好" in out.getvalue()


@pytest.mark.slow  # a subprocess (~2.5 s); the test above feeds the same bytes to chat() in-process
def test_console_process_survives_invalid_utf8_under_a_strict_locale() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONUTF8"))}
    env.update(LC_ALL="C", PYTHONUTF8="0", PYTHONIOENCODING="ascii:strict")
    result = subprocess.run(
        [sys.executable, "run_bot.py", "console"],
        cwd=ROOT,
        input=b"\xff\xfe\n\xe4\xbd\xa0\xe5\xa5\xbd\n",
        capture_output=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")[-2000:]
    assert "Traceback" not in result.stderr.decode("utf-8", "replace")
