"""The contract every state store keeps, run against SQLite and a real Redis alike."""

from __future__ import annotations

import json
import logging
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.state.base import StateStore
from tests.state.conftest import Backend, eventually, run_python

NESTED = {
    "district": "上街区",
    "turns": [{"q": "哪里可以猜灯谜?", "a": "中原区文化宫", "score": 0.87}, {"q": "那2月5日呢?", "a": None}],
    "flags": [True, False],
    "count": 2**40,
    "emoji": "🏮",
    "empty": {},
}


# --- key-value -------------------------------------------------------------------------------------


def test_put_get_delete(store: StateStore) -> None:
    assert store.get("chat", "1") is None
    store.put("chat", "1", {"topic": "灯谜"})
    assert store.get("chat", "1") == {"topic": "灯谜"}
    store.put("chat", "1", ["replaced"])
    assert store.get("chat", "1") == ["replaced"]
    store.delete("chat", "1")
    assert store.get("chat", "1") is None
    store.delete("chat", "1")  # absent is fine


def test_namespaces_are_separate(store: StateStore) -> None:
    store.put("telegram", "42", "tg")
    store.put("wechat", "42", "wx")
    assert (store.get("telegram", "42"), store.get("wechat", "42")) == ("tg", "wx")
    store.delete("telegram", "42")
    assert store.get("wechat", "42") == "wx"


def test_keys_may_hold_any_characters(store: StateStore) -> None:
    for key in ("wechat:oAbC-123", "a b", "用户/42", "x" * 256):
        store.put("chat", key, key)
    assert [store.get("chat", k) for k in ("wechat:oAbC-123", "a b", "用户/42")] == [
        "wechat:oAbC-123",
        "a b",
        "用户/42",
    ]
    assert store.get("chat", "wechat") is None


def test_nested_json_with_chinese_round_trips(store: StateStore) -> None:
    store.put("chat", "nested", NESTED)
    assert store.get("chat", "nested") == NESTED
    store.put("chat", "tuple", ("a", 1))
    assert store.get("chat", "tuple") == ["a", 1]  # JSON has no tuples


@pytest.mark.parametrize(
    ("value", "error"),
    [(object(), TypeError), ({"s": {1, 2}}, TypeError), (float("nan"), ValueError), (None, ValueError)],
)
def test_values_json_cannot_hold_are_refused(store: StateStore, value: Any, error: type[Exception]) -> None:
    store.put("chat", "1", "kept")
    with pytest.raises(error):
        store.put("chat", "1", value)
    assert store.get("chat", "1") == "kept"


