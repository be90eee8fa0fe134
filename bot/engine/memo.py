"""Methods whose results each object remembers: for parts of one immutable knowledge version.

A Tokenizer or a search index never changes after it is built, and a question is cut, weighed and
stemmed several times on its way (understand, route, each candidate source), while residents ask the
same things. Each object keeps its own bounded LRU, so a reload's new objects start afresh and the
old ones are dropped with their memory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

# Results each object keeps per method (a few hundred questions' worth; a few MB at most).
MEMO_TEXTS = 4096

F = TypeVar("F", bound=Callable[..., Any])


class _Remembered:
    """Non-data descriptor: on first access an object gets its own ``lru_cache`` of the method, stored
    in its ``__dict__``, which later lookups find before this descriptor."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self.method = method
        self.name = method.__name__
        functools.update_wrapper(self, method)  # type: ignore[arg-type]

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self.method
        cached = functools.lru_cache(maxsize=MEMO_TEXTS)(self.method.__get__(obj, owner))
        obj.__dict__[self.name] = cached
        return cached


def remembered(method: F) -> F:
    """Remember the method's results per object (arguments must be hashable, results not mutated)."""
    return cast(F, _Remembered(method))
