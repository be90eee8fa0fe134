"""What valid knowledge and intent files look like, and the checks that tie them together.

The record shapes are JSON Schemas checked by ``jsonschema``; what a schema cannot say
(unique ids across files, references between records, quotes that must really be in the
cited passage, date order) is checked here.  Every problem carries file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from bot.data.files import RefusedFile, read_bytes_safely, safe_files
from bot.data.limits import check_source_limits
from bot.data.yamlio import MAX_FILE_BYTES, LineDict, LineList, Problem, YamlError, line_of, load_yaml

_TEXT = {"type": "string", "minLength": 1}
_ISO_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_WORDS = {"type": "array", "items": _TEXT}

SOURCE = {
    "type": "object",
    "required": ["id", "title", "district", "kind"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
        "title": _TEXT,
        "subtitle": {"type": "string"},
        "district": {"type": "string"},
        "kind": {"enum": ["article", "table"]},
        "newspaper_section": {"type": "string"},
        "date": _ISO_DATE,
        "period": {"type": "string"},
        "byline": {"type": "string"},
        "seed": {"type": "string"},
        "notes": _WORDS,
        "sections": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["passages"],
                "additionalProperties": False,
                "properties": {
                    "heading": {"type": "string"},
                    "passages": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["id", "text"],
                            "additionalProperties": False,
                            "properties": {"id": _TEXT, "text": _TEXT},
                        },
                    },
                },
            },
        },
    },
}

EVENTS = {
    "type": "object",
    "required": ["events"],
    "additionalProperties": False,
    "properties": {
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["number", "start", "end", "place", "content", "organiser", "source"],
                "additionalProperties": False,
                "properties": {
                    "number": {"type": "integer", "minimum": 1},
                    "start": _ISO_DATE,
                    "end": _ISO_DATE,
                    "place": _TEXT,
                    "content": _TEXT,
                    "organiser": {"type": "string"},
                    "district": {"type": "string"},
                    "source": _TEXT,
                },
            },
        }
    },
}

SERVICES = {
    "type": "object",
    "required": ["services"],
    "additionalProperties": False,
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "name",
                    "offers",
                    "provider",
                    "how",
                    "district",
                    "source",
                    "passage",
                    "quote",
                ],
                "additionalProperties": False,
                "properties": {
                    "id": _TEXT,
                    "name": _TEXT,
                    "offers": _TEXT,
                    "provider": _TEXT,
                    "how": {"type": "string"},
                    "district": _TEXT,
                    "source": _TEXT,
                    "passage": _TEXT,
                    "quote": _TEXT,
                    "keywords": _WORDS,
                },
            },
        }
    },
}

SYNONYMS = {
    "type": "object",
    "required": ["synonyms"],
    "additionalProperties": False,
    "properties": {
        "synonyms": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": _TEXT, "minItems": 1},
        }
    },
}

STOPWORDS = {
    "type": "object",
    "required": ["stopwords"],
    "additionalProperties": False,
    "properties": {"stopwords": _WORDS},
}

_MONTH_DAY = {
    "type": "object",
    "required": ["month", "day"],
    "additionalProperties": False,
    "properties": {
        "month": {"type": "integer", "minimum": 1, "maximum": 12},
        "day": {"type": "integer", "minimum": 1, "maximum": 31},
    },
}

FESTIVALS = {
    "type": "object",
    "required": ["festivals"],
    "additionalProperties": False,
    "properties": {
        "festivals": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": _TEXT,
                    "aliases": _WORDS,
                    "lunar": _MONTH_DAY,
                    "solar": _MONTH_DAY,
                    "offset": {"type": "integer"},
                },
                "oneOf": [{"required": ["lunar"]}, {"required": ["solar"]}],
            },
        },
        "relative": _WORDS,
        "periods": _WORDS,
    },
}

SLOT_TYPES = ("date", "activity", "place", "district", "organiser")
INTENT = {
    "type": "object",
    "required": ["name", "kind"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
        "kind": {"enum": ["events", "passages", "services", "chitchat", "fallback", "paging"]},
        "description": {"type": "string"},
        "examples": _WORDS,
        "keywords": _WORDS,
        "patterns": _WORDS,
        "max_length": {"type": "integer", "minimum": 1},
        "slots": {"type": "array", "items": {"enum": list(SLOT_TYPES)}},
        "replies": _WORDS,
        "answer_cues": {"type": "object", "additionalProperties": _WORDS},
        "exact_words": _WORDS,
    },
}
INTENTS_FILE = {
    "type": "object",
    "required": ["intents"],
    "additionalProperties": False,
    "properties": {"intents": {"type": "array", "items": INTENT, "minItems": 1}},
}

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "a mapping (`key: value` lines)",
    "boolean": "true or false",
}
_SLOTS_PATH = ("intents", int, "slots", int)

KeyPath = tuple[Any, ...]


def _where(path: KeyPath) -> str:
    """``events[3].start``: the way to the value, as an admin reads it."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return (
            f"{str(value).lower()} (an unquoted yes/no/on/off is read as true/false; put the word in quotes)"
        )
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _matches(path: KeyPath, shape: tuple[Any, ...]) -> bool:
    return len(path) == len(shape) and all(
        (isinstance(p, int) and not isinstance(p, bool)) if s is int else p == s
        for p, s in zip(path, shape, strict=True)
    )


