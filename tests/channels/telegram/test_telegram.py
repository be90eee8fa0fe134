"""The Telegram adapter end to end: the real PTB application against a fake Bot API.

Each test asserts on the Bot API calls the bot really made (sendMessage, editMessageText,
answerCallbackQuery, setMyCommands), as Telegram would have received them. Most run PTB
in-process (its request layer answered by the fake, no sockets); the ``slow`` ones start
``run_bot.py telegram`` against the fake on loopback.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import subprocess
import sys
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

import bot.state
from benchmarks.fake_bot_api import BOT_USERNAME, FakeBotAPI, callback_update, message_update
from bot import wording as texts
from bot.channels.telegram import TelegramBot, conversation_for, run_telegram
from bot.channels.telegram.callbacks import Buttons, Press, decode, encode
from bot.channels.telegram.catalogue import render_about
from bot.channels.telegram.journal import ANSWERED, STREAM
from bot.channels.telegram.limits import MAX_CALLBACK_BYTES
from bot.channels.telegram.logs import REDACTED, TokenFilter, redact
from bot.channels.telegram.render import MAX_CHARS, render_reply, tagged
from bot.conversation.flood import FloodGate
from bot.engine import DEFAULT_INTENTS, DEFAULT_KNOWLEDGE, ROOT, Engine
from bot.engine.dialogue import DialogueState
from bot.engine.reply import Action, Citation, EventItem, Reply, TextItem, finished, plain_reply
from bot.settings import Secret, Settings
from bot.state.base import StateStore
from bot.state.memory import MemoryStore
from tests.channels.telegram.conftest import (
    ADMIN_ID,
    GROUP,
    TOKEN,
    Launch,
    Resident,
    button_data,
    button_labels,
    operator_launch,
    settle,
)

MAX_DATA_BYTES = MAX_CALLBACK_BYTES
HAS_SHARED_STORE = hasattr(bot.state, "open_store")  # SQLite/Redis behind BOT_STATE_URL

TELEGRAM_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
}


class _TelegramHTML(HTMLParser):
    """Checks what Telegram's HTML parse mode would: known tags, balanced, and collects the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        assert tag in TELEGRAM_TAGS, f"Telegram does not know <{tag}>"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(html_text: str) -> str:
    """The text a resident sees; fails on markup Telegram would reject."""
    parser = _TelegramHTML()
    parser.feed(html_text)
    parser.close()
    assert not parser.open, f"unclosed tags {parser.open}"
    return "".join(parser.text)


def assert_telegram_html(text: str) -> None:
    assert 0 < len(text) <= MAX_CHARS
    visible_text(text)
    bare = text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").replace("&quot;", "")
    bare = bare.replace("&#x27;", "")
    assert "&" not in bare, "an unescaped & would break Telegram's HTML parser"


# -- start, help, commands ---------------------------------------------------------------------------


async def test_start_greets_with_examples_keyboard_and_registers_commands(
    app: Any, api: FakeBotAPI, resident: Resident
) -> None:
    [greeting] = await resident.say("/start")
    assert greeting.params["parse_mode"] == "HTML"
    assert "您好" in greeting.params["text"] and "哪里可以写春联?" in greeting.params["text"]
    keyboard = [
        b["text"] if isinstance(b, dict) else b
        for row in greeting.params["reply_markup"]["keyboard"]
        for b in row
    ]
    assert {"哪里可以写春联?", "元宵节有什么活动?", "怎么在手机上信访?"} <= set(keyboard)
    assert greeting.params["reply_markup"]["resize_keyboard"] is True
    public = [c["command"] for c in api.commands()]
    assert public == ["start", "help", "events", "about"]
    admin = [c["command"] for c in api.commands({"type": "chat", "chat_id": ADMIN_ID})]
    assert admin == ["start", "help", "events", "about", "reload", "stats"]


async def test_help_and_unknown_command(app: Any, resident: Resident) -> None:
    [help_message] = await resident.say("/help")
    assert "/events" in help_message.params["text"]
    [unknown] = await resident.say("/nosuchcommand")
    assert unknown.params["text"] == texts.UNKNOWN_COMMAND


