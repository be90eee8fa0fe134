"""Follow-ups: a message that leans on the resident's last event list instead of asking afresh.

「其中中心路街道的呢」 narrows the list (its activity and dates kept), 「那2月5日呢」 changes one
filter, 「当天还有别的活动不」 asks for every event of the day just shown, 「1月15号那场在哪」 picks
one of the list by its day, and 「地址在哪」 / 「几点」 after a single event ask about that event.
The words that point back (当天, 其中, 那场) are data in knowledge/lexicon/colloquial.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.engine.dates import BARE_DAY, DateRange, arabic, day_shift
from bot.engine.dialogue import EventQuery, is_follow_up, without_lead
from bot.engine.score import Attribute, asked_attribute
from bot.engine.text import PLACE_KINDS
from bot.engine.thresholds import UNSEEN_RARITY
from bot.engine.understand import Understanding, asks

if TYPE_CHECKING:
    from bot.data.knowledge import Event
    from bot.engine.engine import Brain, Reading


@dataclass(frozen=True)
class FollowUp:
    query: EventQuery
    attribute: Attribute | None = None  # 「几点」 about the event just shown


# 「第二个」, 「第3场」: a row of the list shown by the number it is shown with (not 「第二天」, a day).
_ORDINAL = re.compile(r"第\s*(?P<n>[1-9]\d?|[一二三四五六七八九十]{1,2})\s*(?:个|场|条|项|家|处|次)")


def _ordinal(said: str) -> int:
    """「二十」 → 20 (rows are numbered across pages), 0 for a numeral cn2an cannot read."""
    number = said if said.isdigit() else arabic(said)
    return int(number) if number.isdigit() else 0


# A community named in a row's place (矿山工人村社区广场, 金苑社区二楼): a name before a kind of place.
_COMMUNITY = re.compile(rf"[\u4e00-\u9fff]{{2,}}?(?:{'|'.join(PLACE_KINDS)})")


def community(event: Event) -> str:
    """The community a row is of, as 「那个社区」 or 「他们」 mean it: its organiser when that is one (中心路
    街道金苑社区, whose rows are held elsewhere too), else the community its place names (矿山工人村…,
    organised by 矿山办), else its organiser (上街区书法家协会)."""
    if event.organiser.endswith(PLACE_KINDS):
        return event.organiser
    named = _COMMUNITY.search(event.place)
    return named.group(0) if named else event.organiser


def _same_place(brain: Brain, understood: Understanding, rest: str, shown: list[Event]) -> FollowUp | None:
    """「那个社区还搞过啥」, 「元宵节他们还搞啥」, 「这个协会还去哪写过」 after the rows of one community:
    that community's other rows (「还」, 「别的」: not those just shown), of the activity or day named."""
    speech = brain.knowledge.speech
    plain = understood.plain
    if not shown or not any(w in plain for w in speech.same_place):
        return None
    hosts = {community(e) for e in shown}
    if len(hosts) != 1:
        return None
    reading = brain.read(rest)
    query = reading.query
    besides = any(w in plain for w in speech.besides)
    if any(not _says_nothing(brain, t) for t in reading.unknown) or query.places or query.district:
        return None
    if not (besides or query.activity or query.ranges or query.topics):
        return None  # 「他们几点开始」 asks about the rows shown, not for others
    numbers = tuple(e.number for e in shown) if besides else ()
    return FollowUp(
        EventQuery(
            activity=query.activity,
            ranges=query.ranges,
            places=(hosts.pop(),),
            topics=query.topics,
            any_activity=query.any_activity,
            besides=numbers,
        )
    )


def _without(text: str, words: tuple[str, ...]) -> str:
    for word in sorted(words, key=len, reverse=True):
        text = text.replace(word, " ")
    return re.sub(r"\s+", " ", text).strip()


def _says_nothing(brain: Brain, token: str) -> bool:
    """A single character, an everyday word, or characters jieba glued that no dictionary knows."""
    search = brain.search
    return search.says_little(token) or (
        token not in search.vocabulary and brain.tokenizer.rarity(token) >= UNSEEN_RARITY
    )


