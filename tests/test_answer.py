"""Replies on the fixture knowledge: paging counts, citations pointing at the fixture source, dates."""

import re

from bot.engine.compose import PAGE_SIZE
from tests.conftest import Ask
from tests.fixtures import world


def test_event_reply_counts_all_matches_and_pages(fixture_ask: Ask) -> None:
    reply = fixture_ask("哪里可以写春联?")
    assert reply.kind == "events" and sorted(reply.events) == world.COUPLETS
    pages = -(-len(world.COUPLETS) // PAGE_SIZE)
    assert len(reply.lines) == PAGE_SIZE and reply.pages == pages and reply.has_next
    assert f"共{len(world.COUPLETS)}场" in reply.text and "2020年" in reply.text
    assert len(reply.citations) == PAGE_SIZE
    assert all(c.source == world.TABLE and c.locator.startswith("序号") for c in reply.citations)
    assert [c.locator for c in reply.citations] == [f"序号{n}" for n in reply.events[:PAGE_SIZE]]


def test_events_are_never_upcoming(fixture_ask: Ask) -> None:
    text = fixture_ask("元宵节有什么活动?").text
    assert "已举办" in text
    assert not re.search(r"即将|将于|欢迎参加|快来", text)


def test_passage_reply_is_short_and_cited(fixture_ask: Ask) -> None:
    reply = fixture_ask("和平社区招募了多少志愿者?")
    assert reply.kind == "passages" and "326名" in reply.text
    assert len(re.sub(r"\s", "", reply.text)) <= 400
    (citation,) = reply.citations
    assert citation.source == world.NEWS and citation.passage == f"{world.NEWS}.1.2"
    assert citation.title == "东风区社区服务暖民心" and citation.quote in reply.text
    assert reply.text.endswith(reply.source_line)


def test_service_reply_quotes_its_passage(fixture_ask: Ask) -> None:
    reply = fixture_ask("老人去哪儿吃饭?")
    assert reply.kind == "passages" and reply.intent == "service_lookup"
    assert world.CANTEEN_QUOTE in reply.text
    assert reply.citations[0].passage == f"{world.NEWS}.1.1"


def test_json_shape(fixture_ask: Ask) -> None:
    data = fixture_ask("老人去哪儿吃饭?").to_json()
    assert set(data) == {"text", "kind", "intent", "events", "citations"}
    assert data["events"] == [] and {"source", "title", "locator", "quote"} == set(data["citations"][0])
    events = fixture_ask("哪里可以写春联?").to_json()
    assert sorted(events["events"]) == world.COUPLETS and len(events["citations"]) == PAGE_SIZE
