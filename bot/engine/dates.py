"""Chinese date expressions → date ranges.

Residents say 「1月15日」, 「2月5号」, 「1月16日到20日」, 「二月份」, 「正月十五」 or just
「元宵节」. Festival names come from ``knowledge/lexicon/festivals.yaml`` and are turned into
solar dates with the lunar calendar; the year comes from the period the knowledge covers,
never from today's date.
"""

from __future__ import annotations

import calendar
import importlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import ModuleType

from lunardate import LunarDate

from bot import wording
from bot.engine.text import MEASURE_WORDS, NUMERALS
from bot.engine.thresholds import AROUND_DAYS

_RANGE_SEP = r"\s*(?:到|至|-|~|—|–|－|〜)\s*"
_DAY = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})(?!\d|\s*月)\s*(?:日|号)?"
    rf"(?:{_RANGE_SEP}(?:(?P<y2>\d{{4}})\s*年\s*)?(?:(?P<m2>\d{{1,2}})\s*月\s*)?(?P<d2>\d{{1,2}})\s*(?:日|号)?)?"
)
_ISO = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
_SLASH = re.compile(r"(?<![\d.])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EN_FULL = ("uary", "ruary", "ch", "il", "", "e", "y", "ust", "tember", "ober", "ember", "ember")
# A month's whole name or its abbreviation (「Feb.」, 「Sept」), never a word that begins like one
# (「market 5」, 「junior 3」).
_EN_NAMES = "|".join(
    rf"{short}(?:{rest})?" if rest else short for short, rest in zip(_EN_MONTHS, _EN_FULL, strict=True)
).replace("sep(?:tember)?", "sep(?:t|tember)?")
_EN_DAY = re.compile(  # 「Feb 8」, 「February 8th」, 「8 Feb」, 「8th of February」, each with a year or not
    rf"\b(?P<mon>{_EN_NAMES})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(?P<y>\d{{4}})\b)?"
    rf"|\b(?P<d_first>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>{_EN_NAMES})\b\.?(?:,?\s*(?P<y2>\d{{4}})\b)?"
)
_EN_DAY_ANY_CASE = re.compile(_EN_DAY.pattern, re.IGNORECASE)


def chinese_days(text: str) -> str:
    """English days written as the articles write them (「October 11」 → 「10月11日」, 「Feb 8, 2020」 →
    「2020年2月8日」): a passage says 10月11日, and an English question must find it by those words."""

    def chinese(match: re.Match[str]) -> str:
        month = _EN_MONTHS.index((match["mon"] or match["mon2"]).lower()[:3]) + 1
        day = int(match["d"] or match["d_first"])
        year = match["y"] or match["y2"]
        if not 1 <= day <= 31:
            return match.group(0)
        return f" {year + '年' if year else ''}{month}月{day}日 "

    return _EN_DAY_ANY_CASE.sub(chinese, text)


# English words of time before a day's name and the Chinese words after it that say the same
# (「around the Lantern Festival」 is 元宵节前后, as 「元宵前后」 is read: see _shifted).  Grammar of
# English date phrases, not knowledge.
_EN_RELATIONS = {
    "the day before": "前一天",
    "the day after": "后一天",
    "day before": "前一天",
    "day after": "后一天",
    "around": "前后",
    "before": "前",
    "after": "后",
}


def relations_pattern(days: Sequence[str]) -> re.Pattern[str] | None:
    """The English words of time before one of ``days`` (the names of days and periods the dates know:
    in Chinese where the glossary already wrote it for the English, or an English alias): see
    festival_relations."""
    names = sorted((d for d in days if d), key=len, reverse=True)
    if not names:
        return None
    relations = "|".join(sorted(_EN_RELATIONS, key=len, reverse=True))
    return re.compile(rf"\b({relations})\s+(?:the\s+)?({'|'.join(map(re.escape, names))})", re.IGNORECASE)


def festival_relations(text: str, pattern: re.Pattern[str]) -> str:
    """「around 元宵节」 → 「元宵节前后」, 「before 春节」 → 「春节前」: the Chinese word after the day,
    as the dates read it."""
    return pattern.sub(lambda m: f"{m[2]} {_EN_RELATIONS[m[1].lower()]}", text)


# 「一月十四」, said without 日 or 号 (voice input writes what was spoken): a month in numerals and the
# day right after it are one date; a count after a month (「一月十四个」, 「二月三天」) is no day.
_CN_DATE = re.compile(
    rf"[{NUMERALS}\d]{{1,2}}\s*月\s*[{NUMERALS}]{{1,3}}(?![{NUMERALS}\d]|\s*[日号{MEASURE_WORDS}])"
    rf"|[{NUMERALS}\d]{{1,4}}\s*(?:年|月份?|日|号)"
)
_YEAR = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月)")
_MONTH = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月(?:份)?(?P<part>上旬|中旬|下旬|初|底|中)?(?!\s*\d)"
)
# The words a lunar day is said with (「正月十五」, 「初三」): the pinyin repair knows their sound, so that
# 「正约十五」 or 「出三」, typed by sound, still say a day.
LUNAR_WORDS = ("大年", "正月", "腊月", "冬月", *(f"初{n}" for n in "一二三四五六七八九十"))
_LUNAR = re.compile(
    r"(?P<prefix>大年|正月|腊月|冬月)(?P<day>初[一二三四五六七八九十]|十[一二三四五六七八九]?|二十[一二三四五六七八九]?|廿[一二三四五六七八九]?|三十)"
    # 「初八」 alone is the New Year's 初八
    r"|(?<![月年最当起])(?P<bare>初[一二三四五六七八九十])(?![中级步期])"
)


