"""Answer quality through the real `ask --json` command, scored by the shared scorer."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EVAL, ROOT

pytestmark = pytest.mark.skipif(
    not (EVAL / "run_eval.py").exists(), reason="../shared/eval is not beside this checkout"
)


def score(cases: Path, tmp_path: Path) -> tuple[int, int, str]:
    """(passed, total, output) of the scorer on a question set."""
    command = f"{sys.executable} run_bot.py --unanswered-log {tmp_path / 'unanswered.jsonl'} ask --json"
    result = subprocess.run(
        [sys.executable, str(EVAL / "run_eval.py"), str(cases), "--cmd", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    found = re.search(r"score: (\d+)/(\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    passed, total = map(int, found.groups())
    return passed, total, result.stdout


def test_dev_set_passes_at_least_29_of_31(tmp_path: Path) -> None:
    passed, total, output = score(EVAL / "dev.yaml", tmp_path)
    assert total == 31 and passed >= 29, output


def test_our_own_resident_questions(tmp_path: Path) -> None:
    """84 new questions in the dev set's style, so gains are not tuned to the dev set alone."""
    passed, total, output = score(ROOT / "tests" / "eval" / "residents.yaml", tmp_path)
    assert total == 84 and passed / total >= 0.95, output
