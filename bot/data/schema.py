"""Checking knowledge and intent files: record shapes from :mod:`bot.data.records`, and the checks
that tie records together, every problem with file and line.

The shape of a record is its dataclass, validated by a pydantic ``TypeAdapter``; pydantic's errors
are turned here into lines an admin can act on, at the line yamlio remembered for the key or item.
What a record cannot see (unique ids across files, references between records, quotes that must
really be in the cited passage, one owner per synonym) is checked on the raw data, so it is reported
even when another field of the same record is broken.

pydantic is imported by the first validation only: a start from the snapshot cache never needs it.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterable, Sequence
from dataclasses import MISSING, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from bot.data.files import safe_files
from bot.data.limits import check_source_limits
from bot.data.records import (
    ADMIN_ERROR,
    TYPE_ERROR,
    ColloquialFile,
    ElsewhereFile,
    Event,
    EventsFile,
    FestivalsFile,
    GlossaryFile,
    Intent,
    IntentsFile,
    NeedsFile,
    Record,
    Service,
    ServicesFile,
    SourceFile,
    StopwordsFile,
    SynonymsFile,
)
from bot.data.userdict import UserWord, parse_userdict
from bot.data.yamlio import LineDict, LineList, Problem, YamlError, line_of, load_yaml, read_text

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from pydantic_core import ErrorDetails

M = TypeVar("M", bound=Record)
KeyPath = tuple[Any, ...]

_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping (`key: value` lines)",
    "dataclass_type": "a mapping (`key: value` lines)",
}
# A key the record does not declare: the error of a dataclass's unexpected keyword argument.
_UNKNOWN_KEY = "unexpected_keyword_argument"
_SLOTS_PATH = ("intents", int, "slots", int)


class KnowledgeError(Exception):
    """Files that do not make a valid knowledge base or intent set; ``problems`` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


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


def _unwrap(kind: Any) -> Any:
    """``Annotated[X, …]`` → X, ``X | None`` → X."""
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin in (Union, types.UnionType):
            kind = next(a for a in get_args(kind) if a is not type(None))
        else:
            return kind


@cache
def _fields(record: type[Record]) -> dict[str, Any]:
    """A record's fields in declaration order (a file's keys as documented), each with its type."""
    hints = get_type_hints(record, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(record)}


def _required(record: type[Record]) -> list[str]:
    return [
        f.name for f in dataclasses.fields(record) if f.default is MISSING and f.default_factory is MISSING
    ]


def _is_record(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, Record)


def _type_at(model: type[Record], path: KeyPath) -> Any:
    """The declared type of the value at ``path`` in a file of ``model`` (None if unknown)."""
    kind: Any = model
    for step in path:
        kind = _unwrap(kind)
        if _is_record(kind):
            kind = _fields(kind).get(step) if isinstance(step, str) else None
            if kind is None:
                return None
        elif get_origin(kind) in (tuple, list):
            kind = get_args(kind)[0]
        elif get_origin(kind) is dict:
            kind = get_args(kind)[1]
        else:
            return None
    return _unwrap(kind)


def _explain(errors: Sequence[ErrorDetails], model: type[Record], data: Any, name: str) -> list[Problem]:
    """pydantic's errors as problems at the line of the offending key or item."""
    problems: list[Problem] = []
    missing: dict[KeyPath, list[str]] = {}
    for error in errors:
        path: KeyPath = tuple(error["loc"])
        kind, value = error["type"], error["input"]
        if kind == "invalid_key" or "[key]" in path:
            continue  # a key that is not text: _key_problems says so, once
        if kind == "too_short" and value:
            continue  # pydantic counts only the valid items; the invalid ones have their own errors
        if kind == "missing":
            missing.setdefault(path[:-1], []).append(f"`{path[-1]}:`")
            continue
        where = f"{_where(path)}: " if path else ""
        line = line_of(data, path)
        ctx = error.get("ctx", {})
        if kind == _UNKNOWN_KEY:
            owner = _type_at(model, path[:-1])
            allowed = ", ".join(_fields(owner) if _is_record(owner) else ())
            problems.append(
                Problem(
                    name,
                    line,
                    f"{_where(path[:-1])}{': ' if len(path) > 1 else ''}unknown field `{path[-1]}:`; "
                    f"remove it or check its spelling (allowed: {allowed})",
                )
            )
            continue
        if kind in _TYPE_WORDS or kind == TYPE_ERROR:
            wanted = ctx.get("wanted") or _TYPE_WORDS[kind]
            if not path:
                keys = ", ".join(f"`{k}:`" for k in _required(model))
                message = (
                    f"the file must be a mapping with {keys} at the top, but it holds {_describe(value)}"
                )
            elif value is None:
                message = f"{where}is empty; write {wanted}"
            else:
                message = f"{where}expected {wanted}, found {_describe(value)}"
        elif kind == ADMIN_ERROR:
            message = f"{where}{ctx['message']}"
        elif kind == "literal_error":
            choices = ", ".join(map(str, get_args(_type_at(model, path))))
            if _matches(path, _SLOTS_PATH):
                message = f"{where}unknown slot type {value!r}; slot types are {choices}"
            else:
                message = f"{where}{_describe(value)} is not allowed; use one of: {choices}"
        elif kind == "too_short" and len(path) == 2 and path[0] == "synonyms":
            message = (
                f"{where}the synonym list is empty; list the other ways residents say {path[1]!r}, "
                "or remove the line"
            )
        elif kind == "too_short":
            message = f"{where}the list is empty; give at least one entry"
        elif kind == "string_too_short":
            message = f"{where}is empty; write the text"
        elif kind in ("greater_than_equal", "less_than_equal"):
            bound = "at least" if kind == "greater_than_equal" else "at most"
            limit = ctx.get("ge", ctx.get("le"))
            message = f"{where}{value!r} is out of range; it must be {bound} {limit}"
        else:
            message = f"{where}{error['msg']}; correct it"
        problems.append(Problem(name, line, message))
    for path, names in missing.items():
        are, them = ("is", "it") if len(names) == 1 else ("are", "them")
        at, top = (f"{_where(path)}: ", "") if path else ("", " at the top of the file")
        problems.append(
            Problem(name, line_of(data, path), f"{at}{', '.join(names)} {are} missing{top}; add {them}")
        )
    return problems


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