# -- questions and answers ---------------------------------------------------------------------------


async def test_couplets_question_is_html_dated_cited_with_next_button(
    app: Any, api: FakeBotAPI, resident: Resident
) -> None:
    [answer] = await resident.say("哪里可以写春联?")
    text = answer.params["text"]
    assert answer.params["parse_mode"] == "HTML"
    assert_telegram_html(text)
    assert "2020年1月4日" in text and "地点:企业" in text and "主办:上街区书法家协会" in text
    assert text.rstrip().endswith("</i>")
    assert "<i>来源:《上街区 2020 年春节期间传统文化活动安排》序号" in text
    markup = answer.params["reply_markup"]
    assert button_labels(markup) == [texts.NEXT]
    assert all(
        len(b["callback_data"].encode()) < MAX_DATA_BYTES for row in markup["inline_keyboard"] for b in row
    )


async def test_a_slow_answer_shows_typing_before_it(
    launch: Any, api: FakeBotAPI, engine: Engine, settings: Settings, store: StateStore, resident: Resident
) -> None:
    """An answer not ready within ``typing_after`` (0 here: none is) is preceded by "typing…"."""
    bot = TelegramBot(conversation_for(engine, settings, store), settings, typing_after=0.0)
    async with launch(bot=bot):
        [answer] = await resident.say("哪里可以写春联?")
    typing = [c for c in api.calls("sendChatAction") if c.params["chat_id"] == resident.chat_id]
    assert len(typing) == 1 and typing[0].params["action"] == "typing" and typing[0].at <= answer.at


async def test_a_quick_answer_comes_without_a_typing_call(
    launch: Any, api: FakeBotAPI, engine: Engine, settings: Settings, store: StateStore, resident: Resident
) -> None:
    """An answer ready within ``typing_after`` needs no indicator: no sendChatAction round trip."""
    bot = TelegramBot(conversation_for(engine, settings, store), settings, typing_after=60.0)
    async with launch(bot=bot):
        await resident.say("哪里可以写春联?")
        await resident.say("那2月5日呢?")
    assert api.calls("sendChatAction") == []


async def test_paging_edits_the_list_in_place(app: Any, resident: Resident) -> None:
    [answer] = await resident.say("哪里可以写春联?")
    message = answer.result
    await resident.press(message, texts.NEXT)
    await resident.api.wait_until(lambda: len(resident.edits()) == 1, what="page 2")
    page2 = resident.edits()[0].params
    assert page2["message_id"] == message["message_id"] and page2["parse_mode"] == "HTML"
    assert "第2/6页" in page2["text"] and "6. " in page2["text"]
    assert button_labels(page2["reply_markup"]) == [texts.PREVIOUS, texts.NEXT]
    await resident.press(message, texts.PREVIOUS)
    await resident.api.wait_until(lambda: len(resident.edits()) == 2, what="back to page 1")
    page1 = resident.edits()[1].params
    assert "第1/6页" in page1["text"] and "1. 2020年1月4日" in page1["text"]
    assert button_labels(page1["reply_markup"]) == [texts.NEXT]
    assert len(resident.sent()) == 1, "paging must edit, not send new messages"
    assert resident.api.bot_message(resident.chat_id, message["message_id"])["text"] == page1["text"]


async def test_a_page_that_cannot_be_edited_is_sent_anew(
    app: Any, api: FakeBotAPI, resident: Resident
) -> None:
    [answer] = await resident.say("哪里可以写春联?")
    data = button_data(answer.result, texts.NEXT)
    gone = {**answer.result, "message_id": 999_999}  # deleted, or too old for Telegram to edit
    api.push(callback_update(data, user_id=resident.user_id, message=gone))
    await api.wait_until(lambda: len(resident.sent()) == 2, what="the page as a new message")
    assert "第2/6页" in resident.sent()[1].params["text"]
    assert button_labels(resident.sent()[1].params["reply_markup"]) == [texts.PREVIOUS, texts.NEXT]


