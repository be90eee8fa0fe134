"""The web chat channel: a page for residents, its JSON API, health and metrics (Starlette)."""

from bot.channels.web.app import create_app, read_body
from bot.channels.web.config import WebSettings, web_settings_from_environment

__all__ = ["WebSettings", "create_app", "read_body", "web_settings_from_environment"]