def _places_named(brain: Brain, query: EventQuery) -> EventQuery:
    """「那矿山那边嘞」: a word the table holds only in its rows' places and organisers (矿山 of
    矿山工人村社区, 矿山办) names another place, which a follow-up puts in the last place's stead; as an
    activity it would be looked for beside the last place, where no row has it."""
    events = brain.knowledge.events
    places = tuple(
        t
        for t in query.activity
        if not any(t in e.content for e in events) and any(t in e.place or t in e.organiser for e in events)
    )
    if not places:
        return query
    activity = tuple(t for t in query.activity if t not in places)
    return replace(query, activity=activity, places=(*query.places, *places))


def read_follow_up(brain: Brain, understood: Understanding, last: EventQuery) -> FollowUp | None:
    """The event search a follow-up means, or None when the message is a question of its own."""
    speech = brain.knowledge.speech
    plain = understood.plain
    same_day = any(w in plain for w in speech.same_day)
    narrow = any(w in plain for w in speech.narrow)
    that_one = any(w in plain for w in speech.that_one)
    rest = _without(understood.text, speech.same_day + speech.narrow + speech.that_one + speech.same_place)
    if is_follow_up(plain):
        rest = without_lead(rest)
    shown = brain.events(last)
    hosting = any(w in plain for w in speech.same_place)
    picked = _picked_row(brain, understood, rest, last, shown, hosting)
    if picked is not None:
        if not hosting:
            return picked
        # 「第二个那个社区还搞过啥」: that row's community, as after a single row
        last, shown, rest = picked.query, brain.events(picked.query), _ORDINAL.sub(" ", rest).strip()
    hosted = _same_place(brain, understood, rest, shown)
    if hosted is not None:
        return hosted
    reading = brain.read(rest)
    query = _places_named(brain, reading.query)
    if same_day:
        query = replace(query, topics=())  # 「里面元宵节当天的」: the festival's day only, as Brain.read says
    if not query.ranges and BARE_DAY.search(rest):
        reading, query = _bare_day(brain, rest, last, shown, reading, query)
    shift = day_shift(rest) if not query.ranges else None
    days = {(r.start, r.end) for r in last.ranges}
    if shift is not None and len(days) == 1 and next(iter(days))[0] == next(iter(days))[1]:
        # 「那第二天呢」, "and the day after?", 「那再往前一天嘞」: the day just shown, moved; the rest of
        # the search kept (再, 往 beside the shift say nothing).
        moved = next(iter(days))[0] + timedelta(days=shift[1])
        again = brain.read(_without(rest, (shift[0],)))
        if all(_says_nothing(brain, t) for t in again.unknown) and not again.query.ranges:
            return FollowUp(replace(last.follow(again.query), ranges=(DateRange(moved, moved),), topics=()))
    if same_day and not query.ranges and shown and len({(e.start, e.end) for e in shown}) == 1:
        day = shown[0].start if shown[0].start == shown[0].end else None
        if day is not None:
            return FollowUp(EventQuery(activity=query.activity, ranges=(DateRange(day, day),)))
    # 「在哪演」, 「谁去写的」 after one event: the words beside the question word (演, 写; 「哪演」 as jieba
    # glues it) say nothing the event does not, so they ask about it rather than anew.
    vague = {t for t in reading.unknown if _says_nothing(brain, t)}
    # 「要钱不」, 「电话多少」 after a list: words that only name what is asked of the rows shown.
    attribute = asked_attribute(brain.attributes, plain)
    if attribute is not None and shown:
        naming = brain.naming(attribute)
        vague |= {t for t in reading.content if t in naming}
        vague |= {t for clause in understood.telling for t in brain.tokenizer.tokens(clause)}
    about_shown = len(shown) == 1 and asks(plain)
    of_rows = about_shown or (attribute is not None and bool(shown))
    if reading.unknown and not (of_rows and set(reading.unknown) <= vague):
        return None  # a word the table does not know: a new question
    named = bool(query.activity or query.ranges or query.places or query.district or query.topics)
    # 「猜灯谜那个几号」, 「义写春联那个是谁组织的」: the rows of the list shown that hold what is named, as
    # 「其中」 narrows; a name no row shown holds is a question of its own.
    one_of = that_one and bool(query.activity or query.places) and not query.ranges
    if (narrow or one_of) and named:
        merged = last.follow(query)
        if query.activity:
            activity = tuple(dict.fromkeys((*last.activity, *query.activity)))
            merged = replace(merged, activity=activity, any_activity=False)
        if narrow:
            return FollowUp(merged)
        if brain.events(merged):
            return FollowUp(merged, attribute)
    if is_follow_up(plain) and not (query.activity and query.ranges):
        merged = last.follow(query)
        if merged != last or query.is_empty():
            return FollowUp(merged)
        return None
    if any(t not in vague for t in reading.content) or query.activity:
        return None
    asks_about_it = that_one or attribute is not None or reading.asks_events or about_shown
    if that_one and query.ranges and not query.places:
        return FollowUp(replace(last, ranges=query.ranges, topics=()), attribute)
    if asks_about_it and not named and len(shown) == 1:
        return FollowUp(last, attribute)
    if attribute is not None and not named and shown:
        return FollowUp(last, attribute)  # asked of every row shown: the table gives it or says not
    if shown and not named and not reading.content and any(w in plain.lower() for w in speech.row_asks):
        # 「谁办的」, 「在哪裡」 after a list: a question word naming nothing asks of every row shown, and
        # each row says its day, place and organiser (「怎么样」 asks nothing a row says).
        return FollowUp(last)
    return None