async def test_typed_next_page_follows_the_button_pages(app: Any, resident: Resident) -> None:
    [answer] = await resident.say("哪里可以写春联?")
    await resident.press(answer.result, texts.NEXT)
    await resident.api.wait_until(lambda: resident.edits(), what="page 2")
    [typed] = await resident.say("下一页")
    assert "第3/6页" in typed.params["text"]


async def test_original_button_sends_the_whole_passage(app: Any, engine: Engine, resident: Resident) -> None:
    [answer] = await resident.say("小板凳恳谈会举行了多少次?")
    assert button_labels(answer.params["reply_markup"]) == [texts.ORIGINAL]
    passage_id = next(c.passage for c in engine.answer("小板凳恳谈会举行了多少次?").citations if c.passage)
    full = engine.brain.knowledge.passage_by_id[passage_id].text
    assert full not in answer.params["text"]
    answered = await resident.press(answer.result, texts.ORIGINAL)
    assert "text" not in answered.params
    await resident.api.wait_until(lambda: len(resident.sent()) == 2, what="the original")
    original = resident.sent()[1].params["text"]
    assert_telegram_html(original)
    assert full in visible_text(original) and "来源:《" in original


async def test_follow_up_keeps_the_activity_and_changes_the_date(app: Any, resident: Resident) -> None:
    await resident.say("哪里可以猜灯谜?")
    [follow_up] = await resident.say("那2月5日呢?")
    text = visible_text(follow_up.params["text"])
    assert "2020年2月5日" in text and "灯谜" in text and "共6场" in text


async def test_user_text_with_markup_is_escaped(launch: Launch, engine: Engine, resident: Resident) -> None:
    class Echo(Engine):
        def answer(self, text: str, state: DialogueState | None = None) -> Reply:
            return plain_reply("chitchat", "echo", f"您说的是:{text}")

    echo = Echo(engine.brain, engine.knowledge_dir, engine.intents_dir)
    async with launch(echo):
        [reply] = await resident.say("<b>春联</b> & 灯谜")
    text = reply.params["text"]
    assert "&lt;b&gt;春联&lt;/b&gt; &amp; 灯谜" in text
    assert visible_text(text) == "您说的是:<b>春联</b> & 灯谜"


async def test_real_answers_are_valid_telegram_html(app: Any, resident: Resident) -> None:
    for question in ("元宵节有什么活动?", "怎么在手机上信访?", "<b>春联</b> & 灯谜", "今天天气怎么样?"):
        for call in await resident.say(question):
            assert_telegram_html(call.params["text"])


async def test_not_text_gets_a_hint(app: Any, api: FakeBotAPI, resident: Resident) -> None:
    update = message_update("x", user_id=resident.user_id)
    del update["message"]["text"]
    update["message"]["sticker"] = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    api.push(update)
    await api.wait_until(lambda: resident.sent(), what="a hint")
    assert resident.sent()[0].params["text"] == texts.NOT_TEXT


# -- events and about --------------------------------------------------------------------------------


async def test_events_offers_days_and_a_day_button_lists_that_day(app: Any, resident: Resident) -> None:
    [menu] = await resident.say("/events")
    labels = button_labels(menu.params["reply_markup"])
    assert "2月5日" in labels and "1月4日" in labels
    assert "2019年12月31日至2020年2月9日" in menu.params["text"]
    await resident.press(menu.result, "2月5日")
    await resident.api.wait_until(lambda: len(resident.sent()) == 2, what="the day's events")
    day = visible_text(resident.sent()[1].params["text"])
    assert "2020年2月5日的活动" in day and "共7场" in day


async def test_events_with_a_date_answers_that_date(app: Any, resident: Resident) -> None:
    [answer] = await resident.say("/events 2月5日")
    assert "2020年2月5日的活动" in visible_text(answer.params["text"])


async def test_about_lists_sources_with_dates(app: Any, resident: Resident) -> None:
    [about] = await resident.say("/about")
    text = visible_text(about.params["text"])
    assert "共18篇" in text and "上街区 2020 年春节期间传统文化活动安排" in text
    assert "2019年12月31日至2020年2月9日" in text and "2020年1月15日" in text and "中原区" in text