_ADAPTERS: dict[type[Record], TypeAdapter[Any]] = {}


def _adapter(model: type[M]) -> TypeAdapter[M]:
    """The validator of one kind of file, built at its first use (a few ms each, after pydantic's own
    imports) and kept."""
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


def _validate(model: type[M], data: Any, name: str, problems: list[Problem]) -> M | None:
    """The file as a record, or None after recording every shape problem."""
    from pydantic import ValidationError

    found = _key_problems(data, name)
    try:
        record = _adapter(model).validate_python(data)
    except ValidationError as exc:
        found.extend(_explain(exc.errors(), model, data, name))
    problems.extend(found)
    return None if found else record


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


def _records(data: Any, key: str) -> Iterable[tuple[int, dict[Any, Any]]]:
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


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


@dataclass
class KnowledgeFiles:
    """Every knowledge file, validated; what :func:`check_knowledge` hands to load_knowledge."""

    sources: list[SourceFile] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    synonyms: SynonymsFile = field(default_factory=lambda: SynonymsFile(synonyms={}))
    stopwords: StopwordsFile = field(default_factory=lambda: StopwordsFile(stopwords=()))
    festivals: FestivalsFile = field(default_factory=lambda: FestivalsFile(festivals=()))
    userdict: list[UserWord] = field(default_factory=list)
    colloquial: ColloquialFile = field(default_factory=ColloquialFile)
    glossary: GlossaryFile = field(default_factory=lambda: GlossaryFile(glossary={}))
    needs: NeedsFile = field(default_factory=lambda: NeedsFile(needs={}))
    elsewhere: ElsewhereFile = field(default_factory=ElsewhereFile)


@dataclass
class _State:
    """What the checks of one file need to know about the files checked before it."""

    sources: set[str] = field(default_factory=set)
    broken_sources: set[str] = field(default_factory=set)  # citing them is not a second mistake
    passages: dict[str, tuple[Any, str]] = field(default_factory=dict)  # id → (source id, text)


def _check_sources(root: Path, problems: list[Problem], out: KnowledgeFiles, state: _State) -> None:
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
            state.broken_sources.add(path.stem)
        if data is None:
            continue
        source = _validate(SourceFile, data, name, problems)
        too_costly = check_source_limits(data, name)  # bot/data/limits.py: what one file may cost
        problems.extend(too_costly)
        unique = isinstance(source_id, str) and source_ids.claim(
            source_id, name, line_of(data, ["id"]), problems, "give this source its own id", ("id",)
        )
        if isinstance(source_id, str):
            state.sources.add(source_id)
            if source is None:
                state.broken_sources.add(source_id)
        for s_index, section in _records(data, "sections"):
            for p_index, passage in _records(section, "passages"):
                passage_id, text = passage.get("id"), passage.get("text")
                if not isinstance(passage_id, str):
                    continue
                where = ("sections", s_index, "passages", p_index, "id")
                fix = "give it its own id (e.g. the next number)"
                if passage_ids.claim(passage_id, name, line_of(data, where), problems, fix, where):
                    state.passages[passage_id] = (source_id, text if isinstance(text, str) else "")
        if unique and source is not None and not too_costly:
            out.sources.append(source)


def _missing_source(name: str, data: Any, here: KeyPath, source: str) -> Problem:
    return Problem(
        name,
        line_of(data, [*here, "source"]),
        f"{_where((*here, 'source'))}: source {source!r} does not exist; use the `id:` of a file in sources/",
    )


