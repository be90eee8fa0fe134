"""Every record of ``knowledge/`` and ``intents/``, declared once as a frozen dataclass.

A record is both the file format ``run_bot.py check`` enforces and the object the engine reads,
so a field added here is accepted in YAML, checked, and available to the engine with no second
list to keep in step. Messages raised here are written for admins; :mod:`bot.data.schema` puts
the file, line and way to the value (``events[3].start``) in front of them.

The records are stdlib dataclasses, not pydantic models: every start from the snapshot cache
(bot/engine/snapshot.py) builds records it validated before, and importing pydantic and building
model classes for that cost ~80 ms. pydantic validates them only when files are checked, through
``pydantic.TypeAdapter`` in bot.data.schema: the constraints below are ``Annotated`` metadata that
speak pydantic's ``__get_pydantic_core_schema__`` protocol and import pydantic_core only when a
schema is built, and ``__pydantic_config__`` is read from the class as pydantic reads it from a model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, ClassVar, Literal, NoReturn

ADMIN_ERROR = "admin"  # the error type of the messages below: schema.py shows them as they are
TYPE_ERROR = "wrong_type"  # a value of the wrong type where pydantic's own type error would mislead

Handler = Callable[[Any], Any]  # pydantic's GetCoreSchemaHandler: the schema of the annotated type


def fail(message: str) -> NoReturn:
    """Stop validation with a message an admin can act on."""
    from pydantic_core import PydanticCustomError

    raise PydanticCustomError(ADMIN_ERROR, "{message}", {"message": message})


class Limits:
    """Constraints of pydantic-core's schema for the annotated type (``min_length``, ``strict``,
    ``ge``, ``le``), as ``Field(...)`` would set them, so errors keep pydantic's types and context."""

    def __init__(self, **limits: object) -> None:
        self.limits = limits

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Any:
        return {**handler(source), **self.limits}


class Before:
    """``BeforeValidator``: ``check`` reads the raw value and returns what the type then validates."""

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.check, handler(source))


class After:
    """``AfterValidator``: ``check`` reads the validated value and returns it (or fails)."""

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))


