"""Every setting of the bot, declared once: the environment over a ``.env`` file.

The environment wins over the file, so a deployment can keep defaults in ``.env`` and override
one value per run. Every value is checked here, once, so a typo stops the bot at start-up with
the variable's name instead of failing later in a handler. Secrets are ``Secret``: never
part of an error message or a ``repr``. Variable names are exact (upper case).

Each setting is one line of ``Settings``, read by one function below; python-dotenv reads the file.
No settings library: pydantic (even without pydantic-settings) cost ~30–60 ms of every start of the
console, ``serve`` and Telegram, for a dozen values that are each read by a function of their own.

| variable | default | meaning |
|---|---|---|
| ``TELEGRAM_BOT_TOKEN`` | (none; Telegram needs it) | token from @BotFather (secret) |
| ``TELEGRAM_BASE_URL`` | ``https://api.telegram.org/bot`` | a self-hosted Bot API |
| ``BOT_ADMIN_IDS`` | (none) | Telegram user ids allowed ``/reload`` and ``/stats``, comma-separated |
| ``BOT_RATE_LIMIT`` | ``5/10`` | per user: messages/seconds; ``off`` disables |
| ``BOT_RATE_LIMITER`` | ``on`` | PTB's AIORateLimiter (Telegram's global limits) |
| ``BOT_WATCH_INTERVAL`` | ``30`` | seconds between checks of knowledge/ and intents/; ``0`` = off |
| ``BOT_VAR_DIR`` | ``var/`` in the repository | where the bot writes its files |
| ``BOT_CACHE_DIR`` | ``$BOT_VAR_DIR/cache`` | start-up cache; empty, ``off`` or ``0`` = no cache |
| ``BOT_LOG_SALT`` | (random, ``$BOT_VAR_DIR/log.key``) | key of the unanswered log pseudonyms (secret) |
| ``BOT_STATE_URL`` | (none: SQLite in ``$BOT_VAR_DIR``) | conversation state, e.g. ``redis://host:6379/0`` |
| ``BOT_STATE_TTL_DAYS`` | ``7`` | days a resident's conversation state is kept |
| ``BOT_WEB_FRAME_ANCESTORS`` | ``'self'`` | CSP ``frame-ancestors`` of the web chat: who may embed it |
| ``BOT_WEB_MAX_BODY`` | ``16384`` | largest web request body, in bytes |
| ``BOT_WEB_LOG_TEXT`` | ``off`` | log residents' web messages (off: only their length) |
| ``WECHAT_TOKEN`` | (none: WeChat off) | the Token of the WeChat Official Account (secret) |
| ``WECHAT_APPID`` | (none) | its AppID; needed in compatible and safe modes |
| ``WECHAT_AES_KEY`` | (none) | its EncodingAESKey, 43 characters (secret) |
| ``WECHAT_MODE`` | ``compatible`` with a key, else ``plain`` | ``plain``, ``compatible`` or ``safe`` |
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_VAR_DIR = ROOT / "var"
DEFAULT_RATE_LIMIT = "5/10"
DEFAULT_WATCH_INTERVAL = 30.0

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_ON = {"on", "true", "yes", "1"}
_OFF = {"off", "false", "no", "0", "none"}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable, never a secret."""