_PRIVATE_USE = 0xE000  # marks standing in for words set aside while dates are read


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    label: str = ""
    named: bool = False  # a festival or lunar day, worth naming next to its date

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end

    def describe(self) -> str:
        if self.start == self.end:
            return format_day(self.start)
        if self.start.year == self.end.year:
            last = wording.MONTH_DAY.format(month=self.end.month, day=self.end.day)
            return wording.DAY_RANGE.format(first=format_day(self.start), last=last)
        return wording.DAY_RANGE.format(first=format_day(self.start), last=format_day(self.end))


@dataclass(frozen=True)
class Festival:
    """A named day: lunar (month, day, offset in days) or solar (month, day).

    ``season``: the name said on its own means the festival's season, the whole period the knowledge
    covers (「春节有什么活动」, 「春节活动」 ask for the 春节期间 programme), and only with a same-day
    word (「春节当天」) the day itself."""

    name: str
    aliases: tuple[str, ...] = ()
    lunar: tuple[int, int] | None = None
    solar: tuple[int, int] | None = None
    offset: int = 0
    season: bool = False


@dataclass(frozen=True)
class InvalidDate:
    """A date that does not exist (「2020年正月三十」, 「13月」): said plainly, never searched as words."""

    text: str
    reason: str  # 「2020年正月只有29天」, 「没有13月」


@dataclass
class DateQuery:
    ranges: list[DateRange] = field(default_factory=list)
    invalid: list[InvalidDate] = field(default_factory=list)
    festivals: list[str] = field(default_factory=list)
    relative: list[str] = field(default_factory=list)
    spans: list[str] = field(default_factory=list)  # the words that expressed a date
    rest: str = ""  # the question without its dates (lower-cased)

    def __bool__(self) -> bool:
        return bool(self.ranges)


def format_day(day: date) -> str:
    return wording.DAY.format(year=day.year, month=day.month, day=day.day)


def _year_for(month: int, day: int, period: tuple[date, date]) -> int:
    """The year in which month/day falls inside (or nearest to) the covered period."""
    start, end = period
    best, best_gap = start.year, None
    for year in range(start.year - 1, end.year + 2):
        try:
            candidate = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        except ValueError:
            continue
        gap = (
            0
            if start <= candidate <= end
            else min(abs((candidate - start).days), abs((candidate - end).days))
        )
        if best_gap is None or gap < best_gap:
            best, best_gap = year, gap
    return best


def festival_date(festival: Festival, period: tuple[date, date]) -> date:
    """The solar date of a festival within (or nearest to) the covered period."""
    start, end = period
    candidates: list[date] = []
    for year in range(start.year - 1, end.year + 2):
        try:
            if festival.lunar:
                day = LunarDate(year, *festival.lunar).to_solar_date()
            elif festival.solar:
                day = date(year, *festival.solar)
            else:
                continue
        except ValueError:
            continue
        candidates.append(day + timedelta(days=festival.offset))

    def gap(day: date) -> int:
        return 0 if start <= day <= end else min(abs((day - start).days), abs((day - end).days))

    return min(candidates, key=gap)


def _cn2an() -> ModuleType:
    """cn2an, imported on first use: it compiles regexes for ~0.3 s, and most questions have no
    Chinese numeral."""
    return importlib.import_module("cn2an")


