"""Telegram settings: environment over .env file, every value checked, the token never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_PERSISTENCE,
    DEFAULT_WATCH_INTERVAL,
    ConfigError,
    RateLimit,
    Settings,
    load_settings,
    read_environment,
)

TOKEN = "123456:ABC-def_ghi"


def test_defaults_with_only_a_token() -> None:
    settings = load_settings(None, {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings == Settings(token=TOKEN)
    assert settings.base_url == DEFAULT_BASE_URL == "https://api.telegram.org/bot"
    assert (
        settings.persistence == DEFAULT_PERSISTENCE and settings.persistence.name == "telegram-state.pickle"
    )
    assert settings.admin_ids == frozenset()
    assert settings.rate_limit == RateLimit(5, 10.0)
    assert settings.rate_limiter is True
    assert settings.watch_interval == DEFAULT_WATCH_INTERVAL


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        {
            "TELEGRAM_BOT_TOKEN": f" {TOKEN} ",
            "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "BOT_PERSISTENCE": str(tmp_path / "state.pickle"),
            "BOT_ADMIN_IDS": "42, 7 ,-1001",
            "BOT_RATE_LIMIT": "3/5",
            "BOT_RATE_LIMITER": "off",
            "BOT_WATCH_INTERVAL": "2.5",
        },
    )
    assert settings.token == TOKEN
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.persistence == tmp_path / "state.pickle"
    assert settings.admin_ids == {42, 7, -1001} and settings.is_admin(42) and not settings.is_admin(None)
    assert settings.rate_limit == RateLimit(3, 5.0)
    assert settings.rate_limiter is False
    assert settings.watch_interval == 2.5


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"# BotFather token\nTELEGRAM_BOT_TOKEN={TOKEN}\nBOT_ADMIN_IDS=1,2\nBOT_RATE_LIMIT='8/30'\n",
        encoding="utf-8",
    )
    from_file = load_settings(env_file, {})
    assert (
        from_file.token == TOKEN
        and from_file.admin_ids == {1, 2}
        and from_file.rate_limit == RateLimit(8, 30.0)
    )
    overridden = load_settings(env_file, {"BOT_ADMIN_IDS": "9"})
    assert overridden.admin_ids == {9} and overridden.token == TOKEN
    assert read_environment(tmp_path / "absent.env", {"A": "1"}) == {"A": "1"}


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("BOT_WATCH_INTERVAL", "0")
    settings = load_settings(tmp_path / "absent.env")
    assert settings.token == TOKEN and settings.watch_interval == 0


def test_missing_token_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN is not set.*@BotFather.*absent\.env"):
        load_settings(tmp_path / "absent.env", {})
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        load_settings(None, {"TELEGRAM_BOT_TOKEN": "  "})


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
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, name: value}
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(None, environ)
    assert TOKEN not in str(caught.value)


def test_a_malformed_token_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, {"TELEGRAM_BOT_TOKEN": "secret-but-malformed"})
    assert "secret-but-malformed" not in str(caught.value)


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


def test_on_off_spellings() -> None:
    for value, expected in [("on", True), ("TRUE", True), ("1", True), ("no", False), ("Off", False)]:
        assert (
            load_settings(None, {"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_RATE_LIMITER": value}).rate_limiter
            is expected
        )


def test_repr_never_shows_the_token() -> None:
    settings = load_settings(None, {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
