"""``run_bot.py check``: every kind of mistake is reported as FILE:LINE: what, and how to fix it.

Each test copies the committed knowledge/ and intents/ to a temporary folder, adds small
valid records of every kind (so the tests do not depend on the shipped data's line numbers),
breaks exactly one thing and runs the real command line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.data.knowledge import KnowledgeError
from bot.engine import Brain
from tests.fixtures.trees import BROKEN, ROOT, Tree

SOURCE = """\
id: zz-test
title: 测试文章
district: 测试区
kind: article
date: '2020-01-20'
sections:
  - heading: 第一节
    passages:
      - id: zz-test.1.1
        text: 测试社区每周三上午提供免费理发服务。
      - id: zz-test.1.2
        text: 居民可以拨打电话预约。
"""

EVENTS = """\
events:
  - number: 9001
    start: '2020-01-20'
    end: '2020-01-21'
    place: 测试广场
    content: 测试写春联
    organiser: 测试单位
    source: zz-test
  - number: 9002
    start: '2020-01-22'
    end: '2020-01-22'
    place: 测试社区
    content: 测试猜灯谜
    organiser: 测试单位
    source: zz-test
"""

SERVICE = """\
  - id: zz-haircut
    name: 免费理发
    offers: 免费理发
    provider: 测试社区
    how: 每周三上午到社区
    district: 测试区
    source: zz-test
    passage: zz-test.1.1
    quote: 每周三上午提供免费理发服务
"""

INTENT = """\
intents:
  - name: zz_test
    kind: chitchat
    max_length: 8
    keywords: [测试一下]
    slots: [date, place]
    replies: [测试回复]
"""

FESTIVALS = """\
festivals:
  - name: 元宵节
    lunar: {month: 1, day: 15}
  - name: 元旦
    solar:
      month: 1
      day: 1
