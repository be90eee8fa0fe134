"""Importing a library without the parts it loads eagerly and the bot never uses.

Some libraries import an optional package at start if it is installed and carry on without it if it
is not. When the bot never uses what that package adds, importing it only costs start-up time, so it
is hidden from the library while the library is imported, and visible again afterwards. Others build
objects at import time that the bot replaces with its own (aiohttp's default TLS contexts).
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType


def import_without(module: str, unused: Sequence[str]) -> ModuleType:
    """``module`` imported as if the packages ``unused`` were not installed (those already imported
    stay as they are); any later ``import`` of them works as usual."""
    hidden = [name for name in unused if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
    try:
        return importlib.import_module(module)
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


_DEFERRING = threading.Lock()


@contextmanager
def certificates_deferred() -> Iterator[None]:
    """While held, new SSL contexts skip loading the system's CA certificates (~35 ms each).

    For a library that builds default contexts at import time which the bot never uses because it
    passes its own: those contexts then trust no certificate, so anything that did use them would fail
    verification rather than skip it. One hold at a time (a second waits), always undone on leaving;
    meant for imports at start-up, since a context another thread makes meanwhile trusts nothing."""
    import ssl  # here: the commands that never go online do not pay for it

    with _DEFERRING:
        own = ssl.SSLContext.__dict__.get("set_default_verify_paths")  # None: ssl._SSLContext's C method
        ssl.SSLContext.set_default_verify_paths = _no_default_paths  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            if own is None:
                del ssl.SSLContext.set_default_verify_paths
            else:
                ssl.SSLContext.set_default_verify_paths = own  # type: ignore[method-assign]


def _no_default_paths(context: object) -> None:
    """In place of ``SSLContext.set_default_verify_paths``: loads nothing."""
