from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.wechat.budget import fit_bytes, fit_lines, pack_lines, size

EMOJI = st.sampled_from(["😀", "👨\u200d👩\u200d👧", "❤️", "🇨🇳", "🏮"])
CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
PUNCT = st.sampled_from(list("。！？；，、\n abc123"))
MIXED = st.lists(st.one_of(CHINESE, EMOJI, PUNCT), max_size=1200).map("".join)


@given(MIXED, st.integers(0, 3000))
def test_fit_bytes_never_exceeds_and_keeps_a_prefix(text: str, limit: int) -> None:
    fitted = fit_bytes(text, limit)
    assert size(fitted) <= limit
    fitted.encode("utf-8")  # whole characters only
    if size(text) <= limit:
        assert fitted == text
    else:
        body = fitted.removesuffix("…")
        assert text.startswith(body.rstrip("\u200d\ufe0f\ufe0e"))


def test_fit_bytes_cuts_at_sentence_end() -> None:
    text = "第一句话说完了。第二句话也说完了。第三句话很长很长很长很长很长很长"
    limit = size("第一句话说完了。第二句话也说完了。第三句") + size("…")
    assert fit_bytes(text, limit) == "第一句话说完了。第二句话也说完了。…"


def test_fit_bytes_prefers_newline_break() -> None:
    text = "标题：金水区春节活动\n地点：紫荆山公园东门外广场附近"
    assert fit_bytes(text, size("标题：金水区春节活动\n地点：紫荆山")) == "标题：金水区春节活动…"


def test_fit_bytes_hard_cut_when_no_break() -> None:
    text = "郑" * 100
    fitted = fit_bytes(text, 31)
    assert fitted == "郑" * 9 + "…" and size(fitted) == 30


def test_fit_bytes_never_splits_a_character_in_the_middle() -> None:
    for limit in range(0, 20):
        fitted = fit_bytes("二七纪念塔😀二七纪念塔", limit, ellipsis="")
        assert "二七纪念塔😀二七纪念塔".startswith(fitted) and size(fitted) <= limit


def test_fit_bytes_limit_smaller_than_ellipsis() -> None:
    assert fit_bytes("郑州", 2) == ""


lines = st.lists(MIXED.map(lambda s: s.replace("\n", " ")), max_size=12)


@pytest.mark.slow  # property test (~1.5 s); the example tests below pin the same rules
@given(lines, lines, lines, st.integers(0, 2048))
def test_fit_lines_never_exceeds(head: list[str], body: list[str], tail: list[str], limit: int) -> None:
    text = fit_lines(head, body, tail, limit)
    assert size(text) <= limit


@pytest.mark.slow  # property test (~1.2 s); see test_body_lines_dropped_then_paging_hint_stays
@given(lines, lines, lines)
def test_head_and_tail_kept_when_they_fit(head: list[str], body: list[str], tail: list[str]) -> None:
    limit = size("\n".join(head + tail)) + 40
    packed = pack_lines(head, body, tail, limit)
    got = packed.text.split("\n")
    if head:
        assert packed.text.startswith("\n".join(head))
    if tail:
        assert packed.text.endswith("\n".join(tail))
    if head or tail or packed.kept:
        assert got[len(head) : len(head) + packed.kept] == body[: packed.kept]


def test_body_lines_dropped_then_paging_hint_stays() -> None:
    head = ["【金水区】春节活动"]
    body = [f"{i}. 活动{i}：地点在某某街道社区服务中心，时间为上午九点。" for i in range(1, 40)]
    tail = ["来源：金水报 2024-02-01", "回复「下一页」看更多"]
    packed = pack_lines(head, body, tail, 2048)
    assert size(packed.text) <= 2048
    assert packed.text.startswith(head[0]) and packed.text.endswith(tail[-1])
    assert 0 < packed.kept < len(body) and packed.cut
    assert body[packed.kept - 1] in packed.text


def test_long_body_line_is_cut_not_dropped() -> None:
    packed = pack_lines(["标题"], ["很长的一段正文。" * 100], ["来源"], 300)
    assert size(packed.text) <= 300
    assert packed.kept == 0 and packed.cut
    assert packed.text.startswith("标题\n很长的一段正文。") and packed.text.endswith("…\n来源")


def test_everything_fits_untouched() -> None:
    packed = pack_lines(["a"], ["b", "c"], ["d"], 100)
    assert packed == type(packed)(text="a\nb\nc\nd", kept=2, cut=False)


def test_head_shortened_before_tail_when_both_overflow() -> None:
    text = fit_lines(["标题" * 200], ["正文"], ["回复「下一页」看更多"], 120)
    assert size(text) <= 120 and text.endswith("\n回复「下一页」看更多")