class AfterFields:
    """A field validator that also reads the fields declared before it (those valid so far), as a
    ``field_validator`` reads ``info.data``: the error stays at the field, next to other fields' errors."""

    def __init__(self, check: Callable[[Any, dict[str, Any]], Any]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Any:
        from pydantic_core import core_schema

        check = self.check
        return core_schema.with_info_after_validator_function(
            lambda value, info: check(value, info.data), handler(source)
        )


def _source_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
        fail(f"{value!r} is not a valid id; use letters, digits, '-', '_' and '.'")
    return value


def _intent_name(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
        fail(f"{value!r} is not a valid name; use lowercase letters, digits and _")
    return value


def _iso_day(value: Any) -> date:
    """``YYYY-MM-DD`` text that is a day of the calendar; YAML dates stay text (see yamlio)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        from pydantic_core import PydanticCustomError

        raise PydanticCustomError(TYPE_ERROR, "expected {wanted}", {"wanted": "a date (YYYY-MM-DD)"})
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        fail(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2020-01-15")
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{value!r} is not a real date; check the month and day (YYYY-MM-DD)")


def _iso_text(value: str) -> str:
    _iso_day(value)
    return value


def _not_before_start(end: date, earlier: dict[str, Any]) -> date:
    start = earlier.get("start")
    if isinstance(start, date) and end < start:
        fail(f"the event ends ({end}) before it starts ({start}); swap or correct the dates")
    return end


def _solar_day_exists(day: int, earlier: dict[str, Any]) -> int:
    month = earlier.get("month")
    if isinstance(month, int):
        try:
            date(2020, month, day)  # a leap year: 2月29日 exists
        except ValueError:
            fail(f"month {month} has no day {day}; correct the day")
    return day


def _lunar_day_exists(day: int, earlier: dict[str, Any]) -> int:
    if day > 30:
        fail(f"month {earlier.get('month')} has no day {day}; correct the day")
    return day


def _pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        fail(f"not a regular expression ({exc})")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        fail("this paragraph has no text; write its text or delete the paragraph")
    return value


Text = Annotated[str, Limits(min_length=1)]
Words = tuple[Text, ...]
Day = Annotated[date, Before(_iso_day)]
SourceId = Annotated[str, After(_source_id)]
IntentName = Annotated[str, After(_intent_name)]
Whole = Annotated[int, Limits(strict=True)]  # YAML numbers only: not "5", 5.0 or an unquoted yes
Count = Annotated[int, Limits(strict=True, ge=1)]
DayOfMonth = Annotated[int, Limits(strict=True, ge=1, le=31)]


@dataclass(frozen=True, kw_only=True)
class Record:
    """Immutable, and strict about keys: a misspelt key is a mistake, not silently ignored."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}  # pydantic's ConfigDict


# -- sources/*.yaml ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Source(Record):
    """One newspaper article or table: what a citation names."""

    id: SourceId
    title: Text
    district: str
    kind: Literal["article", "table"]
    subtitle: str = ""
    newspaper_section: str = ""
    date: Annotated[str, After(_iso_text)] = ""
    period: str = ""
    byline: str = ""

    @property
    def full_title(self) -> str:
        return f"{self.title}——{self.subtitle}" if self.subtitle else self.title


@dataclass(frozen=True, kw_only=True)
class PassageText(Record):
    """A paragraph as written in a source file."""

    id: Text
    text: Annotated[Text, After(_not_blank)]


@dataclass(frozen=True, kw_only=True)
class Section(Record):
    heading: str = ""
    passages: Annotated[tuple[PassageText, ...], Limits(min_length=1)]


@dataclass(frozen=True, kw_only=True)
class SourceFile(Source):
    """A whole ``sources/<id>.yaml``: the source, its paragraphs, and notes for admins only."""

    seed: str = ""
    notes: Words = ()
    sections: tuple[Section, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Passage(PassageText):
    """One paragraph of an article, with the section it sits in (built by load_knowledge)."""

    source: str
    section: str
    order: int
    sentences: tuple[str, ...]


# -- events/*.yaml, services.yaml --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Event(Record):
    """One row of an event table."""

    number: Count
    start: Day
    end: Annotated[Day, AfterFields(_not_before_start)]
    place: Text
    content: Text
    organiser: str
    district: str = ""  # empty: the source's district, filled in by load_knowledge
    source: Text

    @property
    def text(self) -> str:
        return f"{self.content} {self.place} {self.organiser}"


@dataclass(frozen=True, kw_only=True)
class Service(Record):
    """A service residents can use, quoting its passage word for word."""

    id: Text
    name: Text
    offers: Text
    provider: Text
    how: str
    district: Text
    source: Text
    passage: Text
    quote: Text
    keywords: Words = ()
    asks: Words = ()  # how residents ask for it (「俺爹一个人在家没人管」), indexed with it


@dataclass(frozen=True, kw_only=True)
class EventsFile(Record):
    events: tuple[Event, ...]


@dataclass(frozen=True, kw_only=True)
class ServicesFile(Record):
    services: tuple[Service, ...]


# -- lexicon/ ------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MonthDay(Record):
    month: Annotated[int, Limits(strict=True, ge=1, le=12)]
    day: DayOfMonth


@dataclass(frozen=True, kw_only=True)
class SolarDay(MonthDay):
    day: Annotated[DayOfMonth, AfterFields(_solar_day_exists)]


@dataclass(frozen=True, kw_only=True)
class LunarDay(MonthDay):
    day: Annotated[DayOfMonth, AfterFields(_lunar_day_exists)]


@dataclass(frozen=True, kw_only=True)
class FestivalDay(Record):
    """A named day: lunar or solar, plus an offset in days (除夕 = the day before 春节)."""

    name: Text
    aliases: Words = ()
    lunar: LunarDay | None = None
    solar: SolarDay | None = None
    offset: Whole = 0
    # the name alone means the festival's season (春节 → 春节期间): see dates.Festival
    season: Annotated[bool, Limits(strict=True)] = False

    def __post_init__(self) -> None:
        """A model-level check: pydantic calls it after the fields validated, at the record's place."""
        if (self.lunar is None) == (self.solar is None):
            fail("a festival needs exactly one of `lunar:` or `solar:`")


@dataclass(frozen=True, kw_only=True)
class FestivalsFile(Record):
    festivals: tuple[FestivalDay, ...]
    relative: Words = ()  # 「最近」, 「这几天」: the whole period
    periods: Words = ()  # 「春节期间」: the whole period, named


@dataclass(frozen=True, kw_only=True)
class SynonymsFile(Record):
    synonyms: dict[str, Annotated[Words, Limits(min_length=1)]]
    # A broader word residents say and the narrower words of the event table it covers: 「晚会」 is
    # also a 春晚; unlike a synonym, 「春晚」 still means the 春晚 only.
    kinds: dict[str, Annotated[Words, Limits(min_length=1)]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class StopwordsFile(Record):
    stopwords: Words


@dataclass(frozen=True, kw_only=True)
class Attribute(Record):
    """A kind of value residents ask for (电话, 费用, 开始时间): its question words and how it looks."""

    asks: Words
    value: Annotated[Text, After(_pattern)]


@dataclass(frozen=True, kw_only=True)
class ColloquialFile(Record):
    """knowledge/lexicon/colloquial.yaml (optional): how residents type, folded before searching."""

    dialect: dict[str, Text] = field(default_factory=dict)
    particles: dict[str, Text] = field(default_factory=dict)  # at a clause's end: 「那十七号嘞」 → 呢
    fillers: Words = ()
    endings: Words = ()
    same_day: Words = ()
    narrow: Words = ()
    that_one: Words = ()
    same_place: Words = ()  # 「那个社区」, 「他们」: the community of the one event just shown
    besides: Words = ()  # 「还」, 「别的」: beside what was just shown
    go_on: Words = ()  # 「后来呢」: what the article says next
    row_asks: Words = ()  # 哪, 谁, 几号: what every row of the table says (its place, organiser, day)
    other_years: Words = ()
    people: Words = ()  # counted without a measure word (「多少居民」): a count of people
    situation: Words = ()  # characters of a word that says how things are (睡不着, 太穷), not what
    degree: Words = ()  # how much or how often (老是, 有点): said inside a need phrase (「心情老是不好」)
    day_parts: Words = ()  # 晚上, 上午: a time of the day, which the event table (days only) cannot filter by
    attributes: dict[str, Attribute] = field(default_factory=dict)
    askers: Words = ()  # who asks or is addressed (我妈, 闺女, 你): with `asking`, no topic
    asking: Words = ()  # asking and telling (问问, 打听, 说说)
    linking: Words = ()  # the little words between them (让, 替, 个, 事儿)


@dataclass(frozen=True, kw_only=True)
class NeedsFile(Record):
    """knowledge/lexicon/needs.yaml (optional): the everyday words of a life problem and the words
    the articles and services use for it (「工钱」 → 欠薪 工资); word-level, so it serves questions
    nobody has asked yet, which whole-sentence `asks:` cannot."""

    needs: dict[Text, tuple[Annotated[str, Limits(min_length=2)], ...]]


@dataclass(frozen=True, kw_only=True)
class ElsewhereFile(Record):
    """knowledge/lexicon/elsewhere.yaml (optional): public-service topics residents ask about that the
    district papers do not cover (公积金, 驾照, 地铁, other cities).  A question naming one is out of
    scope unless an answer itself speaks of it: an unknown topic must not be answered from stray words."""

    topics: Words = ()
    places: Words = ()  # other cities and districts: the event table is of its own district only


@dataclass(frozen=True, kw_only=True)
class GlossaryFile(Record):
    """knowledge/lexicon/glossary.yaml (optional): English key terms and the Chinese the knowledge uses."""

    glossary: dict[str, Text]


# -- intents/*.yaml ------------------------------------------------------------------------------------

SlotType = Literal["date", "activity", "place", "district", "organiser"]
IntentKind = Literal["events", "passages", "services", "chitchat", "fallback", "paging"]


@dataclass(frozen=True, kw_only=True)
class Intent(Record):
    """A kind of question, with the words that pick it and its fixed replies."""

    name: IntentName
    kind: IntentKind
    description: str = ""
    examples: Words = ()
    keywords: Words = ()
    patterns: Words = ()
    max_length: Count | None = None
    slots: tuple[SlotType, ...] = ()
    replies: Words = ()
    answer_cues: dict[str, Words] = field(default_factory=dict)
    exact_words: Words = ()
    # Small talk said around a question (thanks, a greeting): a date, an attribute or a question word
    # beside it still asks.  Small talk about the bot itself (「你是机器人吗」) asks nothing more.
    courtesy: bool = False

    def mentioned_in(self, text: str) -> bool:
        lowered = text.lower()
        return any(k.lower() in lowered for k in self.keywords)


@dataclass(frozen=True, kw_only=True)
class IntentsFile(Record):
    intents: Annotated[tuple[Intent, ...], Limits(min_length=1)]