def _check_events(root: Path, problems: list[Problem], out: KnowledgeFiles, state: _State) -> None:
    numbers = _Ids("event number")
    known = state.sources | state.broken_sources
    for path in _listed(root / "events", "*.yaml", root, problems):
        name = str(path)
        data = _load(path, problems, root)
        if data is None:
            continue
        events = _validate(EventsFile, data, name, problems)
        for index, event in _records(data, "events"):
            here = ("events", index)
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
        if events is not None:
            out.events.extend(events.events)


def _check_services(root: Path, problems: list[Problem], out: KnowledgeFiles, state: _State) -> None:
    path = root / "services.yaml"
    if not path.exists():
        return
    name = str(path)
    data = _load(path, problems, root)
    if data is None:
        return
    services = _validate(ServicesFile, data, name, problems)
    ids = _Ids("service id")
    known = state.sources | state.broken_sources
    for index, service in _records(data, "services"):
        here = ("services", index)
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
        elif isinstance(passage, str) and passage and passage not in state.passages:
            if source not in state.broken_sources:
                problems.append(
                    Problem(
                        name,
                        line_of(data, [*here, "passage"]),
                        f"{_where((*here, 'passage'))}: passage {passage!r} does not exist; cite "
                        "a passage `id:` from sources/",
                    )
                )
        elif isinstance(passage, str) and passage:
            owner, text = state.passages[passage]
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
    if services is not None:
        out.services.extend(services.services)


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


def _check_lexicon(root: Path, problems: list[Problem], out: KnowledgeFiles) -> None:
    lexicon = root / "lexicon"
    for file_name, model in (
        ("synonyms.yaml", SynonymsFile),
        ("stopwords.yaml", StopwordsFile),
        ("festivals.yaml", FestivalsFile),
    ):
        path = lexicon / file_name
        if not path.exists():
            problems.append(Problem(str(path), 1, "the file is missing; restore it from git"))
            continue
        data = _load(path, problems, root)
        if data is None:
            continue
        before = len(problems)
        if model is SynonymsFile:
            _check_synonyms(data, str(path), problems)
        record = _validate(model, data, str(path), problems)
        if record is None or len(problems) > before:
            continue
        if isinstance(record, SynonymsFile):
            out.synonyms = record
        elif isinstance(record, StopwordsFile):
            out.stopwords = record
        elif isinstance(record, FestivalsFile):
            out.festivals = record
    optional_files: tuple[tuple[str, type[Record]], ...] = (
        ("colloquial.yaml", ColloquialFile),
        ("glossary.yaml", GlossaryFile),
        ("needs.yaml", NeedsFile),
        ("elsewhere.yaml", ElsewhereFile),
    )
    for file_name, optional in optional_files:
        path = lexicon / file_name  # optional: a missing file means no such words
        data = _load(path, problems, root) if path.exists() else None
        words = _validate(optional, data, str(path), problems) if data is not None else None
        if isinstance(words, ColloquialFile):
            out.colloquial = words
        elif isinstance(words, GlossaryFile):
            out.glossary = words
        elif isinstance(words, NeedsFile):
            out.needs = words
        elif isinstance(words, ElsewhereFile):
            out.elsewhere = words
    path = lexicon / "userdict.txt"
    if path.exists():
        try:
            out.userdict, found = parse_userdict(read_text(path, root=root), str(path))
        except YamlError as exc:
            found = [exc.problem]
        problems.extend(found)


def check_knowledge(root: Path) -> tuple[KnowledgeFiles, list[Problem]]:
    """Load and check every knowledge file; the validated records and all problems found."""
    out = KnowledgeFiles()
    if not root.is_dir():
        return out, [
            Problem(str(root), 1, "no such knowledge folder; give --knowledge the folder with sources/")
        ]
    problems: list[Problem] = []
    state = _State()
    _check_sources(root, problems, out, state)
    _check_events(root, problems, out, state)
    _check_services(root, problems, out, state)
    _check_lexicon(root, problems, out)
    return out, _sorted(problems)


_NEEDED_KINDS = ("events", "passages", "fallback")


def check_intents(root: Path) -> tuple[list[Intent], list[Problem]]:
    """Load and check every intents/*.yaml file."""
    problems: list[Problem] = []
    intents: list[Intent] = []
    names = _Ids("intent")
    files = _listed(root, "*.yaml", root, problems) if root.is_dir() else []
    if not files:
        fix = "no intent files; give --intents the folder with *.yaml intents"
        problems.append(Problem(str(root), 1, fix))
        return [], _sorted(problems)  # a refused file (a pipe, a link out of the folder) is said too
    kinds: set[str] = set()
    for path in files:
        name = str(path)
        data = _load(path, problems, root)
        if data is None:
            continue
        valid = _validate(IntentsFile, data, name, problems)
        for index, intent in _records(data, "intents"):
            if isinstance(intent.get("kind"), str):
                kinds.add(intent["kind"])
            if isinstance(intent.get("name"), str):
                where = ("intents", index, "name")
                fix = "give each intent its own name"
                names.claim(intent["name"], name, line_of(data, where), problems, fix, where)
        if valid is not None:
            intents.extend(valid.intents)
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
