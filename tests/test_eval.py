"""The development question set, scored by the shared scorer through the real command."""

import re
import subprocess
import sys

import pytest

from tests.conftest import EVAL, ROOT


@pytest.mark.skipif(not (EVAL / "run_eval.py").exists(), reason="../shared/eval is not beside this checkout")
def test_dev_set_passes_at_least_29_of_31() -> None:
    command = f"{sys.executable} run_bot.py ask --json"
    result = subprocess.run(
        [sys.executable, str(EVAL / "run_eval.py"), str(EVAL / "dev.yaml"), "--cmd", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    score = re.search(r"score: (\d+)/(\d+)", result.stdout)
    assert score, result.stdout + result.stderr
    passed, total = map(int, score.groups())
    assert passed >= 29, result.stdout
    assert total == 31
