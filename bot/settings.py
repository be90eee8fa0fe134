"""Settings of the Telegram bot, read from the environment or a .env-style file.

The environment wins over the file, so a deployment can keep defaults in ``.env`` and
override one value per run. Every value is checked here, once, so a typo stops the bot at
start-up with the variable's name instead of failing later in a handler. The token is never
part of an error message or a ``repr``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_PERSISTENCE = ROOT / "var" / "telegram-state.pickle"
DEFAULT_RATE_LIMIT = "5/10"
DEFAULT_WATCH_INTERVAL = 30.0
DEFAULT_VAR_DIR = ROOT / "var"

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_ON = {"on", "true", "yes", "1"}
_OFF = {"off", "false", "no", "0", "none"}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable, never the token."""


@dataclass(frozen=True)
class RateLimit:
    """At most ``messages`` messages per ``seconds`` from one user."""

    messages: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """``"5/10"`` → 5 messages per 10 s; ``"off"`` or ``"0"`` → no flood control."""
        text = text.strip().lower()
        if text in _OFF or text == "":
            return None
        count, sep, window = text.partition("/")
        try:
            limit = cls(int(count), float(window) if sep else 60.0)
        except ValueError:
            raise ConfigError(
                f"BOT_RATE_LIMIT must look like 5/10 (messages/seconds), not {text!r}"
            ) from None
        if limit.messages < 1 or limit.seconds <= 0:
            raise ConfigError(f"BOT_RATE_LIMIT needs at least 1 message in a positive window, not {text!r}")
        return limit


@dataclass(frozen=True)
class Settings:
    """Everything the Telegram adapter needs besides the engine."""

    token: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    persistence: Path = DEFAULT_PERSISTENCE
    admin_ids: frozenset[int] = frozenset()
    rate_limit: RateLimit | None = field(default_factory=lambda: RateLimit(5, 10.0))
    rate_limiter: bool = True
    watch_interval: float = DEFAULT_WATCH_INTERVAL
    state_url: str = field(default="", repr=False)  # BOT_STATE_URL: may hold a Redis password
    var_dir: Path = DEFAULT_VAR_DIR  # where the default SQLite state store lives

    @property
    def base_file_url(self) -> str:
        """Where a self-hosted Bot API serves files: ``…/bot`` → ``…/file/bot``."""
        if self.base_url.endswith("/bot"):
            return self.base_url.removesuffix("/bot") + "/file/bot"
        return self.base_url

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids


def read_environment(env_file: str | Path | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The file's values overlaid with the environment's; a missing file is simply empty."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


def load_settings(env_file: str | Path | None = ".env", environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise ConfigError naming the first bad variable."""
    values = read_environment(env_file, environ)
    token = values.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        where = f" or in {env_file}" if env_file is not None else ""
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and set it "
            f"in the environment{where}."
        )
    if not _TOKEN.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a BotFather token (digits:letters).")
    base_url = values.get("TELEGRAM_BASE_URL", "").strip() or DEFAULT_BASE_URL
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"TELEGRAM_BASE_URL must start with http:// or https://, not {base_url!r}")
    persistence = values.get("BOT_PERSISTENCE", "").strip()
    return Settings(
        token=token,
        base_url=base_url,
        persistence=Path(persistence).expanduser() if persistence else DEFAULT_PERSISTENCE,
        admin_ids=_admin_ids(values.get("BOT_ADMIN_IDS", "")),
        rate_limit=RateLimit.parse(values.get("BOT_RATE_LIMIT", DEFAULT_RATE_LIMIT)),
        rate_limiter=_switch("BOT_RATE_LIMITER", values.get("BOT_RATE_LIMITER", "on")),
        watch_interval=_seconds("BOT_WATCH_INTERVAL", values.get("BOT_WATCH_INTERVAL", "")),
        state_url=values.get("BOT_STATE_URL", "").strip(),
    )


def _admin_ids(text: str) -> frozenset[int]:
    ids = set()
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        if not re.fullmatch(r"-?\d+", part):
            raise ConfigError(f"BOT_ADMIN_IDS must be comma-separated numeric user ids, not {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _switch(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigError(f"{name} must be on or off, not {text!r}")


def _seconds(name: str, text: str) -> float:
    if not text.strip():
        return DEFAULT_WATCH_INTERVAL
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (0 = off), not {text!r}") from None
    if value < 0 or not math.isfinite(value):
        raise ConfigError(f"{name} must be a number of seconds (0 = off), not {text!r}")
    return value
