"""Ordering candidates (bot.engine.decide): ties and bands."""

from dataclasses import replace

from bot.data.records import Passage
from bot.engine.candidates import Candidate
from bot.engine.decide import Decision, decide, ranked
from bot.engine.dialogue import EventQuery
from bot.engine.search import PassageHit


def test_a_clause_naming_only_who_asks_loses_a_tie() -> None:
    """「俺娘接了个电话,…转钱,…咋办」: the clause 老人 and the clause 诈骗 are answered equally
    well on their own; the answer to what is asked wins, not the one to who asks."""
    who = Candidate("service", 0.9, "日间照料", who=True)
    what = Candidate("service", 0.9, "防范诈骗")
    assert [c.label for c in ranked([who, what])] == ["防范诈骗", "日间照料"]
    assert decide([who, what]).best == what


def test_who_asks_still_answers_when_it_is_the_better_answer() -> None:
    who = Candidate("service", 0.9, "日间照料", who=True)
    weaker = Candidate("service", 0.6, "防范诈骗")
    assert ranked([weaker, who])[0] == who


def _article(known: set[str], confidence: float) -> Candidate:
    passage = Passage(
        id="a-1.1.1", text="义写春联活动。", source="a-1", section="", order=0, sentences=("义写春联活动。",)
    )
    hit = PassageHit(passage, 0, 0, 1.0, confidence, frozenset(known))
    return Candidate("passage", confidence, "义写春联活动", hit=hit)


def test_an_unsure_event_list_beside_an_article_on_its_activity_is_the_answer() -> None:
    """「…对子都褪色了,…哪能讨副新的」: the 春联 rows and an article on writing 春联 are both close;
    they are one answer, and the list answers where.  Beside an article on something else, or when the
    list was not asked for, the resident is still offered the choice."""
    rows = Candidate("events", 0.32, "春联", query=EventQuery(activity=("春联",)))
    assert decide([_article({"春联", "义写"}, 0.33), rows]) == Decision("sure", (rows,))
    other = _article({"灯谜"}, 0.33)
    assert decide([other, rows]).band == "close"
    unasked = replace(rows, unasked=True)
    assert decide([_article({"春联"}, 0.33), unasked]).band == "close"
