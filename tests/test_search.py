"""Retrieval on the fixture knowledge: event filters, places, sentence windows."""

from collections.abc import Callable
from datetime import date

from bot.engine import Engine
from bot.engine.candidates import clause_topic
from bot.engine.dialogue import DialogueState
from bot.engine.score import asked_unit
from bot.engine.search import MAX_WINDOW_CHARS
from tests.conftest import Ask
from tests.fixtures import world
from tests.fixtures.trees import Tree


def test_events_filter_by_activity_date_and_place(fixture_engine: Engine) -> None:
    search = fixture_engine.brain.search
    assert sorted(e.number for e in search.events(["春联"])) == world.COUPLETS
    feb5 = [(date(2020, 2, 5), date(2020, 2, 5))]
    assert sorted(e.number for e in search.events(["灯谜"], feb5)) == world.RIDDLES_FEB5
    street = sorted(e.number for e in search.events(["灯谜"], places=[world.STREET_A]))
    assert street == [13, 14, 16]
    both = sorted(e.number for e in search.events(["灯谜"], feb5, places=[world.STREET_A]))
    assert both == world.RIDDLES_FEB5_STREET_A


def test_a_street_office_finds_the_events_held_in_its_area(fixture_engine: Engine) -> None:
    """幸福路办 organised one row, but every row held at a place of 幸福路 is in its area."""
    search = fixture_engine.brain.search
    assert sorted(e.number for e in search.events(["灯谜"], places=["幸福路办"])) == [13, 14, 16]
    assert sorted(e.number for e in search.events(["幸福路街道办", "灯谜"])) == [13, 14, 16]


def test_everyday_words_the_knowledge_lacks_weigh_less_than_a_glued_word(fixture_engine: Engine) -> None:
    from bot.engine.thresholds import NOISE_WEIGHT

    search = fixture_engine.brain.search
    assert search.weight("以后") < NOISE_WEIGHT  # everyday Chinese, no topic
    assert search.weight("公积金") > 2 * search.weight("以后")  # a topic the knowledge lacks keeps its weight


def _many_sections(make_tree: Callable[..., Tree]) -> Tree:
    """The fixture world and an article of thirty short sections: sections enough that a word rare in
    jieba's dictionary weighs several glued characters, as in the shipped knowledge."""
    topics = ["写春联", "猜灯谜", "舞狮", "秧歌", "剪纸", "书法", "义诊", "施粥", "唱戏", "盘鼓"]
    notes = {
        "id": "t-notes",
        "title": "社区纪事",
        "district": "北湖区",
        "kind": "article",
        "sections": [
            {"heading": f"第{i}节", "passages": [{"id": f"t-notes.{i}.1", "text": f"第{i}社区组织居民{t}。"}]}
            for i, t in enumerate(topics * 3, 1)
        ],
    }
    return make_tree(sources=[*world.SOURCES, notes])


def test_a_lacked_word_saying_how_things_are_weighs_as_a_glued_word(make_tree: Callable[..., Tree]) -> None:
    """「睡不着」 is rare in jieba's dictionary but says how things are for the resident (colloquial.yaml
    `situation`: 不), not a topic the knowledge lacks: it weighs as a glued word, while a lacked topic
    (公积金) and a word the knowledge uses keep their weight."""
    from bot.engine.thresholds import NOISE_WEIGHT

    tree = _many_sections(make_tree)
    search = Engine.load(tree.knowledge, tree.intents).brain.search
    tree.write("knowledge/lexicon/colloquial.yaml", "situation: [不, 没, 太]\n")
    marked = Engine.load(tree.knowledge, tree.intents).brain.search
    assert search.weight("睡不着") > 2 * NOISE_WEIGHT  # without the list: the heaviest kind of word
    assert marked.weight("睡不着") == NOISE_WEIGHT == marked.weight("太穷")
    assert marked.weight("公积金") == search.weight("公积金") > 2 * NOISE_WEIGHT
    assert marked.weight("春联") == search.weight("春联")


