"""The tester's console chat and the JSON batch contract of ``../shared/eval/README.md``.

Both are channels like any other: each line goes through the conversation service and the
structured reply is shown as plain text (the console) or as one JSON object (the batch).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, TextIO

from bot import wording
from bot.conversation import Conversation, Message
from bot.engine.reply import Reply, plain_reply

PROMPT = wording.CONSOLE_PROMPT
CHANNEL = "console"
log = logging.getLogger(__name__)


def render_text(reply: Reply) -> str:
    """The console's rendering: the plain text, with how to pick when choices are offered."""
    if reply.kind == "suggestions":
        return f"{reply.text}\n{wording.PICK_HINT}"
    return reply.text


def chat(
    conversation: Conversation,
    stdin: BinaryIO | TextIO | None = None,
    stdout: TextIO | None = None,
    user: str = "console",
) -> int:
    """Read questions line by line and print answers until EOF or 「退出」."""
    if stdout is None:
        stdout = sys.stdout
        if hasattr(stdout, "reconfigure"):  # a terminal that cannot show a character gets "?", not a crash
            stdout.reconfigure(errors="replace")
    source = stdin if stdin is not None else sys.stdin.buffer
    interactive = source.isatty()
    print(wording.CONSOLE_BANNER, file=stdout)
    lines = _decoded(source)
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = next(lines, None)
        if line is None:
            break
        question = line.strip()
        if question in wording.CONSOLE_QUIT:
            break
        if not question:
            continue
        if not interactive:
            print(f"{PROMPT}{question}", file=stdout)
        reply = conversation.handle(CHANNEL, user, Message(question))
        print(f"{wording.CONSOLE_BOT}{render_text(reply)}\n", file=stdout, flush=True)
    return 0


def ask_once(conversation: Conversation, question: str, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    print(render_text(conversation.handle("cli", "cli", Message(question))), file=stdout)
    return 0


def batch(conversation: Conversation, lines: Iterable[str], stdout: TextIO | None = None) -> int:
    """One JSON answer per input line, in order; a plain-text line is a new user each time.

    Nothing may break the contract: a line that cannot be read or answered gets a fallback line."""
    stdout = stdout or sys.stdout
    for number, raw in enumerate(lines):
        user, text = _message(number, raw.rstrip("\r\n"))
        try:
            reply = conversation.handle("batch", user, Message(text))
        except Exception:
            log.exception("line %d could not be answered", number + 1)
            reply = plain_reply("fallback", "error", wording.SORRY)
        stdout.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def _message(number: int, raw: str) -> tuple[str, str]:
    """(user, text) of one batch line: a JSON object, or plain text from a new user.

    Any JSON at all is read safely: a deeply nested array or a huge number is not a message."""
    user, text = f"line-{number}", raw
    if raw.lstrip().startswith("{"):
        try:
            message: Any = json.loads(raw)
        except (ValueError, RecursionError):
            return user, raw
        if isinstance(message, dict):
            user = _plain(message.get("user"), user)
            text = _plain(message.get("text"), "")
    return user, text


def _plain(value: object, default: str) -> str:
    return value if isinstance(value, str) else (str(value) if isinstance(value, int | float) else default)


def _decoded(source: BinaryIO | TextIO) -> Iterator[str]:
    """Lines as text whatever their bytes: invalid UTF-8 becomes U+FFFD, not a crash."""
    for raw in source:
        yield raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def stdin_lines() -> Iterator[str]:
    return _decoded(sys.stdin.buffer)
