"""The engine cache (bot.engine.snapshot): same answers with and without it, any changed input rebuilds,
an untrustworthy file is rebuilt, the directory is private."""

from __future__ import annotations

import dataclasses
import logging
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import bot.engine.dictionary as dictionary
import bot.engine.engine as engine_module
import bot.engine.sounds as sounds
from bot.data.knowledge import Event, Knowledge, Speech, load_knowledge
from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from bot.engine.router import Intent
from bot.engine.snapshot import CacheFileError, SnapshotCache, _decode, _encode, read_file, write_file
from bot.engine.text import Lexicon, Tokenizer
from tests.fixtures.trees import Tree

# Conversations (a list is one resident's turns): events, dates, follow-ups, paging, articles,
# services, synonyms, traditional characters, English, small talk and questions it cannot answer.
CONVERSATIONS = [
    ["哪里可以写春联?", "下一页", "那2月5日呢?"],
    ["元宵节有什么活动?", "中心路街道的呢?"],
    ["怎么在手机上信访?"],
    ["冯春社区为老人提供什么服务?"],
    ["正月十五有猜灯谜吗"],
    ["二月五号有什么活动"],
    ["哪裡可以猜燈謎?"],
    ["where can I write spring couplets"],
    ["惠济区的党建工作怎么样"],
    ["怎么防范电信诈骗?"],
    ["你好", "谢谢"],
    ["明天天气怎么样"],
    ["1月13日峡窝镇开了什么会"],
    ["航展有什么表演"],
    ["找工作去哪里"],
    ["哪里可以写春连?"],  # a typo: read from the table of characters, or by pypinyin without the cache
]


def replies(engine: Engine) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for turns in CONVERSATIONS:
        state = DialogueState()
        for message in turns:
            reply = engine.answer(message, state)
            out.append((reply.kind, reply.intent, reply.text))
    return out


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree.copy(tmp_path)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The knowledge folders validated from YAML (a snapshot hit validates nothing)."""
    seen: list[Path] = []
    original = load_knowledge  # what bot.engine.engine imported

    def spy(root: Path) -> Knowledge:
        seen.append(root)
        return original(root)

    monkeypatch.setattr(engine_module, "load_knowledge", spy)
    return seen


@pytest.fixture
def cuts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts jieba cut for an index (a cached text is not cut again)."""
    seen: list[str] = []
    original = Tokenizer._tokens

    def spy(self: Tokenizer, text: str, keep_stopwords: bool, for_index: bool) -> list[str]:
        if for_index:
            seen.append(text)
        return original(self, text, keep_stopwords, for_index)

    monkeypatch.setattr(Tokenizer, "_tokens", spy)
    return seen


@pytest.mark.slow
def test_replies_identical_with_and_without_cache(tree: Tree, tmp_path: Path, builds: list[Path]) -> None:
    cache = tmp_path / "cache"
    dictionary._LOADED.clear()  # as in a new process: jieba's dictionary read from its own file
    sounds._TABLES.clear()  # and each character's reading from pypinyin
    uncached = Engine.load(tree.knowledge, tree.intents, cache_dir=False)
    assert uncached.brain.tokenizer._jieba.FREQ._base.in_memory
    plain = replies(uncached)
    dictionary._LOADED.clear()
    sounds._TABLES.clear()
    first = Engine.load(tree.knowledge, tree.intents, cache_dir=cache)  # builds and stores
    dictionary._LOADED.clear()
    sounds._TABLES.clear()
    second = Engine.load(tree.knowledge, tree.intents, cache_dir=cache)  # loads the snapshot
    assert builds == [tree.knowledge, tree.knowledge]  # the third load validated nothing
    assert replies(first) == plain
    assert replies(second) == plain
    assert not second.brain.tokenizer._jieba.FREQ._base.in_memory  # read from the table
    # The pinyin repair table is the same whether its sounds came from pypinyin or from the cache.
    assert second.brain.understander.sounds == uncached.brain.understander.sounds
    assert second.brain.understander._by_sound == uncached.brain.understander._by_sound