def _explain(error: ValidationError, data: Any, name: str) -> list[Problem]:
    """Turn one jsonschema error into problems at the line of the offending key."""
    path: KeyPath = tuple(error.absolute_path)
    where = f"{_where(path)}: " if path else ""
    line = line_of(data, path)
    value = error.instance
    kind = str(error.validator)
    if kind == "additionalProperties" and isinstance(value, LineDict):
        allowed = ", ".join(error.schema.get("properties", {}))
        return [
            Problem(
                name,
                value.key_lines.get(key, line),
                f"{where}unknown field `{key}:`; remove it or check its spelling (allowed: {allowed})",
            )
            for key in value
            if isinstance(key, str) and key not in error.schema.get("properties", {})
        ]
    if kind == "required" and isinstance(value, dict):
        missing = [f"`{key}:`" for key in error.validator_value if key not in value]
        are, them = ("is", "it") if len(missing) == 1 else ("are", "them")
        at = where or "", "" if path else " at the top of the file"
        return [Problem(name, line, f"{at[0]}{', '.join(missing)} {are} missing{at[1]}; add {them}")]
    if kind == "type":
        wanted = " or ".join(
            _TYPE_WORDS.get(t, t)
            for t in (
                [error.validator_value] if isinstance(error.validator_value, str) else error.validator_value
            )
        )
        if not path:
            keys = ", ".join(f"`{k}:`" for k in error.schema.get("required", []))
            message = f"the file must be a mapping with {keys} at the top, but it holds {_describe(value)}"
        elif value is None:
            message = f"{where}is empty; write {wanted}"
        else:
            message = f"{where}expected {wanted}, found {_describe(value)}"
        return [Problem(name, line, message)]
    if kind == "pattern":
        pattern = str(error.validator_value)
        if "\\d{4}" in pattern:
            message = f"{where}{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2020-01-15"
        elif pattern.startswith("^[a-z]"):
            message = f"{where}{value!r} is not a valid name; use lowercase letters, digits and _"
        else:
            message = f"{where}{value!r} is not a valid id; use letters, digits, '-', '_' and '.'"
        return [Problem(name, line, message)]
    if kind == "enum":
        choices = ", ".join(map(str, error.validator_value))
        if _matches(path, _SLOTS_PATH):
            return [Problem(name, line, f"{where}unknown slot type {value!r}; slot types are {choices}")]
        return [Problem(name, line, f"{where}{_describe(value)} is not allowed; use one of: {choices}")]
    if kind == "minItems":
        if len(path) == 2 and path[0] == "synonyms":
            return [
                Problem(
                    name,
                    line,
                    f"{where}the synonym list is empty; list the other ways residents say "
                    f"{path[1]!r}, or remove the line",
                )
            ]
        return [Problem(name, line, f"{where}the list is empty; give at least one entry")]
    if kind == "minLength":
        return [Problem(name, line, f"{where}is empty; write the text")]
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return [
            Problem(
                name, line, f"{where}{value!r} is out of range; it must be {bound} {error.validator_value}"
            )
        ]
    if kind == "oneOf":
        return [Problem(name, line, f"{where}a festival needs exactly one of `lunar:` or `solar:`")]
    return [Problem(name, line, f"{where}{error.message}; correct it")]


