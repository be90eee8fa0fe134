"""The engine's mechanisms on the fixture knowledge: follow-ups, paging, the ways residents ask,
what is declined. The shipped knowledge's facts are questions in tests/eval/shipped.yaml."""

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.admin.unanswered import UnansweredLog
from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from tests.conftest import Ask
from tests.fixtures import world
from tests.fixtures.trees import Tree


def test_follow_ups_narrow_the_last_search(fixture_ask: Ask) -> None:
    first = fixture_ask("哪里可以猜灯谜?")
    assert first.kind == "events" and sorted(first.events) == world.RIDDLES
    feb5 = fixture_ask("那2月5日呢?")
    assert sorted(feb5.events) == world.RIDDLES_FEB5
    narrowed = fixture_ask(f"{world.STREET_A}的呢?")
    assert sorted(narrowed.events) == world.RIDDLES_FEB5_STREET_A


def test_follow_ups_belong_to_one_conversation(fixture_engine: Engine) -> None:
    mine, theirs = DialogueState(), DialogueState()
    fixture_engine.answer("哪里可以猜灯谜?", mine)
    fixture_engine.answer("哪里可以写春联?", theirs)
    assert sorted(fixture_engine.answer("那2月5日呢?", mine).events) == world.RIDDLES_FEB5


def test_paging_forward_and_back(fixture_ask: Ask) -> None:
    first = fixture_ask("哪里可以写春联?")
    second = fixture_ask("下一页")
    assert second.page == 1 and second.lines[0].startswith(f"{len(first.lines) + 1}.")
    assert second.events == first.events and not set(second.lines) & set(first.lines)
    back = fixture_ask("上一页")
    assert back.page == 0 and back.lines == first.lines


def test_paging_past_the_end_says_so(fixture_ask: Ask) -> None:
    first = fixture_ask("哪里可以写春联?")
    for _ in range(first.pages - 1):
        fixture_ask("下一页")
    last = fixture_ask("下一页")
    assert last.page == first.pages - 1 and "最后一页" in last.text


def test_paging_without_a_list(fixture_ask: Ask) -> None:
    reply = fixture_ask("下一页")
    assert reply.kind == "fallback" and not reply.citations


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("哪裡可以寫春聯?", world.COUPLETS),  # traditional
        ("哪里可以写对联🧧", world.COUPLETS),  # synonym and emoji
        ("where can I guess lantern riddles", world.RIDDLES),  # English synonym
        ("好的写春联", world.COUPLETS),  # a small-talk word inside a question
        ("继续写春联", world.COUPLETS),  # a paging word inside a question
        (f"{world.STREET_A}有什么活动", world.STREET_A_EVENTS),  # a place of the table
        ("大年初一有什么活动", world.NEW_YEAR_DAY),  # a festival day, not every row that says 新春
    ],
)
def test_everyday_ways_of_asking(fixture_engine: Engine, question: str, expected: list[int]) -> None:
    reply = fixture_engine.answer(question, DialogueState())
    assert reply.kind == "events" and sorted(reply.events) == expected


@pytest.mark.parametrize("question", ["元宵节有什么活动?", "正月十五有什么活动"])
def test_a_festival_means_its_day_and_its_topic(fixture_engine: Engine, question: str) -> None:
    reply = fixture_engine.answer(question, DialogueState())
    assert sorted(reply.events) == sorted(world.LANTERN_TOPIC)  # on 2020-02-08, or about 元宵 (17)
    assert "2020年2月8日" in reply.text


@pytest.mark.parametrize("question", ["最近有什么活动?", "这周末有什么活动"])
def test_now_questions_state_the_period(fixture_engine: Engine, question: str) -> None:
    reply = fixture_engine.answer(question, DialogueState())
    first, last = min(e["start"] for e in world.EVENTS), max(e["end"] for e in world.EVENTS)
    assert (first, last) == ("2020-01-10", "2020-02-08")
    assert reply.kind == "fallback" and "2020年1月10日" in reply.text and "2020年2月8日" in reply.text


