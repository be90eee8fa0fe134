"""How words sound (bot.engine.sounds): a question's word is read without importing pypinyin, as pypinyin
reads a word outside its phrases; the table is cached and rebuilt when it cannot be trusted."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

import bot.engine.sounds as sounds
from bot.engine import snapshot
from bot.engine.sounds import Readings, sound


@pytest.fixture(scope="module")
def readings() -> Readings:
    """The table built from pypinyin (~1 s), shared by the tests that only read it."""
    table = Readings(None)
    table.sound_of("春")
    return table


@pytest.mark.parametrize("word", ["春连", "新访", "心里咨询", "低报", "写对子"])
def test_a_word_outside_pypinyins_phrases_reads_as_pypinyin_reads_it(readings: Readings, word: str) -> None:
    assert readings.sound_of(word) == sound(word)


@pytest.mark.slow
def test_every_character_reads_as_lazy_pinyin_reads_it_alone(readings: Readings) -> None:
    from pypinyin import lazy_pinyin

    assert len(readings.table) > 40_000
    assert all(reading == lazy_pinyin(char)[0] for char, reading in readings.table.items())


def test_a_phrase_is_read_in_context_only_by_pypinyin(readings: Readings) -> None:
    """银行 is yin hang to pypinyin (its phrase), but a question's unknown word is read character by
    character with each character's usual reading: that is the difference, and why knowledge words
    (which a resident types to get) are read by pypinyin when the knowledge is built."""
    assert sound("银行") == "yin hang"
    assert readings.sound_of("银行") == "yin xing"


def test_a_character_without_a_reading_stands_for_itself(readings: Readings) -> None:
    assert readings.sound_of("春a") == "chun a"


def test_the_table_is_cached_and_read_back_without_pypinyin(tmp_path: Path) -> None:
    sounds._TABLES.clear()  # as in a new process
    assert Readings(tmp_path).sound_of("春连") == "chun lian"
    (cached,) = tmp_path.glob("readings-*.marshal")
    script = (
        "import sys; from pathlib import Path; from bot.engine.sounds import Readings;"
        f"print(Readings(Path({str(tmp_path)!r})).sound_of('春连'), 'pypinyin' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["chun", "lian", "False"]
    assert cached.exists()


def test_a_damaged_table_is_built_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sounds._TABLES.clear()
    Readings(tmp_path).sound_of("春")
    (cached,) = tmp_path.glob("readings-*.marshal")
    raw = cached.read_bytes()
    cached.write_bytes(raw[:-10])
    sounds._TABLES.clear()
    with caplog.at_level(logging.WARNING):
        assert Readings(tmp_path).sound_of("春连") == "chun lian"
    assert "rejected" in caplog.text
    assert cached.read_bytes() == raw


def test_a_signed_table_of_the_wrong_shape_is_built_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sounds._TABLES.clear()
    Readings(tmp_path).sound_of("春")
    (cached,) = tmp_path.glob("readings-*.marshal")
    raw = cached.read_bytes()
    key = f"readings 3 pypinyin {sounds.pypinyin_release()}"
    for wrong in ({"春": "chun"}, ("春联", "chun"), ("春", 1)):
        snapshot.write_file(cached, key, wrong)  # a valid digest over what is not a table
        sounds._TABLES.clear()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert Readings(tmp_path).sound_of("春连") == "chun lian"
        assert "rejected" in caplog.text
        assert cached.read_bytes() == raw


def test_readings_cached_for_another_pypinyin_release_are_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sounds._TABLES.clear()
    Readings(tmp_path).sound_of("春")
    (before,) = tmp_path.glob("readings-*.marshal")
    builds: list[int] = []
    build = sounds._build_table

    def counted() -> dict[str, str]:
        builds.append(1)
        return build()

    monkeypatch.setattr(sounds, "_build_table", counted)
    monkeypatch.setattr(sounds, "pypinyin_release", lambda: "another-release")
    sounds._TABLES.clear()
    assert Readings(tmp_path).sound_of("春连") == "chun lian"
    (after,) = tmp_path.glob("readings-*.marshal")
    assert builds == [1] and after != before
