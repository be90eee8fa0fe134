"""bot.imports: a library imported as if an optional package were missing, which stays importable."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.imports import certificates_deferred, import_without
from tests.conftest import ROOT
from tests.tls import make_authority


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A library that uses an optional package when it can import it, as jieba and PTB do."""
    (tmp_path / "optional_extra.py").write_text("LOADED = True\n", encoding="utf-8")
    (tmp_path / "eager_library.py").write_text(
        "try:\n    import optional_extra\n    HAS_EXTRA = True\nexcept ImportError:\n    HAS_EXTRA = False\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("eager_library", "optional_extra"):
        sys.modules.pop(name, None)


@pytest.mark.usefixtures("library")
def test_the_library_runs_without_the_hidden_package_which_stays_importable() -> None:
    library = import_without("eager_library", ["optional_extra"])
    assert library.HAS_EXTRA is False
    assert "optional_extra" not in sys.modules
    import optional_extra  # type: ignore[import-not-found]

    assert optional_extra.LOADED


@pytest.mark.usefixtures("library")
def test_a_package_already_imported_is_left_as_it_is() -> None:
    import optional_extra

    assert import_without("eager_library", ["optional_extra"]).HAS_EXTRA is True
    assert sys.modules["optional_extra"] is optional_extra


@pytest.mark.slow
def test_the_telegram_channel_starts_without_what_it_never_uses() -> None:
    code = (
        "import sys, bot.channels.telegram; "
        "print(sorted({'cryptography', 'click', 'pygments', 'pkg_resources', 'numpy'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_records_import_without_pydantic() -> None:
    """A start from the snapshot cache reads records only; pydantic validates files (bot.data.schema)."""
    code = (
        "import sys; seen = lambda: sorted(m for m in sys.modules"
        " if m.startswith(('pydantic', 'annotated')));"
        "import bot.data.records; print(seen());"
        "import bot.engine.snapshot; print(seen())"  # with bot.data.knowledge and bot.data.schema
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "[]"]


def test_contexts_made_while_certificates_are_deferred_trust_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(make_authority(tmp_path).ca))  # one CA the system trusts
    with certificates_deferred():
        deferred = ssl.create_default_context()
    after = ssl.create_default_context()
    assert deferred.verify_mode == ssl.CERT_REQUIRED
    assert deferred.cert_store_stats()["x509_ca"] == 0
    assert after.cert_store_stats()["x509_ca"] == 1


def test_certificates_load_again_after_an_import_that_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(make_authority(tmp_path).ca))
    with pytest.raises(ImportError), certificates_deferred():
        import a_library_that_is_not_installed  # type: ignore[import-not-found]  # noqa: F401
    assert "set_default_verify_paths" not in vars(ssl.SSLContext)
    assert ssl.create_default_context().cert_store_stats()["x509_ca"] == 1


@pytest.mark.slow
def test_every_module_of_the_bot_can_be_imported_first() -> None:
    """No import cycle depends on which module a tool or a test happens to import first."""
    code = (
        "import importlib, pkgutil, sys, bot\n"
        "names = [m.name for m in pkgutil.walk_packages(bot.__path__, 'bot.')]\n"
        "failed = []\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m == 'bot' or m.startswith('bot.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {exc}')\n"
        "print(len(names)); print(*failed, sep='\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    count, *failed = done.stdout.strip().split("\n")
    assert int(count) > 50 and failed == [], done.stdout