@pytest.mark.parametrize(
    "question",
    [
        "今天郑州天气怎么样?",
        "帮我订一张去北京的火车票",
        "Python怎么写快速排序?",
        "asdfgh",
        "南湖区有什么活动",
    ],
)
def test_unknown_topics_fall_back_without_citations(fixture_engine: Engine, question: str) -> None:
    reply = fixture_engine.answer(question, DialogueState())
    assert reply.kind == "fallback" and not reply.citations and "不知道" in reply.text


def test_dates_outside_the_knowledge(fixture_engine: Engine) -> None:
    for question in ("2021年春节有什么活动", "2月3日有什么活动"):
        reply = fixture_engine.answer(question, DialogueState())
        assert reply.kind == "fallback" and reply.events == () and not reply.citations
        assert "没有找到" in reply.text


def test_another_districts_street_is_not_the_tables(fixture_engine: Engine) -> None:
    """建设路街道 is 南湖区's; the table's streets only share 「路街道」 with it."""
    reply = fixture_engine.answer("建设路街道哪里写春联", DialogueState())
    assert reply.kind != "events"


def test_services(fixture_engine: Engine) -> None:
    reply = fixture_engine.answer("老人去哪儿吃饭?", DialogueState())
    assert reply.kind == "passages" and reply.intent == "service_lookup"
    assert world.CANTEEN_QUOTE in reply.text and reply.citations[0].passage == f"{world.NEWS}.1.1"


def test_a_question_ending_in_ne_is_not_always_a_follow_up(fixture_ask: Ask) -> None:
    fixture_ask("哪里可以写春联?")
    reply = fixture_ask("和平社区招募了多少志愿者呢")
    assert reply.kind == "passages" and "326名" in reply.text


@pytest.mark.parametrize(
    ("question", "number", "source"),
    [
        ("和平社区开展了几次志愿服务", "80多次", world.NEWS),
        ("掌上办能办多少项业务", "23项", world.NEWS),
        ("南湖区新建了多少充电桩", "140个", world.SOUTH),  # the district named keeps to its article
    ],
)
def test_how_many_quotes_the_number_and_its_source(
    fixture_engine: Engine, question: str, number: str, source: str
) -> None:
    reply = fixture_engine.answer(question, DialogueState())
    assert reply.kind == "passages" and number in reply.text
    assert reply.citations[0].source == source


def test_original_passage(fixture_engine: Engine) -> None:
    reply = fixture_engine.answer("老人去哪儿吃饭?", DialogueState())
    passage = reply.citations[0].passage
    assert passage is not None
    original = fixture_engine.original(passage)
    assert original is not None and world.CANTEEN_TEXT in original.text.replace("\n", "")
    assert fixture_engine.original("no-such-passage") is None


def test_unanswered_log(fixture_engine: Engine, tmp_path: Path) -> None:
    log = UnansweredLog(tmp_path / "u.jsonl")
    engine = Engine(fixture_engine.brain, fixture_engine.knowledge_dir, fixture_engine.intents_dir, log)
    for question in ["今天天气怎么样", "你好", "哪里可以写春联"]:
        engine.log_unanswered("alice", question, engine.answer(question, DialogueState()))
    records = log.records()
    assert [r["question"] for r in records] == ["今天天气怎么样"]
    assert records[0]["user"] != "alice"


@pytest.mark.parametrize(("question", "kind"), [("你好!", "chitchat"), ("好的,谢谢", "chitchat")])
def test_small_talk(fixture_ask: Ask, question: str, kind: str) -> None:
    fixture_ask("你好")
    assert fixture_ask(question).kind == kind


