"""The Telegram adapter: residents ask the conversation service through a python-telegram-bot 22 application.

Modules, one idea each: ``handlers`` (an update → a Message or Pressed for the service, the
Reply back to Telegram), ``render`` (Reply → escaped HTML under 4,096 characters),
``callbacks`` (short button data naming the reply's ref), ``catalogue`` (/about and the
/events day menu), ``delivery`` (sends retried through transient failures), ``journal``
(updates journalled until answered; unreadable updates skipped), ``logs`` (the token never
logged), ``limits`` (every limit and why) and ``app`` (building and running the application).
"""

from bot.imports import import_without

# python-telegram-bot imports cryptography for Telegram Passport (~15 ms), and httpx its command-line
# tool with click and pygments (~11 ms): the bot uses neither.
import_without("telegram.ext", ["cryptography", "httpx._main"])

from .app import build_application, conversation_for, open_state_store, run_telegram, running  # noqa: E402
from .handlers import TelegramBot  # noqa: E402

__all__ = [
    "TelegramBot",
    "build_application",
    "conversation_for",
    "open_state_store",
    "run_telegram",
    "running",
]
