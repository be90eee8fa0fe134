"""jieba's dictionary looked up word by word (bot.engine.dictionary): the same tokens as jieba's own dict,
a table that cannot be trusted is built again, the files are private."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

import pytest

import bot.engine.dictionary as dictionary
from bot.engine.dictionary import Frequencies, WordCounts, jieba_frequencies
from bot.engine.text import Lexicon, Tokenizer

# A small dictionary in jieba's format (word, count, tag), so each test builds its own table quickly.
WORDS = """\
春联 500 n
写春联 80 v
灯谜 300 n
猜灯谜 60 v
元宵节 400 t
元宵 200 n
社区 900 n
中心路 50 ns
街道 800 n
活动 1200 n
哪里 700 r
可以 1500 v
有 9000 v
什么 3000 r
"""
TEXTS = ["哪里可以写春联?", "元宵节有什么活动", "中心路街道社区猜灯谜", "春联灯谜元宵", "没有的词也要切开"]
LEXICON = Lexicon(words=[("康乐社区", 100, "ns"), ("义写春联", None, None)], stopwords=frozenset({"哪里"}))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "dict.txt"
    path.write_text(WORDS, encoding="utf-8")
    return path


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """The private cache directory, as ``bot.engine.snapshot.resolve_cache_dir`` gives it."""
    path = tmp_path / "cache"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture(autouse=True)
def fresh_process_copy() -> None:
    """Each test starts as a new process would: no dictionary in memory yet."""
    dictionary._LOADED.clear()


def cut_all(frequencies: Frequencies) -> list[list[str]]:
    tokenizer = Tokenizer(LEXICON, frequencies)
    return [tokenizer.words(text) for text in TEXTS] + [tokenizer.tokens(t, for_index=True) for t in TEXTS]


def test_table_gives_the_same_tokens_as_the_dict(source: Path, cache: Path) -> None:
    in_memory = jieba_frequencies(None, source)
    assert in_memory.in_memory
    expected = cut_all(in_memory)
    dictionary._LOADED.clear()
    built = jieba_frequencies(cache, source)  # built from the file, stored as a table
    dictionary._LOADED.clear()
    stored = jieba_frequencies(cache, source)  # read from the table
    assert built.in_memory and not stored.in_memory
    assert stored.total == in_memory.total
    assert cut_all(stored) == expected
    for word in ["春联", "春", "写春", "元宵节", "没有", ""]:
        assert stored.count(word) == in_memory.count(word)


def test_a_process_reads_the_table_once(source: Path, cache: Path) -> None:
    first = jieba_frequencies(cache, source)
    assert jieba_frequencies(cache, source) is first


@pytest.mark.parametrize("damage", ["flip", "truncate", "meta"])
def test_a_damaged_table_is_built_again(
    source: Path, cache: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    expected = cut_all(jieba_frequencies(cache, source))
    (table,) = cache.glob("jieba-*.sqlite3")
    (meta,) = cache.glob("jieba-*.sqlite3.meta")
    raw = table.read_bytes()
    if damage == "flip":
        table.write_bytes(raw[:-100] + bytes([raw[-100] ^ 0xFF]) + raw[-99:])
    elif damage == "truncate":
        table.write_bytes(raw[: len(raw) // 2])
    else:
        meta.write_bytes(meta.read_bytes()[:-3])
    dictionary._LOADED.clear()
    with caplog.at_level(logging.WARNING):
        again = jieba_frequencies(cache, source)
    assert again.in_memory  # rebuilt from jieba's file, not read from the damaged table
    assert cut_all(again) == expected
    assert "rejected" in caplog.text
    dictionary._LOADED.clear()
    assert not jieba_frequencies(cache, source).in_memory  # and stored again, whole
    assert table.read_bytes() == raw


def test_table_files_are_private(source: Path, cache: Path) -> None:
    jieba_frequencies(cache, source)
    files = sorted(cache.iterdir())
    assert [f.suffix for f in files] == [".sqlite3", ".meta"]  # the file is too new to keep its digest
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_a_changed_dictionary_file_replaces_the_table(source: Path, cache: Path) -> None:
    jieba_frequencies(cache, source)
    source.write_text(WORDS + "春联活动 30 n\n", encoding="utf-8")
    changed = jieba_frequencies(cache, source)
    assert changed.count("春联活动") == 30
    assert len(list(cache.glob("jieba-*.sqlite3"))) == 1  # the old table is gone


def test_memo_forgets_past_its_limit_and_stays_right(
    source: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = jieba_frequencies(cache, source)  # built: a plain dict
    dictionary._LOADED.clear()
    stored = jieba_frequencies(cache, source)
    monkeypatch.setattr(dictionary, "MEMO_LIMIT", 3)
    words = ["春联", "灯谜", "社区", "没有", "街道", "春"]
    for _ in range(3):
        assert [stored.count(w) for w in words] == [expected.count(w) for w in words]
    assert len(stored._memo) <= 3


def test_word_counts_put_the_tokenizers_words_over_the_dictionary(source: Path) -> None:
    counts = WordCounts(jieba_frequencies(None, source))
    assert "春" in counts and counts["春"] == 0  # a prefix of a word
    assert counts.get("没有") is None and "没有" not in counts
    with pytest.raises(KeyError):
        counts["没有"]
    counts["没有"] = 7
    counts["春联"] = 1
    assert counts["没有"] == 7 and counts.get("春联") == 1
    with pytest.raises(TypeError):
        list(counts)


@pytest.mark.slow
def test_jiebas_own_dictionary_cuts_the_same_from_the_table(cache: Path) -> None:
    """Against jieba itself: its default Tokenizer, loading its dictionary its own way."""
    import jieba

    texts = [*TEXTS, "上街区书法家协会在中心路街道康乐社区义写春联", "矿山街道开展猜灯谜活动,现场热闹非凡"]
    reference = jieba.Tokenizer()
    expected = [reference.lcut(text) for text in texts]
    jieba_frequencies(cache)  # built and stored
    dictionary._LOADED.clear()
    table = jieba_frequencies(cache)
    assert not table.in_memory
    ours = Tokenizer(Lexicon(), table)
    assert [ours.words(text) for text in texts] == expected


def _later(path: Path) -> None:
    """A write seen one second later: what any change after the signature was taken looks like."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_settled_files_are_trusted_by_signature_until_written(
    source: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(dictionary, "SETTLED_SECONDS", 0.0)  # every file counts as settled
    expected = cut_all(jieba_frequencies(cache, source))  # built; the source's digest kept
    assert (cache / "jieba-source.memo").exists()
    dictionary._LOADED.clear()
    jieba_frequencies(cache, source)  # hashed once more, then its signature is kept
    dictionary._LOADED.clear()

    hashed: list[int] = []
    real_blake2b = hashlib.blake2b

    def counting_blake2b(data: bytes = b"", *, digest_size: int = 64) -> hashlib.blake2b:
        hashed.append(len(data))
        return real_blake2b(data, digest_size=digest_size)

    with monkeypatch.context() as patch:
        patch.setattr(hashlib, "blake2b", counting_blake2b)
        trusted = jieba_frequencies(cache, source)
    assert max(hashed) < len(WORDS.encode())  # only the small cache descriptions, never the files
    assert not trusted.in_memory and cut_all(trusted) == expected

    (table,) = cache.glob("jieba-*.sqlite3")
    raw = table.read_bytes()
    table.write_bytes(raw[:-100] + bytes([raw[-100] ^ 0xFF]) + raw[-99:])
    _later(table)
    dictionary._LOADED.clear()
    with caplog.at_level(logging.WARNING):
        assert jieba_frequencies(cache, source).in_memory  # the written table was checked, and rebuilt
    assert "rejected" in caplog.text

    source.write_text(WORDS + "春联活动 30 n\n", encoding="utf-8")
    _later(source)
    dictionary._LOADED.clear()
    assert jieba_frequencies(cache, source).count("春联活动") == 30  # a changed source is read again


def test_a_table_path_given_relative_opens_in_place(
    source: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jieba_frequencies(cache, source)
    dictionary._LOADED.clear()
    monkeypatch.chdir(cache.parent)
    table = jieba_frequencies(Path(cache.name), source)
    assert not table.in_memory and table.count("春联") == 500