def test_an_added_event_is_found_by_its_activity(make_tree: Callable[..., Tree]) -> None:
    """The builder's own point: a knowledge of two rows answers from those two rows only."""
    events = [world.EVENTS[0], {**world.EVENTS[12], "number": 2}]
    tree = make_tree(events=events, services=[])
    engine = Engine.load(tree.knowledge, tree.intents)
    assert engine.answer("哪里可以写春联?", DialogueState()).events == (1,)
    assert engine.answer("哪里可以猜灯谜?", DialogueState()).events == (2,)


def test_characters_that_each_only_shape_a_question_are_no_typo(make_tree: Callable[..., Tree]) -> None:
    """「能去的」: 去 and 的 are stop words side by side, no typo of the knowledge's 取得 (qu de)."""
    won = {**world.EVENTS[0], "number": 21, "content": "取得佳绩表彰会"}
    tree = make_tree(events=[*world.EVENTS, won], stopwords=[*world.STOPWORDS, "去", "的", "能"])
    understander = Engine.load(tree.knowledge, tree.intents).brain.understander
    assert "取得" in understander.vocabulary
    assert understander.understand("初三有啥能去的").repairs == ()


def test_a_place_name_that_runs_into_the_next_word_is_no_place(make_tree: Callable[..., Tree]) -> None:
    """「社区一共…」 holds 「社区一」 of the table's place 「社区一楼服务大厅」, but the question's word there
    is 一共: the place would end inside it, so no place is said and every row of the activity counts."""
    hall = {**world.EVENTS[0], "number": 21, "place": "社区一楼服务大厅"}
    tree = make_tree(events=[*world.EVENTS, hall])
    engine = Engine.load(tree.knowledge, tree.intents)
    counted = engine.answer("社区一共组织了几场写春联的活动", DialogueState()).events
    assert set(counted) == {*world.COUPLETS, 21}
    assert engine.answer("社区一楼服务大厅有什么活动", DialogueState()).events == (21,)


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("二零二零年正月三十有什么活动", "2020年正月只有29天"),
        ("13月有什么活动", "没有13月"),
        ("2020-02-30有活动吗", "2020年2月只有29天"),
    ],
)
def test_a_date_that_does_not_exist_is_said_plainly(fixture_ask: Ask, question: str, reason: str) -> None:
    reply = fixture_ask(question)
    assert (reply.kind, reply.intent, reply.events) == ("fallback", "invalid_date", ())
    assert reason in reply.title and "不是有效日期" in reply.title


def test_a_zero_width_space_inside_a_word_does_not_split_it(fixture_engine: Engine) -> None:
    plain = fixture_engine.answer("哪里可以写春联?", DialogueState())
    hidden = fixture_engine.answer("哪里可以写\u200b春\u2060联?", DialogueState())
    assert hidden.events == plain.events and len(plain.events) > 5


@pytest.mark.parametrize(
    "question",
    [
        "Hello! What can you do?",
        "你好啊,你都会弄啥",
        "thank you very much",
        "先这样吧,拜拜",
        "Are you a real person?",
        "你真厉害",
        "答非所问",
    ],
)
def test_small_talk_mixes_kinds_and_languages(ask: Ask, question: str) -> None:
    """Greeting and help in one message, English at its natural length, everyday words left over."""
    assert ask(question).kind == "chitchat"


def test_small_talk_that_names_a_topic_is_a_question(ask: Ask) -> None:
    assert ask("你好,我想问一下写春联在哪").kind == "events"


def test_either_of_two_activities_the_lexicon_names(make_tree: Callable[..., Tree]) -> None:
    """「新春音乐会或猜灯谜」: a dictionary word (no place) and a synonym concept are two activities,
    and a row with either answers."""
    tree = make_tree(userdict=[*world.USERDICT, "新春音乐会 50 n"])
    engine = Engine.load(tree.knowledge, tree.intents)
    reply = engine.answer("哪里有新春音乐会或猜灯谜?", DialogueState())
    assert sorted(reply.events) == [*world.RIDDLES, *world.NEW_YEAR_DAY]


