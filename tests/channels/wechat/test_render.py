"""WeChat text replies (bot.channels.wechat.render): plain text, choices and 原文 said in words, in budget."""

from __future__ import annotations

from bot import wording
from bot.channels.wechat.budget import size
from bot.channels.wechat.render import render, welcome
from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from bot.engine.reply import Offer, Reply, TextItem
from tests.fixtures import world


def test_a_passage_keeps_its_title_quote_citation_and_says_how_to_see_the_original(
    fixture_engine: Engine,
) -> None:
    reply = fixture_engine.answer("老人去哪儿吃饭?", DialogueState())
    assert reply.kind == "passages" and reply.passage
    text = render(reply)
    assert world.CANTEEN_QUOTE in text and reply.source_line in text
    assert text.endswith(wording.WECHAT_ORIGINAL)
    assert "<" not in text and "*" not in text  # plain text, no markup


def test_the_whole_original_does_not_offer_itself_again(fixture_engine: Engine) -> None:
    state = DialogueState()
    fixture_engine.answer("老人去哪儿吃饭?", state)
    whole = fixture_engine.answer("原文", state)
    assert whole.intent == "original"
    assert world.CANTEEN_QUOTE in render(whole) and wording.WECHAT_ORIGINAL not in render(whole)


def test_choices_are_numbered_in_words() -> None:
    offers = (Offer(1, "写春联", "events"), Offer(2, "猜灯谜", "events"), Offer(3, "社区食堂", "passages"))
    text = render(Reply("suggestions", "events", title="您是想问下面哪一个?", items=offers))
    assert text.splitlines()[0] == "您是想问下面哪一个?"
    assert "2. 猜灯谜" in text
    assert text.endswith(wording.WECHAT_PICK.format(numbers="1、2 或 3"))
    one = render(Reply("suggestions", "events", items=offers[:1]))
    assert one.endswith(wording.WECHAT_PICK.format(numbers="1"))


def test_a_long_body_is_cut_to_the_limit_but_the_citation_and_hint_stay(fixture_engine: Engine) -> None:
    reply = fixture_engine.answer("老人去哪儿吃饭?", DialogueState())
    long = Reply(
        reply.kind,
        reply.intent,
        title=reply.title,
        items=tuple(TextItem("郑州市社区服务" * 40) for _ in range(20)),
        citations=reply.citations,
    )
    text = render(long, limit=600)
    assert size(text) <= 600
    assert reply.source_line in text and text.endswith(wording.WECHAT_ORIGINAL)


def test_a_plain_reply_has_no_hint() -> None:
    text = render(Reply("chitchat", "greeting", title="您好!"))
    assert text == "您好!"


def test_welcome_lists_the_example_questions() -> None:
    text = welcome()
    assert text.startswith(wording.GREETING)
    assert all(f"• {q}" in text for q in wording.EXAMPLE_QUESTIONS)