class Secret:
    """A token or key: ``repr`` and ``str`` never show it (nor do logs or errors that print them)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({str(self)!r})"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)


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


# -- how each kind of value is read: the rule for a variable lives in exactly one function ------------


def _token(value: Any) -> Any:
    text = (value.get_secret_value() if isinstance(value, Secret) else value).strip()
    if text and not _TOKEN.match(text):
        raise ValueError("does not look like a BotFather token (digits:letters).")  # never the value
    return Secret(text)


def _secret(value: Any) -> Any:
    """An empty secret is no secret: the channel that needs it stays off."""
    text = value.get_secret_value() if isinstance(value, Secret) else value
    return Secret(text.strip()) if isinstance(text, str) and text.strip() else None


def _url(value: Any) -> Any:
    text = value.strip() if isinstance(value, str) else value
    if not text:
        return DEFAULT_BASE_URL
    if not str(text).startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, not {text!r}")
    return text


def _admin_ids(value: Any) -> Any:
    if not isinstance(value, str):
        if not all(isinstance(user, int) and not isinstance(user, bool) for user in value):
            raise ValueError(f"must be numeric user ids, not {value!r}")
        return frozenset(value)
    ids = set()
    for part in re.split(r"[,\s]+", value.strip()):
        if not part:
            continue
        if not re.fullmatch(r"-?\d+", part):
            raise ValueError(f"must be comma-separated numeric user ids, not {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _rate_limit(value: Any) -> Any:
    if value is None or isinstance(value, RateLimit):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must look like 5/10 (messages/seconds), not {value!r}")
    try:
        return RateLimit.parse(value)
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("BOT_RATE_LIMIT ")) from None


def _switch(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be on or off, not {value!r}")
    word = value.strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise ValueError(f"must be on or off, not {value!r}")


def _seconds(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return DEFAULT_WATCH_INTERVAL
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError
        seconds = float(value)
    except ValueError:
        raise ValueError(f"must be a number of seconds (0 = off), not {value!r}") from None
    if seconds < 0 or not math.isfinite(seconds):
        raise ValueError(f"must be a number of seconds (0 = off), not {value!r}")
    return seconds


def _count(what: str) -> Any:
    def parse(value: Any) -> Any:
        text = value.strip() if isinstance(value, str) else value
        try:
            number = int(text)
        except (TypeError, ValueError):
            raise ValueError(f"must be a whole number of {what}, not {value!r}") from None
        if number < 1:
            raise ValueError(f"must be at least 1 {what[:-1]}, not {value!r}")
        return number

    return parse


def _path(value: Any) -> Any:
    """A folder; empty means the default (an empty line in a ``.env`` template)."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be a folder, not {value!r}")
    return Path(value.strip()).expanduser() if value.strip() else DEFAULT_VAR_DIR


def _cache_dir(value: Any) -> Any:
    """``off``, ``0`` or empty: no cache (a read-only deployment)."""
    if value is None or isinstance(value, Path):
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be a folder or off, not {value!r}")
    return None if value.strip().lower() in {"", *_OFF} else Path(value.strip()).expanduser()


def _mode(value: Any) -> Any:
    if value is None:
        return value
    if not isinstance(value, str):
        raise ValueError(f"must be one of {', '.join(_MODES)}, not {value!r}")
    mode = value.strip().lower()
    if mode and mode not in _MODES:
        raise ValueError(f"must be one of {', '.join(_MODES)}, not {value!r}")
    return mode or None


def _aes_key(value: Any) -> Any:
    key = _secret(value)
    if key is not None and len(key.get_secret_value()) != 43:
        raise ValueError("must be the 43 characters of the EncodingAESKey")  # never the value
    return key


_MODES = ("plain", "compatible", "safe")


def _text(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"must be text, not {type(value).__name__}")
    return value


# Marks the cache directory not given: it is then ``cache/`` in the var directory.
_IN_VAR_DIR: Any = Path("$BOT_VAR_DIR/cache")


def _setting(variable: str, read: Callable[[Any], Any], default: Any = None, shown: bool = True) -> Any:
    """A field read from the variable ``variable`` only (never from one named like the field);
    ``shown=False`` keeps it out of ``repr`` (a URL may carry a password)."""
    return field(default=default, repr=shown, metadata={"variable": variable, "read": read})