def test_what_an_organiser_holds_is_an_event_search(make_tree: Callable[..., Tree]) -> None:
    """「主办」 names the table's organiser column: the rows that organiser holds, not an article
    that says the organiser 主办 something else."""
    article = {
        "id": "t-talks",
        "title": "东风区书法讲座",
        "district": world.DISTRICT,
        "kind": "article",
        "sections": [
            {
                "heading": "",
                "passages": [{"id": "t-talks.1.1", "text": "东风区书法家协会主办书法讲座,邀请名家授课。"}],
            }
        ],
    }
    tree = make_tree(sources=[*world.SOURCES, article])
    engine = Engine.load(tree.knowledge, tree.intents)
    reply = engine.answer("东风区书法家协会主办了哪些活动?", DialogueState())
    assert reply.kind == "events" and sorted(reply.events) == world.COUPLETS


def test_introduce_yourself_is_help_but_introduce_a_topic_is_a_question(fixture_ask: Ask) -> None:
    assert (fixture_ask("请介绍一下你自己。").kind, fixture_ask("请介绍一下你自己。").intent) == (
        "chitchat",
        "help",
    )
    assert fixture_ask("介绍一下爱心食堂").kind != "chitchat"


def test_a_period_word_is_named_once(fixture_ask: Ask) -> None:
    """「春节期间」 is said as 「春节期间(…)」, never 「春节期间期间」."""
    reply = fixture_ask("春节期间哪里可以猜灯谜?")
    assert "春节期间(" in reply.title and "期间期间" not in reply.title


def test_a_word_of_the_table_title_filters_no_row(fixture_engine: Engine) -> None:
    """Every row is one of the table's 「文化活动」: said in a question, 文化 narrows nothing (row 14,
    held at a 文化站, is not the only one)."""
    reply = fixture_engine.answer("2月5日有什么文化活动?", DialogueState())
    assert sorted(reply.events) == world.RIDDLES_FEB5
    assert not fixture_engine.brain.read("2月5日有什么文化活动").query.activity


def test_a_place_with_a_word_glued_on_ends_where_the_word_ends(make_tree: Callable[..., Tree]) -> None:
    """「光明社区门口」 finds the table's 「光明社区门前」 only as 「光明社区门」: the place asked is
    光明社区."""
    events = [
        {**world.EVENTS[0], "place": "光明社区门前", "content": "猜灯谜"},
        {**world.EVENTS[1], "number": 2, "place": "光明社区活动室", "content": "写春联"},
    ]
    tree = make_tree(events=events, services=[], userdict=[*world.USERDICT, "光明社区 50 ns"])
    engine = Engine.load(tree.knowledge, tree.intents)
    assert engine.brain.read("光明社区门口有啥").query.places == ("光明社区",)


def test_a_broader_word_finds_the_kinds_of_it(make_tree: Callable[..., Tree]) -> None:
    """`kinds`: 「晚会」 finds the 春晚 rows too, 「春晚」 only those; on a festival's day, a row only a
    kind of the activity must be about the festival (「元宵晚会」 is no 春晚 held that evening)."""
    events = [
        {**world.EVENTS[0], "number": 1, "start": "2020-01-25", "end": "2020-01-25", "content": "乡村春晚"},
        {**world.EVENTS[1], "number": 2, "start": "2020-02-08", "end": "2020-02-08", "content": "乡村春晚"},
        {
            **world.EVENTS[2],
            "number": 3,
            "start": "2020-02-08",
            "end": "2020-02-08",
            "content": "元宵节文艺晚会",
        },
    ]
    tree = make_tree(events=events, services=[], userdict=[*world.USERDICT, "春晚 30 n"])
    tree.write(
        "knowledge/lexicon/synonyms.yaml",
        "synonyms:\n  春晚: [村晚]\nkinds:\n  晚会: [春晚]\n",
    )
    engine = Engine.load(tree.knowledge, tree.intents)
    assert sorted(engine.answer("春节期间有什么晚会", DialogueState()).events) == [1, 2, 3]
    assert sorted(engine.answer("哪里有村晚", DialogueState()).events) == [1, 2]
    assert sorted(engine.answer("元宵晚会在哪", DialogueState()).events) == [3]


