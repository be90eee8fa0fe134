"""Answer quality on the shipped knowledge: every question set, through the real `ask --json`.

The sets are tests/eval/*.yaml plus ../shared/eval/dev.yaml, scored by the shared scorer. Their
minimum pass rates and the reason for each live in tests/eval/thresholds.yaml, nowhere else.
BOT_KNOWLEDGE / BOT_INTENTS (read by run_bot.py) point the whole run at another copy.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EVAL, ROOT

pytestmark = [
    pytest.mark.shipped,
    pytest.mark.skipif(not (EVAL / "run_eval.py").exists(), reason=f"no shared scorer at {EVAL}"),
]
OURS = ROOT / "tests" / "eval"
THRESHOLDS: dict[str, dict[str, float | str]] = yaml.safe_load((OURS / "thresholds.yaml").read_text("utf-8"))
SETS = sorted(OURS.glob("*.yaml"), key=lambda p: p.name)
SETS = [EVAL / "dev.yaml", *(p for p in SETS if p.name != "thresholds.yaml")]


def score(cases: Path, tmp_path: Path) -> tuple[int, int, str]:
    """(passed, total, output) of the shared scorer on a question set."""
    command = f"{sys.executable} run_bot.py --unanswered-log {tmp_path / 'unanswered.jsonl'} ask --json"
    result = subprocess.run(
        [sys.executable, str(EVAL / "run_eval.py"), str(cases), "--cmd", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=os.environ.copy(),  # BOT_KNOWLEDGE / BOT_INTENTS reach run_bot.py
    )
    found = re.search(r"score: (\d+)/(\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    passed, total = map(int, found.groups())
    return passed, total, result.stdout


def test_every_set_has_one_threshold_with_a_reason() -> None:
    assert {p.name for p in SETS} == set(THRESHOLDS)
    for name, rule in THRESHOLDS.items():
        assert 0 < float(rule["min"]) <= 1 and str(rule["why"]).strip(), name


@pytest.mark.slow  # a subprocess per set, ~4 s each
@pytest.mark.parametrize("cases", SETS, ids=[p.name for p in SETS])
def test_question_set_meets_its_threshold(cases: Path, tmp_path: Path) -> None:
    if not cases.exists():
        pytest.skip(f"{cases} is not beside this checkout")
    passed, total, output = score(cases, tmp_path)
    floor = float(THRESHOLDS[cases.name]["min"])
    assert total > 0 and passed / total >= floor, f"{passed}/{total} < {floor:.1%}\n{output}"
