import pytest

from bot.engine.dialogue import DialogueState


def test_couplets_then_follow_up_date_then_pages(ask) -> None:  # type: ignore[no-untyped-def]
    first = ask("哪里可以猜灯谜?")
    assert first.kind == "events" and len(first.events) == 13
    feb5 = ask("那2月5日呢?")
    assert set(feb5.events) == {23, 39, 40, 41, 42, 54}
    narrowed = ask("中心路街道的呢?")
    assert set(narrowed.events) == {39, 40, 41, 42}


def test_paging_forward_and_back(ask) -> None:  # type: ignore[no-untyped-def]
    first = ask("哪里可以写春联?")
    second = ask("下一页")
    assert second.page == 1 and second.lines[0].startswith("6.")
    assert set(second.events) == set(first.events)
    back = ask("上一页")
    assert back.page == 0 and back.lines == first.lines


def test_paging_without_a_list(ask) -> None:  # type: ignore[no-untyped-def]
    reply = ask("下一页")
    assert reply.kind == "fallback" and not reply.citations


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("哪裡可以寫春聯?", 28),  # traditional
        ("哪里可以写对联🧧", 28),  # synonym and emoji
        ("where can I guess lantern riddles", 13),
        ("正月十五有什么活动", 15),  # the day of 元宵节 and the events about it
    ],
)
def test_everyday_ways_of_asking(engine, question: str, expected: int) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer(question, DialogueState())
    assert reply.kind == "events" and len(reply.events) == expected


def test_lantern_festival_means_the_day_and_the_topic(ask) -> None:  # type: ignore[no-untyped-def]
    events = set(ask("元宵节有什么活动?").events)
    assert {2, 7, 10, 46, 56} <= events  # on 2020-02-08
    assert {24, 39, 50, 52} <= events  # about 元宵 on other days


@pytest.mark.parametrize("question", ["最近有什么活动?", "这周末有什么活动"])
def test_now_questions_state_the_period(engine, question: str) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer(question, DialogueState())
    assert reply.kind == "fallback" and "2019年12月31日" in reply.text and "2020年2月9日" in reply.text


@pytest.mark.parametrize(
    "question",
    [
        "今天郑州天气怎么样?",
        "帮我订一张去北京的火车票",
        "Python怎么写快速排序?",
        "附近有什么好吃的餐厅",
        "asdfgh",
    ],
)
def test_out_of_scope_says_it_does_not_know(engine, question: str) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer(question, DialogueState())
    assert reply.kind == "fallback" and not reply.citations and "不知道" in reply.text
    assert "写春联" in reply.text  # a hint of what it can do


def test_services(engine) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer("老人去哪儿托管?", DialogueState())
    assert reply.kind == "passages" and reply.intent == "service_lookup" and "日间照料中心" in reply.text
    assert reply.citations[0].passage == "002-2.1.5"


def test_dates_outside_the_knowledge(engine) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer("2021年春节有什么活动", DialogueState())
    assert (
        reply.kind == "fallback" and reply.events == [] and "没有找到" in reply.text and not reply.citations
    )


def test_original_passage(engine) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer("小板凳恳谈会是什么?", DialogueState())
    original = engine.original(reply.citations[0].passage)
    assert original is not None and "720多项" in original.text
    assert engine.original("no-such-passage") is None


