"""Whatever a resident sends, the engine answers with a reply of the right shape (fixture knowledge)."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from bot.engine.reply import Reply

KINDS = {"events", "passages", "chitchat", "fallback", "suggestions"}
TELEGRAM_LIMIT = 4096

NASTY = [
    "",
    "   \n\t ",
    "\x00\x01\x02写春联\x7f",
    "\u202e哪里可以写春联\u202c\u200f",
    "🧧🏮🎆" * 50,
    "春" * 100_000,
    "'; DROP TABLE events; --",
    "<script>alert(1)</script><b>写春联</b> & 灯谜",
    "**粗体** _斜体_ [链接](http://example.com) `代码`",
    "مرحبا 你好 Здравствуйте 1月15日",
    "下一页" * 1000,
    "\ud7ff\ue000\uffff",
    "一二十",  # cn2an warns on numerals it cannot read
]


def check_reply(reply: Reply) -> None:
    assert reply.kind in KINDS
    assert len(reply.text) <= TELEGRAM_LIMIT
    data = json.loads(json.dumps(reply.to_json(), ensure_ascii=False))
    keys = {"text", "kind", "intent", "events", "citations"}
    assert set(data) == (keys | {"offers"} if reply.kind == "suggestions" else keys)
    if reply.kind == "suggestions":
        assert 1 <= len(data["offers"]) <= 3 and data["citations"] == []
    if reply.kind in ("chitchat", "fallback"):
        assert data["citations"] == []
    if reply.kind == "passages":
        assert len(re.sub(r"\s", "", reply.text)) <= 400


def test_nasty_inputs(fixture_engine: Engine) -> None:
    state = DialogueState()
    for text in NASTY:
        check_reply(fixture_engine.answer(text, state))


@pytest.mark.slow
@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_unicode_text(fixture_engine: Engine, text: str) -> None:
    check_reply(fixture_engine.answer(text, DialogueState()))


_words = st.sampled_from(
    [
        "哪里",
        "可以",
        "写春联",
        "猜灯谜",
        "元宵节",
        "2月5日",
        "那",
        "呢",
        "幸福路街道",
        "下一页",
        "上一页",
        "更多",
        "你好",
        "食堂",
        "老人",
        "多少",
        "?",
        "!",
        "1月16日到20日",
        "二月份",
        "最近",
        "天气",
        "spring",
        "couplets",
    ]
)


@pytest.mark.slow
@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_words, min_size=1, max_size=6).map("".join), min_size=1, max_size=6))
def test_conversations_of_known_words(fixture_engine: Engine, messages: list[str]) -> None:
    state = DialogueState()
    for message in messages:
        reply = fixture_engine.answer(message, state)
        check_reply(reply)
        if reply.kind == "events":
            assert reply.page < reply.pages
            assert len(reply.events) == len(set(reply.events))
