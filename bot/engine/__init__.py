"""The answer engine: understand a question, find and score candidates, decide, compose a reply.

It knows nothing of channels; every channel reaches it through the conversation service.
"""

from bot.engine.engine import DEFAULT_INTENTS, DEFAULT_KNOWLEDGE, ROOT, Brain, Engine

__all__ = ["DEFAULT_INTENTS", "DEFAULT_KNOWLEDGE", "ROOT", "Brain", "Engine"]
