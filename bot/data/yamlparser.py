"""PyYAML's loader and dumper as the knowledge files need them (see :mod:`bot.data.yamlio`).

Apart from yamlio so that PyYAML is imported only when a YAML file is read or written: a start from
the snapshot cache reads none.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from bot.data.yamlio import (
    MAX_ALIAS_EXPANSION,
    MAX_ALIASES,
    MAX_DEPTH,
    LineDict,
    LineList,
    Problem,
    YamlError,
)


class _Loader(yaml.SafeLoader):
    """SafeLoader that bounds aliases and nesting, and keeps line numbers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.expanded = 0
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self._next_mark()
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise ComposerError(
                    None, None, f"more than {MAX_ALIASES} aliases (*name); write the values out", mark
                )
            node = super().compose_node(parent, index)
            if node is not None:
                self._count_expansion(node, mark)
            return node
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep; flatten the data",
                    self._next_mark(),
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _next_mark(self) -> yaml.Mark:
        """Where the next event starts (types-PyYAML leaves ``peek_event`` untyped)."""
        mark: yaml.Mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        return mark

    def _count_expansion(self, node: yaml.Node, mark: yaml.Mark) -> None:
        """Add the size of the aliased value to the budget; stops as soon as it is spent, so a
        bomb (or an alias that contains itself) costs at most MAX_ALIAS_EXPANSION steps."""
        stack = [node]
        while stack:
            current = stack.pop()
            self.expanded += 1
            if self.expanded > MAX_ALIAS_EXPANSION:
                raise ComposerError(
                    None,
                    None,
                    f"aliases (*name) repeat more than {MAX_ALIAS_EXPANSION} values in all "
                    "(an alias bomb?); write the values out",
                    mark,
                )
            if isinstance(current, yaml.SequenceNode):
                stack.extend(current.value)
            elif isinstance(current, yaml.MappingNode):
                for key, value in current.value:
                    stack.extend((key, value))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    if not isinstance(node, yaml.MappingNode):  # `!!map [1]`
        raise ConstructorError(None, None, "!!map on a value that is not a mapping", node.start_mark)
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                None, None, "a key must be plain text, not a list or mapping", key_node.start_mark
            ) from None
        if key in result:
            raise ConstructorError(
                None,
                None,
                f"the key {key!r} appears twice in one record (first on line "
                f"{result.key_lines[key]}); keep one",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    if not isinstance(node, yaml.SequenceNode):  # `!!seq {a: 1}`
        raise ConstructorError(None, None, "!!seq on a value that is not a list", node.start_mark)
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    """Dates stay text: ``2020-13-45`` unquoted must be reported by the checks, not crash the
    loader, and ``2020-02-07`` quoted or not means the same."""
    return loader.construct_scalar(node)


def _construct_number(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """Numbers as YAML 1.2 reads them: ``9:30`` is a time of day written as text, not the
    YAML 1.1 base-60 number 570."""
    if ":" in str(node.value):
        return loader.construct_scalar(node)
    try:
        if node.tag.endswith(":int"):
            return loader.construct_yaml_int(node)
        return loader.construct_yaml_float(node)
    except (ValueError, IndexError):  # only with an explicit tag: !!int abc
        raise ConstructorError(None, None, f"{node.value!r} is not a number", node.start_mark) from None


def _construct_bool(loader: _Loader, node: yaml.ScalarNode) -> bool:
    try:
        return loader.construct_yaml_bool(node)
    except KeyError:  # only with an explicit tag: !!bool maybe
        raise ConstructorError(None, None, f"{node.value!r} is not true or false", node.start_mark) from None


def _construct_plain_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    """``=`` and ``<<`` as values are just text (PyYAML's safe loader has no constructor for them)."""
    return loader.construct_scalar(node)


def _refuse_tag(loader: _Loader, node: yaml.Node) -> Any:
    raise ConstructorError(
        None,
        None,
        f"the tag {node.tag} is not allowed; write plain text, numbers, lists and mappings",
        node.start_mark,
    )


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_number)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_number)
_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:value", _construct_plain_text)
_Loader.add_constructor("tag:yaml.org,2002:merge", _construct_plain_text)
for _tag in ("binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)
_Loader.add_constructor(None, _refuse_tag)  # any tag not listed above, e.g. !!python/object


def parse(text: str, name: str) -> Any:
    """Parse YAML text (size already checked) into LineDict/LineList/plain scalars, or raise YamlError."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # control characters are refused before parsing
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise YamlError(
            Problem(
                name,
                line,
                f"character #x{exc.character:04x} is not allowed in YAML; "
                "delete it (often pasted from a PDF)",
            )
        ) from None
    try:
        node = loader.get_single_node()
        return None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(Problem(name, line, _explain(exc))) from None
    except RecursionError:
        raise YamlError(Problem(name, 1, "YAML nested too deeply; flatten the data")) from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, OverflowError) as exc:  # last resort
        raise YamlError(
            Problem(name, 1, f"YAML: a value cannot be read ({exc}); write plain values")
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(Problem(name, 1, f"YAML syntax: {exc}")) from None
    finally:
        loader.dispose()


_HINTS = (
    ("'\\t'", "use spaces, not tabs, to indent"),
    ("block", "check the indentation of this line and the lines above"),
    ("could not find expected ':'", "a `key: value` line lacks its colon, or a quote is not closed"),
    ("found unexpected end of stream", "the file ends inside a quote or bracket; is it cut short?"),
    ("flow", "a [ or { is not closed, or a value needs quotes"),
    ("mapping values are not allowed", "put text containing ': ' in quotes"),
)


def _explain(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's words, plus what an admin should do about them."""
    if isinstance(exc, (ComposerError, ConstructorError)):  # our safety checks and record shape
        if exc.context and "single document" in exc.context:
            return "YAML: a second document (---) starts here; keep one document per file"
        if exc.problem and "recursive" in exc.problem:
            return "YAML: an alias (*name) is used inside its own anchor (&name); write the values out"
        return f"YAML: {(exc.problem or exc.context or 'bad YAML').replace('tag:yaml.org,2002:', '!!')}"
    what = exc.problem or exc.context or "bad YAML"
    if exc.context and exc.problem:
        began = exc.context_mark
        if began is not None and exc.problem_mark is not None and began.line != exc.problem_mark.line:
            what = f"{what} ({exc.context} that began on line {began.line + 1})"
        else:
            what = f"{what} ({exc.context})"
    hint = next((h for key, h in _HINTS if key in what), "")
    return f"YAML syntax: {what}" + (f"; {hint}" if hint else "")


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(LineDict, yaml.representer.SafeRepresenter.represent_dict)
_Dumper.add_representer(LineList, yaml.representer.SafeRepresenter.represent_list)


def dump(data: Any) -> str:
    """YAML an admin can read: Chinese as is, keys in the order given, wide lines."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
