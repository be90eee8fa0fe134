import re

from bot.engine.compose import PAGE_SIZE


def test_event_reply_counts_all_matches_and_pages(ask) -> None:  # type: ignore[no-untyped-def]
    reply = ask("哪里可以写春联?")
    assert reply.kind == "events" and len(reply.events) == 28
    assert len(reply.lines) == PAGE_SIZE and reply.pages == 6 and reply.has_next
    assert "共28场" in reply.text and "2020年" in reply.text
    assert len(reply.citations) == PAGE_SIZE
    assert all(c.source == "000-7" and c.locator.startswith("序号") for c in reply.citations)


def test_events_are_never_upcoming(ask) -> None:  # type: ignore[no-untyped-def]
    text = ask("元宵节有什么活动?").text
    assert "已举办" in text
    assert not re.search(r"即将|将于|欢迎参加|快来", text)


def test_passage_reply_is_short_and_cited(ask) -> None:  # type: ignore[no-untyped-def]
    reply = ask("2020郑州航展有多少架无人机?")
    assert reply.kind == "passages" and "200架" in reply.text
    assert len(re.sub(r"\s", "", reply.text)) <= 400
    (citation,) = reply.citations
    assert citation.title.startswith("2020 郑州航展") and citation.quote in reply.text
    assert reply.text.endswith(reply.source_line)


def test_json_shape(ask) -> None:  # type: ignore[no-untyped-def]
    data = ask("怎么在手机上信访?").to_json()
    assert set(data) == {"text", "kind", "intent", "events", "citations"}
    assert data["events"] == [] and {"source", "title", "locator", "quote"} == set(data["citations"][0])