def test_a_dictionary_place_spelled_in_pinyin_before_its_kind(fixture_engine: Engine) -> None:
    """「Xingfulu」 is the dictionary's 幸福路街道 (userdict, kept whole by jieba) without its kind:
    foreign residents spell the name and leave 街道 out or say it in English."""
    understood = fixture_engine.brain.understander.understand("Any riddles in Xingfulu?")
    assert "幸福路" in understood.text


def test_where_after_an_article_is_the_place_that_article_names(make_tree: Callable[..., Tree]) -> None:
    """「在哪个社区搞的」 after a passage that names no place: the passage of the same article that says
    「在向阳社区…开展」 answers; asked with nothing before it, it still falls back."""
    fraud = {
        "id": "news-fraud",
        "title": "普法宣传进社区",
        "district": world.DISTRICT,
        "kind": "article",
        "date": "2020-01-15",
        "sections": [
            {
                "heading": "",
                "passages": [
                    {"id": "news-fraud.1.1", "text": "1月15日,区司法局在向阳社区内开展防范诈骗宣传活动。"},
                    {
                        "id": "news-fraud.1.2",
                        "text": "志愿者组织了防范诈骗拼图游戏,吸引了社区百余位居民参与。",
                    },
                ],
            }
        ],
    }
    # as the shipped stop words: 「在哪个社区搞的」 names no topic
    stopwords = [*world.STOPWORDS, "在", "哪个", "社区", "搞", "的"]
    tree = make_tree(sources=[*world.SOURCES, fraud], stopwords=stopwords)
    engine = Engine.load(tree.knowledge, tree.intents)
    state = DialogueState()
    first = engine.answer("防范诈骗拼图游戏", state)
    assert first.kind == "passages" and "向阳社区" not in first.text
    where = engine.answer("在哪个社区搞的", state)
    assert where.kind == "passages" and "向阳社区" in where.text
    assert engine.answer("在哪个社区搞的", DialogueState()).kind == "fallback"


def test_two_activities_of_a_period_are_each_asked_for(fixture_ask: Ask) -> None:
    """「春节写春联 猜灯谜 分别是啥时候」: no row is both; each is asked for, as without a date."""
    reply = fixture_ask("春节期间写春联 猜灯谜 分别是啥时候")
    assert reply.kind == "events"
    assert set(reply.events) == {*world.COUPLETS, 13, 14, 15, 16, 17, 18}


def test_a_knowledge_word_written_right_before_a_particle_is_no_typo(make_tree: Callable[..., Tree]) -> None:
    """「活动是哪天」 sounds like 「活动室」 plus 哪天, but 活动 is written right and 是 only shapes the
    question: nothing is repaired; a real slip of the same sound still is."""
    room = {**world.EVENTS[0], "number": 21, "place": "和平社区活动室"}
    tree = make_tree(events=[*world.EVENTS, room])
    understand = Engine.load(tree.knowledge, tree.intents).brain.understander.understand
    said = understand("和平社区写春联的活动是哪天")
    assert said.repairs == () and "活动室" not in said.text
    assert ("活东室", "活动室") in understand("活东室在哪").repairs


def test_where_after_a_passage_is_the_place_its_section_names(make_tree: Callable[..., Tree]) -> None:
    """「是哪个社区」 after a paragraph that names no place: the place its section names where it begins
    (和平社区 of the canteen paragraph), which every paragraph after it means."""
    sources = copy.deepcopy(world.SOURCES)
    news = next(s for s in sources if s["id"] == world.NEWS)
    news["sections"][0]["passages"][1]["text"] = "截至去年底,共招募志愿者326名,开展志愿服务80多次。"
    tree = make_tree(sources=sources)
    engine = Engine.load(tree.knowledge, tree.intents)
    state = DialogueState()
    assert "326" in engine.answer("招募了多少志愿者", state).text
    # The mechanism itself (in this world 「社区」 is also a topic word, which the search answers first).
    where = engine._where_of_last_passage(engine.brain, "是哪个社区", state)
    assert where is not None and where.kind == "passages" and "和平社区" in where.text
    assert engine._where_of_last_passage(engine.brain, "有多少人", state) is None  # asks no where


