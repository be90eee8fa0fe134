"""The tester's console chat and the JSON batch contract of ``../shared/eval/README.md``."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from bot.engine import Engine
from bot.engine.compose import plain_reply
from bot.engine.dialogue import DialogueState

PROMPT = "您> "
SORRY = "抱歉,这条消息我没能处理。请换个说法再问一次。"
log = logging.getLogger(__name__)


def chat(
    engine: Engine, stdin: TextIO | None = None, stdout: TextIO | None = None, user: str = "console"
) -> int:
    """Read questions line by line and print answers until EOF or 「退出」."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    state = DialogueState()
    interactive = stdin.isatty()
    print("郑州市区居民问答助手(2020年春节活动与各区报道)。输入问题,「退出」结束。", file=stdout)
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            break
        question = line.strip()
        if question in ("退出", "exit", "quit", "q"):
            break
        if not question:
            continue
        if not interactive:
            print(f"{PROMPT}{question}", file=stdout)
        reply = engine.answer(question, state)
        engine.log_unanswered(user, question, reply)
        print(f"助手> {reply.text}\n", file=stdout, flush=True)
    return 0


def ask_once(engine: Engine, question: str, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    reply = engine.answer(question, DialogueState())
    engine.log_unanswered("cli", question, reply)
    print(reply.text, file=stdout)
    return 0


def batch(engine: Engine, lines: Iterable[str], stdout: TextIO | None = None) -> int:
    """One JSON answer per input line, in order; a plain-text line is a new user each time.

    Nothing may break the contract: an answer that fails becomes a fallback line of its own."""
    stdout = stdout or sys.stdout
    states: dict[str, DialogueState] = {}
    for number, raw in enumerate(lines):
        raw = raw.rstrip("\r\n")
        user, text = f"line-{number}", raw
        if raw.lstrip().startswith("{"):
            try:
                message = json.loads(raw)
                user, text = str(message.get("user", user)), str(message.get("text", ""))
            except (json.JSONDecodeError, AttributeError):
                pass
        state = states.setdefault(user, DialogueState())
        try:
            reply = engine.answer(text, state)
            engine.log_unanswered(user, text, reply)
        except Exception:
            log.exception("line %d could not be answered", number + 1)
            reply = plain_reply("fallback", "error", SORRY)
        stdout.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def stdin_lines() -> Iterator[str]:
    """Standard input as text whatever its bytes: invalid UTF-8 becomes U+FFFD, not a crash."""
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", "replace")