def test_a_verb_jieba_glued_to_its_particle_weighs_as_a_glued_word(make_tree: Callable[..., Tree]) -> None:
    """「开了个」, 「学学」, 「干点」: one verb with its aspect particle and amount, said twice, or with a
    little amount, kept whole by jieba's dictionary; it weighs no more than a glued word, while a word of
    a character and an amount everyday Chinese uses (景点) keeps its weight."""
    from bot.engine.thresholds import NOISE_WEIGHT

    tree = _many_sections(make_tree)
    search = Engine.load(tree.knowledge, tree.intents).brain.search
    for glued in ("开了个", "学学", "干点", "住着"):
        assert search.weight(glued) <= NOISE_WEIGHT, glued
    assert search.weight("景点") > NOISE_WEIGHT
    assert search.weight("公积金") > 2 * NOISE_WEIGHT


def test_events_are_listed_by_date(fixture_engine: Engine) -> None:
    events = fixture_engine.brain.search.events(["灯谜"])
    assert [e.start for e in events] == sorted(e.start for e in events)
    assert events[0].number == 17  # 2020-02-01, though numbered after the 2月5日 rows


def test_places_found_longest_first(fixture_engine: Engine) -> None:
    search = fixture_engine.brain.search
    assert search.places_in("东风区书法家协会在哪些地方写春联") == ["东风区书法家协会"]
    assert search.places_in(f"{world.STREET_A}和平社区有什么活动") == [f"{world.STREET_A}和平社区"]


def test_passage_window_is_short_and_on_topic(fixture_engine: Engine) -> None:
    brain = fixture_engine.brain
    hit = brain.search.passages(brain.tokenizer.tokens("和平社区招募了多少志愿者"))
    assert hit is not None and "326名" in hit.text and hit.passage.id == f"{world.NEWS}.1.2"
    assert len(hit.text) <= MAX_WINDOW_CHARS
    assert hit.coverage > 0.9


def test_context_finds_sentences_that_do_not_name_the_place(fixture_engine: Engine) -> None:
    """The heading 光明路街道 · 掌上办 is context for a sentence that names only the platform."""
    brain = fixture_engine.brain
    hit = brain.search.passages(brain.tokenizer.tokens("掌上办可以办理什么"))
    assert hit is not None and hit.passage.id == f"{world.NEWS}.2.1"


def test_unknown_words_lower_coverage(fixture_engine: Engine) -> None:
    brain = fixture_engine.brain
    hit = brain.search.passages(brain.tokenizer.tokens("今天郑州天气怎么样"))
    assert hit is None or hit.coverage < 0.5


def test_a_knowledge_word_with_one_character_more_counts_as_that_word(fixture_engine: Engine) -> None:
    """「老人家」 is the knowledge's 老人 with one character more: found where 老人 is, all but that
    character; a word the knowledge has no part of (天气) is not."""
    search = fixture_engine.brain.search
    assert search.stem("老人家") == "老人"
    assert search.stem("天气") is None and search.stem("老人") is None
    assert search.weight("老人家") == search.weight("老人") + 1.0  # the added character is a glued one
    share = search.coverage(["老人家"], {"老人"})
    assert share == search.weight("老人") / search.weight("老人家")
    assert search.coverage(["天气"], {"老人"}) == 0.0


def test_a_service_word_cut_otherwise_is_found_in_its_text(fixture_engine: Engine) -> None:
    """The service says 「午餐」 inside 「每餐5元的午餐」; a question's 「每餐」 is found in its text."""
    hits = fixture_engine.brain.search.service_hits(["每餐", "午餐"])
    assert hits and hits[0].service.id == "love-canteen" and hits[0].coverage == 1.0


def test_a_clause_that_only_says_where_has_no_topic(fixture_engine: Engine) -> None:
    """「光明路这边」 is part of the street 光明路街道: where, not what (the run-on test of
    tests/test_pipeline.py shows a clause that names its topic still asked)."""
    brain = fixture_engine.brain
    assert clause_topic(brain, brain.tokenizer.tokens("光明路这边")) is None