def _lunar_day(word: str) -> int:
    cn2an = _cn2an()
    if word.startswith("初"):
        return int(cn2an.cn2an(word[1:], "smart")) if word[1:] != "十" else 10
    return int(cn2an.cn2an(word.replace("廿", "二十"), "smart"))


def arabic(text: str) -> str:
    """「二月五号」 → 「2月5号」; text cn2an cannot read (「一二十」) is left as it is."""
    if not re.search(r"[一二三四五六七八九十两]", text):
        return text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns, rather than raises, on numerals it cannot read
        try:
            return str(_cn2an().transform(text, "cn2an"))
        except (ValueError, KeyError, IndexError):
            return text


_LUNAR_MONTH_NAMES = {1: "正月", 11: "冬月", 12: "腊月"}


def _lunar_year(month: int, period: tuple[date, date]) -> int:
    """The lunar year whose ``month`` falls inside (or nearest to) the period: its first day always exists."""
    first = festival_date(Festival("", lunar=(month, 1)), period)
    year: int = LunarDate.from_solar_date(first.year, first.month, first.day).year
    return year


def _lunar_month_days(year: int, month: int) -> int:
    """29 or 30: lunar months differ from year to year (2020's 正月 has 29 days)."""
    try:
        LunarDate(year, month, 30).to_solar_date()
    except ValueError:
        return 29
    return 30


def _solar_reason(year: int, month: int, day: int) -> str:
    """Why year/month/day is no date, in the words a resident reads: 「没有13月」, 「2020年2月只有29天」."""
    if not 1 <= month <= 12:
        return wording.NO_SUCH_MONTH.format(month=month)
    days = calendar.monthrange(year, month)[1]
    if month == 2:
        return wording.FEBRUARY_DAYS.format(year=year, days=days)
    return wording.MONTH_DAYS.format(month=month, days=days)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


