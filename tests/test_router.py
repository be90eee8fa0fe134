from pathlib import Path

import pytest

from bot.data.knowledge import KnowledgeError
from bot.engine import DEFAULT_INTENTS
from bot.engine.router import Router


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load(DEFAULT_INTENTS)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("你好", "greeting"),
        ("谢谢!", "thanks"),
        ("你能帮我做什么?", "help"),
        ("你是谁", "who_are_you"),
        ("请介绍一下你自己。", "help"),
        ("Please introduce yourself.", "help"),
        ("下一页", "next_page"),
        ("更多", "next_page"),
        ("上一页", "previous_page"),
        ("Hello!", "greeting"),
        ("早", "greeting"),
        ("早啊!", "greeting"),
        ("morning!", "greeting"),
    ],
)
def test_short_messages(router: Router, text: str, name: str) -> None:
    found = router.short_reply(text)
    assert found is not None and found[0].name == name and found[1] in text.lower()


@pytest.mark.parametrize(
    "text", ["你好,哪里可以写春联?请告诉我具体地点", "新年音乐会什么时候?", "帮我订一张去北京的火车票"]
)
def test_questions_are_not_small_talk(router: Router, text: str) -> None:
    assert router.short_reply(text) is None


def test_out_of_scope_topics(router: Router) -> None:
    assert router.out_of_scope("今天郑州天气怎么样?") is not None
    assert router.out_of_scope("哪里可以写春联?") is None


def test_services_and_cues(router: Router) -> None:
    assert router.asks_for_service("老人去哪儿托管?")
    assert not router.asks_for_service("党建云平台注册党员数")
    assert "1" in router.answer_cues("有多少架无人机")


def test_missing_kind_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "chat.yaml").write_text("intents:\n  - name: hi\n    kind: chitchat\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="no intent of kind"):
        Router.load(tmp_path)


def test_an_english_word_counts_two_characters() -> None:
    from bot.engine.router import message_length

    assert message_length("谢谢!") == 2
    assert message_length("thank you very much") == 8
    assert message_length("Hello, 你好") == 4


def test_an_indefinite_amount_asks_no_exact_fact(router: Router) -> None:
    assert router.asks_exact("发了几个纪念章")
    assert not router.asks_exact("办事要跑好几个地方")
    assert not router.asks_exact("来了几十个人")


def test_a_one_character_keyword_is_small_talk_only_alone(router: Router) -> None:
    assert router.short_reply("早上有啥活动") is None
