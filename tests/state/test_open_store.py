"""BOT_STATE_URL picks the backend: empty for SQLite in the var directory, a file, or Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.state import open_store
from bot.state.sqlite import SQLiteStore
from tests.processes import free_port
from tests.state.conftest import run_python


@pytest.mark.parametrize("url", [None, "", "  "])
def test_no_url_is_sqlite_in_the_var_dir(tmp_path: Path, url: str | None) -> None:
    with open_store(url, tmp_path / "var") as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "var" / "state.sqlite3"
        store.put("chat", "1", 1)
    assert (tmp_path / "var" / "state.sqlite3").is_file()


def test_sqlite_url_with_an_absolute_path(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "bot.db"
    with open_store(f"sqlite://{target}", tmp_path / "var") as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == target
    assert target.is_file()
    assert not (tmp_path / "var").exists()


def test_sqlite_url_with_a_relative_path_is_under_the_var_dir(tmp_path: Path) -> None:
    with open_store("sqlite://sub/bot.db", tmp_path / "var") as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "var" / "sub" / "bot.db"


def test_limits_are_passed_on(tmp_path: Path) -> None:
    with open_store(None, tmp_path, default_ttl=60, max_entries=10) as store:
        assert (store.default_ttl, store.max_entries) == (60, 10)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///tmp/dir/"])
def test_sqlite_url_without_a_file_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="needs a file"):
        open_store(url, tmp_path)


def test_redis_url_is_redis(redis_url: str, tmp_path: Path) -> None:
    from bot.state.redis import RedisStore

    with open_store(redis_url, tmp_path, max_entries=5) as store:
        assert isinstance(store, RedisStore)
        assert store.max_entries == 5
        store.put("chat", "1", "via redis")
        assert store.get("chat", "1") == "via redis"
    assert not tmp_path.joinpath("state.sqlite3").exists()


def test_unreachable_redis_fails_at_open(tmp_path: Path) -> None:
    redis = pytest.importorskip("redis")
    with pytest.raises(redis.ConnectionError):
        open_store(f"redis://127.0.0.1:{free_port()}/0", tmp_path)


@pytest.mark.parametrize("url", ["postgres://user:hunter2@db/bot", "state.sqlite3", "file:///tmp/x"])
def test_unknown_scheme_is_a_clear_error_without_secrets(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="unknown state store scheme") as error:
        open_store(url, tmp_path)
    assert "hunter2" not in str(error.value)
    assert "sqlite:///" in str(error.value)


def test_sqlite_works_without_redis_installed(tmp_path: Path) -> None:
    code = """
import sys
sys.modules["redis"] = None  # as if redis-py were not installed: importing it raises
from pathlib import Path
from bot.state import open_store
with open_store(None, Path(sys.argv[1])) as store:
    store.put("chat", "1", "ok")
    print(store.get("chat", "1"))
"""
    assert run_python(code, str(tmp_path)).strip() == "ok"