def test_the_unit_of_an_asked_count_picks_a_number_of_that_unit(make_tree: Callable[..., Tree]) -> None:
    """「开展了多少次志愿服务」: 次 is the answer's unit, not its topic; the sentence with a number of
    that unit (80多次) answers, not one that shares 次 and 服务 (督查27次), and 「多少人」 takes 名."""
    news = dict(world.SOURCES[1])
    busy = "和平社区开展党课培训12期,对社区服务窗口开展督查27次。"
    news["sections"] = [
        *news["sections"],
        {"heading": "和平社区 · 党建", "passages": [{"id": f"{world.NEWS}.3.1", "text": busy}]},
    ]
    tree = make_tree(sources=[world.SOURCES[0], news, world.SOURCES[2]])
    engine = Engine.load(tree.knowledge, tree.intents)
    assert "80多次" in engine.answer("和平社区开展了多少次志愿服务?", DialogueState()).text
    assert "326名" in engine.answer("和平社区招募了多少人志愿者?", DialogueState()).text
    assert asked_unit("开展了多少次志愿服务") == "次" and asked_unit("有几支队伍") == "支"
    assert asked_unit("志愿服务是什么") == ""


def test_a_district_the_question_names_holds_for_each_clause(fixture_engine: Engine) -> None:
    """「我住东风区,…,充电桩装了多少」: the clause asked on its own keeps the question's district, so
    南湖区's charger passage is no answer; without a district it is."""
    from bot.engine.candidates import _clause_candidates

    brain = fixture_engine.brain
    text = "我住这边好多年了,电动车充电桩装了多少"
    found = _clause_candidates(brain, text, "")
    assert any(c.hit is not None and "南湖区" in c.hit.text for c in found)
    kept = _clause_candidates(brain, text, "", "东风区")
    assert not any(c.hit is not None and "南湖区" in c.hit.text for c in kept)


def test_a_count_of_people_without_a_measure_word_asks_for_people() -> None:
    """「吸引了多少居民参与」 counts people (colloquial.yaml's `people`): the sentence with 百余位居民, not
    another number, answers."""
    people = ("居民", "党员")
    assert asked_unit("吸引了多少居民参与", people) == "人"
    assert asked_unit("吸引了多少居民参与") == ""  # people are data: without the list, no unit
    assert asked_unit("有几名党员", people) == "名"  # a measure word said is the unit
    assert asked_unit("多少钱", people) == ""


def test_a_place_said_without_its_kind_is_matched_by_the_section_not_the_sentence(
    fixture_engine: Engine,
) -> None:
    """「幸福路」 is the dictionary's 幸福路街道 without 街道, cut by jieba into words: like the place word
    itself, those words are left to the section's context, not to pick the sentence."""
    search = fixture_engine.brain.search
    tokens = fixture_engine.brain.tokenizer.tokens("幸福路那边")
    assert "".join(tokens[:2]) == "幸福路" or tokens[0] == "幸福路"
    named = search._named_places(["幸福", "路", "灯谜"])
    assert named == {0, 1}
    assert search._named_places(["幸福", "灯谜"]) == set()


def test_clauses_naming_no_topic_may_ask_a_days_events(fixture_ask: Ask) -> None:
    """「2月5号,有什么活动,家里电动车没处充电」: the story names a topic the table lacks, but the
    clauses naming none ask for that day's events, and the list answers."""
    reply = fixture_ask("2月5号 有什么活动 家里电动车没处充电")
    assert reply.kind == "events" and sorted(reply.events) == world.RIDDLES_FEB5


def test_a_topic_elsewhere_inside_a_knowledge_word_is_not_named(make_tree: Callable[..., Tree]) -> None:
    """「动车」 (trains: elsewhere) inside 「电动车」, a word the articles use, asks nothing of trains."""
    from bot.engine.candidates import elsewhere_topics

    tree = make_tree()
    tree.write("knowledge/lexicon/elsewhere.yaml", "topics: [动车]\n")
    brain = Engine.load(tree.knowledge, tree.intents).brain
    assert elsewhere_topics(brain, "小区里电动车没地方充电") == []
    assert elsewhere_topics(brain, "坐动车去哪里写春联") == ["动车"]
