#!/usr/bin/env python3
"""Confusion counts of the bot on one or more question sets, judged by the shared scorer's own rules.

    python3 benchmarks/eval_report.py tests/eval/colloquial_tune.yaml tests/eval/colloquial_test.yaml
    python3 benchmarks/eval_report.py SET.yaml --cmd "/path/to/python run_bot.py ask --json"

For every set the command is run once, from the repository root, with the stdin protocol of run_eval.py
(whose turns_of and judge are used): one JSON object {"user": <case id>, "text": <question>} per line,
one JSON reply per line back.
Every question (every turn of a multi-turn case) is counted once:

    in scope      gold kind events, passages or chitchat
    out of scope  gold kind fallback

and sorted into
    correct            the scorer's judge() passes it
    suggested          the reply kind is "suggestions" (choices offered, no answer yet)
    wrongly answered   an answer that is not correct (for out of scope: any answer, or a fallback that cites)
    wrongly declined   a fallback to an in-scope question

Stdlib and PyYAML only; the bot package is not imported. Exit status 2 when a command breaks the contract.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUTCOMES = ("correct", "suggested", "wrongly answered", "wrongly declined")
SCOPES = ("in scope", "out of scope")


def load_scorer(path: Path):
    if not path.is_file():
        raise SystemExit(f"no scorer at {path}: pass --scorer /path/to/run_eval.py")
    spec = importlib.util.spec_from_file_location("shared_run_eval", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outcome(expect: dict, got: dict, judge) -> tuple[str, str]:
    """Return (scope, outcome) of one turn."""
    scope = "out of scope" if expect["kind"] == "fallback" else "in scope"
    passed, _why, _fig = judge(expect, got)
    if passed:
        return scope, "correct"
    if got.get("kind") == "suggestions":
        return scope, "suggested"
    if scope == "in scope" and got.get("kind") == "fallback":
        return scope, "wrongly declined"
    return scope, "wrongly answered"


def run_set(path: Path, cmd: str, timeout: float, scorer) -> tuple[Counter, Counter, Counter]:
    """Run the command on one set; count (scope, outcome), per-category turns and per-category passes."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    lines, where = [], []
    for case in cases:
        for turn in scorer.turns_of(case):
            lines.append(json.dumps({"user": case["id"], "text": turn["q"]}, ensure_ascii=False))
            where.append((case, turn))
    try:
        proc = subprocess.run(
            shlex.split(cmd),
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            cwd=ROOT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"could not run {cmd!r}: {exc}")
        sys.exit(2)
    out = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or len(out) != len(lines):
        sys.stdout.write(proc.stderr[-3000:])
        print(f"contract broken: exit {proc.returncode}, {len(out)} answer lines for {len(lines)} questions")
        sys.exit(2)
    counts: Counter = Counter()
    cat_turns: Counter = Counter()
    cat_passed: Counter = Counter()
    for (case, turn), raw in zip(where, out, strict=True):
        try:
            got = json.loads(raw)
        except json.JSONDecodeError:
            print(f"contract broken: not JSON: {raw[:200]}")
            sys.exit(2)
        scope, result = outcome(turn, got, scorer.judge)
        counts[scope, result] += 1
        cat = str(case.get("cat", "-"))
        cat_turns[cat] += 1
        cat_passed[cat] += result == "correct"
    return counts, cat_turns, cat_passed


def table(title: str, counts: Counter) -> str:
    width = max(len(o) for o in OUTCOMES) + 2
    rows = [f"{title}", f"  {'':<14}" + "".join(f"{o:>{width}}" for o in OUTCOMES) + f"{'total':>8}"]
    for scope in SCOPES:
        cells = [counts[scope, o] for o in OUTCOMES]
        rows.append(f"  {scope:<14}" + "".join(f"{c:>{width}}" for c in cells) + f"{sum(cells):>8}")
    cells = [sum(counts[s, o] for s in SCOPES) for o in OUTCOMES]
    rows.append(f"  {'all':<14}" + "".join(f"{c:>{width}}" for c in cells) + f"{sum(cells):>8}")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", type=Path, nargs="+", help="question-set YAML files (a top-level `cases:` list)")
    ap.add_argument("--cmd", default=".venv/bin/python run_bot.py ask --json", help="run from the repo root")
    ap.add_argument(
        "--scorer",
        type=Path,
        default=Path("../shared/eval/run_eval.py"),
        help="run_eval.py whose judge() decides correctness (relative paths: from the repo root)",
    )
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()

    scorer = args.scorer if args.scorer.is_absolute() else ROOT / args.scorer
    module = load_scorer(scorer.resolve())
    total: Counter = Counter()
    for path in args.sets:
        counts, cat_turns, cat_passed = run_set(path.resolve(), args.cmd, args.timeout, module)
        total.update(counts)
        print(table(f"== {path} (questions = turns)", counts))
        if set(cat_turns) != {"-"}:
            cats = sorted(cat_turns, key=lambda c: (not c.isdigit(), c.zfill(3)))
            print("  correct per cat: " + "  ".join(f"{c} {cat_passed[c]}/{cat_turns[c]}" for c in cats))
        print()
    if len(args.sets) > 1:
        print(table("== total", total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