relative: [最近]
"""

SRC, EVT, SVC, INT = (
    "knowledge/sources/zz-test.yaml",
    "knowledge/events/zz-test.yaml",
    "knowledge/services.yaml",
    "intents/zz-test.yaml",
)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """The shipped data plus one valid record of every kind, ready to be broken."""
    tree = Tree.copy(tmp_path)
    tree.write(SRC, SOURCE)
    tree.write(EVT, EVENTS)
    tree.write(INT, INTENT)
    tree.write("knowledge/lexicon/festivals.yaml", FESTIVALS)
    tree.lines["service"] = tree.append(SVC, SERVICE)
    return tree


def check(tree: Tree, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """Run ``run_bot.py check`` in-process; the exit code and the printed lines."""
    code = main([*tree.args(), "check"])
    return code, capsys.readouterr().out.splitlines()


def only_problem(tree: Tree, capsys: pytest.CaptureFixture[str], rel: str, line: int, *words: str) -> str:
    """Assert ``check`` fails with exactly one problem, at rel:line, mentioning every word."""
    code, out = check(tree, capsys)
    assert code == 1
    assert len(out) == 1, "\n".join(out)
    prefix = f"{tree.path(rel)}:{line}: "
    assert out[0].startswith(prefix), f"{out[0]!r} does not start with {prefix!r}"
    for word in words:
        assert word in out[0], f"{word!r} not in {out[0]!r}"
    return out[0]


# -- clean data --------------------------------------------------------------------------------


def test_committed_data_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.slow  # a subprocess (~2-4 s); test_committed_data_is_clean runs the same check in-process
def test_committed_data_is_clean_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "run_bot.py", "check"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "")


def test_the_test_records_are_valid(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    """So each test below fails only because of the one thing it breaks."""
    assert check(tree, capsys) == (0, [])


# -- YAML syntax and file shape ----------------------------------------------------------------


def test_yaml_syntax_error(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(EVT, "    place: 测试社区\n", "    place: [测试社区\n")
    only_problem(tree, capsys, EVT, 13, "YAML syntax", "not closed")


def test_duplicate_key_in_a_record(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SRC, "date: '2020-01-20'\n", "date: '2020-01-20'\ntitle: 又一个标题\n")
    only_problem(tree, capsys, SRC, 6, "'title' appears twice", "first on line 2")


def test_empty_file(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write(EVT, "# nothing here yet\n")
    only_problem(tree, capsys, EVT, 1, "the file is empty")


def test_top_level_list(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(BROKEN / "top_level_list.yaml", tree.path(EVT))
    only_problem(tree, capsys, EVT, 2, "must be a mapping with `events:` at the top", "a list")


def test_top_level_scalar(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write(SRC, "just some text\n")
    only_problem(tree, capsys, SRC, 1, "must be a mapping", "'just some text'")


def test_truncated_file(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(BROKEN / "truncated.yaml", tree.path(EVT))
    only_problem(tree, capsys, EVT, 5, "YAML syntax", "cut short")


def test_truncated_mid_record_is_a_missing_field(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write(EVT, EVENTS[: EVENTS.index("    place: 测试社区")])
    only_problem(
        tree, capsys, EVT, 9, "events[1]: `place:`, `content:`, `organiser:`, `source:` are missing; add them"
    )


def test_not_utf8(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.path(EVT).write_bytes(EVENTS.replace("测试写春联", "写春联").encode("gb18030"))
    only_problem(tree, capsys, EVT, 5, "not UTF-8", "save the file as UTF-8")


# -- hostile files -----------------------------------------------------------------------------


def test_python_tag_is_refused(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(BROKEN / "python_tag.yaml", tree.path(EVT))
    only_problem(tree, capsys, EVT, 4, "!!python/object/apply:os.system is not allowed")


def test_billion_laughs_is_refused(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(BROKEN / "billion_laughs.yaml", tree.path(EVT))
    only_problem(tree, capsys, EVT, 6, "aliases", "write the values out")


def test_huge_file_is_refused(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    with tree.path(EVT).open("w", encoding="utf-8") as handle:
        handle.write(EVENTS)
        handle.write("# " + "写" * 1_700_000 + "\n")  # 5.1 MB of comment
    only_problem(tree, capsys, EVT, 1, "larger than 5000000 bytes", "split it")


# -- missing fields, wrong types, unknown keys --------------------------------------------------


def test_missing_required_field(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(EVT, "    place: 测试社区\n", "")
    only_problem(tree, capsys, EVT, 9, "events[1]: `place:` is missing; add it")


def test_missing_field_at_the_top_of_a_source(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SRC, "title: 测试文章\n", "")
    only_problem(tree, capsys, SRC, 1, "`title:` is missing at the top of the file")


def test_wrong_type(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(EVT, "  - number: 9002\n", "  - number: 九千零二\n")
    only_problem(tree, capsys, EVT, 9, "events[1].number: expected a whole number, found '九千零二'")


def test_empty_value(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(EVT, "    place: 测试社区\n", "    place:\n")
    only_problem(tree, capsys, EVT, 12, "events[1].place: is empty; write text")


def test_a_paragraph_of_only_spaces_is_named(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SRC, "        text: 居民可以拨打电话预约。\n", '        text: "   "\n')
    only_problem(tree, capsys, SRC, 12, "sections[0].passages[1].text: this paragraph has no text")


def test_unquoted_yes_no_is_named(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write("knowledge/lexicon/stopwords.yaml", "stopwords: [的, 了,\n  on]\n")
    only_problem(
        tree, capsys, "knowledge/lexicon/stopwords.yaml", 2, "stopwords[2]", "put the word in quotes"
    )


def test_non_text_key(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    line = tree.append("knowledge/lexicon/synonyms.yaml", "  2020: [二〇二〇]\n")
    only_problem(tree, capsys, "knowledge/lexicon/synonyms.yaml", line, "the key 2020 is not text", "quotes")


def test_unknown_key_in_an_event(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(
        EVT,
        "    organiser: 测试单位\n    source: zz-test\n  - number: 9002",
        "    organiser: 测试单位\n    colour: red\n    source: zz-test\n  - number: 9002",
    )
    only_problem(tree, capsys, EVT, 8, "events[0]: unknown field `colour:`", "check its spelling", "allowed:")


def test_unknown_key_at_the_top_of_a_source(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SRC, "kind: article\n", "kind: article\nauthor: 某某\n")
    only_problem(tree, capsys, SRC, 5, "unknown field `author:`")


def test_unknown_key_in_an_intent(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(INT, "    max_length: 8\n", "    maxlength: 8\n")
    only_problem(tree, capsys, INT, 4, "intents[0]: unknown field `maxlength:`")


def test_value_not_allowed(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SRC, "kind: article\n", "kind: story\n")
    only_problem(tree, capsys, SRC, 4, "kind: 'story' is not allowed; use one of: article, table")


def test_bad_source_id(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write(SRC, SOURCE.replace("id: zz-test\n", "id: 测试 文章\n", 1))
    tree.write(EVT, "events: []\n")
    tree.replace(SVC, SERVICE, "")
    only_problem(tree, capsys, SRC, 1, "is not a valid id", "letters, digits")


# -- dates ---------------------------------------------------------------------------------------


def test_date_in_the_wrong_form(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(EVT, "    start: '2020-01-22'\n", "    start: 2020年1月22日\n")
    only_problem(tree, capsys, EVT, 10, "events[1].start", "is not a date; write it as YYYY-MM-DD")


def test_unquoted_impossible_dates_are_reported_not_crashed_on(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(BROKEN / "bad_dates.yaml", tree.path(EVT))
    tree.replace(EVT, "source: 000-7", "source: zz-test")
    tree.replace(EVT, "source: 000-7", "source: zz-test")
    code, out = check(tree, capsys)
    assert code == 1
    assert out == [
        f"{tree.path(EVT)}:4: events[0].start: '2020-13-45' is not a real date; check the month and day "
        "(YYYY-MM-DD)",
        f"{tree.path(EVT)}:12: events[1].end: '2020-02-30' is not a real date; check the month and day "
        "(YYYY-MM-DD)",
    ]


def test_end_before_start(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(EVT, "    end: '2020-01-21'\n", "    end: '2020-01-19'\n")
    only_problem(tree, capsys, EVT, 4, "ends (2020-01-19) before it starts (2020-01-20)", "swap or correct")


def test_source_date_must_be_real(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SRC, "date: '2020-01-20'\n", "date: 2020-02-31\n")
    only_problem(tree, capsys, SRC, 5, "date: '2020-02-31' is not a real date")


# -- duplicates and references -------------------------------------------------------------------


def test_duplicate_event_number(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(EVT, "  - number: 9002\n", "  - number: 9001\n")
    line = only_problem(tree, capsys, EVT, 9, "event number 9001 is already used at", "must be unique")
    assert f"{tree.path(EVT)}:2" in line


def test_duplicate_event_number_across_files(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write("knowledge/events/zz-more.yaml", EVENTS.replace("9001", "9003"))
    code, out = check(tree, capsys)
    assert code == 1
    here, first = tree.path("knowledge/events/zz-test.yaml"), tree.path("knowledge/events/zz-more.yaml")
    assert out == [
        f"{here}:9: events[1].number: event number 9002 is already used at {first}:9; numbers must be "
        "unique; use the next free number"
    ]


def test_duplicate_source_id(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write("knowledge/sources/zz-copy.yaml", SOURCE.replace("zz-test.1.", "zz-copy.1."))
    line = only_problem(
        tree, capsys, "knowledge/sources/zz-test.yaml", 1, "source id 'zz-test' is already used"
    )
    assert "zz-copy.yaml:1" in line and "its own id" in line


def test_duplicate_passage_id(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SRC, "      - id: zz-test.1.2\n", "      - id: zz-test.1.1\n")
    line = only_problem(tree, capsys, SRC, 11, "passage id 'zz-test.1.1' is already used")
    assert f"{tree.path(SRC)}:9" in line


def test_event_citing_a_missing_source(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(EVT, "    source: zz-test\n", "    source: zz-nothing\n")
    only_problem(tree, capsys, EVT, 8, "source 'zz-nothing' does not exist", "sources/")


def test_service_citing_a_missing_source(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SVC, "    source: zz-test\n", "    source: zz-nothing\n")
    only_problem(tree, capsys, SVC, tree.lines["service"] + 6, "source 'zz-nothing' does not exist")


def test_service_citing_a_missing_passage(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SVC, "    passage: zz-test.1.1\n", "    passage: zz-test.9.9\n")
    only_problem(tree, capsys, SVC, tree.lines["service"] + 7, "passage 'zz-test.9.9' does not exist")


def test_service_passage_from_another_source(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write("knowledge/sources/zz-other.yaml", SOURCE.replace("zz-test", "zz-other"))
    tree.replace(SVC, "    source: zz-test\n", "    source: zz-other\n")
    only_problem(tree, capsys, SVC, tree.lines["service"] + 7, "is in source 'zz-test', not 'zz-other'")


def test_service_quote_not_in_its_passage(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(SVC, "    quote: 每周三上午提供免费理发服务\n", "    quote: 每周四上午提供免费理发服务\n")
    only_problem(
        tree, capsys, SVC, tree.lines["service"] + 8, "not word for word in passage 'zz-test.1.1'", "copy it"
    )


def test_duplicate_service_id(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    line = tree.append(SVC, SERVICE)
    only_problem(tree, capsys, SVC, line, "service id 'zz-haircut' is already used")


def test_a_broken_source_does_not_drag_its_citations_down(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    """One mistake, one message: events and services citing a source with a typo stay quiet."""
    tree.replace(SRC, "kind: article\n", "kind: artikel\n")
    only_problem(tree, capsys, SRC, 4, "'artikel' is not allowed")


# -- lexicon ---------------------------------------------------------------------------------------


def test_empty_synonym_list(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    line = tree.append("knowledge/lexicon/synonyms.yaml", "  理发: []\n")
    only_problem(
        tree, capsys, "knowledge/lexicon/synonyms.yaml", line, "synonyms.理发: the synonym list is empty"
    )


def test_synonym_without_list(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    line = tree.append("knowledge/lexicon/synonyms.yaml", "  理发:\n")
    only_problem(
        tree, capsys, "knowledge/lexicon/synonyms.yaml", line, "synonyms.理发: is empty; write a list"
    )


def test_synonym_under_two_words(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    line = tree.append(
        "knowledge/lexicon/synonyms.yaml", "  理发:\n    - 剪头发\n  美发:\n    - 烫发\n    - 剪头发\n"
    )
    only_problem(
        tree, capsys, "knowledge/lexicon/synonyms.yaml", line + 4, "'剪头发' is already a synonym of '理发'"
    )


def test_festival_day_that_does_not_exist(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace("knowledge/lexicon/festivals.yaml", "      day: 1\n", "      day: 32\n")
    only_problem(tree, capsys, "knowledge/lexicon/festivals.yaml", 7, "festivals[1].solar.day", "at most 31")


def test_festival_february_30(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(
        "knowledge/lexicon/festivals.yaml",
        "      month: 1\n      day: 1\n",
        "      month: 2\n      day: 30\n",
    )
    only_problem(tree, capsys, "knowledge/lexicon/festivals.yaml", 7, "month 2 has no day 30")


def test_festival_with_both_calendars(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(
        "knowledge/lexicon/festivals.yaml",
        "    lunar: {month: 1, day: 15}\n",
        "    lunar: {month: 1, day: 15}\n    solar: {month: 2, day: 8}\n",
    )
    only_problem(tree, capsys, "knowledge/lexicon/festivals.yaml", 2, "exactly one of `lunar:` or `solar:`")


def test_userdict_line(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    line = tree.append("knowledge/lexicon/userdict.txt", "免费 理发 20 n\n")
    only_problem(tree, capsys, "knowledge/lexicon/userdict.txt", line, "word [frequency] [tag]")


def test_missing_lexicon_file(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.path("knowledge/lexicon/stopwords.yaml").unlink()
    only_problem(tree, capsys, "knowledge/lexicon/stopwords.yaml", 1, "missing; restore it")


# -- intents ---------------------------------------------------------------------------------------


def test_intent_slot_of_unknown_type(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(INT, "    slots: [date, place]\n", "    slots: [date,\n      weather]\n")
    only_problem(
        tree, capsys, INT, 7, "intents[0].slots[1]: unknown slot type 'weather'", "date, activity, place"
    )


def test_duplicate_intent_name(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    line = tree.append(INT, INTENT.removeprefix("intents:\n"))
    only_problem(tree, capsys, INT, line, "intent 'zz_test' is already used")


def test_bad_intent_name(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.replace(INT, "name: zz_test", "name: ZZ Test")
    only_problem(tree, capsys, INT, 2, "is not a valid name", "lowercase")


def test_intents_missing_a_needed_kind(tree: Tree, capsys: pytest.CaptureFixture[str]) -> None:
    tree.path("intents/fallback.yaml").unlink()
    code, out = check(tree, capsys)
    assert code == 1
    assert out == [
        f"{tree.intents}:1: no intent of kind 'fallback'; the bot needs one of each of events, "
        "passages and fallback"
    ]


# -- several problems, real process, engine ---------------------------------------------------------


def test_every_problem_is_listed_in_file_and_line_order(
    tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    tree.replace(EVT, "    place: 测试社区\n", "")
    tree.replace(EVT, "    end: '2020-01-21'\n", "    end: '2020-01-19'\n")
    tree.replace(INT, "    slots: [date, place]\n", "    slots: [when]\n")
    code, out = check(tree, capsys)
    assert code == 1
    assert [line.split(": ", 1)[0] for line in out] == [
        f"{tree.path(EVT)}:4",
        f"{tree.path(EVT)}:9",
        f"{tree.path(INT)}:6",
    ]


@pytest.mark.slow  # a subprocess (~2-4 s); every other test here runs `check` in-process
def test_check_in_a_real_process_exits_1(tree: Tree) -> None:
    tree.replace(EVT, "    end: '2020-01-21'\n", "    end: '2020-01-19'\n")
    done = subprocess.run(
        [sys.executable, "run_bot.py", *tree.args(), "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout.startswith(f"{tree.path(EVT)}:4: events[0].end: the event ends")


def test_the_engine_refuses_what_check_refuses(tree: Tree) -> None:
    tree.replace(SVC, "    quote: 每周三上午提供免费理发服务\n", "    quote: 每周四上午提供免费理发服务\n")
    with pytest.raises(KnowledgeError) as caught:
        Brain.build(tree.knowledge, tree.intents)
    assert [p.line for p in caught.value.problems] == [tree.lines["service"] + 8]
