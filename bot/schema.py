"""What valid knowledge and intent files look like, and the checks that tie them together.

The record shapes are JSON Schemas checked by ``jsonschema``; what a schema cannot say
(unique ids across files, references between records, quotes that must really be in the
cited passage, date order) is checked here.  Every problem carries file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from bot.yamlio import LineDict, LineList, Problem, YamlError, line_of, load_yaml

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
        "priority": {"type": "integer"},
        "examples": _WORDS,
        "keywords": _WORDS,
        "patterns": _WORDS,
        "max_length": {"type": "integer", "minimum": 1},
        "slots": {"type": "array", "items": {"enum": list(SLOT_TYPES)}},
        "replies": _WORDS,
        "answer_cues": {"type": "object", "additionalProperties": _WORDS},
    },
}
INTENTS_FILE = {
    "type": "object",
    "required": ["intents"],
    "additionalProperties": False,
    "properties": {"intents": {"type": "array", "items": INTENT, "minItems": 1}},
}

_HOW_TO_FIX = {
    "required": "add it",
    "additionalProperties": "remove it or check its spelling",
    "type": "write a value of that type",
    "pattern": "write it in that form",
    "enum": "use one of the allowed values",
    "minItems": "give at least one entry",
    "minLength": "it must not be empty",
    "oneOf": "give exactly one of `lunar:` or `solar:`",
}


def _schema_problems(data: Any, schema: dict, name: str) -> list[Problem]:
    problems = []
    validator = Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        where = ".".join(str(p) for p in error.absolute_path) or "the file"
        message = error.message
        if error.validator == "pattern" and "\\d{4}" in str(error.validator_value):
            message = f"{error.instance!r} is not a date; write it as YYYY-MM-DD, e.g. 2020-01-15"
        elif error.validator == "oneOf":
            message = "a festival needs exactly one of `lunar:` or `solar:`"
        fix = _HOW_TO_FIX.get(str(error.validator), "correct it")
        problems.append(Problem(name, line_of(data, list(error.absolute_path)), f"{where}: {message}; {fix}"))
    return problems


def _load(path: Path, problems: list[Problem]) -> Any:
    try:
        return load_yaml(path)
    except YamlError as exc:
        problems.append(exc.problem)
        return None


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _records(data: Any, key: str) -> Iterable[tuple[int, dict]]:
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


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
    }
    if not root.is_dir():
        return out, [
            Problem(str(root), 1, "no such knowledge folder; give --knowledge the folder with sources/")
        ]

    source_lines: dict[str, Problem] = {}
    passage_text: dict[str, str] = {}
    passage_lines: dict[str, Problem] = {}
    source_files = sorted((root / "sources").glob("*.yaml"))
    if not source_files:
        problems.append(Problem(str(root / "sources"), 1, "no source files; add at least one sources/*.yaml"))
    for path in source_files:
        data = _load(path, problems)
        if data is None:
            continue
        found = _schema_problems(data, SOURCE, str(path))
        problems.extend(found)
        if found:
            continue
        here = Problem(str(path), line_of(data, ["id"]), "")
        if data["id"] in source_lines:
            first = source_lines[data["id"]]
            problems.append(
                Problem(
                    here.path,
                    here.line,
                    f"source id {data['id']!r} is already used at {first.path}:{first.line}; "
                    "give this source its own id",
                )
            )
            continue
        source_lines[data["id"]] = here
        for s_index, section in enumerate(data.get("sections", [])):
            for p_index, passage in enumerate(section["passages"]):
                line = line_of(data, ["sections", s_index, "passages", p_index, "id"])
                if passage["id"] in passage_lines:
                    first = passage_lines[passage["id"]]
                    problems.append(
                        Problem(
                            str(path),
                            line,
                            f"passage id {passage['id']!r} is already used at "
                            f"{first.path}:{first.line}; give it its own id",
                        )
                    )
                    continue
                passage_lines[passage["id"]] = Problem(str(path), line, "")
                passage_text[passage["id"]] = passage["text"]
        out["sources"].append(data)

    numbers: dict[int, Problem] = {}
    for path in sorted((root / "events").glob("*.yaml")):
        data = _load(path, problems)
        if data is None:
            continue
        found = _schema_problems(data, EVENTS, str(path))
        problems.extend(found)
        bad = {p.line for p in found}
        for index, event in _records(data, "events"):
            line = line_of(data, ["events", index])
            if line in bad or any(line_of(data, ["events", index, k]) in bad for k in event):
                continue
            start, end = _iso(event["start"]), _iso(event["end"])
            if start is None or end is None:
                which = "start" if start is None else "end"
                problems.append(
                    Problem(
                        str(path),
                        line_of(data, ["events", index, which]),
                        f"{which} {event[which]!r} is not a real date; write YYYY-MM-DD",
                    )
                )
                continue
            if end < start:
                problems.append(
                    Problem(
                        str(path),
                        line_of(data, ["events", index, "end"]),
                        f"event {event['number']} ends ({end}) before it starts ({start}); "
                        "swap or correct the dates",
                    )
                )
                continue
            if event["number"] in numbers:
                first = numbers[event["number"]]
                problems.append(
                    Problem(
                        str(path),
                        line,
                        f"event number {event['number']} is already used at "
                        f"{first.path}:{first.line}; numbers must be unique",
                    )
                )
                continue
            if event["source"] not in source_lines:
                problems.append(
                    Problem(
                        str(path),
                        line_of(data, ["events", index, "source"]),
                        f"source {event['source']!r} does not exist; use the id of a file in sources/",
                    )
                )
                continue
            numbers[event["number"]] = Problem(str(path), line, "")
            out["events"].append(event)

    services_path = root / "services.yaml"
    data = _load(services_path, problems) if services_path.exists() else LineDict(services=LineList())
    if data is not None:
        found = _schema_problems(data, SERVICES, str(services_path))
        problems.extend(found)
        seen: set[str] = set()
        for index, service in _records(data, "services") if not found else ():
            line = line_of(data, ["services", index])
            if service["id"] in seen:
                problems.append(
                    Problem(str(services_path), line, f"service id {service['id']!r} is used twice")
                )
                continue
            seen.add(service["id"])
            if service["source"] not in source_lines:
                problems.append(
                    Problem(
                        str(services_path),
                        line_of(data, ["services", index, "source"]),
                        f"source {service['source']!r} does not exist",
                    )
                )
                continue
            text = passage_text.get(service["passage"])
            if text is None:
                problems.append(
                    Problem(
                        str(services_path),
                        line_of(data, ["services", index, "passage"]),
                        f"passage {service['passage']!r} does not exist; cite a passage id from sources/",
                    )
                )
                continue
            if not service["passage"].startswith(service["source"] + "."):
                problems.append(
                    Problem(
                        str(services_path),
                        line_of(data, ["services", index, "passage"]),
                        f"passage {service['passage']!r} is not in source {service['source']!r}",
                    )
                )
                continue
            if service["quote"] not in text:
                problems.append(
                    Problem(
                        str(services_path),
                        line_of(data, ["services", index, "quote"]),
                        "the quote is not word for word in the cited passage; copy it from there",
                    )
                )
                continue
            out["services"].append(service)

    lexicon = root / "lexicon"
    for name, schema, key in (
        ("synonyms.yaml", SYNONYMS, "synonyms"),
        ("stopwords.yaml", STOPWORDS, "stopwords"),
        ("festivals.yaml", FESTIVALS, "festivals"),
    ):
        path = lexicon / name
        if not path.exists():
            problems.append(Problem(str(path), 1, "file is missing; restore it from git"))
            continue
        data = _load(path, problems)
        if data is None:
            continue
        found = _schema_problems(data, schema, str(path))
        problems.extend(found)
        if not found:
            out[key] = data[key]
            if key == "festivals":
                out["relative"] = data.get("relative", [])
    userdict = lexicon / "userdict.txt"
    if userdict.exists():
        for number, line in enumerate(userdict.read_text(encoding="utf-8").splitlines(), start=1):
            parts = line.split("#", 1)[0].split()
            if len(parts) > 3 or (len(parts) >= 2 and not parts[1].isdigit() and len(parts) == 3):
                problems.append(
                    Problem(str(userdict), number, "write `word [frequency] [tag]`, e.g. 写春联 20 n")
                )
    return out, problems


def check_intents(root: Path) -> tuple[list[dict], list[Problem]]:
    """Load and check every intents/*.yaml file."""
    problems: list[Problem] = []
    intents: list[dict] = []
    names: dict[str, Problem] = {}
    files = sorted(root.glob("*.yaml")) if root.is_dir() else []
    if not files:
        return [], [Problem(str(root), 1, "no intent files; give --intents the folder with *.yaml intents")]
    for path in files:
        data = _load(path, problems)
        if data is None:
            continue
        found = _schema_problems(data, INTENTS_FILE, str(path))
        for problem in found:
            if "slots" in problem.message and "is not one of" in problem.message:
                problems.append(
                    Problem(
                        problem.path,
                        problem.line,
                        problem.message.split(";")[0] + f"; slot types are {', '.join(SLOT_TYPES)}",
                    )
                )
            else:
                problems.append(problem)
        if found:
            continue
        for index, intent in _records(data, "intents"):
            line = line_of(data, ["intents", index, "name"])
            if intent["name"] in names:
                first = names[intent["name"]]
                problems.append(
                    Problem(
                        str(path),
                        line,
                        f"intent {intent['name']!r} is already defined at {first.path}:{first.line}",
                    )
                )
                continue
            names[intent["name"]] = Problem(str(path), line, "")
            intents.append(intent)
    return intents, problems
