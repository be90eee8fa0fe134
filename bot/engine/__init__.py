"""The answer engine: understand a question, find and score candidates, decide, compose a reply.

It knows nothing of channels; every channel reaches it through the conversation service.

The engine's names are loaded on first use, so that the data layer (``bot.data``) can use the
engine's small modules (dates, text) without importing the whole engine, and in any order.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.engine.engine import DEFAULT_INTENTS, DEFAULT_KNOWLEDGE, ROOT, Brain, Engine

__all__ = ["DEFAULT_INTENTS", "DEFAULT_KNOWLEDGE", "ROOT", "Brain", "Engine"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("bot.engine.engine"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
