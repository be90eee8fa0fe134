"""Importing a library without the optional parts it loads eagerly and the bot never uses.

Some libraries import an optional package at start if it is installed and carry on without it if it
is not. When the bot never uses what that package adds, importing it only costs start-up time, so it
is hidden from the library while the library is imported, and visible again afterwards.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
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
