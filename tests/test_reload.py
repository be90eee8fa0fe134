"""Hot reload loses nothing: edits go live without a restart, broken edits change nothing.

The engine works on the fixture knowledge (tests/fixtures/world.py). While threads keep asking
「哪里可以写春联?」,
the tests edit the files and let the watcher reload. Every answer must come from one whole
version, old or new, and none may fail. Nothing here waits for a clock: each step calls
``check_once`` itself, and the threads are only asked to have answered at least once more.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.admin.reload import Watcher, snapshot, watch_interval
from bot.data.yamlio import Problem, dump_yaml, load_yaml
from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from bot.settings import ConfigError
from tests.fixtures import world
from tests.fixtures.trees import Tree
from tests.fixtures.world import knowledge_tree

QUESTION = "哪里可以写春联?"
EVENTS = f"knowledge/events/{world.TABLE}.yaml"


class Askers:
    """Threads that ask the same question over and over, noting which phase each answer began in."""

    def __init__(self, engine: Engine, count: int = 3) -> None:
        self.engine = engine
        self.phase = "before"
        self.answers: list[tuple[str, frozenset[int]]] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ask, daemon=True) for _ in range(count)]

    def _ask(self) -> None:
        while not self._stop.is_set():
            phase = self.phase  # read before answering: the brain is read after it
            try:
                reply = self.engine.answer(QUESTION, DialogueState())
            except BaseException as exc:  # any failure is a test failure
                self.errors.append(exc)
                return
            self.answers.append((phase, frozenset(reply.events)))

    def __enter__(self) -> Askers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def wait_for_more(self, count: int = 20) -> None:
        """Let the threads answer ``count`` more times (progress, not time; a hang fails at 30 s)."""
        target = len(self.answers) + count
        deadline = time.monotonic() + 30
        while len(self.answers) < target and not self.errors:
            assert time.monotonic() < deadline, "the answering threads stopped making progress"
            time.sleep(0.001)

    def seen(self, phase: str) -> set[frozenset[int]]:
        return {events for p, events in self.answers if p == phase}


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return knowledge_tree(tmp_path)


@pytest.fixture
def engine(tree: Tree) -> Engine:
    return Engine.load(tree.knowledge, tree.intents)


def add_event(tree: Tree, engine: Engine, content: str) -> int:
    """Add one event row to the table's events file, the way an admin would; returns its number."""
    path = tree.path(EVENTS)
    data = load_yaml(path)
    number = max(e.number for e in engine.brain.knowledge.events) + 1
    first = data["events"][0]
    data["events"].append(
        {
            "number": number,
            "start": "2020-01-18",
            "end": "2020-01-18",
            "place": "测试社区广场",
            "content": content,
            "organiser": "测试社区",
            "district": first.get("district", ""),
            "source": first["source"],
        }
    )
    path.write_text(dump_yaml(data), encoding="utf-8")
    return number


@pytest.mark.slow
def test_edits_go_live_and_broken_edits_change_nothing(tree: Tree, engine: Engine) -> None:
    watcher = Watcher(engine, interval=3600)
    old = frozenset(engine.answer(QUESTION).events)
    assert len(old) > 5
    path = tree.path(EVENTS)
    original = path.read_text(encoding="utf-8")

    with Askers(engine) as askers:
        askers.wait_for_more()
        assert watcher.check_once() is None  # nothing changed, nothing reloaded

        # (b) a broken edit: reported with file and line; the old knowledge keeps answering
        broken_line = original.count("\n") + 1
        path.write_text(original + "- number: 999\n\tstart: '2020-01-18'\n", encoding="utf-8")
        problems = watcher.check_once()
        assert problems, "a broken file must be reported"
        assert (problems[0].path, problems[0].line) == (str(path), broken_line + 1)
        assert "tabs" in problems[0].message
        askers.phase = "broken"
        askers.wait_for_more()
        assert frozenset(engine.answer(QUESTION).events) == old
        assert watcher.check_once() is None  # reported once, not at every poll

        # (a) a valid edit: a new 写春联 event, live without a restart
        path.write_text(original, encoding="utf-8")
        askers.phase = "reloading"
        number = add_event(tree, engine, "社区义写春联送福字")
        assert watcher.check_once() == []
        askers.phase = "after"
        askers.wait_for_more()
        new = frozenset(engine.answer(QUESTION).events)
        assert new == old | {number}

    # (c) no answer failed, and every answer came from one whole version
    assert askers.errors == []
    assert askers.seen("before") == {old}
    assert askers.seen("broken") == {old}
    assert askers.seen("reloading") <= {old, new}
    assert askers.seen("after") == {new}