class DateParser:
    """Finds every date expression in a question; built once per knowledge version."""

    def __init__(
        self,
        festivals: list[Festival],
        relative_words: list[str],
        period: tuple[date, date],
        period_words: Sequence[str] = (),
        words: Sequence[str] = (),
        same_day: Sequence[str] = (),
    ) -> None:
        """``words``: the knowledge's dictionary words; one that holds a festival's name in a longer
        name (春节联欢晚会) is that thing, not a date.  ``same_day``: words (当天, 那天) that, right
        after a season festival's name, ask for its day rather than its season."""
        self.period = period
        self.festivals = festivals
        self._names = sorted(  # lower-cased once: questions are matched lower-cased
            ((alias.lower(), f) for f in festivals for alias in (f.name, *f.aliases)),
            key=lambda p: len(p[0]),
            reverse=True,
        )
        self.relative_words = sorted(relative_words, key=len, reverse=True)
        self.period_words = sorted(period_words, key=len, reverse=True)
        self._period_words = [(word, word.lower()) for word in self.period_words]
        names = {alias for alias, _ in self._names} | {word.lower() for word in period_words}
        self._compounds = sorted(
            {
                word.lower()
                for word in words
                if word.lower() not in names and any(alias in word.lower() for alias in names)
            },
            key=len,
            reverse=True,
        )
        self._same_day = (
            re.compile(r"\s*的?\s*(?:" + "|".join(re.escape(w.lower()) for w in same_day) + ")")
            if same_day
            else None
        )

    def with_months(self, text: str) -> str | None:
        """「15号哪有写春联」 with no month said or shown before: the text with the bare day written as
        each day of that number the period holds (1月15日; 「5号」 is 1月5日 and 2月5日), or None."""
        match = BARE_DAY.search(text)
        if match is None or self.parse(text).ranges:
            return None
        said = match["day"] or match["nth"]
        number = arabic(said)
        if not number.isdigit():
            return None
        first, last = self.period
        days = []
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            day = _safe_date(year, month, int(number))
            if day is not None and first <= day <= last:
                days.append(f"{month}月{number}日")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return text[: match.start()] + "、".join(days) + text[match.end() :] if days else None

    def parse(self, text: str) -> DateQuery:
        """Every date in ``text``; ``DateQuery.rest`` is the text without them."""
        query = DateQuery()
        work = _CN_DATE.sub(lambda m: arabic(m.group(0)), text.lower())
        year_match = _YEAR.search(work)
        period = self.period
        if year_match:
            # 「2021年春节」: the festival of the year said, even outside what the knowledge covers.
            year = int(year_match["y"])
            period = (date(year, 1, 1), date(year, 12, 31))
        for word, lowered in self._period_words:
            if lowered in work:
                query.ranges.append(DateRange(*self.period, word, named=True))
                work = self._take(query, work, lowered)
        # 「春节联欢晚会」 is a show, not 春节: its words are set aside while dates are read.
        kept: dict[str, str] = {}
        for compound in self._compounds:
            if compound in work:
                mark = next((chr(c) for c in range(_PRIVATE_USE, 0xF8FF) if chr(c) not in work), None)
                if mark is None:  # a message of every private-use character: nothing left to mark with
                    break
                kept[mark] = compound
                work = work.replace(compound, mark)
        for alias, festival in self._names:
            at = work.find(alias)
            if at < 0:
                continue
            festival_day = festival_date(festival, period)
            shift = _SHIFT.match(work, at + len(alias))
            span = work[at : shift.end()] if shift else alias
            moved = _shifted(festival_day, shift["word"], self.period, span) if shift else None
            if moved is not None:  # 「元宵节前一天」, 「元宵节过后」: other days than the festival's
                query.ranges.append(moved)
            elif self._season(festival, festival_day, work, at + len(alias)):
                # 「春节有什么活动」, 「春节活动」: the festival's season, all the knowledge covers
                query.ranges.append(DateRange(*self.period, alias, named=True))
            else:  # 「元宵节」, 「元宵节期间」: the festival's day and its events
                self._festival(query, festival, festival_day)
            work = self._take(query, work, span)
        for mark, compound in kept.items():
            work = work.replace(mark, compound)
        matches = list(_LUNAR.finditer(work))
        paired: set[int] = set()
        ranges: list[str] = []
        for index, match in enumerate(matches):
            if index in paired:
                continue
            after = matches[index + 1] if index + 1 < len(matches) else None
            if after is not None and re.fullmatch(_RANGE_SEP, work[match.end() : after.start()]):
                # 「正月十五到正月三十」: one range; its end is at most the month's last day.
                paired.add(index + 1)
                label = work[match.start() : after.end()]
                first = self._lunar(match, period, query)
                last = self._lunar(after, period, query, clamp=True)
                if first and last:
                    start, end = sorted((first[1], last[1]))
                    query.ranges.append(DateRange(start, end, label))
                query.spans.append(label)
                ranges.append(label)
                continue
            day = self._lunar(match, period, query)
            shift = _SHIFT.match(work, match.end())
            moved = (
                _shifted(day[1], shift["word"], self.period, work[match.start() : shift.end()])
                if day and shift
                else None
            )
            if moved is not None:
                query.ranges.append(moved)
                query.spans.extend(
                    [work[match.start() : shift.end()], shift.group(0).strip()] if shift else []
                )
                continue
            if day is not None:
                lunar, solar = day
                # 「正月十五」 is 元宵节: name the festival of that day, so its events are found too.
                same_day = [f for f in self.festivals if f.lunar == lunar.lunar and not f.offset]
                self._festival(query, same_day[0] if same_day else lunar, solar)
            query.spans.append(match.group(0))
        for label in ranges:
            work = work.replace(label, " ")
        work = _LUNAR.sub(" ", work)
        for word in self.relative_words:
            if word.lower() in work:
                query.relative.append(word)
                work = work.replace(word.lower(), " ")
        self._solar(work, query)
        self._english(work, query)
        if year_match and not query.ranges:
            year = int(year_match["y"])
            query.ranges.append(DateRange(date(year, 1, 1), date(year, 12, 31), year_match.group(0)))
        if year_match:
            query.spans.append(year_match.group(0))
        for span in sorted(query.spans, key=len, reverse=True):
            work = work.replace(span, " ")
        query.rest = work
        unique = {(r.start, r.end): r for r in reversed(query.ranges)}  # 「1月5日和1月5日」 once
        query.ranges = [r for r in query.ranges if unique[(r.start, r.end)] is r]
        return query

    @staticmethod
    def _lunar(
        match: re.Match[str], period: tuple[date, date], query: DateQuery, clamp: bool = False
    ) -> tuple[Festival, date] | None:
        """The lunar day a match names and its solar date; a day the month lacks (2020's 正月 has
        29 days) is noted in ``query.invalid``, or with ``clamp`` (a range's end) is the month's last."""
        month = {"腊月": 12, "冬月": 11}.get(match["prefix"] or "", 1)
        try:
            day = _lunar_day(match["day"] or match["bare"])
            year = _lunar_year(month, period)
        except (ValueError, KeyError):
            return None
        days = _lunar_month_days(year, month)
        if day > days and clamp:
            day = days
        elif day > days:
            query.invalid.append(
                InvalidDate(
                    match.group(0),
                    wording.LUNAR_MONTH_DAYS.format(year=year, month=_LUNAR_MONTH_NAMES[month], days=days),
                )
            )
            return None
        lunar = Festival(match.group(0), lunar=(month, day))
        try:
            return lunar, festival_date(lunar, period)
        except ValueError:
            return None

    def _season(self, festival: Festival, day: date, work: str, end: int) -> bool:
        """Whether a festival's name at ``work[..end]`` means its season: a season festival of the
        covered period (「2021年春节」 is that year's day), not followed by 「当天」 or 「那天」."""
        if not festival.season or not self.period[0] <= day <= self.period[1]:
            return False
        return self._same_day is None or self._same_day.match(work, end) is None

    @staticmethod
    def _festival(query: DateQuery, festival: Festival, day: date) -> None:
        if festival.name in query.festivals:
            return
        query.ranges.append(DateRange(day, day, festival.name, named=True))
        query.festivals.append(festival.name)

    @staticmethod
    def _take(query: DateQuery, work: str, span: str) -> str:
        query.spans.append(span)
        return work.replace(span, " ")

    def _english(self, text: str, query: DateQuery) -> None:
        for match in _EN_DAY.finditer(text):
            month = _EN_MONTHS.index((match["mon"] or match["mon2"])[:3]) + 1
            day_n = int(match["d"] or match["d_first"])
            year = match["y"] or match["y2"]  # 「January 4, 2020」: the year said is the year
            day = _safe_date(int(year) if year else _year_for(month, day_n, self.period), month, day_n)
            if day:
                query.ranges.append(DateRange(day, day, match.group(0)))
                query.spans.append(match.group(0))

    def _solar(self, text: str, query: DateQuery) -> None:
        taken: list[tuple[int, int]] = []

        def add(match: re.Match[str], first: date | None, last: date | None = None) -> None:
            """Keep a date unless a longer expression already claimed its characters."""
            span = match.span()
            if first is None or not all(span[1] <= a or span[0] >= b for a, b in taken):
                return
            label = match.group(0).strip()
            query.ranges.append(DateRange(first, last or first, label))
            query.spans.append(label)
            taken.append(span)

        def invalid(match: re.Match[str], reason: str) -> None:
            """「2020-02-30」, 「13月」: said plainly; a digit before it means it is no date at all."""
            if match.start() and text[match.start() - 1].isdigit():
                return
            query.invalid.append(InvalidDate(match.group(0).strip(), reason))
            query.spans.append(match.group(0).strip())
            taken.append(match.span())

        for match in _ISO.finditer(text):
            year, month, day_n = int(match["y"]), int(match["m"]), int(match["d"])
            day = _safe_date(year, month, day_n)
            add(match, day) if day else invalid(match, _solar_reason(year, month, day_n))
        for match in _DAY.finditer(text):
            year = int(match["y"]) if match["y"] else _year_for(int(match["m"]), int(match["d"]), self.period)
            try:
                first, last = _day_range(match, year)
            except ValueError:
                if all(match.end() <= a or match.start() >= b for a, b in taken):
                    invalid(match, _range_reason(match, year))
                continue
            add(match, *sorted((first, last)))
        for match in _SLASH.finditer(text):
            month, day_n = int(match["m"]), int(match["d"])
            add(match, _safe_date(_year_for(month, day_n, self.period), month, day_n))
        for match in _MONTH.finditer(text):
            month = int(match["m"])
            if not 1 <= month <= 12:
                if all(match.end() <= a or match.start() >= b for a, b in taken):
                    invalid(match, wording.NO_SUCH_MONTH.format(month=month))
                continue
            year = int(match["y"]) if match["y"] else _year_for(month, 15, self.period)
            if not date.min.year <= year <= date.max.year:
                continue
            last_day = calendar.monthrange(year, month)[1]
            lo, hi = _MONTH_PARTS.get(match["part"] or "", (1, last_day))
            add(match, date(year, month, lo), date(year, month, min(hi, last_day)))