# -- groups ------------------------------------------------------------------------------------------


async def test_group_answers_only_mentions_replies_and_commands(app: Any, api: FakeBotAPI) -> None:
    member = Resident(api, 3001, chat=GROUP, first_name="群友")
    await member.say("大家好,今天去哪里写春联?", expect=0)
    await settle(api)
    assert member.sent() == [], "the bot must stay silent in the residents' own conversation"

    [mentioned] = await member.say("@zz_district_bot 哪里可以写春联?")
    assert "春联" in mentioned.params["text"]
    assert mentioned.params["reply_parameters"]["message_id"] > 0, "in a group the answer quotes the question"

    [replied] = await member.say("那2月5日呢?", reply_to=mentioned.result)
    assert "2020年2月5日" in visible_text(replied.params["text"])

    [command] = await member.say("/about@zz_district_bot")
    assert "我知道的资料" in command.params["text"]
    await member.say("/reload", expect=0)  # someone else's command, or not for us: silence
    await member.say("/start@other_bot", expect=0)
    await settle(api)
    assert len(member.sent()) == 3


# -- flood control -----------------------------------------------------------------------------------


async def test_flood_control_slows_one_user_and_not_the_others(
    app: Any, api: FakeBotAPI, resident: Resident, neighbour: Resident
) -> None:
    for number in range(7):
        api.push(message_update(f"第{number}个问题:哪里可以写春联?", user_id=resident.user_id))
    [answer] = await neighbour.say("哪里可以猜灯谜?")
    assert "灯谜" in answer.params["text"]
    await settle(api)
    texts_sent = [c.params["text"] for c in resident.sent()]
    assert len(texts_sent) == 6
    assert texts_sent.count(texts.SLOW_DOWN) == 1 and texts_sent[-1] == texts.SLOW_DOWN


async def test_rate_limiter_retries_after_a_429(launch: Launch, api: FakeBotAPI, resident: Resident) -> None:
    async with launch(rate_limiter=True):
        api.inject_fault("sendMessage", "retry_after", retry_after=1)
        [answer] = await resident.say("哪里可以写春联?")
    assert "春联" in answer.params["text"]
    attempts = [c for c in api.calls("sendMessage") if c.params.get("chat_id") == resident.chat_id]
    assert [c.fault for c in attempts] == ["retry_after", None]


def test_flood_gate_lets_the_user_back_when_the_window_passes() -> None:
    now = [0.0]
    gate = FloodGate(2, 10.0, clock=lambda: now[0])
    assert [gate.check(1) for _ in range(4)] == ["pass", "pass", "warn", "drop"]
    assert gate.check(2) == "pass"
    now[0] = 10.5
    assert gate.check(1) == "pass"


# -- admin commands and reload -----------------------------------------------------------------------


async def test_reload_and_stats_are_admin_only(app: Any, resident: Resident, admin: Resident) -> None:
    [refused] = await resident.say("/reload")
    [unknown] = await resident.say("/frobnicate")
    assert refused.params["text"] == unknown.params["text"] == texts.UNKNOWN_COMMAND
    [no_stats] = await resident.say("/stats")
    assert no_stats.params["text"] == texts.UNKNOWN_COMMAND
    [reloaded] = await admin.say("/reload")
    assert reloaded.params["text"].startswith(texts.RELOADED)
    [stats] = await admin.say("/stats")
    assert "收到消息" in stats.params["text"] and "重新读取:1次" in stats.params["text"]


async def test_stats_asked_in_a_group_is_answered_in_private(app: Any, api: Any, admin: Resident) -> None:
    in_group = Resident(api, ADMIN_ID, chat=GROUP, first_name="管理员")
    await in_group.say("/stats@" + BOT_USERNAME, expect=0)
    await api.wait_until(lambda: len(admin.sent()) >= 1, what="the stats in private")
    assert "收到消息" in admin.sent()[-1].params["text"]
    assert in_group.sent() == []


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> tuple[Path, Path]:
    knowledge, intents = tmp_path / "knowledge", tmp_path / "intents"
    shutil.copytree(DEFAULT_KNOWLEDGE, knowledge)
    shutil.copytree(DEFAULT_INTENTS, intents)
    return knowledge, intents