def _picked_row(
    brain: Brain, understood: Understanding, rest: str, last: EventQuery, shown: list[Event], hosting: bool
) -> FollowUp | None:
    """「第二个在哪」, 「第一个是谁办的」 after a list: the row shown with that number (numbered across
    pages, as the list numbers them), asked about as a single row is; the rest of the message may name
    nothing but what is asked of it, unless it asks of that row's community (``hosting``), which
    _same_place reads."""
    match = _ORDINAL.search(rest)
    if match is None or not shown:
        return None
    number = _ordinal(match["n"])
    if not 1 <= number <= len(shown):
        return None
    if hosting:
        return FollowUp(replace(last, only=(shown[number - 1].number,)))
    reading = brain.read(_without(rest, (match.group(0),)))
    attribute = asked_attribute(brain.attributes, understood.plain)
    naming = brain.naming(attribute) if attribute else frozenset()
    if not reading.query.is_empty() or reading.query.district:
        return None
    if any(not _says_nothing(brain, t) and t not in naming for t in reading.unknown):
        return None
    return FollowUp(replace(last, only=(shown[number - 1].number,)), attribute)


def _bare_day(
    brain: Brain, rest: str, last: EventQuery, shown: list[Event], reading: Reading, query: EventQuery
) -> tuple[Reading, EventQuery]:
    """「其中14号的呢」: a bare day in the month shown, the last search's or, when it named no day
    (「中心路街道写春联嘞都有哪些」), its rows'; rows of several months make it each day of that number
    the period holds (DateParser.with_months), as a first turn does."""
    months = {r.start.month for r in last.ranges} | {r.end.month for r in last.ranges}
    if not months:
        months = {e.start.month for e in shown} | {e.end.month for e in shown}
    if len(months) == 1:
        month = months.pop()
        text: str | None = BARE_DAY.sub(lambda m: f"{month}月{m['day'] or m['nth']}日", rest, count=1)
    else:
        text = brain.dates.with_months(rest) if not last.ranges else None
    in_month = brain.read(text) if text else None
    if in_month is not None and in_month.query.ranges:
        return in_month, in_month.query
    return reading, query