@pytest.mark.slow
def test_warm_start_and_a_typo_import_neither_pypinyin_nor_pydantic(tree: Tree, tmp_path: Path) -> None:
    """The knowledge's sounds come from the cache, and a question's new word (「春连」 is repaired to 春联)
    is read from the cached table of characters: pypinyin is never imported. The records are rebuilt
    from the snapshot without validation: pydantic (~80 ms with its models) is never imported either."""
    cache = tmp_path / "cache"
    Engine.load(tree.knowledge, tree.intents, cache_dir=cache)
    paths = f"Path({str(tree.knowledge)!r}), Path({str(tree.intents)!r}), cache_dir=Path({str(cache)!r})"
    script = (
        "import sys; from pathlib import Path; from bot.engine import Engine;"
        "from bot.engine.dialogue import DialogueState;"
        f"reply = Engine.load({paths}).answer('哪里可以写春连?', DialogueState());"
        "print(reply.kind, 'pypinyin' in sys.modules,"
        " sorted(m for m in sys.modules if m.startswith(('pydantic', 'annotated_types'))))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["events", "False", "[]"]


@pytest.mark.parametrize(
    ("rel", "edit"),
    # Three full engine builds each (~1.5-3 s): one kind of input stays in `make quick`.
    [
        ("knowledge/sources/001-2.yaml", ("观摩组一行先后", "观摩组一行随后")),
        pytest.param("intents/chitchat.yaml", ("早安, 晚安]", "早安, 晚安, 午安]"), marks=pytest.mark.slow),
        pytest.param("knowledge/lexicon/userdict.txt", None, marks=pytest.mark.slow),
        pytest.param(
            "knowledge/lexicon/synonyms.yaml",
            ("无人机: [drone, drones]", "无人机: [drone, drones, 飞行器]"),
            marks=pytest.mark.slow,
        ),
    ],
)
def test_any_changed_input_rebuilds(
    tree: Tree, tmp_path: Path, builds: list[Path], rel: str, edit: tuple[str, str] | None
) -> None:
    cache = tmp_path / "cache"
    Engine.load(tree.knowledge, tree.intents, cache_dir=cache)
    Engine.load(tree.knowledge, tree.intents, cache_dir=cache)
    assert len(builds) == 1
    path = tree.path(rel)
    text = path.read_text(encoding="utf-8")
    if edit is None:
        text += "\n航空港 5 ns\n"
    else:
        assert edit[0] in text
        text = text.replace(edit[0], edit[1])
    path.write_text(text, encoding="utf-8")
    engine = Engine.load(tree.knowledge, tree.intents, cache_dir=cache)
    assert len(builds) == 2
    brain = engine.brain
    if rel.endswith("userdict.txt"):
        assert "航空港" in brain.tokenizer.place_words
    elif rel.endswith("synonyms.yaml"):
        assert brain.tokenizer.canonical("飞行器") == "无人机"
    elif rel.startswith("intents"):
        assert "午安" in next(i for i in brain.router.intents if i.name == "greeting").keywords
    else:
        assert any("观摩组一行随后" in p.text for p in brain.knowledge.passages)


def test_one_edited_article_recuts_only_its_text(tree: Tree, tmp_path: Path, cuts: list[str]) -> None:
    cache = tmp_path / "cache"
    Engine.load(tree.knowledge, tree.intents, cache_dir=cache)
    everything = len(cuts)
    cuts.clear()
    path = tree.path("knowledge/sources/001-2.yaml")
    path.write_text(
        path.read_text(encoding="utf-8").replace("观摩组一行先后", "观摩组一行随后"), encoding="utf-8"
    )
    Engine.load(tree.knowledge, tree.intents, cache_dir=cache)
    assert cuts and all("观摩组一行随后" in text for text in cuts)  # the edited sentence and its section
    assert len(cuts) < everything / 20


@pytest.mark.slow  # three engine builds and 15 conversations twice (~1-4 s); a fault test
def test_garbage_cache_files_are_rebuilt(
    tree: Tree, tmp_path: Path, builds: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    expected = replies(Engine.load(tree.knowledge, tree.intents, cache_dir=cache))
    files = sorted(cache.glob("snapshot-*")) + sorted(cache.glob("tokens-*"))
    assert len(files) == 2
    files[0].write_bytes(b"zzbot-cache-v1\n" + b"\0" * 40)  # right magic, wrong digest
    files[1].write_bytes(files[1].read_bytes()[:-100])  # truncated
    with caplog.at_level(logging.WARNING, logger="bot.engine.snapshot"):
        engine = Engine.load(tree.knowledge, tree.intents, cache_dir=cache)
    assert sum("rejected" in r.getMessage() for r in caplog.records) == 2
    assert len(builds) == 2
    assert replies(engine) == expected
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.engine.snapshot"):
        Engine.load(tree.knowledge, tree.intents, cache_dir=cache)  # rewritten: trusted again
    assert not caplog.records
    assert len(builds) == 2


@pytest.mark.parametrize(
    "spoil",
    [
        lambda raw: b"zzbot-cache-v1\n" + b"\0" * 40,  # right magic, wrong digest
        lambda raw: raw[:-3],  # truncated
        lambda raw: b"not a cache file",
    ],
)
def test_an_untrustworthy_cache_file_is_rejected_and_deleted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, spoil: Callable[[bytes], bytes]
) -> None:
    """The file-level check behind test_garbage_cache_files_are_rebuilt, without building an engine."""
    path = tmp_path / "tokens-x"
    write_file(path, "key", {"text": ["tok", "ens"]})
    assert read_file(path, "key") == {"text": ["tok", "ens"]}
    assert read_file(path, "another key") is None  # the digest covers the key too
    write_file(path, "key", {"text": ["tok", "ens"]})
    path.write_bytes(spoil(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="bot.engine.snapshot"):
        assert read_file(path, "key") is None
    assert "rejected" in caplog.text and not path.exists()


def test_cache_directory_is_private(tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "var" / "cache"
    cache.mkdir(parents=True, mode=0o755)
    cache.chmod(0o755)
    monkeypatch.setenv("BOT_CACHE_DIR", str(cache))
    Engine.load(tree.knowledge, tree.intents)  # the default: $BOT_CACHE_DIR
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    written = list(cache.iterdir())
    assert written
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)


@pytest.mark.parametrize("value", ["off", "0", ""])
def test_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BOT_CACHE_DIR", value)
    assert SnapshotCache.open() is None
    assert SnapshotCache.open(False) is None


EVENT = Event(
    number=7,
    start=date(2020, 1, 20),
    end=date(2020, 1, 21),
    place="街道广场",
    content="写春联",
    organiser="文化站",
    district="上街区",
    source="000-7",
)


def test_a_record_is_rebuilt_as_it_was_without_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded = _encode(EVENT)

    def constructed(*args: object, **kwargs: object) -> None:
        raise AssertionError("a snapshot's record went through the constructor and its checks again")

    monkeypatch.setattr(Event, "__init__", constructed)
    rebuilt = _decode(encoded)
    assert rebuilt == EVENT and type(rebuilt) is Event
    assert rebuilt.text == EVENT.text
    with pytest.raises(dataclasses.FrozenInstanceError):
        rebuilt.place = "别处"  # type: ignore[misc]


def _fields_of(record: Any) -> dict[str, Any]:
    encoded = _encode(record)
    assert encoded[:2] == ("r", type(record).__name__)
    return dict(encoded[2])


@pytest.mark.parametrize(
    "change",
    [
        lambda fields: {k: v for k, v in fields.items() if k != "district"},  # a field the code added
        lambda fields: {**fields, "venue": "街道广场"},  # a field the code removed
        lambda fields: {**{k: v for k, v in fields.items() if k != "place"}, "venue": "街道广场"},  # renamed
    ],
)
def test_a_record_whose_fields_differ_from_the_code_is_rejected(
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    with pytest.raises(CacheFileError, match="Event fields differ"):
        _decode(("r", "Event", change(_fields_of(EVENT))))


def test_a_snapshot_with_a_record_of_other_fields_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the whole load: the snapshot is logged, deleted and built again (load gives None)."""
    cache = SnapshotCache(tmp_path)
    knowledge = Knowledge({}, [], [EVENT], [], Lexicon(), [], [], tmp_path, [], Speech())
    intent = Intent(name="greeting", kind="chitchat", keywords=("你好",), replies=("你好!",))
    cache.save("key", knowledge, [intent])
    loaded = cache.load("key", tmp_path)
    assert loaded is not None and loaded[0].events == [EVENT] and loaded[1] == [intent]
    (path,) = tmp_path.glob("snapshot-*")
    value = read_file(path, "snapshot key")
    assert isinstance(value, dict)
    (event,) = value["knowledge"]["events"]
    value["knowledge"]["events"] = [("r", "Event", {**event[2], "venue": "街道广场"})]
    write_file(path, "snapshot key", value)  # a good digest: only the fields are wrong
    with caplog.at_level(logging.WARNING, logger="bot.engine.snapshot"):
        assert cache.load("key", tmp_path) is None
    assert "Event fields differ" in caplog.text and not path.exists()
