"""The unanswered-question log: anonymous, robust, safe to share between threads, and summarised
so the most wanted missing topic comes first."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from bot.admin.unanswered import UnansweredLog, anonymise, format_summary, similar, summarise
from bot.cli import main
from bot.engine import Engine
from bot.engine.dialogue import DialogueState


@pytest.fixture
def log(tmp_path: Path) -> UnansweredLog:
    return UnansweredLog(tmp_path / "var" / "unanswered.jsonl")


def ask(log: UnansweredLog, question: str, times: int = 1, user: str = "u1") -> None:
    for _ in range(times):
        log.add(user, question, "low_confidence", "", 0.1)


def test_users_are_anonymised(log: UnansweredLog) -> None:
    log.add("123456789", "今天天气怎么样", "out_of_scope", "", 0.0)
    log.add("@zhang_san", "今天天气怎么样", "out_of_scope", "", 0.0)
    log.add("123456789", "火星上有什么", "low_confidence", "某段原文", 0.123456)
    raw = log.path.read_text(encoding="utf-8")
    assert "123456789" not in raw and "zhang_san" not in raw
    first, second, third = log.records()
    assert re.fullmatch(r"[0-9a-f]{12}", first["user"])
    assert first["user"] == third["user"] != second["user"]  # one resident counts once
    assert third == {
        **third,
        "question": "火星上有什么",
        "intent": "low_confidence",
        "best": "某段原文",
        "score": 0.123,
    }


def test_a_secret_salt_changes_every_pseudonym(monkeypatch: pytest.MonkeyPatch) -> None:
    default = anonymise("123456789")
    monkeypatch.setenv("BOT_LOG_SALT", "a secret only the admins know")
    assert anonymise("123456789") != default
    assert anonymise("123456789", salt="x") == anonymise("123456789", salt="x")


def test_long_questions_are_cut(log: UnansweredLog) -> None:
    log.add("u", "问" * 5000, "low_confidence", "文" * 5000, 0.2)
    (record,) = log.records()
    assert len(record["question"]) == 500 and len(record["best"]) == 200


def test_similar_questions_are_grouped_most_frequent_first(log: UnansweredLog) -> None:
    ask(log, "今天天气怎么样", 2)
    ask(log, "哪里可以剪头发?", 3)
    ask(log, "火星上有什么")
    ask(log, "哪里可以剪头发")
    ask(log, "请问哪里可以剪头发")
    ask(log, "明天天气怎么样")
    assert summarise(log.records()) == [
        (5, "哪里可以剪头发?", ["请问哪里可以剪头发"]),
        (3, "今天天气怎么样", ["明天天气怎么样"]),
        (1, "火星上有什么", []),
    ]


def test_the_same_question_typed_differently_counts_as_one_wording(log: UnansweredLog) -> None:
    ask(log, "哪里可以剪头发?")
    ask(log, " 哪里可以剪头发? ")  # full-width and spaces
    ask(log, "哪里可以剪头发")  # no question mark
    assert summarise(log.records()) == [(3, "哪里可以剪头发?", [])]


def test_ties_keep_the_order_of_first_asking(log: UnansweredLog) -> None:
    for question in ["充电桩在哪里", "火星上有什么", "共享单车怎么停"]:
        ask(log, question)
    assert [head for _, head, _ in summarise(log.records())] == [
        "充电桩在哪里",
        "火星上有什么",
        "共享单车怎么停",
    ]


def test_dissimilar_questions_stay_apart() -> None:
    assert similar("哪里可以剪头发?", "请问哪里可以剪头发")
    assert not similar("火星上有什么", "月球上有什么活动")
    assert not similar("", "哪里可以剪头发")


def test_summary_text(log: UnansweredLog) -> None:
    ask(log, "哪里可以剪头发?", 2, user="a")
    ask(log, "请问哪里可以剪头发", 1, user="b")
    ask(log, "火星上有什么", 1, user="a")
    assert format_summary(log.records()).splitlines() == [
        "4 个未回答或低把握的问题,来自 2 位用户;相似问题合并,最多的在前:",
        "   3  哪里可以剪头发?(另有:请问哪里可以剪头发)",
        "   1  火星上有什么",
    ]
    assert format_summary([]) == "没有未回答的问题。"


def test_corrupt_lines_are_skipped(log: UnansweredLog) -> None:
    ask(log, "火星上有什么")
    with log.path.open("ab") as handle:
        handle.write(b"{not json\n")
        handle.write(b"[1, 2]\n")
        handle.write(b'"just a string"\n')
        handle.write(b'{"question": 5}\n')
        handle.write(b"\xff\xfe\xfd broken bytes\n")
        handle.write(b"\n")
    ask(log, "火星上有什么")
    with log.path.open("ab") as handle:
        handle.write(b'{"time": "2020", "question": "cut sho')  # a crash in the middle of a write
    assert [r["question"] for r in log.records()] == ["火星上有什么", "火星上有什么"]
    assert summarise(log.records()) == [(2, "火星上有什么", [])]


def test_an_unwritable_log_does_not_fail_the_answer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "file").write_text("not a folder")
    log = UnansweredLog(tmp_path / "file" / "unanswered.jsonl")
    log.add("u", "火星上有什么", "low_confidence", "", 0.1)  # must not raise
    assert "cannot write the unanswered log" in caplog.text
    assert log.records() == []


def test_a_missing_log_is_empty(log: UnansweredLog) -> None:
    assert log.records() == []


def test_threads_appending_at_once_never_interleave(log: UnansweredLog) -> None:
    threads_count, per_thread = 8, 150
    other = UnansweredLog(log.path)  # a second writer on the same file, as another process would be
    barrier = threading.Barrier(threads_count)

    def write(index: int) -> None:
        writer = log if index % 2 else other
        barrier.wait()
        for n in range(per_thread):
            writer.add(
                f"user-{index}", f"线程{index}的第{n}个问题" + "长" * 300, "low_confidence", "原文" * 100, 0.3
            )

    threads = [threading.Thread(target=write, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = log.path.read_bytes().splitlines()
    assert len(lines) == threads_count * per_thread
    records = [json.loads(line) for line in lines]  # every line is one whole record
    assert {r["question"].split("的")[0] for r in records} == {f"线程{i}" for i in range(threads_count)}
    assert len({r["user"] for r in records}) == threads_count


def test_a_full_log_is_rotated_and_still_read(tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "u.jsonl", max_bytes=400)
    for n in range(6):
        ask(log, f"第{n}个问题" + "长" * 40)
    assert (tmp_path / "u.jsonl.1").exists()
    assert len(log.path.read_bytes().splitlines()) <= 2  # rotated once it reached 400 bytes
    questions = [r["question"][:4] for r in log.records()]
    assert questions[-1] == "第5个问"  # the newest is never lost; the oldest may be


def test_the_engine_logs_fallbacks_and_low_confidence_only(
    fixture_engine: Engine, log: UnansweredLog
) -> None:
    engine = fixture_engine
    logging_engine = Engine(engine.brain, engine.knowledge_dir, engine.intents_dir, log)
    for question in ["今天天气怎么样", "你好", "哪里可以写春联?", "火星上有什么好玩的", "下一页"]:
        logging_engine.log_unanswered("alice", question, logging_engine.answer(question, DialogueState()))
    assert [r["question"] for r in log.records()] == ["今天天气怎么样", "火星上有什么好玩的"]
    assert {r["intent"] for r in log.records()} == {"out_of_scope", "low_confidence"}


def test_unanswered_command(log: UnansweredLog, capsys: pytest.CaptureFixture[str]) -> None:
    ask(log, "哪里可以剪头发?", 2)
    ask(log, "火星上有什么")
    assert main(["--unanswered-log", str(log.path), "unanswered"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("3 个未回答或低把握的问题")
    assert out[1:] == ["   2  哪里可以剪头发?", "   1  火星上有什么"]


def test_unanswered_command_without_a_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--unanswered-log", str(tmp_path / "none.jsonl"), "unanswered"]) == 0
    assert capsys.readouterr().out.strip() == "没有未回答的问题。"
