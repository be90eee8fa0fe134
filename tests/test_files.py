"""Only regular files inside knowledge/ and intents/ are read: symlinks out of the folder and
FIFOs are refused by name, nothing of their content is quoted, and nothing blocks on them.

A hang must fail a test, not hang the suite: ``check`` runs in a subprocess and reloads in a
daemon thread, each with a generous limit (a limit on hanging, not a timing assertion).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.admin.reload import Watcher, snapshot
from bot.data.files import RefusedFile, read_bytes_safely, safe_files
from bot.data.schema import check_intents, check_knowledge
from bot.engine import Engine
from tests.fixtures.trees import ROOT, Tree

HANG_LIMIT = 120  # seconds; far beyond any real run, only there so a hang fails instead of blocking
QUESTION = "哪里可以写春联?"
REFUSED = "refused: not a regular file inside knowledge/"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX symlinks and FIFOs")


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree.copy(tmp_path)


def _unblock(fifos: Sequence[Path]) -> None:
    """Open each FIFO for writing once, so a reader blocked in open() goes on (and the suite ends)."""
    for fifo in fifos:
        with contextlib.suppress(OSError):  # OSError: no reader waiting
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def _in_thread(call: Callable[[], Any], fifos: Sequence[Path] = ()) -> Any:
    """The result of ``call``, or a failure if it is still blocked after HANG_LIMIT."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(HANG_LIMIT)
    if thread.is_alive():
        _unblock(fifos)
        thread.join(HANG_LIMIT)
        pytest.fail("blocked on a FIFO it should have refused")
    return result[0]


def _check(tree: Tree) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "run_bot.py", "check", *tree.args()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_LIMIT,
    )


def test_symlink_to_an_article_outside_knowledge_is_refused(tree: Tree, tmp_path: Path) -> None:
    engine = Engine.load(tree.knowledge, tree.intents)
    before = engine.answer(QUESTION).events
    outside = tmp_path / "outside.yaml"
    article = next((tree.knowledge / "sources").glob("*.yaml"))
    text = article.read_text(encoding="utf-8").replace("id: ", "id: outside-", 1)
    outside.write_text(text, encoding="utf-8")
    link = tree.knowledge / "sources" / "zz-outside.yaml"
    link.symlink_to(outside)

    _, problems = check_knowledge(tree.knowledge)
    assert [str(p) for p in problems] == [f"{link}:1: {REFUSED}"]
    assert engine.reload() == problems  # not served to residents; the old knowledge keeps answering
    assert engine.answer(QUESTION).events == before
    assert not any(s.startswith("outside-") for s in engine.brain.knowledge.sources)


def test_symlink_inside_knowledge_is_read(tree: Tree) -> None:
    lexicon = tree.knowledge / "lexicon"
    (lexicon / "userdict.txt").rename(lexicon / "words.txt")
    (lexicon / "userdict.txt").symlink_to("words.txt")
    assert check_knowledge(tree.knowledge)[1] == []


def test_symlink_to_etc_passwd_is_refused_and_never_quoted(tree: Tree) -> None:
    secret = Path("/etc/passwd")
    if not secret.is_file():
        pytest.skip("no /etc/passwd")
    first_line = secret.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    (tree.knowledge / "sources" / "passwd.yaml").symlink_to(secret)
    (tree.knowledge / "lexicon" / "userdict.txt").unlink()
    (tree.knowledge / "lexicon" / "userdict.txt").symlink_to(secret)
    (tree.intents / "passwd.yaml").symlink_to(secret)

    result = _check(tree)
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert first_line not in out and "root:" not in out
    assert f"{tree.knowledge / 'sources' / 'passwd.yaml'}:1: {REFUSED}" in out
    assert f"{tree.knowledge / 'lexicon' / 'userdict.txt'}:1: {REFUSED}" in out
    assert f"{tree.intents / 'passwd.yaml'}:1: refused: not a regular file inside intents/" in out

    engine = Engine.load(ROOT / "knowledge", ROOT / "intents")
    engine.knowledge_dir, engine.intents_dir = tree.knowledge, tree.intents
    problems = engine.reload()  # what the admin's /reload would show
    assert problems and all("root:" not in str(p) for p in problems)


def test_fifo_does_not_hang_check_reload_or_the_watcher(tree: Tree) -> None:
    engine = Engine.load(tree.knowledge, tree.intents)
    before = engine.answer(QUESTION).events
    watcher = Watcher(engine, interval=3600)
    fifo = tree.knowledge / "events" / "zz-pipe.yaml"
    os.mkfifo(fifo)
    intents_fifo = tree.intents / "zz-pipe.yaml"
    os.mkfifo(intents_fifo)

    result = _check(tree)
    assert result.returncode == 1
    assert f"{fifo}:1: {REFUSED}" in result.stdout

    fifos = [fifo, intents_fifo]
    assert str(fifo) in _in_thread(lambda: snapshot(tree.knowledge, tree.intents), fifos)
    problems = _in_thread(watcher.check_once, fifos)  # the FIFO is new: a change, and a refused reload
    assert [str(p) for p in problems] == [
        f"{fifo}:1: {REFUSED}",
        f"{intents_fifo}:1: refused: not a regular file inside intents/",
    ]
    assert _in_thread(engine.reload, fifos) == problems
    assert engine.answer(QUESTION).events == before


def test_fifo_userdict_and_services_are_refused_without_blocking(tree: Tree) -> None:
    fifos = [tree.knowledge / "lexicon/userdict.txt", tree.knowledge / "services.yaml"]
    for fifo in fifos:
        fifo.unlink()
        os.mkfifo(fifo)
    _, problems = _in_thread(lambda: check_knowledge(tree.knowledge), fifos)
    assert {(Path(p.path).name, p.message) for p in problems} == {
        ("userdict.txt", REFUSED),
        ("services.yaml", REFUSED),
    }


def test_helper_refuses_what_is_not_a_regular_file_inside(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    root.mkdir()
    (root / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    (root / "dir.yaml").mkdir()
    (tmp_path / "out.yaml").write_text("b: 2\n", encoding="utf-8")
    (root / "out.yaml").symlink_to(tmp_path / "out.yaml")
    (root / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
    os.mkfifo(root / "pipe.yaml")
    files, refused = safe_files(root, "*.yaml", root)
    assert [p.name for p in files] == ["a.yaml"]
    assert sorted(e.path.name for e in refused) == ["dangling.yaml", "dir.yaml", "out.yaml", "pipe.yaml"]
    assert read_bytes_safely(root / "a.yaml", root, 10) == b"a: 1\n"
    assert read_bytes_safely(root / "a.yaml", root, 2) == b"a: "  # limit + 1: the caller sees "too large"
    with pytest.raises(RefusedFile):
        read_bytes_safely(root / "pipe.yaml", root, 10)
    _, problems = _in_thread(lambda: check_intents(root), [root / "pipe.yaml"])
    assert {Path(p.path).name for p in problems} >= {"out.yaml", "pipe.yaml"}


def test_an_intents_folder_of_only_a_pipe_says_both(tmp_path: Path) -> None:
    """No intent file to read, and why: the pipe is named as refused, not silently skipped."""
    from bot.data.schema import check_intents

    intents = tmp_path / "intents"
    intents.mkdir()
    os.mkfifo(intents / "only.yaml")
    _, problems = check_intents(intents)
    messages = [p.message for p in problems]
    assert any("refused" in m for m in messages) and any("no intent files" in m for m in messages)