@pytest.mark.parametrize("namespace", ["", "a:b", "_index", ".x", "a b", "x" * 65, "上街"])
def test_bad_namespaces_are_refused(store: StateStore, namespace: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        store.put(namespace, "1", 1)


@pytest.mark.parametrize("key", ["", "x" * 257])
def test_bad_keys_are_refused(store: StateStore, key: str) -> None:
    with pytest.raises(ValueError, match="key"):
        store.put("chat", key, 1)


@pytest.mark.parametrize("ttl", [0, -1, float("nan")])
def test_ttl_must_be_positive(store: StateStore, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        store.put("chat", "1", 1, ttl=ttl)


@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_a_pickled_value_is_never_unpickled(
    backend: Backend, tmp_path: Path, caplog: pytest.LogCaptureFixture, protocol: int
) -> None:
    """Another program planting a pickle (which would create a file when loaded) gets it ignored."""

    class Bomb:
        def __init__(self, path: Path) -> None:
            self.path = str(path)

        def __reduce__(self) -> tuple[Any, ...]:
            return (open, (self.path, "w"))

    proof = tmp_path / "pickle-is-live"
    pickle.loads(pickle.dumps(Bomb(proof), protocol=protocol)).close()
    assert proof.exists()  # the payload really runs code when unpickled

    marker = tmp_path / "store-ran-the-pickle"
    store = backend.make()
    backend.plant("chat", "evil", pickle.dumps(Bomb(marker), protocol=protocol))
    with caplog.at_level(logging.WARNING, logger="bot.state"):
        assert store.get("chat", "evil") is None
    assert not marker.exists()
    assert "does not hold JSON text" in caplog.text


# --- expiry ---------------------------------------------------------------------------------------


def test_entries_expire_after_their_ttl(backend: Backend) -> None:
    store = backend.make()
    store.put("chat", "short", "soon gone", ttl=0.2)
    store.put("chat", "long", "stays")
    backend.pass_time(0.2)
    assert eventually(lambda: store.get("chat", "short") is None)
    assert store.get("chat", "long") == "stays"


def test_default_ttl_is_the_constructor_s(backend: Backend) -> None:
    store = backend.make(default_ttl=0.2)
    store.put("chat", "1", "soon gone")
    store.put("chat", "2", "stays", ttl=3600)
    backend.pass_time(0.2)
    assert eventually(lambda: store.get("chat", "1") is None)
    assert store.get("chat", "2") == "stays"


def test_writing_again_renews_the_ttl(backend: Backend) -> None:
    store = backend.make()
    store.put("chat", "1", "first", ttl=0.2)
    store.put("chat", "1", "second")
    backend.pass_time(0.3)
    assert store.get("chat", "1") == "second"


def test_purge_expired_counts_what_it_removed(backend: Backend) -> None:
    store = backend.make()
    store.put("chat", "a", 1, ttl=0.2)
    store.put("chat", "b", 2, ttl=0.2)
    store.put("chat", "c", 3)
    backend.pass_time(0.2)
    assert eventually(lambda: store.get("chat", "a") is None and store.get("chat", "b") is None)
    assert store.purge_expired() == 2
    assert store.purge_expired() == 0
    assert store.get("chat", "c") == 3


# --- claims ---------------------------------------------------------------------------------------


def test_claim_is_won_once(store: StateStore) -> None:
    assert store.claim("wechat-msg", "6912345678901234567", ttl=60) is True
    assert store.claim("wechat-msg", "6912345678901234567", ttl=60) is False
    assert store.claim("wechat-msg", "6912345678901234568", ttl=60) is True
    assert store.get("wechat-msg", "6912345678901234567") is True


def test_claim_of_an_existing_entry_fails(store: StateStore) -> None:
    store.put("seen", "1", {"already": "here"})
    assert store.claim("seen", "1") is False
    assert store.get("seen", "1") == {"already": "here"}


def _race_to_claim(stores: list[StateStore], key: str) -> list[bool]:
    """Every store claims ``key`` at the same moment, each from its own thread."""
    barrier = threading.Barrier(len(stores))

    def claim(store: StateStore) -> bool:
        barrier.wait(timeout=30)
        return store.claim("telegram-update", key, ttl=60)

    with ThreadPoolExecutor(max_workers=len(stores)) as pool:
        return list(pool.map(claim, stores))


def test_claim_is_won_by_exactly_one_of_eight_racing_threads(backend: Backend) -> None:
    stores = [backend.make() for _ in range(8)]  # one connection each, as separate workers would have
    for round_ in range(5):
        assert sorted(_race_to_claim(stores, f"update-{round_}")) == [False] * 7 + [True]


def test_an_expired_claim_can_be_won_again(backend: Backend) -> None:
    store = backend.make()
    assert store.claim("wechat-msg", "1", ttl=0.2)
    backend.pass_time(0.2)
    assert eventually(lambda: store.claim("wechat-msg", "1", ttl=60))
    assert store.claim("wechat-msg", "1", ttl=60) is False


# --- waiting for another worker -------------------------------------------------------------------


def test_wait_for_returns_the_value_another_thread_puts(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = backend.make(), backend.make()
    polled = threading.Event()
    real_get = reader.get

    def get(namespace: str, key: str) -> Any | None:
        value = real_get(namespace, key)
        polled.set()  # the reader has looked at least once: the value must come while it waits
        return value

    monkeypatch.setattr(reader, "get", get)

    def answer() -> None:
        polled.wait(timeout=30)
        writer.put("reply", "msg-1", {"text": "元宵节灯会在人民公园"})

    thread = threading.Thread(target=answer)
    thread.start()
    try:
        assert reader.wait_for("reply", "msg-1", timeout=30, poll=0.01) == {"text": "元宵节灯会在人民公园"}
    finally:
        thread.join(timeout=30)


def test_wait_for_gives_none_when_nothing_comes(store: StateStore) -> None:
    assert store.wait_for("reply", "never", timeout=0.05, poll=0.01) is None
    assert store.wait_for("reply", "never", timeout=0) is None
    store.put("reply", "there", "yes")
    assert store.wait_for("reply", "there", timeout=0) == "yes"


# --- journal --------------------------------------------------------------------------------------


def test_journal_pending_oldest_first_until_done(store: StateStore) -> None:
    assert store.journal_pending("wechat-in") == []
    for n in ("m3", "m1", "m2"):
        store.journal_add("wechat-in", n, {"msg": n, "text": "你好"})
    assert [i for i, _ in store.journal_pending("wechat-in")] == ["m3", "m1", "m2"]
    store.journal_done("wechat-in", "m1")
    assert store.journal_pending("wechat-in") == [
        ("m3", {"msg": "m3", "text": "你好"}),
        ("m2", {"msg": "m2", "text": "你好"}),
    ]
    store.journal_done("wechat-in", "unknown")  # done twice, or by a retry: fine


def test_journal_re_adding_a_pending_item_changes_nothing(store: StateStore) -> None:
    store.journal_add("tg-in", "1", "first")
    store.journal_add("tg-in", "2", "second")
    store.journal_add("tg-in", "1", "retried")
    assert store.journal_pending("tg-in") == [("1", "first"), ("2", "second")]
    store.journal_done("tg-in", "1")
    store.journal_add("tg-in", "1", "again")  # done, then added anew: a new item at the end
    assert store.journal_pending("tg-in") == [("2", "second"), ("1", "again")]


def test_journal_streams_are_separate(store: StateStore) -> None:
    store.journal_add("a", "1", 1)
    store.journal_add("b", "1", 2)
    store.journal_done("a", "1")
    assert (store.journal_pending("a"), store.journal_pending("b")) == ([], [("1", 2)])


def test_journal_survives_reopening(backend: Backend) -> None:
    with backend.make() as first:
        first.journal_add("wechat-in", "m1", {"text": "垃圾分类"})
    assert backend.make().journal_pending("wechat-in") == [("m1", {"text": "垃圾分类"})]


def test_journal_items_expire(backend: Backend) -> None:
    store = backend.make(default_ttl=0.2)
    store.journal_add("tg-in", "old", 1)
    backend.pass_time(0.2)
    assert eventually(lambda: store.journal_pending("tg-in") == [])
    store.journal_add("tg-in", "old", 2)  # an expired id may be journalled again
    assert store.journal_pending("tg-in") == [("old", 2)]


def test_full_journal_drops_its_oldest_with_a_warning(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    store = backend.make(max_entries=2)
    with caplog.at_level(logging.WARNING, logger="bot.state"):
        for n in ("1", "2", "3"):
            store.journal_add("tg-in", n, n)
    assert store.journal_pending("tg-in") == [("2", "2"), ("3", "3")]
    assert "journal tg-in is full" in caplog.text


# --- bounds ---------------------------------------------------------------------------------------


def test_max_entries_evicts_the_least_recently_written(backend: Backend) -> None:
    store = backend.make(max_entries=3)
    for key in ("a", "b", "c", "d"):
        store.put("chat", key, key)
    assert [store.get("chat", k) for k in "abcd"] == [None, "b", "c", "d"]
    store.put("chat", "b", "b2")  # written again: now the most recent
    store.put("chat", "e", "e")
    assert [store.get("chat", k) for k in "bcde"] == ["b2", None, "d", "e"]
    store.put("other", "x", "x")  # bounds are per namespace
    assert [store.get("chat", k) for k in "bde"] == ["b2", "d", "e"]


def test_claims_count_towards_the_bound(backend: Backend) -> None:
    store = backend.make(max_entries=2)
    assert store.claim("seen", "1", ttl=60)
    assert store.claim("seen", "2", ttl=60)
    assert store.claim("seen", "3", ttl=60)
    assert store.claim("seen", "1", ttl=60)  # evicted, so claimable again: the bound is a real bound


def test_deleted_entries_free_their_place(backend: Backend) -> None:
    store = backend.make(max_entries=2)
    store.put("chat", "a", 1)
    store.put("chat", "b", 2)
    store.delete("chat", "a")
    store.put("chat", "c", 3)
    assert [store.get("chat", k) for k in "abc"] == [None, 2, 3]


# --- sharing --------------------------------------------------------------------------------------


def test_two_store_objects_see_each_others_writes(backend: Backend) -> None:
    one, two = backend.make(), backend.make()
    one.put("chat", "1", "from one")
    assert two.get("chat", "1") == "from one"
    two.delete("chat", "1")
    assert one.get("chat", "1") is None
    assert two.claim("seen", "m", ttl=60)
    assert not one.claim("seen", "m", ttl=60)
    one.journal_add("in", "m", 1)
    two.journal_done("in", "m")
    assert one.journal_pending("in") == []


CHILD = """
import json, sys
from pathlib import Path
from bot.state import open_store
with open_store(sys.argv[1], Path(sys.argv[2])) as store:
    seen = store.get("chat", "parent")
    store.put("chat", "child", {"from": "子进程"})
    won = store.claim("seen", "msg-1", ttl=60)
    store.journal_add("in", "c1", "child work")
    print(json.dumps({"seen": seen, "won": won}))
"""


def test_another_process_sees_and_makes_writes(backend: Backend) -> None:
    store = backend.make()
    store.put("chat", "parent", {"from": "父进程"})
    store.journal_add("in", "p1", "parent work")
    report = json.loads(run_python(CHILD, backend.url, str(backend.var_dir)))
    assert report == {"seen": {"from": "父进程"}, "won": True}
    assert store.get("chat", "child") == {"from": "子进程"}
    assert store.claim("seen", "msg-1", ttl=60) is False
    assert store.journal_pending("in") == [("p1", "parent work"), ("c1", "child work")]


def test_a_closed_store_refuses_use(backend: Backend) -> None:
    with backend.make() as store:
        store.put("chat", "1", 1)
    with pytest.raises(RuntimeError, match="closed"):
        store.get("chat", "1")
    store.close()  # closing twice is fine


def test_writes_in_a_batch_are_all_stored(store: StateStore) -> None:
    """batch() groups one unit of work's writes; whatever the backend, each of them is kept."""
    with store.batch():
        store.put("dialogue", "telegram:1", {"page": 2})
        store.journal_add("updates", "7", {"update_id": 7})
        with store.batch():  # nested: part of the outer one
            store.put("answered", "6", True)
        store.journal_done("updates", "6")
    assert store.get("dialogue", "telegram:1") == {"page": 2}
    assert store.get("answered", "6") is True
    assert store.journal_pending("updates") == [("7", {"update_id": 7})]
