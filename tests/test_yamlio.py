"""The YAML loader: line numbers for every key and item, and only safe, plain data.

Admins edit the files by hand and a file may come from anywhere, so every way a file can
be wrong or hostile must end in a YamlError naming file and line, never in a crash, a hang
or an object built from a tag.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.data.yamlio import (
    MAX_FILE_BYTES,
    LineDict,
    LineList,
    YamlError,
    dump_yaml,
    line_of,
    load_yaml,
    loads_yaml,
)

FIXTURES = Path(__file__).parent / "fixtures" / "broken"


def refused(text: str) -> tuple[int, str]:
    """The line and message of the YamlError that ``text`` must raise."""
    with pytest.raises(YamlError) as caught:
        loads_yaml(text, "f.yaml")
    problem = caught.value.problem
    assert problem.path == "f.yaml"
    return problem.line, problem.message


# -- line numbers ------------------------------------------------------------------------------


def test_every_key_and_item_knows_its_line() -> None:
    data = loads_yaml("# comment\nevents:\n  - number: 1\n    place: 广场\n\n  - number: 2\n    place: 社区")
    assert isinstance(data, LineDict) and isinstance(data["events"], LineList)
    assert data.key_lines == {"events": 2}
    assert data["events"].item_lines == [3, 6]
    assert data["events"][1].key_lines == {"number": 6, "place": 7}
    assert line_of(data, ["events", 1, "place"]) == 7
    assert line_of(data, ["events", 0]) == 3


def test_line_of_a_missing_step_is_the_nearest_parent() -> None:
    data = loads_yaml("a:\n  b: 1\n")
    assert line_of(data, ["a", "nope", "deeper"]) == 1
    assert line_of(data, ["a", "b", 3]) == 2
    assert line_of("scalar", ["x"]) == 1


def test_flow_style_records_keep_their_own_lines() -> None:
    data = loads_yaml("festivals:\n  - {name: 元宵节, lunar: {month: 1, day: 15}}\n  - name: 春节\n")
    assert data["festivals"].item_lines == [2, 3]
    assert line_of(data, ["festivals", 0, "lunar", "day"]) == 2


# -- plain values ----------------------------------------------------------------------------


def test_dates_stay_text_quoted_or_not() -> None:
    data = loads_yaml("a: 2020-01-05\nb: '2020-01-05'\nc: 2020-13-45\nd: 2020-02-30\n")
    assert data == {"a": "2020-01-05", "b": "2020-01-05", "c": "2020-13-45", "d": "2020-02-30"}


def test_times_and_odd_scalars_stay_text() -> None:
    """YAML 1.1 would read 9:30 as the number 570; admins mean a time of day."""
    assert loads_yaml("how: 9:30\nend: 1:30.5\neq: =\nmerge: <<\nn: 12\nx: 1.5\n") == {
        "how": "9:30",
        "end": "1:30.5",
        "eq": "=",
        "merge": "<<",
        "n": 12,
        "x": 1.5,
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: !!int abc\n", "'abc' is not a number"),
        ("a: !!float ''\n", "'' is not a number"),
        ("a: !!bool maybe\n", "not true or false"),
        ("a: !!map [1]\n", "not a mapping"),
        ("a: !!seq {b: 1}\n", "not a list"),
        ("a: !!str {b: 1}\n", "expected a scalar"),
    ],
)
def test_explicit_tags_on_the_wrong_value_are_problems(text: str, words: str) -> None:
    assert words in refused(text)[1]


def test_empty_and_comment_only_text_is_none() -> None:
    assert loads_yaml("") is None
    assert loads_yaml("# only a comment\n\n") is None


def test_scalars_and_lists_at_top_level_load_as_such() -> None:
    """The schema, not the loader, says a knowledge file must be a mapping."""
    assert loads_yaml("hello") == "hello"
    assert loads_yaml("- 1\n- 2\n") == [1, 2]


def test_merge_keys_and_a_few_aliases_are_fine() -> None:
    data = loads_yaml("base: &base {organiser: 区文化馆}\nevent:\n  <<: *base\n  place: 广场\n")
    assert data["event"] == {"organiser": "区文化馆", "place": "广场"}


# -- mistakes an admin makes -----------------------------------------------------------------


def test_duplicate_key_names_both_lines() -> None:
    line, message = refused("place: 甲\ncontent: 乙\nplace: 丙\n")
    assert line == 3
    assert "'place' appears twice" in message and "line 1" in message


def test_unclosed_bracket_points_at_the_break_and_the_opening() -> None:
    line, message = refused("a: [1, 2\nb: 3\n")
    assert line == 2
    assert "not closed" in message and "began on line 1" in message


def test_bad_indentation_says_so() -> None:
    line, message = refused("events:\n  - number: 1\n     place: x\n")
    assert line == 3
    assert message.startswith("YAML syntax:")


def test_tabs_are_named() -> None:
    line, message = refused("a:\n\tb: 1\n")
    assert line == 2
    assert "tabs" in message


def test_a_second_document_is_refused() -> None:
    line, message = refused("a: 1\n---\nb: 2\n")
    assert line == 2
    assert "one document per file" in message


def test_a_list_as_key_is_refused() -> None:
    _, message = refused("? [a, b]\n: 1\n")
    assert "plain text" in message


# -- hostile files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo pwned']\n",
        "a: !!python/name:os.system\n",
        "a: !!python/object:collections.OrderedDict {}\n",
        "a: !!set {x, y}\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!omap [x: 1]\n",
        "a: !custom value\n",
    ],
)
def test_tags_that_build_objects_are_refused(text: str) -> None:
    line, message = refused(text)
    assert line == 1
    assert "is not allowed" in message


def test_python_tag_fixture_names_its_line() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml(FIXTURES / "python_tag.yaml")
    assert caught.value.problem.line == 4
    assert "!!python/object/apply:os.system is not allowed" in caught.value.problem.message


def test_billion_laughs_is_refused_before_it_expands() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml(FIXTURES / "billion_laughs.yaml")
    assert "alias" in caught.value.problem.message
    assert caught.value.problem.line > 1


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    assert "more than 100 aliases" in refused(text)[1]


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    assert "alias" in refused("a: &a [1, *a]\n")[1]
    assert "alias" in refused("a: &a [1, *a, *a, *a]\n")[1]


def test_deep_nesting_is_refused_not_a_recursion_crash() -> None:
    _, message = refused("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested" in message


def test_control_characters_name_their_line() -> None:
    line, message = refused("a: 1\nb: x\x00y\n")
    assert line == 2
    assert "#x0000" in message


def test_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(b"a: 1\nb: " + "春联".encode("gbk") + b"\n")
    with pytest.raises(YamlError) as caught:
        load_yaml(path)
    assert caught.value.problem.line == 2
    assert "UTF-8" in caught.value.problem.message


def test_a_huge_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    line = "- 写春联写春联写春联写春联写春联\n"
    path.write_text("events:\n" + line * (MAX_FILE_BYTES // len(line.encode()) + 10), encoding="utf-8")
    with pytest.raises(YamlError) as caught:
        load_yaml(path)
    assert (caught.value.problem.line, "larger than") == (1, "larger than")
    assert "split it" in caught.value.problem.message


def test_huge_text_is_refused_too() -> None:
    assert "larger than" in refused("a: " + "x" * (MAX_FILE_BYTES + 1))[1]


def test_unreadable_path_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml(tmp_path / "missing.yaml", display="missing.yaml")
    assert str(caught.value).startswith("missing.yaml:1: cannot read the file")


_PIECES = [*"ab:-[]{}&*!#|>'\"\n\t ?,.%@`=~春\x00", "2020-13-45", "9:30", "<<: ", "&a ", "*a"]
_TAGS = ["!!set ", "!!int ", "!!float ", "!!bool ", "!!map ", "!!seq ", "!!str ", "!!binary ", "!!python/x "]


@pytest.mark.slow  # 300 generated texts (~3 s); the example tests above cover each refusal
@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES + _TAGS)))
def test_any_text_loads_or_is_a_yaml_error(pieces: list[str]) -> None:
    """Fuzz: nothing but a YamlError may come out of the loader."""
    try:
        loads_yaml("".join(pieces))
    except YamlError as exc:
        assert exc.problem.line >= 1


# -- writing ----------------------------------------------------------------------------------


def test_dump_round_trips_chinese_dates_and_multiline_text() -> None:
    data = {
        "id": "005-1",
        "title": "写春联",
        "date": "2020-01-15",
        "stop": ["on", "yes", "null"],
        "text": "第一行\n第二行",
    }
    text = dump_yaml(data)
    assert "写春联" in text and "'2020-01-15'" in text
    assert loads_yaml(text) == data


def test_dump_accepts_loaded_data() -> None:
    data = loads_yaml("a:\n  - b: 1\n")
    assert loads_yaml(dump_yaml(data)) == {"a": [{"b": 1}]}