# A day said without its month (「15号哪有写春联」, 「那十七号呢」, "and on the 8th"); 「3号院」 is a house.
BARE_DAY = re.compile(
    rf"(?<![月\d{NUMERALS}])(?P<day>[{NUMERALS}\d]{{1,3}})\s*[日号](?![院楼栋线])|\b(?P<nth>\d{{1,2}})(?:st|nd|rd|th)\b"
)


# Words right after a festival's name that move the day asked about (「元宵节前一天」 is 2月7日,
# 「元宵节过后」 the days after it) or only widen the wording (「元宵节期间」 is the festival): grammar
# of Chinese date phrases, not knowledge.  Longest first, so 「前一天」 is not read as 「前」.
_DAY_SHIFTS = {
    "前一天": -1,
    "前1天": -1,
    "前一日": -1,
    "头一天": -1,
    "前夜": -1,
    "前一晚": -1,
    "后一天": 1,
    "后1天": 1,
    "后一日": 1,
    "第二天": 1,
    "次日": 1,
    "隔天": 1,
}
_SHIFT_WORDS = re.compile("|".join(map(re.escape, sorted(_DAY_SHIFTS, key=len, reverse=True))))


def day_shift(text: str) -> tuple[str, int] | None:
    """The first word of ``text`` that moves a day by whole days (「第二天」: +1, 「前一天」: -1), with its
    offset: said without a day of its own (「那第二天呢」), it moves the day just talked about."""
    match = _SHIFT_WORDS.search(text)
    return (match.group(0), _DAY_SHIFTS[match.group(0)]) if match else None