def test_of_one_clauses_equal_answers_the_one_the_rest_of_the_question_speaks_of_wins(
    make_tree: Callable[..., Tree],
) -> None:
    """「事情办得不公,想信访,又怕见不着领导」: 信访 is asked, and two services answer it equally; the one
    whose record also speaks of 领导 answers, though the retriever puts the other first."""
    base = world.SERVICES[0]
    phone = {
        **base,
        "id": "phone",
        "name": "手机信访",
        "offers": "手机信访,网上信访",
        "how": "手机",
        "keywords": ["信访", "手机"],
    }
    visit = {
        **base,
        "id": "visit",
        "name": "领导接访",
        "offers": "村干部领导每周在固定地点接待群众来访,听取意见建议",
        "how": "固定地点",
        "keywords": ["信访", "接访"],
    }
    others = [base, *({**base, "id": f"other-{n}", "keywords": ["食堂"]} for n in range(3))]
    for services in ([phone, visit, *others], [visit, phone, *others]):
        tree = make_tree(services=services)
        engine = Engine.load(tree.knowledge, tree.intents)
        reply = engine.answer("事情办得不公,想信访,又怕见不着领导", DialogueState())
        assert "领导接访" in reply.text, reply.text


def test_an_article_holding_only_the_district_asked_answers_nothing(make_tree: Callable[..., Tree]) -> None:
    """「南湖区有没有食堂」: 南湖区's only article is about chargers; the district's name, however much it
    weighs, is where, not what, so the bot says it does not know rather than quote the chargers."""
    tree = make_tree(userdict=[*world.USERDICT, "南湖区 50 ns", "东风区 50 ns"])
    engine = Engine.load(tree.knowledge, tree.intents)
    assert engine.answer("南湖区有没有食堂", DialogueState()).kind == "fallback"
    reply = engine.answer("南湖区有没有充电桩", DialogueState())
    assert reply.kind == "passages" and "充电桩" in reply.text


def test_the_word_event_weighs_for_no_article_more_than_for_the_table(make_tree: Callable[..., Tree]) -> None:
    """「写春联的活动几号结束」: 活动 only says events are asked (the table leaves it out of its coverage);
    an article about a couplet-writing 活动 must not win on that word over the rows that give the days."""
    article = {
        "id": "t-couplets",
        "title": "东风区义写春联活动",
        "district": world.DISTRICT,
        "kind": "article",
        "sections": [
            {
                "heading": "",
                "passages": [
                    {"id": "t-couplets.1.1", "text": "东风区各社区开展义写春联活动,书法志愿者为居民写春联。"}
                ],
            }
        ],
    }
    tree = make_tree(sources=[*world.SOURCES, article], stopwords=[*world.STOPWORDS, "几号"])
    engine = Engine.load(tree.knowledge, tree.intents)
    reply = engine.answer("写春联的活动几号结束", DialogueState())
    assert reply.kind == "events" and reply.events, reply.text


def test_what_the_second_review_found_stays_fixed(fixture_ask: Ask) -> None:
    """「第二十个在哪」 picks row 20 of a list shown across pages (it crashed on two-character
    numerals); a number with 号 before a noun (「3号门」) names no day."""
    assert fixture_ask("3号门怎么走").kind != "events"
    shown = fixture_ask("过年期间有什么活动").events
    assert len(shown) == 20
    assert list(fixture_ask("第二十个在哪").events) == [shown[19]]