async def test_reload_reports_problems_and_keeps_answering(
    launch: Launch, knowledge_copy: tuple[Path, Path], admin: Resident, resident: Resident
) -> None:
    knowledge, intents = knowledge_copy
    engine = Engine.load(knowledge, intents)
    async with launch(engine):
        broken = knowledge / "sources" / "000-3.yaml"
        broken.write_text("id: [unclosed\n", encoding="utf-8")
        [refused] = await admin.say("/reload")
        text = visible_text(refused.params["text"])
        assert texts.RELOAD_REFUSED in text and "000-3.yaml:" in text
        [still] = await resident.say("哪里可以写春联?")
        assert "春联" in still.params["text"]


# -- persistence and restarts ------------------------------------------------------------------------


async def test_follow_up_and_buttons_survive_a_restart(
    launch: Launch, store: StateStore, resident: Resident, tmp_path: Path
) -> None:
    async with launch():
        [answer] = await resident.say("哪里可以猜灯谜?")
    assert store.get("dialogue", f"telegram:{resident.user_id}") is not None, "kept in the state store"
    assert not list(tmp_path.rglob("*.pickle")), "nothing is pickled"
    async with launch():
        [follow_up] = await resident.say("那2月5日呢?")
        assert "共6场" in visible_text(follow_up.params["text"])
        await resident.press(answer.result, texts.NEXT)
        await resident.api.wait_until(lambda: resident.edits(), what="page 2 after the restart")
        assert "第2/3页" in resident.edits()[0].params["text"]


async def test_expired_or_foreign_button_gets_a_polite_answer(
    app: Any, resident: Resident, caplog: pytest.LogCaptureFixture
) -> None:
    [answer] = await resident.say("哪里可以写春联?")
    for data in ("pg:zzzz:1", "src:nope", "garbage", "day:20201340"):
        answered = await resident.press(answer.result, data=data)
        assert answered.params["text"] == texts.EXPIRED
    assert resident.edits() == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_callback_data_is_short_and_round_trips() -> None:
    ref = "Ab3_-xYz"  # what the service's refs look like (token_urlsafe(6))
    cases = {
        Action("next_page", texts.NEXT, 10**6): Press("pg", ref, 10**6),
        Action("previous_page", texts.PREVIOUS, 0): Press("pg", ref, 0),
        Action("original", texts.ORIGINAL, "000-3-s2-p4"): Press("src", ref),
        Action("pick", "「春联」相关的活动", 3): Press("pk", ref, 3),
        Action("day", "", "2020-02-05"): Press("day", day=date(2020, 2, 5)),
    }
    for action, press in cases.items():
        data = encode(action, ref)
        assert len(data.encode()) < MAX_DATA_BYTES and decode(data) == press
    assert encode(Action("day", "", "2020-02-05"), ref) == "day:20200205"
    assert [decode(d) for d in ("", "pg:x", "pk::1", "src:a:b", "day:2020", "zz:1")] == [None] * 6


def test_buttons_recall_the_reply_actions_by_ref_and_forget_unknown_refs() -> None:
    store = MemoryStore()
    reply = finished(Reply("events", "events", title="t", page=0, pages=3)).with_(ref="r1")
    Buttons(store).keep(reply)
    buttons = Buttons(store)
    assert buttons.action(Press("pg", "r1", 1)) == Action("next_page", texts.NEXT, 1)
    assert buttons.action(Press("pg", "r1", 2)) is None, "only the pages that reply offered"
    assert buttons.action(Press("pg", "unknown", 1)) is None
    assert buttons.action(Press("day", day=date(2020, 2, 5))) == Action("day", "", "2020-02-05")


# -- errors and the token ----------------------------------------------------------------------------


