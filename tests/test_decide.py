"""Ordering candidates (bot.engine.decide): ties and bands."""

from bot.engine.candidates import Candidate
from bot.engine.decide import decide, ranked


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