@dataclass(frozen=True)
class Settings:
    """Every setting. ``load_settings`` reads them for a run; code and tests may pass fields by name,
    as text (as the environment gives them) or as values; either way each is checked. The cache folder
    follows the var folder when it is made: ``dataclasses.replace`` with another ``var_dir`` keeps the
    cache where it was unless ``cache_dir`` is given too."""

    token: Secret = _setting("TELEGRAM_BOT_TOKEN", _token, Secret(""))
    base_url: str = _setting("TELEGRAM_BASE_URL", _url, DEFAULT_BASE_URL)
    admin_ids: frozenset[int] = _setting("BOT_ADMIN_IDS", _admin_ids, frozenset())
    rate_limit: RateLimit | None = _setting("BOT_RATE_LIMIT", _rate_limit, RateLimit(5, 10.0))
    rate_limiter: bool = _setting("BOT_RATE_LIMITER", _switch, True)
    watch_interval: float = _setting("BOT_WATCH_INTERVAL", _seconds, DEFAULT_WATCH_INTERVAL)
    var_dir: Path = _setting("BOT_VAR_DIR", _path, DEFAULT_VAR_DIR)
    cache_dir: Path | None = _setting("BOT_CACHE_DIR", _cache_dir, _IN_VAR_DIR)
    log_salt: Secret | None = _setting("BOT_LOG_SALT", _secret)
    state_url: str | None = _setting("BOT_STATE_URL", _text, shown=False)
    state_ttl_days: int = _setting("BOT_STATE_TTL_DAYS", _count("days"), 7)
    web_frame_ancestors: str = _setting("BOT_WEB_FRAME_ANCESTORS", _text, "'self'")
    web_max_body: int = _setting("BOT_WEB_MAX_BODY", _count("bytes"), 16384)
    web_log_text: bool = _setting("BOT_WEB_LOG_TEXT", _switch, False)
    wechat_token: Secret | None = _setting("WECHAT_TOKEN", _secret)
    wechat_appid: str = _setting("WECHAT_APPID", _text, "")
    wechat_aes_key: Secret | None = _setting("WECHAT_AES_KEY", _aes_key)
    wechat_mode: Literal["plain", "compatible", "safe"] | None = _setting("WECHAT_MODE", _mode)

    def __post_init__(self) -> None:
        for setting in dataclasses.fields(self):
            try:
                value = setting.metadata["read"](getattr(self, setting.name))
            except ValueError as exc:
                raise ConfigError(f"{setting.metadata['variable']} {exc}") from None
            object.__setattr__(self, setting.name, value)
        if self.cache_dir is _IN_VAR_DIR:
            object.__setattr__(self, "cache_dir", self.var_dir / "cache")

    @classmethod
    def from_variables(cls, values: Mapping[str, str]) -> Settings:
        """Settings from variables by name (``BOT_RATE_LIMIT``); other names are ignored."""
        names = variables()
        given: dict[str, Any] = {names[name]: value for name, value in values.items() if name in names}
        return cls(**given)

    @property
    def base_file_url(self) -> str:
        """Where a self-hosted Bot API serves files: ``…/bot`` → ``…/file/bot``."""
        if self.base_url.endswith("/bot"):
            return self.base_url.removesuffix("/bot") + "/file/bot"
        return self.base_url

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids


def variables() -> dict[str, str]:
    """Every variable the bot reads → its field; for docs and for tests that clear them all."""
    return {f.metadata["variable"]: f.name for f in dataclasses.fields(Settings)}


def load_settings(env_file: str | Path | None = ".env", *, require_token: bool = True) -> Settings:
    """Read and check every setting from the environment over ``env_file`` (missing: ignored).

    Raises ConfigError naming the first bad variable; with ``require_token`` (Telegram), also
    when TELEGRAM_BOT_TOKEN is not set."""
    names = variables()
    given: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        try:
            from_file = dotenv_values(env_file, encoding="utf-8")
            given.update((k, v) for k, v in from_file.items() if v is not None)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{env_file} cannot be read: {exc.__class__.__name__}") from None
    given.update(os.environ)
    values = {k: v for k, v in given.items() if k in names}
    for key in sorted(k for k in given if k not in names and k.upper() in names):
        # pydantic-settings took any case, so a deployment may still write one this way
        log.warning("%s is ignored: setting names are upper case (%s)", key, key.upper())
    settings = Settings.from_variables(values)
    if require_token and not settings.token.get_secret_value():
        where = f" or in {env_file}" if env_file is not None else ""
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and set it "
            f"in the environment{where}."
        )
    return settings