async def test_handler_errors_are_logged_without_the_token_and_the_bot_goes_on(
    launch: Launch,
    engine: Engine,
    api: FakeBotAPI,
    resident: Resident,
    neighbour: Resident,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Leaky(Engine):
        def answer(self, text: str, state: DialogueState | None = None) -> Reply:
            if "boom" in text:
                raise RuntimeError(f"POST {api.base_url}{TOKEN}/sendMessage failed")
            return super().answer(text, state)

    caplog.set_level(logging.DEBUG)
    leaky = Leaky(engine.brain, engine.knowledge_dir, engine.intents_dir)
    async with launch(leaky):
        [sorry] = await resident.say("boom")
        assert sorry.params["text"] == texts.SORRY
        [fine] = await neighbour.say("哪里可以写春联?")
        assert "春联" in fine.params["text"]
    assert "RuntimeError" in caplog.text and REDACTED in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


def test_token_filter_redacts_messages_and_tracebacks() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "url %s", (f"https://h/bot{TOKEN}/getMe",), None
    )
    try:
        raise ValueError(TOKEN)
    except ValueError:
        record.exc_info = sys.exc_info()
    TokenFilter(TOKEN).filter(record)
    assert TOKEN not in record.getMessage() and TOKEN not in (record.exc_text or "")
    assert redact("nothing secret", TOKEN) == "nothing secret"


# -- rendering ---------------------------------------------------------------------------------------


def test_knowledge_text_is_escaped_one_event_per_block() -> None:
    reply = Reply(
        "events",
        "events",
        title="「灯谜」相关的活动:共1场",
        items=(EventItem(1, 7, "2020年2月5日", "A&B <广场>", "猜灯谜 & 闹元宵", "<社区>"),),
        citations=(Citation("000-7", "活动安排 <表>", "序号7", "q"),),
        events=(7,),
    )
    [html_text] = render_reply(reply)
    assert_telegram_html(html_text)
    assert "地点:A&amp;B &lt;广场&gt;" in html_text and "主办:&lt;社区&gt;" in html_text
    assert "<b>1. 2020年2月5日</b>" in html_text
    assert html_text.endswith("<i>来源:《活动安排 &lt;表&gt;》序号 7</i>")


def test_a_long_answer_is_split_below_the_limit_with_the_citation_last() -> None:
    body = "郑州市上街区举办活动 & <庆祝>。" * 900
    reply = Reply(
        "passages",
        "original",
        title="《标题》",
        items=(TextItem(body),),
        citations=(Citation("s", "标题", "", body, "p1"),),
    )
    chunks = render_reply(reply)
    assert len(chunks) > 1
    for chunk in chunks:
        assert_telegram_html(chunk)
    assert "".join(visible_text(c) for c in chunks).replace("\n", "").count("庆祝") == 900
    assert chunks[-1].endswith("</i>")


@given(st.text(min_size=1, max_size=3000), st.sampled_from([None, "b", "i"]), st.integers(20, 500))
def test_tagged_pieces_fit_and_keep_the_text(raw: str, tag: str | None, limit: int) -> None:
    pieces = tagged(raw, tag, limit)
    assert all(len(p) <= limit for p in pieces)
    assert "".join(visible_text(p) for p in pieces) == raw


def test_about_renders_every_source(engine: Engine) -> None:
    chunks = render_about(engine.brain.knowledge)
    assert all(len(c) <= MAX_CHARS for c in chunks)
    text = "".join(visible_text(c) for c in chunks)
    assert all(s.full_title in text for s in engine.brain.knowledge.sources.values())


# -- the real entry point ----------------------------------------------------------------------------