def _key_problems(data: Any, name: str) -> list[Problem]:
    """Keys must be text; YAML turns unquoted yes/no/on/off and digits into other things."""
    problems: list[Problem] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, LineDict):
            for key, value in node.items():
                if not isinstance(key, str):
                    problems.append(
                        Problem(
                            name,
                            node.key_lines.get(key, node.line),
                            f"the key {_describe(key)} is not text; put it in quotes",
                        )
                    )
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return problems


def _schema_problems(data: Any, schema: dict, name: str) -> list[tuple[KeyPath, Problem]]:
    """Every shape problem of one file, with the path of the record it is in."""
    found = [((), p) for p in _key_problems(data, name)]
    for error in Draft202012Validator(schema).iter_errors(data):
        found.extend((tuple(error.absolute_path), p) for p in _explain(error, data, name))
    return found


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: (p.path, p.line, p.message))


def _load(path: Path, problems: list[Problem], root: Path) -> Any:
    """The file's data, or None after recording why it cannot be used."""
    try:
        data = load_yaml(path, root=root)
    except YamlError as exc:
        problems.append(exc.problem)
        return None
    if data is None:
        problems.append(
            Problem(str(path), 1, "the file is empty; write its records (see docs/admin.md) or delete it")
        )
    return data


def _listed(folder: Path, pattern: str, root: Path, problems: list[Problem]) -> list[Path]:
    """The files that may be read (bot/data/files.py); each refused one is a problem that quotes nothing."""
    files, refused = safe_files(folder, pattern, root)
    problems.extend(Problem(str(exc.path), 1, exc.reason) for exc in refused)
    return files


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _records(data: Any, key: str) -> Iterable[tuple[int, dict]]:
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _bad(found: list[tuple[KeyPath, Problem]], prefix: KeyPath) -> bool:
    """Did the schema already complain inside the record at ``prefix`` (or about the file)?"""
    return any(path[: len(prefix)] == prefix or not path for path, _ in found)


def _real_date(data: Any, path: KeyPath, value: Any, name: str, problems: list[Problem]) -> date | None:
    """A YYYY-MM-DD text that is also a day of the calendar (not 2020-02-30)."""
    if not isinstance(value, str) or not _DATE_SHAPE.match(value):
        return None  # the schema reports the shape
    day = _iso(value)
    if day is None:
        problems.append(
            Problem(
                name,
                line_of(data, path),
                f"{_where(path)}: {value!r} is not a real date; check the month and day (YYYY-MM-DD)",
            )
        )
    return day


_DATE_SHAPE = re.compile(_ISO_DATE["pattern"])


