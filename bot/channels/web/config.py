"""The web channel's settings, gathered in one function from ``bot.settings`` and the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.channels.web.limits import (
    IP_MESSAGES,
    IP_WINDOW_SECONDS,
    MAX_BODY_BYTES,
    RESIDENT_MESSAGES,
    RESIDENT_WINDOW_SECONDS,
)
from bot.engine import DEFAULT_INTENTS, DEFAULT_KNOWLEDGE, ROOT
from bot.state.limits import DEFAULT_TTL

# One frame-ancestors source: 'self', 'none', or scheme://host[:port] with an optional "*." label.
# Nothing else, so the value can never close the CSP directive or the header.
_SOURCE = re.compile(r"'self'|'none'|https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?")


class WebConfigError(ValueError):
    """A web setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class WebSettings:
    """What the web app needs besides the conversation service."""

    frame_ancestors: str = "'self'"
    max_body: int = MAX_BODY_BYTES
    log_text: bool = False
    state_url: str = ""
    resident_limit: tuple[int, float] = (RESIDENT_MESSAGES, RESIDENT_WINDOW_SECONDS)
    ip_limit: tuple[int, float] | None = (IP_MESSAGES, IP_WINDOW_SECONDS)  # None: no per-IP cap
    state_ttl: float = DEFAULT_TTL
    watch_interval: float = 30.0
    knowledge: Path = DEFAULT_KNOWLEDGE
    intents: Path = DEFAULT_INTENTS
    unanswered_log: Path = ROOT / "var" / "unanswered.jsonl"
    var_dir: Path = ROOT / "var"

    def __post_init__(self) -> None:
        check_frame_ancestors(self.frame_ancestors)
        if self.max_body < 1:
            raise WebConfigError(f"BOT_WEB_MAX_BODY must be a positive number of bytes, not {self.max_body}")


def check_frame_ancestors(value: str) -> str:
    """Refuse anything but a list of sources, so a typo cannot break or widen the CSP."""
    sources = value.split()
    if not sources or not all(_SOURCE.fullmatch(s) for s in sources):
        raise WebConfigError(
            "BOT_WEB_FRAME_ANCESTORS must be space-separated sources such as "
            f"\"'self' https://www.example.gov.cn\", not {value!r}"
        )
    return " ".join(sources)


def parse_limit(name: str, text: str) -> tuple[int, float] | None:
    """``"120/60"`` → 120 messages per 60 s; ``"off"`` → no cap (a load test from one address)."""
    text = text.strip().lower()
    if text in ("off", "0", "none"):
        return None
    count, _, window = text.partition("/")
    try:
        limit = (int(count), float(window))
    except ValueError:
        raise WebConfigError(
            f"{name} must look like 120/60 (messages/seconds) or off, not {text!r}"
        ) from None
    if limit[0] < 1 or not limit[1] > 0:
        raise WebConfigError(f"{name} needs at least 1 message in a positive window, not {text!r}")
    return limit


def web_settings_from_environment(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> WebSettings:
    """The web channel's settings: the shared ones from ``bot.settings``, plus this channel's own.

    ``environ`` (tests) is read instead of the environment and ``.env``. BOT_WEB_IP_LIMIT and the
    data folders are not in ``bot.settings`` yet; they are read here, in this one function."""
    from bot.settings import ConfigError, Settings, load_settings

    env = os.environ if environ is None else environ
    try:
        if environ is None:
            shared = load_settings(env_file, require_token=False)
        else:  # given variables win over the process environment
            shared = Settings.from_variables(environ)
    except ConfigError as exc:
        raise WebConfigError(str(exc)) from None
    raw_ip = env.get("BOT_WEB_IP_LIMIT", "").strip()
    return WebSettings(
        frame_ancestors=shared.web_frame_ancestors.strip() or "'self'",
        max_body=shared.web_max_body,
        log_text=shared.web_log_text,
        state_url=shared.state_url or "",
        state_ttl=shared.state_ttl_days * 24 * 3600.0,
        watch_interval=shared.watch_interval,
        var_dir=shared.var_dir,
        ip_limit=parse_limit("BOT_WEB_IP_LIMIT", raw_ip) if raw_ip else (IP_MESSAGES, IP_WINDOW_SECONDS),
        knowledge=Path(env.get("BOT_KNOWLEDGE") or DEFAULT_KNOWLEDGE),
        intents=Path(env.get("BOT_INTENTS") or DEFAULT_INTENTS),
        unanswered_log=Path(env.get("BOT_UNANSWERED_LOG") or ROOT / "var" / "unanswered.jsonl"),
    )
