"""Settings: environment over .env file, every value checked once, secrets never shown."""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_VAR_DIR,
    DEFAULT_WATCH_INTERVAL,
    ConfigError,
    RateLimit,
    Secret,
    Settings,
    load_settings,
    variables,
)
from tests.conftest import ROOT

TOKEN = "123456:ABC-def_ghi"
AES_KEY = "a" * 43


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A process environment without any of the bot's variables; tests set the ones they need."""
    for name in variables():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def settings_with(environ: pytest.MonkeyPatch, values: dict[str, str], **options: bool) -> Settings:
    for name, value in values.items():
        environ.setenv(name, value)
    return load_settings(None, **options)


def test_defaults_with_only_a_token(environ: pytest.MonkeyPatch) -> None:
    settings = settings_with(environ, {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings == Settings(token=Secret(TOKEN))
    assert settings.base_url == DEFAULT_BASE_URL == "https://api.telegram.org/bot"
    assert settings.state_url is None  # SQLite in var/ by default
    assert settings.admin_ids == frozenset()
    assert settings.rate_limit == RateLimit(5, 10.0)
    assert settings.rate_limiter is True
    assert settings.watch_interval == DEFAULT_WATCH_INTERVAL
    assert (settings.var_dir, settings.cache_dir) == (DEFAULT_VAR_DIR, DEFAULT_VAR_DIR / "cache")
    assert (settings.state_url, settings.state_ttl_days) == (None, 7)
    assert (settings.web_frame_ancestors, settings.web_max_body, settings.web_log_text) == (
        "'self'",
        16384,
        False,
    )
    assert (settings.wechat_token, settings.wechat_appid, settings.wechat_aes_key, settings.wechat_mode) == (
        None,
        "",
        None,
        None,
    )


def test_every_variable_is_read(environ: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = settings_with(
        environ,
        {
            "TELEGRAM_BOT_TOKEN": f" {TOKEN} ",
            "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "BOT_ADMIN_IDS": "42, 7 ,-1001",
            "BOT_RATE_LIMIT": "3/5",
            "BOT_RATE_LIMITER": "off",
            "BOT_WATCH_INTERVAL": "2.5",
            "BOT_VAR_DIR": str(tmp_path / "var"),
            "BOT_STATE_URL": "redis://localhost:6379/0",
            "BOT_STATE_TTL_DAYS": "30",
            "BOT_WEB_FRAME_ANCESTORS": "https://example.org",
            "BOT_WEB_MAX_BODY": "4096",
            "BOT_WEB_LOG_TEXT": "on",
            "WECHAT_TOKEN": "wechat-secret",
            "WECHAT_APPID": "wx123",
            "WECHAT_AES_KEY": AES_KEY,
            "WECHAT_MODE": " Safe ",
        },
    )
    assert settings.token.get_secret_value() == TOKEN
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.admin_ids == {42, 7, -1001} and settings.is_admin(42) and not settings.is_admin(None)
    assert settings.rate_limit == RateLimit(3, 5.0)
    assert settings.rate_limiter is False
    assert settings.watch_interval == 2.5
    assert settings.var_dir == tmp_path / "var" and settings.cache_dir == tmp_path / "var" / "cache"
    assert (settings.state_url, settings.state_ttl_days) == ("redis://localhost:6379/0", 30)
    assert (settings.web_frame_ancestors, settings.web_max_body, settings.web_log_text) == (
        "https://example.org",
        4096,
        True,
    )
    assert settings.wechat_token is not None and settings.wechat_token.get_secret_value() == "wechat-secret"
    assert settings.wechat_aes_key is not None and settings.wechat_aes_key.get_secret_value() == AES_KEY
    assert (settings.wechat_appid, settings.wechat_mode) == ("wx123", "safe")


@pytest.mark.parametrize(
    ("value", "cache"), [("off", None), ("0", None), ("", None), ("/tmp/c", Path("/tmp/c"))]
)
def test_cache_dir_can_be_turned_off(environ: pytest.MonkeyPatch, value: str, cache: Path | None) -> None:
    assert settings_with(environ, {"BOT_CACHE_DIR": value}, require_token=False).cache_dir == cache


def test_env_file_is_read_and_the_environment_wins(environ: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"# BotFather token\nTELEGRAM_BOT_TOKEN={TOKEN}\nBOT_ADMIN_IDS=1,2\nBOT_RATE_LIMIT='8/30'\nOTHER=x\n",
        encoding="utf-8",
    )
    from_file = load_settings(env_file)
    assert (
        from_file.token.get_secret_value() == TOKEN
        and from_file.admin_ids == {1, 2}
        and from_file.rate_limit == RateLimit(8, 30.0)
    )
    environ.setenv("BOT_ADMIN_IDS", "9")
    overridden = load_settings(env_file)
    assert overridden.admin_ids == {9} and overridden.token.get_secret_value() == TOKEN
    absent = load_settings(tmp_path / "absent.env", require_token=False)
    assert absent == load_settings(None, require_token=False) and absent.admin_ids == {9}


def test_settings_by_field_name_read_no_environment(environ: pytest.MonkeyPatch) -> None:
    """Code and tests build settings from what they pass; only load_settings reads the process's."""
    environ.setenv("BOT_ADMIN_IDS", "9")
    assert Settings(token=Secret(TOKEN)).admin_ids == frozenset()


def test_only_the_documented_names_are_read(environ: pytest.MonkeyPatch) -> None:
    """A variable named like a field (TOKEN, WATCH_INTERVAL) is someone else's."""
    settings = settings_with(environ, {"TOKEN": "1:leak", "WATCH_INTERVAL": "5"}, require_token=False)
    assert settings.token.get_secret_value() == "" and settings.watch_interval == DEFAULT_WATCH_INTERVAL


def test_the_process_environment_is_the_default(environ: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environ.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    environ.setenv("BOT_WATCH_INTERVAL", "0")
    settings = load_settings(tmp_path / "absent.env")
    assert settings.token.get_secret_value() == TOKEN and settings.watch_interval == 0


def test_missing_token_says_what_to_do(environ: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN is not set.*@BotFather.*absent\.env"):
        load_settings(tmp_path / "absent.env")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        settings_with(environ, {"TELEGRAM_BOT_TOKEN": "  "})
    assert settings_with(environ, {}, require_token=False).token.get_secret_value() == ""


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "does not look like"),
        ("TELEGRAM_BASE_URL", "127.0.0.1:8081/bot", "TELEGRAM_BASE_URL"),
        ("BOT_ADMIN_IDS", "42,alice", "BOT_ADMIN_IDS"),
        ("BOT_RATE_LIMIT", "fast", "BOT_RATE_LIMIT"),
        ("BOT_RATE_LIMIT", "0/10", "BOT_RATE_LIMIT"),
        ("BOT_RATE_LIMIT", "5/0", "BOT_RATE_LIMIT"),
        ("BOT_RATE_LIMITER", "maybe", "BOT_RATE_LIMITER"),
        ("BOT_WATCH_INTERVAL", "soon", "BOT_WATCH_INTERVAL"),
        ("BOT_WATCH_INTERVAL", "-1", "BOT_WATCH_INTERVAL"),
        ("BOT_WATCH_INTERVAL", "inf", "BOT_WATCH_INTERVAL"),
        ("BOT_STATE_TTL_DAYS", "a week", "BOT_STATE_TTL_DAYS"),
        ("BOT_STATE_TTL_DAYS", "0", "BOT_STATE_TTL_DAYS"),
        ("BOT_WEB_MAX_BODY", "16k", "BOT_WEB_MAX_BODY"),
        ("BOT_WEB_LOG_TEXT", "sometimes", "BOT_WEB_LOG_TEXT"),
        ("WECHAT_MODE", "secure", "WECHAT_MODE"),
    ],
)
def test_bad_values_name_the_variable(
    environ: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        settings_with(environ, {"TELEGRAM_BOT_TOKEN": TOKEN, name: value})
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("TELEGRAM_BOT_TOKEN", "secret-but-malformed"), ("WECHAT_AES_KEY", "secret-but-too-short")],
)
def test_a_malformed_secret_is_not_echoed(environ: pytest.MonkeyPatch, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name) as caught:
        settings_with(environ, {name: value}, require_token=False)
    assert value not in str(caught.value) and value not in repr(caught.value)


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("5/10", RateLimit(5, 10.0)),
        ("1/0.5", RateLimit(1, 0.5)),
        ("20", RateLimit(20, 60.0)),
        ("off", None),
        ("0", None),
        ("", None),
    ],
)
def test_rate_limit_forms(text: str, limit: RateLimit | None) -> None:
    assert RateLimit.parse(text) == limit


