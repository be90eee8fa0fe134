import io
import json
import subprocess
import sys

from bot.channels.console import batch, chat
from bot.cli import main
from tests.conftest import ROOT


def test_batch_contract_one_json_line_per_input(engine) -> None:  # type: ignore[no-untyped-def]
    lines = [
        json.dumps({"user": "a", "text": "哪里可以猜灯谜?"}, ensure_ascii=False),
        json.dumps({"user": "b", "text": "你好"}, ensure_ascii=False),
        json.dumps({"user": "a", "text": "那2月5日呢?"}, ensure_ascii=False),
        "今天天气怎么样",
        "",
        "{not json",
    ]
    out = io.StringIO()
    assert batch(engine, lines, out) == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(answers) == len(lines)
    assert [a["kind"] for a in answers[:4]] == ["events", "chitchat", "events", "fallback"]
    assert set(answers[2]["events"]) == {23, 39, 40, 41, 42, 54}  # user a's context, not b's
    for answer in answers:
        assert set(answer) == {"text", "kind", "intent", "events", "citations"}


def test_console_conversation(engine) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    chat(engine, io.StringIO("哪里可以写春联?\n下一页\n退出\n"), out)
    text = out.getvalue()
    assert "共28场" in text and "第2/6页" in text


def test_check_is_clean_on_committed_data(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check"]) == 0
    assert capsys.readouterr().out == ""


def test_ask_command_prints_plain_text() -> None:
    result = subprocess.run(
        [sys.executable, "run_bot.py", "ask", "怎么在手机上信访?"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "微信信访" in result.stdout and "来源" in result.stdout


def test_knowledge_option_points_at_another_copy(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--knowledge", str(tmp_path / "missing"), "check"]) == 1
    assert "no such knowledge folder" in capsys.readouterr().out


def test_batch_survives_bytes_that_are_not_utf8() -> None:
    lines = "天气".encode() + b"\xff\n" + "你好\n".encode()
    lines += b'{"text": "\\udcff\\u5929\\u6c14"}\n' + "0000年1月\n".encode()
    result = subprocess.run(
        [sys.executable, "run_bot.py", "ask", "--json"],
        cwd=ROOT,
        input=lines,
        capture_output=True,
        timeout=60,
        check=True,
    )
    answers = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [a["kind"] for a in answers] == ["fallback", "chitchat", "fallback", "fallback"]


def test_batch_turns_a_failing_answer_into_a_fallback_line(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(text, state):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "answer", broken)
    out = io.StringIO()
    batch(engine, ["你好", "哪里可以写春联"], out)
    assert [json.loads(line)["intent"] for line in out.getvalue().splitlines()] == ["error", "error"]


def test_data_options_after_any_command(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["ask", "--knowledge", str(ROOT / "knowledge"), "你好"]) == 0
    assert "您好" in capsys.readouterr().out