class _Ids:
    """Where each id was first defined, so a duplicate can point at the original."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.first: dict[Any, tuple[str, int]] = {}

    def claim(
        self, key: Any, name: str, line: int, problems: list[Problem], fix: str, where: KeyPath = ()
    ) -> bool:
        if key in self.first:
            path, first_line = self.first[key]
            at = f"{_where(where)}: " if where else ""
            problems.append(
                Problem(name, line, f"{at}{self.what} {key!r} is already used at {path}:{first_line}; {fix}")
            )
            return False
        self.first[key] = (name, line)
        return True


def _check_sources(root: Path, problems: list[Problem], out: dict, state: dict) -> None:
    source_ids = _Ids("source id")
    passage_ids = _Ids("passage id")
    files = _listed(root / "sources", "*.yaml", root, problems)
    if not files:
        problems.append(Problem(str(root / "sources"), 1, "no source files; add at least one sources/*.yaml"))
    for path in files:
        name = str(path)
        data = _load(path, problems, root)
        source_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(source_id, str):
            # Unreadable: its id is unknown, so citations of the file's usual id (the file
            # name) are not reported as missing as well; one mistake, one message.
            state["broken_sources"].add(path.stem)
        if data is None:
            continue
        found = _schema_problems(data, SOURCE, name)
        problems.extend(p for _, p in found)
        too_costly = check_source_limits(data, name)  # bot/data/limits.py: what one file may cost
        problems.extend(too_costly)
        unique = isinstance(source_id, str) and source_ids.claim(
            source_id, name, line_of(data, ["id"]), problems, "give this source its own id", ("id",)
        )
        if isinstance(source_id, str):
            state["sources"].add(source_id)
            if found:
                state["broken_sources"].add(source_id)
        if isinstance(data, dict) and "date" in data:
            _real_date(data, ("date",), data["date"], name, problems)
        for s_index, section in _records(data, "sections"):
            for p_index, passage in _records(section, "passages"):
                passage_id, text = passage.get("id"), passage.get("text")
                if not isinstance(passage_id, str):
                    continue
                where = ("sections", s_index, "passages", p_index, "id")
                fix = "give it its own id (e.g. the next number)"
                if passage_ids.claim(passage_id, name, line_of(data, where), problems, fix, where):
                    state["passages"][passage_id] = (source_id, text if isinstance(text, str) else "")
        if unique and not found and not too_costly:
            out["sources"].append(data)


def _check_events(root: Path, problems: list[Problem], out: dict, state: dict) -> None:
    numbers = _Ids("event number")
    known = state["sources"] | state["broken_sources"]
    for path in _listed(root / "events", "*.yaml", root, problems):
        name = str(path)
        data = _load(path, problems, root)
        if data is None:
            continue
        found = _schema_problems(data, EVENTS, name)
        problems.extend(p for _, p in found)
        for index, event in _records(data, "events"):
            here = ("events", index)
            before = len(problems)
            start = _real_date(data, (*here, "start"), event.get("start"), name, problems)
            end = _real_date(data, (*here, "end"), event.get("end"), name, problems)
            if start and end and end < start:
                problems.append(
                    Problem(
                        name,
                        line_of(data, [*here, "end"]),
                        f"{_where((*here, 'end'))}: the event ends ({end}) before it starts "
                        f"({start}); swap or correct the dates",
                    )
                )
            number = event.get("number")
            if isinstance(number, int) and not isinstance(number, bool):
                numbers.claim(
                    number,
                    name,
                    line_of(data, [*here, "number"]),
                    problems,
                    "numbers must be unique; use the next free number",
                    (*here, "number"),
                )
            source = event.get("source")
            if isinstance(source, str) and source and source not in known:
                problems.append(_missing_source(name, data, here, source))
            if len(problems) == before and not _bad(found, here):
                out["events"].append(event)


def _missing_source(name: str, data: Any, here: tuple, source: str) -> Problem:
    return Problem(
        name,
        line_of(data, [*here, "source"]),
        f"{_where((*here, 'source'))}: source {source!r} does not exist; use the `id:` of a file in sources/",
    )


def _check_services(root: Path, problems: list[Problem], out: dict, state: dict) -> None:
    path = root / "services.yaml"
    if not path.exists():
        return
    name = str(path)
    data = _load(path, problems, root)
    if data is None:
        return
    found = _schema_problems(data, SERVICES, name)
    problems.extend(p for _, p in found)
    ids = _Ids("service id")
    known = state["sources"] | state["broken_sources"]
    for index, service in _records(data, "services"):
        here = ("services", index)
        before = len(problems)
        if isinstance(service.get("id"), str):
            ids.claim(
                service["id"],
                name,
                line_of(data, [*here, "id"]),
                problems,
                "give it its own id",
                (*here, "id"),
            )
        source, passage, quote = service.get("source"), service.get("passage"), service.get("quote")
        if isinstance(source, str) and source and source not in known:
            problems.append(_missing_source(name, data, here, source))
        elif isinstance(passage, str) and passage and passage not in state["passages"]:
            if source not in state["broken_sources"]:
                problems.append(
                    Problem(
                        name,
                        line_of(data, [*here, "passage"]),
                        f"{_where((*here, 'passage'))}: passage {passage!r} does not exist; cite "
                        "a passage `id:` from sources/",
                    )
                )
        elif isinstance(passage, str) and passage:
            owner, text = state["passages"][passage]
            if isinstance(source, str) and owner != source:
                problems.append(
                    Problem(
                        name,
                        line_of(data, [*here, "passage"]),
                        f"{_where((*here, 'passage'))}: passage {passage!r} is in source "
                        f"{owner!r}, not {source!r}; correct `source:` or `passage:`",
                    )
                )
            elif isinstance(quote, str) and quote and quote not in text:
                problems.append(
                    Problem(
                        name,
                        line_of(data, [*here, "quote"]),
                        f"{_where((*here, 'quote'))}: the quote is not word for word in passage "
                        f"{passage!r}; copy it from there",
                    )
                )
        if len(problems) == before and not _bad(found, here):
            out["services"].append(service)


def _check_festival_days(data: Any, name: str, problems: list[Problem]) -> None:
    """A solar day must exist (in a leap year); a lunar month has at most 30 days."""
    for index, festival in _records(data, "festivals"):
        for calendar, last in (("solar", None), ("lunar", 30)):
            day = festival.get(calendar)
            if not isinstance(day, dict):
                continue
            month, number = day.get("month"), day.get("day")
            if not (
                isinstance(month, int) and isinstance(number, int) and 1 <= month <= 12 and 1 <= number <= 31
            ):
                continue
            try:
                ok = number <= last if last else bool(date(2020, month, number))
            except ValueError:
                ok = False
            if not ok:
                path = ("festivals", index, calendar, "day")
                problems.append(
                    Problem(
                        name,
                        line_of(data, path),
                        f"{_where(path)}: month {month} has no day {number}; correct the day",
                    )
                )


def _check_synonyms(data: Any, name: str, problems: list[Problem]) -> None:
    """A variant listed under two words would silently mean only the last one."""
    synonyms = data.get("synonyms") if isinstance(data, dict) else None
    if not isinstance(synonyms, LineDict):
        return
    owner: dict[str, str] = {}
    for word, variants in synonyms.items():
        if not isinstance(variants, LineList):
            continue
        for index, variant in enumerate(variants):
            if not isinstance(variant, str) or not isinstance(word, str):
                continue
            key = variant.strip().lower()
            if key in owner and owner[key] != word:
                problems.append(
                    Problem(
                        name,
                        variants.item_lines[index],
                        f"synonyms.{word}: {variant!r} is already a synonym of {owner[key]!r}; "
                        "keep it under one word",
                    )
                )
            owner.setdefault(key, word)


def _check_userdict(path: Path, problems: list[Problem], root: Path) -> None:
    try:
        raw = read_bytes_safely(path, root, MAX_FILE_BYTES)
        if len(raw) > MAX_FILE_BYTES:
            problems.append(
                Problem(str(path), 1, f"the file is larger than {MAX_FILE_BYTES} bytes; split it")
            )
            return
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(str(path), raw.count(b"\n", 0, exc.start) + 1, "not UTF-8 text; save the file as UTF-8")
        )
        return
    except RefusedFile as exc:
        problems.append(Problem(str(path), 1, exc.reason))
        return
    except OSError as exc:
        problems.append(Problem(str(path), 1, f"cannot read the file: {exc.strerror or exc}"))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split("#", 1)[0].split()
        if len(parts) > 3 or (len(parts) == 3 and not parts[1].isdigit()):
            problems.append(
                Problem(
                    str(path),
                    number,
                    "write `word [frequency] [tag]` with one word and no spaces in it, e.g. 写春联 20 v",
                )
            )


def check_knowledge(root: Path) -> tuple[dict, list[Problem]]:
    """Load and check every knowledge file; return the raw data and all problems found."""
    problems: list[Problem] = []
    out: dict = {
        "sources": [],
        "events": [],
        "services": [],
        "synonyms": {},
        "stopwords": [],
        "festivals": [],
        "relative": [],
        "periods": [],
    }
    if not root.is_dir():
        return out, [
            Problem(str(root), 1, "no such knowledge folder; give --knowledge the folder with sources/")
        ]
    state: dict = {"sources": set(), "broken_sources": set(), "passages": {}}
    _check_sources(root, problems, out, state)
    _check_events(root, problems, out, state)
    _check_services(root, problems, out, state)

    lexicon = root / "lexicon"
    for file_name, schema, key in (
        ("synonyms.yaml", SYNONYMS, "synonyms"),
        ("stopwords.yaml", STOPWORDS, "stopwords"),
        ("festivals.yaml", FESTIVALS, "festivals"),
    ):
        path = lexicon / file_name
        if not path.exists():
            problems.append(Problem(str(path), 1, "the file is missing; restore it from git"))
            continue
        data = _load(path, problems, root)
        if data is None:
            continue
        found = _schema_problems(data, schema, str(path))
        problems.extend(p for _, p in found)
        before = len(problems)
        if key == "festivals":
            _check_festival_days(data, str(path), problems)
        if key == "synonyms":
            _check_synonyms(data, str(path), problems)
        if not found and len(problems) == before:
            out[key] = data[key]
            if key == "festivals":
                out["relative"] = data.get("relative", [])
                out["periods"] = data.get("periods", [])
    userdict = lexicon / "userdict.txt"
    if userdict.exists():
        _check_userdict(userdict, problems, root)
    return out, _sorted(problems)


_NEEDED_KINDS = ("events", "passages", "fallback")


def check_intents(root: Path) -> tuple[list[dict], list[Problem]]:
    """Load and check every intents/*.yaml file."""
    problems: list[Problem] = []
    intents: list[dict] = []
    names = _Ids("intent")
    files = _listed(root, "*.yaml", root, problems)
    if not files:
        problems.append(
            Problem(str(root), 1, "no intent files; give --intents the folder with *.yaml intents")
        )
        return [], _sorted(problems)
    kinds: set[str] = set()
    for path in files:
        name = str(path)
        data = _load(path, problems, root)
        if data is None:
            continue
        found = _schema_problems(data, INTENTS_FILE, name)
        problems.extend(p for _, p in found)
        for index, intent in _records(data, "intents"):
            if isinstance(intent.get("kind"), str):
                kinds.add(intent["kind"])
            if not isinstance(intent.get("name"), str):
                continue
            line = line_of(data, ["intents", index, "name"])
            unique = names.claim(
                intent["name"],
                name,
                line,
                problems,
                "give each intent its own name",
                ("intents", index, "name"),
            )
            if unique and not _bad(found, ("intents", index)):
                intents.append(intent)
    missing = [k for k in _NEEDED_KINDS if k not in kinds]
    if missing and not problems:
        problems.append(
            Problem(
                str(root),
                1,
                f"no intent of kind {', '.join(map(repr, missing))}; the bot needs "
                "one of each of events, passages and fallback",
            )
        )
    return intents, _sorted(problems)