def test_a_new_article_is_answerable_after_reload(tree: Tree, engine: Engine) -> None:
    question = "上街区新增了多少个共享单车停放点?"
    assert engine.answer(question).kind == "fallback"
    watcher = Watcher(engine, interval=3600)
    tree.write(
        "knowledge/sources/zz-bikes.yaml",
        dump_yaml(
            {
                "id": "zz-bikes",
                "title": "上街区规范共享单车停放",
                "district": "上街区",
                "kind": "article",
                "sections": [
                    {
                        "heading": "",
                        "passages": [
                            {
                                "id": "zz-bikes.1.1",
                                "text": "今年以来,上街区新增共享单车停放点120个,施划停放线3000米。",
                            }
                        ],
                    }
                ],
            }
        ),
    )
    assert watcher.check_once() == []
    reply = engine.answer(question)
    assert reply.kind == "passages"
    assert "120个" in reply.text


def test_an_edited_passage_is_answered_from_the_new_text(tree: Tree, engine: Engine) -> None:
    question = "和平社区招募了多少志愿者?"
    assert "326名" in engine.answer(question).text
    watcher = Watcher(engine, interval=3600)
    path = tree.path(f"knowledge/sources/{world.NEWS}.yaml")
    path.write_text(path.read_text(encoding="utf-8").replace("326名", "336名"), encoding="utf-8")
    assert watcher.check_once() == []
    text = engine.answer(question).text
    assert "336名" in text and "326名" not in text


def test_a_broken_intent_file_keeps_the_old_intents(tree: Tree, engine: Engine) -> None:
    watcher = Watcher(engine, interval=3600)
    path = tree.path("intents/chitchat.yaml")
    path.write_text(path.read_text(encoding="utf-8").replace("kind: chitchat", "kind: smalltalk", 1), "utf-8")
    problems = watcher.check_once()
    assert problems and problems[0].path == str(path) and "smalltalk" in problems[0].message
    assert engine.answer("你好").kind == "chitchat"


# -- the watcher alone, with a stand-in engine --------------------------------------------------


class FakeEngine:
    def __init__(self, root: Path) -> None:
        self.knowledge_dir = root / "knowledge"
        self.intents_dir = root / "intents"
        self.knowledge_dir.mkdir()
        self.intents_dir.mkdir()
        (self.knowledge_dir / "a.yaml").write_text("a: 1\n")
        self.reloads = 0
        self.result: list[Problem] | Exception = []

    def reload(self) -> list[Problem]:
        self.reloads += 1
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def touch(path: Path, text: str) -> None:
    """Write (making the folder if need be) and move the mtime on by a second, so even a same-size
    edit is seen at once."""
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def fake(tmp_path: Path) -> FakeEngine:
    return FakeEngine(tmp_path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda e: touch(e.knowledge_dir / "a.yaml", "a: 2\n"),  # same size, new content
        lambda e: touch(e.knowledge_dir / "b.yaml", "b: 1\n"),  # new file
        lambda e: (e.knowledge_dir / "a.yaml").unlink(),  # removed file
        lambda e: touch(e.intents_dir / "sub" / "x.yaml", "x"),  # new file in a new folder
    ],
)
def test_every_kind_of_change_is_noticed(fake: FakeEngine, edit: Callable[[FakeEngine], None]) -> None:
    watcher = Watcher(fake, interval=3600)
    assert not watcher.changed() and watcher.check_once() is None and fake.reloads == 0
    edit(fake)
    assert watcher.changed()
    assert watcher.check_once() == []
    assert fake.reloads == 1
    assert not watcher.changed() and watcher.check_once() is None and fake.reloads == 1