def test_unanswered_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.admin.unanswered import UnansweredLog
    from bot.engine import Engine

    log = UnansweredLog(tmp_path / "u.jsonl")
    engine = Engine.load(unanswered=log)
    for question in ["今天天气怎么样", "你好", "哪里可以写春联"]:
        engine.log_unanswered("alice", question, engine.answer(question, DialogueState()))
    records = log.records()
    assert [r["question"] for r in records] == ["今天天气怎么样"]
    assert records[0]["user"] != "alice"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("好的写春联", "events"),
        ("继续写春联", "events"),
        ("怎么用手机信访", "passages"),
        ("你好!", "chitchat"),
    ],
)
def test_small_talk_words_inside_questions(engine, question: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert engine.answer(question, DialogueState()).kind == kind


def test_a_question_ending_in_ne_is_not_always_a_follow_up(ask) -> None:  # type: ignore[no-untyped-def]
    ask("哪里可以写春联?")
    reply = ask("党建云平台有多少注册党员呢")
    assert reply.kind == "passages" and "11200" in reply.text


def test_dates_in_article_questions(engine) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer("6月23日中原区开了什么会", DialogueState())
    assert reply.kind == "passages" and "疫情防控" in reply.text


def test_district_named_keeps_to_its_articles(engine) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer("惠济区重点项目总投资多少", DialogueState())
    assert reply.kind == "passages" and reply.citations[0].source.startswith("001")
    assert engine.answer("管城区有几个社区党支部", DialogueState()).citations[0].source == "003-1"


def test_paging_past_the_end_says_so(ask) -> None:  # type: ignore[no-untyped-def]
    ask("台球比赛在哪里?")
    assert "最后一页" in ask("下一页").text


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("有没有免费写春联的地方", "events"),  # 免费: a common word the table lacks, not a new topic
        ("有人骗钱怎么办", "passages"),
        ("1月13日峡窝镇开了什么会", "passages"),  # a date, but no event: the article answers
        ("春节放几天假", "fallback"),
        ("2020年郑州的GDP是多少", "fallback"),
        ("郑州地铁几点停运", "fallback"),
    ],
)
def test_what_the_question_is_about(engine, question: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert engine.answer(question, DialogueState()).kind == kind


def test_how_many_wants_a_number_the_question_did_not_say(engine) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer("光荣在党50年纪念章发了多少", DialogueState())
    assert "124名" in reply.text
    assert "53次" in engine.answer("小板凳恳谈会开了几次", DialogueState()).text


@pytest.mark.parametrize(
    ("question", "events"),
    [
        ("区文化馆办了哪些活动", {3, 4, 5, 6, 7, 8, 9, 10, 11}),  # 区文化馆 is the table's 文化馆
        ("大年初一有什么活动", {9}),  # the day, not every row that says 春节
        ("哪里可以看扭秧歌", {55}),
    ],
)
def test_places_and_days_as_residents_say_them(engine, question: str, events: set[int]) -> None:  # type: ignore[no-untyped-def]
    assert set(engine.answer(question, DialogueState()).events) == events


def test_another_districts_street_is_not_the_tables(engine) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer("京广路街道哪里写春联", DialogueState())
    assert reply.kind != "events"  # 京广路街道 is in 二七区; the table's 中心路街道 only shares 「路街道」


def test_an_article_that_knows_more_wins_over_the_table(engine) -> None:  # type: ignore[no-untyped-def]
    reply = engine.answer("航展有什么表演", DialogueState())
    assert reply.kind == "passages" and "特技飞行表演" in reply.text


def test_small_talk_with_two_keywords(ask) -> None:  # type: ignore[no-untyped-def]
    ask("你好")
    assert ask("好的,谢谢").kind == "chitchat"


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("二零二零年正月三十有什么活动", "2020年正月只有29天"),
        ("13月有什么活动", "没有13月"),
        ("2020-02-30有活动吗", "2020年2月只有29天"),
    ],
)
def test_a_date_that_does_not_exist_is_said_plainly(ask, question: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    reply = ask(question)
    assert (reply.kind, reply.intent, reply.events) == ("fallback", "invalid_date", [])
    assert reason in reply.title and "不是有效日期" in reply.title


def test_a_zero_width_space_inside_a_word_does_not_split_it(engine) -> None:  # type: ignore[no-untyped-def]
    plain = engine.answer("哪里可以写春联?", DialogueState())
    hidden = engine.answer("哪里可以写\u200b春\u2060联?", DialogueState())
    assert hidden.events == plain.events and len(plain.events) > 5
