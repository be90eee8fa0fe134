"""The jieba user dictionary (bot.data.userdict): `word [frequency] [tag]`; anything else is a problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.data.userdict import parse_userdict, read_userdict
from bot.data.yamlio import YamlError


def test_every_form_of_an_entry() -> None:
    text = "# 注释\n写春联 20 v\n猜灯谜 15\n中心路街道 ns\n二七区\n\n航空港 5 ns  # 港区\n"
    words, problems = parse_userdict(text, "userdict.txt")
    assert problems == []
    assert words == [
        ("写春联", 20, "v"),
        ("猜灯谜", 15, None),
        ("中心路街道", None, "ns"),
        ("二七区", None, None),
        ("航空港", 5, "ns"),
    ]


@pytest.mark.parametrize("line", ["写 春联 20 v", "中心路 街道 ns", "一 二 三 四"])
def test_a_word_with_a_space_is_a_problem_on_its_line(line: str) -> None:
    words, problems = parse_userdict(f"写春联 20 v\n{line}\n猜灯谜\n", "userdict.txt")
    assert [w[0] for w in words] == ["写春联", "猜灯谜"]
    assert [(p.line, "no spaces" in p.message) for p in problems] == [(2, True)]


def test_read_userdict_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "userdict.txt"
    path.write_text("写春联 20 v\n", encoding="utf-8")
    assert read_userdict(path) == [("写春联", 20, "v")]
    with pytest.raises(YamlError):
        read_userdict(tmp_path / "missing.txt")