def test_on_off_spellings(environ: pytest.MonkeyPatch) -> None:
    for value, expected in [("on", True), ("TRUE", True), ("1", True), ("no", False), ("Off", False)]:
        assert settings_with(
            environ, {"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_RATE_LIMITER": value}
        ).rate_limiter is (expected)


def test_repr_never_shows_a_secret(environ: pytest.MonkeyPatch) -> None:
    settings = settings_with(environ, {"TELEGRAM_BOT_TOKEN": TOKEN, "WECHAT_TOKEN": "wechat-secret"})
    for text in (repr(settings), str(settings), json.dumps(dataclasses.asdict(settings), default=str)):
        assert TOKEN not in text and "wechat-secret" not in text


def test_an_unreadable_env_file_is_named_not_shown(environ: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"TELEGRAM_BOT_TOKEN=\xff\xfe secret\n")
    with pytest.raises(ConfigError, match=r"\.env cannot be read") as caught:
        load_settings(env_file)
    assert "secret" not in str(caught.value)


def test_a_name_in_lower_case_is_named_in_a_warning_not_read(
    environ: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("bot_rate_limit=1/60\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        settings = load_settings(env_file, require_token=False)
    assert settings.rate_limit == RateLimit(5, 10.0)
    assert "bot_rate_limit is ignored" in caplog.text and "BOT_RATE_LIMIT" in caplog.text


def test_fields_given_in_code_are_checked_as_the_environment_is() -> None:
    assert Settings(rate_limit="3/5", var_dir="/srv/bot") == Settings.from_variables(  # type: ignore[arg-type]
        {"BOT_RATE_LIMIT": "3/5", "BOT_VAR_DIR": "/srv/bot", "HOME": "/root"}
    )
    assert Settings(var_dir=Path("/srv/bot")).cache_dir == Path("/srv/bot/cache")
    with pytest.raises(ConfigError, match="BOT_RATE_LIMIT"):
        Settings(rate_limit="fast")  # type: ignore[arg-type]


def test_a_secret_shows_only_whether_it_is_set() -> None:
    secret = Secret(TOKEN)
    assert TOKEN not in f"{secret} {secret!r}" and str(Secret("")) == ""
    assert secret == Secret(TOKEN) != Secret("other") and len(secret) == len(TOKEN)


def test_reading_settings_imports_no_settings_library(tmp_path: Path) -> None:
    code = (
        "import sys; from bot.settings import load_settings; load_settings(None, require_token=False); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_settings')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_empty_var_dir_is_the_default(environ: pytest.MonkeyPatch) -> None:
    settings = settings_with(environ, {"BOT_VAR_DIR": "  "}, require_token=False)
    assert (settings.var_dir, settings.cache_dir) == (DEFAULT_VAR_DIR, DEFAULT_VAR_DIR / "cache")


def test_values_given_in_code_are_converted_or_refused() -> None:
    settings = Settings(admin_ids=[7, 42], watch_interval=5)  # type: ignore[arg-type]
    assert settings.admin_ids == frozenset({7, 42}) and hash(settings)
    assert type(settings.watch_interval) is float
    wrong: list[tuple[str, object]] = [
        ("rate_limiter", None),
        ("admin_ids", ["42"]),
        ("var_dir", 3),
        ("watch_interval", True),
        ("rate_limit", 5),
    ]
    for name, value in wrong:
        given: dict[str, Any] = {name: value}
        with pytest.raises(ConfigError, match=f"^{next(k for k, v in variables().items() if v == name)} "):
            Settings(**given)


def test_the_state_url_is_not_in_the_repr(environ: pytest.MonkeyPatch) -> None:
    settings = settings_with(environ, {"BOT_STATE_URL": "redis://:hunter2@cache:6379/0"}, require_token=False)
    assert settings.state_url == "redis://:hunter2@cache:6379/0" and "hunter2" not in repr(settings)