def test_missing_token_is_a_clear_error_with_exit_code_2(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert run_telegram(engine, argparse.Namespace(env_file=str(tmp_path / "missing.env"))) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err


def start_bot_process(
    api: FakeBotAPI, tmp_path: Path, token: str = TOKEN, **extra: str
) -> subprocess.Popen[str]:
    """``python run_bot.py telegram --env-file …`` against the fake server, as an operator runs it."""
    command, env = operator_launch(api, tmp_path, token, **extra)
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
@pytest.mark.parametrize(("stop", "limiter"), [(signal.SIGINT, "on")])  # SIGTERM: test_faults.py
def test_run_bot_telegram_polls_answers_and_stops_cleanly(
    api: FakeBotAPI, tmp_path: Path, stop: int, limiter: str
) -> None:
    process = start_bot_process(api, tmp_path, BOT_RATE_LIMITER=limiter)
    try:
        api.wait_until_sync(lambda: api.calls("getUpdates"), timeout=30, what="the bot to start polling")
        api.push(message_update("/start", user_id=5005))
        api.push(message_update("哪里可以写春联?", user_id=5005))
        api.wait_until_sync(lambda: len(api.sent(5005)) == 2, timeout=10, what="two replies")
        process.send_signal(stop)  # SIGINT is what Ctrl-C sends
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert TOKEN not in stderr
    assert not list(tmp_path.rglob("*.pickle")), "nothing is pickled"
    if HAS_SHARED_STORE:
        with bot.state.open_store(f"sqlite:///{tmp_path / 'state.sqlite3'}", tmp_path) as saved:
            state = DialogueState.from_json(saved.get("dialogue", "telegram:5005"))
            assert saved.journal_pending(STREAM) == [], "every update answered and journalled so"
            assert saved.get(ANSWERED, "2") is True
        assert state.query is not None and state.query.activity == ("春联",)
    assert "您好" in api.sent(5005)[0]["text"] and "春联" in api.sent(5005)[1]["text"]
    assert api.pending_updates() == 0, "updates are confirmed before exit, so a restart does not repeat them"


@pytest.mark.slow
def test_run_bot_telegram_with_a_rejected_token_exits_2(api: FakeBotAPI, tmp_path: Path) -> None:
    process = start_bot_process(api, tmp_path, token="111:revoked-token-value")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "rejected TELEGRAM_BOT_TOKEN" in stderr and "revoked-token-value" not in stderr


def test_settings_repr_hides_the_token() -> None:
    assert TOKEN not in repr(Settings(token=Secret(TOKEN)))


def test_bot_keeps_no_state_of_its_own(engine: Engine) -> None:
    settings = Settings(token=Secret(TOKEN), rate_limit=None, admin_ids=frozenset({ADMIN_ID}))
    bot = TelegramBot(conversation_for(engine, settings, MemoryStore()), settings)
    assert bot.conversation.flood is None and bot.watcher.interval == 30.0
    assert bot.conversation.is_admin("telegram", str(ADMIN_ID))
    assert not bot.conversation.is_admin("telegram", "1001")
    assert not hasattr(bot, "stats") and not hasattr(bot, "flood"), "the service's, not the adapter's"
    assert (
        button_data({"reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "d"}]]}}, "x")
        == "d"
    )


# -- the fake server itself (other suites inject its faults) -------------------------------------------


async def test_fake_server_faults_hit_only_the_next_calls(api: FakeBotAPI) -> None:
    async with Bot(TOKEN, base_url=api.base_url) as bot:  # initialize() calls getMe once
        api.inject_fault("getMe", "retry_after", retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await bot.get_me()
        waited = caught.value.retry_after  # int or timedelta, by PTB's setting
        assert (waited.total_seconds() if isinstance(waited, timedelta) else waited) == 3
        api.inject_fault("getMe", "http500", times=2)
        for _ in range(2):
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await bot.get_me()
        api.inject_fault("getMe", "drop")
        with pytest.raises(NetworkError):
            await bot.get_me()
        api.inject_fault("getMe", "delay", seconds=0.2)
        assert (await bot.get_me()).username == "zz_district_bot"
        assert (await bot.get_me()).username == "zz_district_bot"
    faults = [c.fault for c in api.calls("getMe")]
    assert faults == [None, "retry_after", "http500", "http500", "drop", "delay", None]
    with pytest.raises(ValueError, match="unknown fault"):
        api.inject_fault("getMe", "explode")  # type: ignore[arg-type]  # the point: a name that is no FaultKind