def test_problems_are_returned_once(fake: FakeEngine) -> None:
    watcher = Watcher(fake, interval=3600)
    fake.result = [Problem("k/a.yaml", 3, "broken")]
    touch(fake.knowledge_dir / "a.yaml", "a: [\n")
    assert watcher.check_once() == [Problem("k/a.yaml", 3, "broken")]
    assert watcher.check_once() is None


def test_a_crashing_reload_is_a_problem_not_a_dead_watcher(fake: FakeEngine) -> None:
    watcher = Watcher(fake, interval=3600)
    fake.result = RuntimeError("bug")
    touch(fake.knowledge_dir / "a.yaml", "a: 3\n")
    problems = watcher.check_once()
    assert problems and "reload failed" in problems[0].message and "bug" in problems[0].message


def test_missing_folders_are_empty(tmp_path: Path) -> None:
    assert snapshot(tmp_path / "nope") == {}


def test_background_thread_reports_and_stops(fake: FakeEngine) -> None:
    watcher = Watcher(fake, interval=0.01)
    results: queue.Queue[list[Problem]] = queue.Queue()
    thread = watcher.start_background(results.put)
    assert watcher.start_background(results.put) is thread  # one thread only
    touch(fake.knowledge_dir / "a.yaml", "a: 4\n")
    assert results.get(timeout=30) == []
    watcher.stop()
    assert not thread.is_alive()


async def test_async_loop_reports_through_a_coroutine(fake: FakeEngine) -> None:
    watcher = Watcher(fake, interval=0.01)
    got: asyncio.Queue[list[Problem]] = asyncio.Queue()

    async def report(problems: list[Problem]) -> None:
        await got.put(problems)

    task = asyncio.create_task(watcher.run(report))
    try:
        touch(fake.knowledge_dir / "a.yaml", "a: 5\n")
        assert await asyncio.wait_for(got.get(), timeout=30) == []
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.parametrize(("value", "expected"), [("", 30.0), ("5", 5.0), ("0", 0.0)])
def test_watch_interval_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: float
) -> None:
    monkeypatch.setenv("BOT_WATCH_INTERVAL", value)
    assert watch_interval(None) == expected


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_bad_watch_interval_is_refused_as_in_the_settings(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """One rule for the console and Telegram: bot.settings reads BOT_WATCH_INTERVAL."""
    monkeypatch.setenv("BOT_WATCH_INTERVAL", value)
    with pytest.raises(ConfigError, match="BOT_WATCH_INTERVAL must be a number of seconds"):
        watch_interval(None)


async def test_watcher_task_in_an_event_loop(tmp_path: Path) -> None:
    """The Telegram bot's way: a task on its loop; an admin's reload_now counts too."""

    class StandIn:
        knowledge_dir = tmp_path / "knowledge"
        intents_dir = tmp_path / "intents"
        calls = 0

        def reload(self) -> list[Problem]:
            StandIn.calls += 1
            return [Problem("knowledge/x.yaml", 1, "broken")] if StandIn.calls == 2 else []

    StandIn.knowledge_dir.mkdir()
    StandIn.intents_dir.mkdir()
    watcher = Watcher(StandIn(), interval=0.02)
    assert watcher.reload_now() == [] and watcher.reloads == 1
    seen: list[list[Problem]] = []
    watcher.start_task(seen.append)
    (StandIn.knowledge_dir / "a.yaml").write_text("a: 1\n")
    for _ in range(300):
        if seen:
            break
        await asyncio.sleep(0.01)
    await watcher.stop_task()
    assert seen == [[Problem("knowledge/x.yaml", 1, "broken")]]
    assert watcher.reloads == 2 and watcher.last_problems == seen[0]
