"""The Telegram adapter: residents ask the engine through a python-telegram-bot 22 application.

Modules, one idea each: ``render`` (Reply → escaped HTML under 4,096 characters),
``callbacks`` (short, restart-proof button data), ``flood`` (per-user slow-down),
``handlers`` (what each update does),
``logs`` (the token never logged) and ``app`` (building and running the application).
"""

from .app import build_application, run_telegram, running
from .handlers import TelegramBot

__all__ = ["TelegramBot", "build_application", "run_telegram", "running"]
