"""Safe YAML in and out, remembering the line of every mapping key and list item.

Admins edit these files by hand, so every problem must name a file and a line; and the
files may be hostile, so only plain data is built: no tags that make objects, no alias
bombs, no giant or deeply nested files.  Every failure is a :class:`YamlError`, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.data.files import RefusedFile, read_bytes_safely

MAX_FILE_BYTES = 5_000_000
MAX_ALIASES = 100
# Values that aliases (*name) may repeat, in all: enough for a shared default, far too few
# for a "billion laughs" file whose few lines expand to millions of values.
MAX_ALIAS_EXPANSION = 10_000
# Knowledge records nest about six levels deep; the YAML composer recurses once per level.
MAX_DEPTH = 64


@dataclass(frozen=True)
class Problem:
    """One mistake in one file, said so an admin can fix it."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class YamlError(Exception):
    """A file that is not safe, plain YAML; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class LineDict(dict[Any, Any]):
    """A mapping that knows the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A list that knows the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


def load_yaml(path: Path, display: str | None = None, root: Path | None = None) -> Any:
    """Load one file of plain data, or raise YamlError naming the file and line.

    Only a regular file inside ``root`` (default: the file's own folder) is read, see bot/data/files.py."""
    name = display or str(path)
    return loads_yaml(read_text(path, name, root), name)


def read_text(path: Path, name: str | None = None, root: Path | None = None) -> str:
    """A bounded UTF-8 text file (YAML or the user dictionary), or YamlError naming file and line.

    Only a regular file inside ``root`` (default: the file's own folder) is read, see bot/data/files.py."""
    name = name or str(path)
    try:
        raw = read_bytes_safely(path, path.parent if root is None else root, MAX_FILE_BYTES)
    except RefusedFile as exc:
        raise YamlError(Problem(name, 1, exc.reason)) from None
    except OSError as exc:
        raise YamlError(Problem(name, 1, f"cannot read the file: {exc.strerror or exc}")) from None
    if len(raw) > MAX_FILE_BYTES:
        raise YamlError(Problem(name, 1, f"the file is larger than {MAX_FILE_BYTES} bytes; split it"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlError(
            Problem(name, line, f"not UTF-8 text ({exc.reason}); save the file as UTF-8")
        ) from None
    return text


def loads_yaml(text: str, name: str = "<text>") -> Any:
    """Parse YAML text into LineDict/LineList/plain scalars, or raise YamlError."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise YamlError(Problem(name, 1, f"the text is larger than {MAX_FILE_BYTES} bytes; split it"))
    from bot.data.yamlparser import parse  # PyYAML only when a file is read: a warm start reads none

    return parse(text, name)


def line_of(data: Any, path: list[Any] | tuple[Any, ...]) -> int:
    """The line of the value reached by ``path`` (keys and indexes), or of its nearest parent."""
    line = getattr(data, "line", 1) or 1
    node = data
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def dump_yaml(data: Any) -> str:
    """YAML an admin can read: Chinese as is, keys in the order given, wide lines."""
    from bot.data.yamlparser import dump

    return dump(data)
