"""The unanswered-question log: anonymous, robust, safe to share between threads, and summarised
so the most wanted missing topic comes first."""

from __future__ import annotations

import json
import random
import re
import stat
import threading
from collections import Counter
from pathlib import Path

import pytest

from bot.admin.privacy import mask_personal
from bot.admin.unanswered import UnansweredLog, _key, anonymise, format_summary, similar, summarise
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


def test_a_secret_salt_changes_every_pseudonym() -> None:
    assert anonymise("123456789", "x") == anonymise("123456789", "x") != anonymise("123456789", "y")


def _pseudonyms(path: Path, env_file: Path | None = None) -> str:
    log = UnansweredLog(path, env_file=env_file)
    log.add("123456789", "火星上有什么", "low_confidence", "", 0.1)
    return log.records()[-1]["user"]


def test_the_pseudonym_key_is_random_kept_private_and_not_public(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No public default: a known chat id's pseudonym cannot be recomputed from the log alone."""
    monkeypatch.delenv("BOT_LOG_SALT", raising=False)
    first = _pseudonyms(tmp_path / "a" / "var" / "unanswered.jsonl")
    key_file = tmp_path / "a" / "var" / "log.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert len(key_file.read_bytes()) == 32
    assert first == anonymise("123456789", key_file.read_bytes())
    assert first != anonymise("123456789", "zz-district-bot")  # the old public default
    assert _pseudonyms(tmp_path / "a" / "var" / "unanswered.jsonl") == first  # kept across runs
    assert _pseudonyms(tmp_path / "b" / "var" / "unanswered.jsonl") != first  # another install, another key


def test_bot_log_salt_is_read_from_dotenv_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOT_LOG_SALT", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("BOT_LOG_SALT=from the file\n", encoding="utf-8")
    assert _pseudonyms(tmp_path / "u.jsonl", env_file) == anonymise("123456789", "from the file")
    assert not (tmp_path / "log.key").exists()
    monkeypatch.setenv("BOT_LOG_SALT", "from the environment")
    assert _pseudonyms(tmp_path / "v.jsonl", env_file) == anonymise("123456789", "from the environment")


@pytest.mark.parametrize(
    ("question", "masked"),
    [
        ("我叫张三,电话13800138000,身份证410102199001011234", "我叫张三,电话[手机号],身份证[身份证号]"),
        ("身份证号41010219900101123X怎么补办", "身份证号[身份证号]怎么补办"),
        ("手机 138 0013 8000 或 +86 13912345678", "手机 [手机号] 或 [手机号]"),
        ("打0371-12345678还是(0371)6612345?", "打[电话]还是[电话]?"),
        ("邮箱zhang.san+1@example.com.cn能收到吗", "邮箱[邮箱]能收到吗"),
        ("全角１３８００１３８０００也算", "全角[手机号]也算"),
        ("2020年1月18日有10场活动,门牌号12345", "2020年1月18日有10场活动,门牌号12345"),  # not personal
    ],
)
def test_personal_data_is_masked_before_it_is_written(log: UnansweredLog, question: str, masked: str) -> None:
    assert mask_personal(question) == masked
    log.add("u", question, "low_confidence", "", 0.1)
    assert log.records()[0]["question"] == masked
    raw = log.path.read_text(encoding="utf-8")
    assert "13800138000" not in raw and "410102" not in raw and "example.com" not in raw


def test_var_and_the_log_are_created_owner_only(tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "var" / "unanswered.jsonl")
    log.add("u", "火星上有什么", "low_confidence", "", 0.1)
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700


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


def _all_pairs(records: list[dict]) -> list[tuple[int, str, list[str]]]:
    """The summary as it was computed before the index: every wording against every head."""
    counts: Counter[str] = Counter()
    wording: dict[str, Counter[str]] = {}
    for record in records:
        question = record["question"].strip()
        if question:
            key = _key(question)
            counts[key] += 1
            wording.setdefault(key, Counter())[question] += 1
    groups: list[tuple[str, Counter[str]]] = []
    for key, count in counts.most_common():
        shown = wording[key].most_common(1)[0][0]
        for head, members in groups:
            if similar(shown, head):
                members[shown] += count
                break
        else:
            groups.append((shown, Counter({shown: count})))
    ranked = sorted(groups, key=lambda g: -sum(g[1].values()))
    return [(sum(m.values()), head, [q for q, _ in m.most_common() if q != head]) for head, m in ranked]


def _questions(count: int, seed: int) -> list[dict]:
    """Residents' questions: shared openings and topics, typos, punctuation, some asked often."""
    rng = random.Random(seed)
    openings = ["哪里可以", "怎么", "在哪", "请问", "哪儿能", "什么时候", "", "我想知道"]
    topics = ["写春联", "猜灯谜", "办社保卡", "打疫苗", "看舞狮", "换身份证", "交水费", "修路灯", "领福字"]
    places = ["", "二七区", "中原区", "惠济区", "上街区", "管城区", "冯春社区", "航海路"]
    ends = ["", "?", "?", "呢", "啊", "。"]
    out = []
    for _ in range(count):
        text = rng.choice(openings) + rng.choice(places) + rng.choice(topics) + rng.choice(ends)
        if rng.random() < 0.3:
            text += f"{rng.randrange(1000)}号"
        out.append({"question": text, "user": "u"})
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_indexed_grouping_is_the_all_pairs_grouping(seed: int) -> None:
    records = _questions(600, seed) + [{"question": q} for q in ("", "a", "a", "啊", "?", "哪里", "哪里?")]
    assert summarise(records, limit=10_000) == _all_pairs(records)


def test_six_thousand_questions_need_far_fewer_comparisons_than_all_pairs() -> None:
    records = _questions(6_000, 7)
    calls = 0

    def counting(a: str, b: str) -> bool:
        nonlocal calls
        calls += 1
        return similar(a, b)

    groups = summarise(records, limit=10_000, compare=counting)
    assert sum(count for count, _, _ in groups) == len(records)
    distinct = len({_key(r["question"]) for r in records})
    assert calls <= distinct  # at most one confirming comparison per distinct wording
    assert calls < len(records) ** 2 / 2 / 1000
