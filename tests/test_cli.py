"""The command line and the JSON batch contract, on the fixture knowledge."""

import gc
import io
import json
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.console import batch, chat
from bot.cli import main, started
from bot.conversation import Conversation
from bot.engine import Engine
from bot.engine.compose import PAGE_SIZE
from bot.state.memory import MemoryStore
from tests.conftest import ROOT
from tests.fixtures import world
from tests.fixtures.trees import Tree

CONTRACT = {"text", "kind", "intent", "events", "citations"}


@pytest.fixture
def conversation(fixture_engine: Engine) -> Conversation:
    return Conversation(fixture_engine, MemoryStore())


def run_bot(tree: Tree, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "run_bot.py", *tree.args(), *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=True,
    )


def test_batch_contract_one_json_line_per_input(conversation: Conversation) -> None:
    lines = [
        json.dumps({"user": "a", "text": "哪里可以猜灯谜?"}, ensure_ascii=False),
        json.dumps({"user": "b", "text": "你好"}, ensure_ascii=False),
        json.dumps({"user": "a", "text": "那2月5日呢?"}, ensure_ascii=False),
        "今天天气怎么样",
        "",
        "{not json",
        json.dumps({"user": "c", "text": 12}),
        json.dumps(["a", "list"]),
    ]
    out = io.StringIO()
    assert batch(conversation, lines, out) == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(answers) == len(lines)
    assert [a["kind"] for a in answers[:4]] == ["events", "chitchat", "events", "fallback"]
    assert sorted(answers[2]["events"]) == world.RIDDLES_FEB5  # user a's context, not b's
    for answer in answers:
        assert set(answer) == CONTRACT
        assert answer["events"] == [] or answer["kind"] == "events"


def test_a_plain_text_line_is_a_new_user_each_time(conversation: Conversation) -> None:
    out = io.StringIO()
    batch(conversation, ["哪里可以猜灯谜?", f"{world.STREET_A}的呢?"], out)
    second = json.loads(out.getvalue().splitlines()[1])
    assert sorted(second["events"]) == world.STREET_A_EVENTS  # every event there, not only riddles


def test_console_conversation(conversation: Conversation) -> None:
    out = io.StringIO()
    chat(conversation, io.StringIO("哪里可以写春联?\n下一页\n退出\n哪里可以猜灯谜?\n"), out)
    text = out.getvalue()
    pages = -(-len(world.COUPLETS) // PAGE_SIZE)
    assert f"共{len(world.COUPLETS)}场" in text and f"第2/{pages}页" in text
    assert "灯谜" not in text  # nothing after 「退出」


def test_check_is_clean_on_the_fixture_knowledge(
    world_tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*world_tree.args(), "check"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.shipped
def test_check_is_clean_on_the_shipped_knowledge(capsys: pytest.CaptureFixture[str]) -> None:
    """The committed knowledge/ (or BOT_KNOWLEDGE) passes `check`."""
    assert main(["check"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_ask_command_prints_plain_text(world_tree: Tree) -> None:
    out = run_bot(world_tree, "ask", "老人去哪儿吃饭?").stdout.decode("utf-8")
    assert world.CANTEEN_QUOTE in out and "来源:《东风区社区服务暖民心》" in out


def test_knowledge_option_points_at_another_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--knowledge", str(tmp_path / "missing"), "check"]) == 1
    assert "no such knowledge folder" in capsys.readouterr().out


def test_environment_names_the_knowledge(
    world_tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_KNOWLEDGE", str(world_tree.knowledge))
    monkeypatch.setenv("BOT_INTENTS", str(world_tree.intents))
    monkeypatch.setenv("BOT_UNANSWERED_LOG", str(tmp_path / "u.jsonl"))
    assert main(["ask", "老人去哪儿吃饭?"]) == 0
    assert world.CANTEEN_QUOTE in capsys.readouterr().out


@pytest.mark.slow
def test_batch_survives_bytes_that_are_not_utf8(world_tree: Tree, tmp_path: Path) -> None:
    lines = "天气".encode() + b"\xff\n" + "你好\n".encode()
    lines += b'{"text": "\\udcff\\u5929\\u6c14"}\n' + "0000年1月\n".encode()
    log = ["--unanswered-log", str(tmp_path / "u.jsonl")]
    result = run_bot(world_tree, *log, "ask", "--json", stdin=lines)
    answers = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [a["kind"] for a in answers] == ["fallback", "chitchat", "fallback", "fallback"]


def test_batch_turns_a_failing_answer_into_a_fallback_line(
    conversation: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(conversation, "handle", broken)
    out = io.StringIO()
    batch(conversation, ["你好", "哪里可以写春联"], out)
    assert [json.loads(line)["intent"] for line in out.getvalue().splitlines()] == ["error", "error"]


def test_data_options_after_any_command(world_tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "ask",
                "--knowledge",
                str(world_tree.knowledge),
                "--intents",
                str(world_tree.intents),
                "老人去哪儿吃饭?",
            ]
        )
        == 0
    )
    assert world.CANTEEN_QUOTE in capsys.readouterr().out


@pytest.fixture
def collection_off() -> Iterator[None]:
    """The process as run_bot.py starts it: the cyclic garbage collector off until the bot has started."""
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.usefixtures("collection_off")
@pytest.mark.parametrize("command", ["check", "ask"])
def test_every_command_collects_garbage_once_started(world_tree: Tree, command: str) -> None:
    """`ask` turns collection back on once its engine is loaded (start-up objects frozen out of it),
    `check` and the other admin commands at once: none runs on with the collector off."""
    frozen = gc.get_freeze_count()
    arguments = [*world_tree.args(), command, *(["老人去哪儿吃饭?"] if command == "ask" else [])]
    assert main(arguments) == 0
    assert gc.isenabled() and gc.get_freeze_count() > frozen


def test_started_leaves_a_running_collector_alone() -> None:
    frozen = gc.get_freeze_count()
    started()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_a_worker_that_imports_run_bot_again_collects_as_usual() -> None:
    """uvicorn's `serve --workers N` spawns processes that import run_bot.py under another name; they
    build their app without bot.cli.started, so they must never start with the collector off."""
    try:
        runpy.run_path(str(ROOT / "run_bot.py"), run_name="__mp_main__")
        assert gc.isenabled()
    finally:
        gc.enable()