_BEFORE = ("之前", "以前", "前夕", "前几天", "前")
_AFTER = ("过后", "之后", "以后", "过完", "后几天", "后")
_AROUND = ("前后", "左右")
_WIDEN = ("期间", "那几天", "那阵", "的时候", "时候")
_SHIFT = re.compile(
    r"\s*的?\s*(?P<word>"
    + "|".join(
        map(re.escape, sorted([*_DAY_SHIFTS, *_BEFORE, *_AFTER, *_AROUND, *_WIDEN], key=len, reverse=True))
    )
    + ")"
)


def _shifted(day: date, word: str, period: tuple[date, date], label: str) -> DateRange | None:
    """The days a shift word after a festival means; None when it only widens the festival."""
    if word in _DAY_SHIFTS:
        moved = day + timedelta(days=_DAY_SHIFTS[word])
        return DateRange(moved, moved, label.strip())  # a plain day: it is not the festival's
    if word in _BEFORE and period[0] < day:
        return DateRange(min(period[0], day - timedelta(days=1)), day - timedelta(days=1), label.strip())
    if word in _AROUND:  # 「元宵前后」: the days either side too, whether or not a row names the festival
        return DateRange(day - timedelta(days=AROUND_DAYS), day + timedelta(days=AROUND_DAYS), label.strip())
    if word in _AFTER and day < period[1]:
        return DateRange(day + timedelta(days=1), max(period[1], day + timedelta(days=1)), label.strip())
    return None


_MONTH_PARTS = {
    "上旬": (1, 10),
    "初": (1, 10),
    "中旬": (11, 20),
    "中": (11, 20),
    "下旬": (21, 31),
    "底": (21, 31),
}


def _range_reason(match: re.Match[str], year: int) -> str:
    """Which end of a 「1月16日-2月30日」 match is no date, and why."""
    month, day = int(match["m"]), int(match["d"])
    if _safe_date(year, month, day) is None or not match["d2"]:
        return _solar_reason(year, month, day)
    month2 = int(match["m2"]) if match["m2"] else month
    year2 = int(match["y2"]) if match["y2"] else (year if month2 >= month else year + 1)
    return _solar_reason(year2, month2, int(match["d2"]))


def _day_range(match: re.Match[str], year: int) -> tuple[date, date]:
    """The first and last day of a 「1月16日-21日」 match; a range into the next month or year works."""
    month = int(match["m"])
    first = date(year, month, int(match["d"]))
    if not match["d2"]:
        return first, first
    month2 = int(match["m2"]) if match["m2"] else month
    year2 = int(match["y2"]) if match["y2"] else (year if month2 >= month else year + 1)
    return first, date(year2, month2, int(match["d2"]))


def parse_table_date(text: str) -> tuple[date, date]:
    """「2020年1月16日-21日」 → (2020-01-16, 2020-01-21); the year must be written."""
    match = _DAY.fullmatch(text.strip())
    if not match or not match["y"]:
        raise ValueError(
            f"cannot read the date {text!r}: write it with its year, as 2020年1月15日 or 2020年1月16日-21日"
        )
    first, last = _day_range(match, int(match["y"]))
    if last < first:
        raise ValueError(f"the date range {text!r} ends before it starts")
    return first, last
