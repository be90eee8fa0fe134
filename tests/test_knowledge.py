"""Invariants of the shipped knowledge (or BOT_KNOWLEDGE) that every correct admin edit keeps.

The facts themselves (which rows, which numbers) are questions in tests/eval/shipped.yaml.
"""

import pytest

from bot.data.knowledge import load_knowledge
from tests.conftest import KNOWLEDGE

pytestmark = pytest.mark.shipped
DISTRICTS = {"上街区", "惠济区", "二七区", "管城回族区", "中原区"}


def test_events_are_numbered_dated_and_sourced() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    numbers = [e.number for e in knowledge.events]
    assert numbers and len(numbers) == len(set(numbers)) and min(numbers) >= 1
    assert all(e.start <= e.end for e in knowledge.events)
    assert {e.source for e in knowledge.events} <= set(knowledge.sources)
    assert {e.district for e in knowledge.events} <= DISTRICTS


def test_sources_cover_the_five_districts_with_titles() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    assert set(knowledge.districts()) >= DISTRICTS
    assert all(s.title and s.title != "(无标题)" for s in knowledge.sources.values())


def test_page_breaks_are_repaired() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    assert all(not p.text.endswith(("的", "党组", "赓续红")) for p in knowledge.passages)


def test_services_cite_their_passage_word_for_word() -> None:
    knowledge = load_knowledge(KNOWLEDGE)
    assert knowledge.services
    for service in knowledge.services:
        assert service.quote in knowledge.passage_by_id[service.passage].text
        assert service.district in DISTRICTS
