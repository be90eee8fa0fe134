from datetime import date

import pytest

from bot.engine import Engine
from bot.engine.dates import DateParser, Festival, festival_date, parse_table_date

PERIOD = (date(2020, 1, 10), date(2020, 2, 8))  # the fixture table's first and last day


@pytest.fixture(scope="module")
def parser(fixture_engine: Engine) -> DateParser:
    """The fixture knowledge's festivals, and the year of its events (2020)."""
    return fixture_engine.brain.dates


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("1月15日有哪些活动", date(2020, 1, 15), date(2020, 1, 15)),
        ("2月5号", date(2020, 2, 5), date(2020, 2, 5)),
        ("二月五号", date(2020, 2, 5), date(2020, 2, 5)),
        ("1月16日到20日", date(2020, 1, 16), date(2020, 1, 20)),
        ("1月16日至1月21日", date(2020, 1, 16), date(2020, 1, 21)),
        ("二月份", date(2020, 2, 1), date(2020, 2, 29)),
        ("2月上旬", date(2020, 2, 1), date(2020, 2, 10)),
        ("12月31日", date(2019, 12, 31), date(2019, 12, 31)),
        ("2020-01-15", date(2020, 1, 15), date(2020, 1, 15)),
        ("1/15", date(2020, 1, 15), date(2020, 1, 15)),
        ("what is on Feb 8", date(2020, 2, 8), date(2020, 2, 8)),
        ("any events on January 15, 2020?", date(2020, 1, 15), date(2020, 1, 15)),
        ("on 15th of January 2020", date(2020, 1, 15), date(2020, 1, 15)),
        ("events on January 15, 2021", date(2021, 1, 15), date(2021, 1, 15)),  # the year said, not guessed
        ("元宵节", date(2020, 2, 8), date(2020, 2, 8)),
        ("正月十五", date(2020, 2, 8), date(2020, 2, 8)),
        ("腊八", date(2020, 1, 2), date(2020, 1, 2)),
        ("小年", date(2020, 1, 17), date(2020, 1, 17)),
        ("大年初三", date(2020, 1, 27), date(2020, 1, 27)),
        ("除夕", date(2020, 1, 24), date(2020, 1, 24)),
        ("2021年春节", date(2021, 2, 12), date(2021, 2, 12)),
    ],
)
def test_date_expressions_become_ranges(parser: DateParser, text: str, start: date, end: date) -> None:
    ranges = parser.parse(text).ranges
    assert [(r.start, r.end) for r in ranges] == [(start, end)]


def test_year_comes_from_the_knowledge_not_today(parser: DateParser) -> None:
    assert parser.period == PERIOD
    lantern = Festival("元宵节", lunar=(1, 15))
    assert festival_date(lantern, PERIOD) == date(2020, 2, 8)
    assert festival_date(lantern, (date(2023, 1, 1), date(2023, 3, 1))) == date(2023, 2, 5)


def test_a_spoken_month_and_day_without_ri_is_one_date(parser: DateParser) -> None:
    """Voice input writes 「一月十四」 as it was said, without 日 or 号; a count after a month is no day."""
    assert [(r.start, r.end) for r in parser.parse("那一月十四呢").ranges] == [(date(2020, 1, 14),) * 2]
    assert [(r.start, r.end) for r in parser.parse("二月五有活动吗").ranges] == [(date(2020, 2, 5),) * 2]
    counted = parser.parse("一月十四个社区有活动")
    assert [(r.start, r.end) for r in counted.ranges] == [(date(2020, 1, 1), date(2020, 1, 31))]
    assert [(r.start, r.end) for r in parser.parse("正月十四").ranges] == [(date(2020, 2, 7),) * 2]


def test_relative_words_are_noticed(parser: DateParser) -> None:
    query = parser.parse("这周末有什么活动")
    assert query.relative == ["这周末"] and not query.ranges


def test_no_date_in_plain_question(parser: DateParser) -> None:
    assert not parser.parse("哪里可以写春联?").ranges


def test_table_dates() -> None:
    assert parse_table_date("2020年1月16日-21日") == (date(2020, 1, 16), date(2020, 1, 21))
    assert parse_table_date("2019年12月31日") == (date(2019, 12, 31), date(2019, 12, 31))
    with pytest.raises(ValueError, match="year"):
        parse_table_date("1月16日")
    with pytest.raises(ValueError, match="ends before"):
        parse_table_date("2020年1月21日-16日")


def test_bare_lunar_new_year_days(parser: DateParser) -> None:
    assert [(r.start, r.label) for r in parser.parse("初八有活动吗").ranges] == [(date(2020, 2, 1), "初八")]
    assert parser.parse("最初一天").ranges == [] and parser.parse("初中").ranges == []


@pytest.mark.parametrize(
    ("text", "said", "reason"),
    [
        ("二零二零年正月三十", "正月三十", "2020年正月只有29天"),  # not 2019-03-06, that year's 正月三十
        ("正月三十有什么活动", "正月三十", "2020年正月只有29天"),
        ("13月有什么活动", "13月", "没有13月"),
        ("2020-02-30", "2020-02-30", "2020年2月只有29天"),
        ("2月30日有活动吗", "2月30日", "2020年2月只有29天"),
        ("2021年2月29日", "2021年2月29日", "2021年2月只有28天"),
        ("4月31号", "4月31号", "4月只有30天"),
    ],
)
def test_dates_that_do_not_exist_are_said_plainly(
    parser: DateParser, text: str, said: str, reason: str
) -> None:
    query = parser.parse(text)
    assert [(d.text, d.reason) for d in query.invalid] == [(said, reason)]
    assert not [r for r in query.ranges if r.label != "2020年"]  # no day made up
    assert said not in query.rest  # not searched as words


