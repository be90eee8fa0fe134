"""An admin's correct edit never turns the suite red.

Copy knowledge/, follow docs/admin.md to add one event row, one synonym and one service (quoting
its passage word for word), run `check` on the copy, then run every test that reads the shipped
knowledge (marked ``shipped``: the invariants and all question sets) against the copy through
BOT_KNOWLEDGE. Finally ask the bot about the three additions and check the answers cite them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import INTENTS, KNOWLEDGE, ROOT

pytestmark = pytest.mark.slow

EVENT_CONTENT = "测试社区义写春联送福字"
SYNONYM = "挥春"  # a Cantonese word for 春联, added as a variant of 春联
SERVICE_ID = "party-study-at-home"


def run(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=600, env=env, check=False
    )


def admin_edits(knowledge: Path) -> tuple[int, str]:
    """The three edits of docs/admin.md, done as text edits the way an admin would type them.

    Returns the new event's number and the service's quote."""
    # "add an event": open knowledge/events/000-7.yaml, copy the last record, next free number.
    events_file = knowledge / "events" / "000-7.yaml"
    rows = yaml.safe_load(events_file.read_text("utf-8"))["events"]
    last = rows[-1]
    files = (knowledge / "events").glob("*.yaml")
    number = max(r["number"] for f in files for r in yaml.safe_load(f.read_text("utf-8"))["events"]) + 1
    record = (
        f"- number: {number}\n"
        "  start: '2020-01-22'\n"
        "  end: '2020-01-22'\n"
        "  place: 上街区测试社区广场\n"
        f"  content: {EVENT_CONTENT}\n"
        "  organiser: 上街区测试社区\n"
        f"  district: {last.get('district', '上街区')}\n"
        f"  source: {last['source']}\n"
    )
    text = events_file.read_text("utf-8")
    events_file.write_text(text + ("" if text.endswith("\n") else "\n") + record, "utf-8")

    # "add a synonym": add the variant to the list of its word in synonyms.yaml.
    synonyms = knowledge / "lexicon" / "synonyms.yaml"
    lines = synonyms.read_text("utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("春联:"))
    assert lines[index].rstrip().endswith("]")
    lines[index] = lines[index].rstrip()[:-1] + f", {SYNONYM}]"
    synonyms.write_text("\n".join(lines) + "\n", "utf-8")

    # "add a service": a record in services.yaml whose quote is word for word in its passage.
    source = yaml.safe_load((knowledge / "sources" / "000-1.yaml").read_text("utf-8"))
    passage = next(p for s in source["sections"] for p in s["passages"] if "送学上门" in p["text"])
    quote = "对年龄大、身体差的党员,每月坚持“送学上门”"
    assert quote in passage["text"]
    service = (
        f"  - id: {SERVICE_ID}\n"
        "    name: 党员送学上门\n"
        "    offers: 为年龄大、身体差的党员每月送学上门\n"
        "    provider: 上街区社区党支部\n"
        "    how: 联系所在社区党支部\n"
        "    district: 上街区\n"
        "    source: 000-1\n"
        f"    passage: {passage['id']}\n"
        f"    quote: {quote}\n"
        "    keywords: [送学上门, 党员学习, 上门学习]\n"
    )
    services = knowledge / "services.yaml"
    text = services.read_text("utf-8")
    services.write_text(text + ("" if text.endswith("\n") else "\n") + service, "utf-8")
    return number, quote


def test_an_admins_edit_keeps_the_suite_green(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, copy)
    number, quote = admin_edits(copy)
    env = {**os.environ, "BOT_KNOWLEDGE": str(copy), "BOT_INTENTS": str(INTENTS)}
    env["BOT_UNANSWERED_LOG"] = str(tmp_path / "unanswered.jsonl")

    check = run(sys.executable, "run_bot.py", "check", env=env)
    assert (check.returncode, check.stdout) == (0, ""), check.stdout + check.stderr

    questions = [
        json.dumps({"user": "a", "text": f"哪里可以{SYNONYM}?"}, ensure_ascii=False),
        json.dumps({"user": "b", "text": "1月22日上街区测试社区广场有什么活动?"}, ensure_ascii=False),
        json.dumps({"user": "c", "text": "老党员身体不好,哪里可以申请送学上门?"}, ensure_ascii=False),
    ]
    answers = run(sys.executable, "run_bot.py", "ask", "--json", env=env, stdin="\n".join(questions) + "\n")
    couplets, new_event, service = (json.loads(line) for line in answers.stdout.splitlines())
    assert couplets["kind"] == "events" and number in couplets["events"]  # the synonym finds 春联 rows
    assert new_event["kind"] == "events" and number in new_event["events"]
    assert any(c["locator"] == f"序号{number}" for c in new_event["citations"])
    assert (service["kind"], service["intent"]) == ("passages", "service_lookup"), service
    assert quote in service["text"] and service["citations"][0]["source"] == "000-1"

    suite = run(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "shipped", "tests", env=env
    )
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    assert " passed" in suite.stdout and "failed" not in suite.stdout
