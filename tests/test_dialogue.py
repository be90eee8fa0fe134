from datetime import date

from bot.engine.dates import DateRange
from bot.engine.dialogue import EventQuery, is_follow_up


def test_follow_up_replaces_what_it_names() -> None:
    riddles = EventQuery(activity=("灯谜",))
    feb5 = EventQuery(ranges=(DateRange(date(2020, 2, 5), date(2020, 2, 5)),))
    merged = riddles.follow(feb5)
    assert merged.activity == ("灯谜",) and merged.ranges == feb5.ranges
    narrowed = merged.follow(EventQuery(places=("中心路街道",)))
    assert narrowed.places == ("中心路街道",) and narrowed.ranges == feb5.ranges
    lantern = EventQuery(ranges=(DateRange(date(2020, 2, 8), date(2020, 2, 8)),), topics=("元宵",))
    assert lantern.follow(feb5).topics == ()


def test_follow_up_words() -> None:
    assert is_follow_up("那2月5日呢?")
    assert is_follow_up("中心路街道的呢")
    assert is_follow_up("what about Feb 5")
    assert not is_follow_up("哪里可以写春联?")


def test_rows_asked_past_survive_the_state_store() -> None:
    """「那个社区还搞过啥」 leaves out the rows shown; a stored state pages the same list."""
    query = EventQuery(places=("光明社区",), besides=(4,))
    assert EventQuery.from_json(query.to_json()) == query
    assert EventQuery.from_json({"places": ["光明社区"]}).besides == ()


def test_a_row_picked_survives_the_state_store_and_a_later_follow_up_drops_it() -> None:
    """「第二个在哪」 keeps that row only; a stored state shows it again, and 「那2月5日呢」 after it asks
    of every row of that day, not of the row picked."""
    query = EventQuery(activity=("春联",), only=(5,))
    assert EventQuery.from_json(query.to_json()) == query
    assert query.follow(EventQuery(places=("光明社区",))).only == ()


def test_the_window_quoted_survives_the_state_store() -> None:
    """「还有呢」 after an article pages on from the last sentence shown, in a stored state too."""
    from bot.engine.dialogue import DialogueState

    state = DialogueState(passage="t-3.2.1", quoted=1)
    assert DialogueState.from_json(state.to_json()).quoted == 1
    assert DialogueState.from_json({"passage": "t-3.2.1"}).quoted is None