def test_a_lunar_range_is_one_range(parser: DateParser) -> None:
    query = parser.parse("正月十五到正月三十有什么活动")
    # 2020's 正月 ends on 廿九 (2月22日): 「到正月三十」 is to the end of the month.
    assert [(r.start, r.end) for r in query.ranges] == [(date(2020, 2, 8), date(2020, 2, 22))]
    assert query.invalid == [] and "到" not in query.rest


def test_real_dates_and_numbers_are_not_invalid(parser: DateParser) -> None:
    for text in ("2020年正月廿九", "腊月三十", "12月31日", "2020-02-29", "月薪10000月", "第100月"):
        assert parser.parse(text).invalid == [], text


@pytest.mark.parametrize(
    ("text", "start", "end", "festival"),
    [
        ("元宵节前一天有啥活动", date(2020, 2, 7), date(2020, 2, 7), False),
        ("正月十五前一天", date(2020, 2, 7), date(2020, 2, 7), False),
        ("除夕第二天", date(2020, 1, 25), date(2020, 1, 25), False),
        ("腊八过后有啥", date(2020, 1, 3), date(2020, 2, 8), False),
        ("小年之前", date(2020, 1, 10), date(2020, 1, 16), False),
        ("元宵节期间都有啥", date(2020, 2, 8), date(2020, 2, 8), True),
        ("元宵前后有啥", date(2020, 2, 5), date(2020, 2, 11), False),
    ],
)
def test_words_after_a_festival_move_or_widen_its_day(
    parser: DateParser, text: str, start: date, end: date, festival: bool
) -> None:
    query = parser.parse(text)
    assert [(r.start, r.end) for r in query.ranges] == [(start, end)]
    assert bool(query.festivals) is festival  # only the festival itself also finds its events
    for word in ("前一天", "第二天", "过后", "之前", "期间", "前后"):
        assert word not in query.rest


SEASON = [
    Festival("春节", lunar=(1, 1), season=True),
    Festival("大年初一", ("正月初一",), lunar=(1, 1)),
    Festival("元宵节", ("元宵",), lunar=(1, 15)),
]


@pytest.fixture(scope="module")
def season_parser() -> DateParser:
    """春节 marked as a season; 「春节联欢晚会」 a dictionary word; 「当天」 a same-day word."""
    return DateParser(SEASON, [], PERIOD, ["春节期间"], words=["春节联欢晚会", "春节期间"], same_day=["当天"])


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("春节有什么活动", *PERIOD),  # the festival's season: everything the knowledge covers
        ("和平社区春节活动", *PERIOD),
        ("春节当天有什么活动", date(2020, 1, 25), date(2020, 1, 25)),  # the day, when said
        ("春节的当天", date(2020, 1, 25), date(2020, 1, 25)),
        ("大年初一有什么活动", date(2020, 1, 25), date(2020, 1, 25)),  # another name of the day
        ("春节前一天", date(2020, 1, 24), date(2020, 1, 24)),  # a shift still moves the day
        ("2021年春节", date(2021, 2, 12), date(2021, 2, 12)),  # another year's season is not covered
    ],
)
def test_a_season_festival_alone_is_its_season(
    season_parser: DateParser, text: str, start: date, end: date
) -> None:
    assert [(r.start, r.end) for r in season_parser.parse(text).ranges] == [(start, end)]


def test_a_festival_name_inside_a_dictionary_word_is_no_date(season_parser: DateParser) -> None:
    query = season_parser.parse("哪里有春节联欢晚会")
    assert query.ranges == [] and "春节联欢晚会" in query.rest
    both = season_parser.parse("元宵节有春节联欢晚会吗")  # the festival beside it still counts
    assert [r.label for r in both.ranges] == ["元宵节"] and "春节联欢晚会" in both.rest


def test_a_marked_word_the_resident_typed_is_kept(season_parser: DateParser) -> None:
    typed = chr(0xE000)  # a private-use character, as the marks that set words aside
    assert typed in season_parser.parse(f"{typed}春节联欢晚会").rest


def test_an_english_month_is_its_name_or_abbreviation_never_a_word_that_begins_like_one() -> None:
    from bot.engine.dates import chinese_days

    assert chinese_days("Sept 3").strip() == "9月3日"
    assert chinese_days("February 8th, 2020").strip() == "2020年2月8日"
    for text in ("is the market 5 minutes away", "junior 3", "a decent 2 hours"):
        assert chinese_days(text) == text


@pytest.mark.parametrize(
    ("text", "dated"),
    [
        ("15号哪有写春联", "1月15日哪有写春联"),  # only January of the period has a 15th
        ("5号有啥活动", "2月5日有啥活动"),  # 1月5日 is before the period
        ("十六号有啥", "1月16日有啥"),
        ("新安东路3号院有啥活动", None),  # a house number, no day
        ("1月15号有啥", None),  # its month said
        ("几号有写春联的", None),
    ],
)
def test_a_bare_day_is_each_day_of_that_number_the_period_holds(
    season_parser: DateParser, text: str, dated: str | None
) -> None:
    assert season_parser.with_months(text) == dated


def test_a_bare_day_two_months_of_the_period_hold_is_both() -> None:
    parser = DateParser(SEASON, [], (date(2019, 12, 31), date(2020, 2, 9)))
    assert parser.with_months("5号有啥活动") == "1月5日、2月5日有啥活动"
    assert parser.with_months("what's on the 31st") == "what's on the 12月31日、1月31日"
