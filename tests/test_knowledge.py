from datetime import date

from bot.data.knowledge import load_knowledge
from bot.engine import DEFAULT_KNOWLEDGE


def test_event_table_is_61_structured_events() -> None:
    knowledge = load_knowledge(DEFAULT_KNOWLEDGE)
    assert [e.number for e in knowledge.events] == list(range(1, 62))
    by_number = knowledge.event_by_number
    assert (by_number[37].start, by_number[37].end) == (date(2020, 1, 16), date(2020, 1, 21))
    assert by_number[32].place == "如意街与许昌路口往南20米"
    assert by_number[61].organiser == "上街区书法家协会"
    assert {e.district for e in knowledge.events} == {"上街区"}
    assert {e.source for e in knowledge.events} <= set(knowledge.sources)


def test_sources_cover_the_five_districts_with_titles() -> None:
    knowledge = load_knowledge(DEFAULT_KNOWLEDGE)
    assert set(knowledge.districts()) == {"上街区", "惠济区", "二七区", "管城回族区", "中原区"}
    assert all(s.title and s.title != "(无标题)" for s in knowledge.sources.values())
    assert knowledge.sources["000-1"].subtitle == "上街区2019年基层党建工作综述"


def test_page_breaks_are_repaired() -> None:
    knowledge = load_knowledge(DEFAULT_KNOWLEDGE)
    text = "".join(p.text for p in knowledge.passages)
    assert "探索推出了一批扎实的有效的新机制新做法。" in text
    assert "赓续红色精神" in text
    assert all(not p.text.endswith(("的", "党组", "赓续红")) for p in knowledge.passages)


def test_services_cite_their_passage_word_for_word() -> None:
    knowledge = load_knowledge(DEFAULT_KNOWLEDGE)
    assert len(knowledge.services) >= 10
    for service in knowledge.services:
        assert service.quote in knowledge.passage_by_id[service.passage].text
        assert service.district in {"上街区", "惠济区", "二七区", "管城回族区", "中原区"}
