"""Replies as WeChat text: no markup, no buttons, and never over the 2,048-byte passive-reply budget.

Paging and choices are said in words (「回复「下一页」看更多」, 「回复 1、2 或 3」) because an
Official Account's passive reply has no inline buttons. The title and the citation are kept
whole; body lines are dropped or shortened to fit the byte budget, never the citation.
"""

from __future__ import annotations

from bot import wording
from bot.channels.wechat.budget import pack_lines
from bot.channels.wechat.messages import MAX_CONTENT_BYTES
from bot.engine.reply import Reply


def render(reply: Reply, limit: int = MAX_CONTENT_BYTES) -> str:
    """The reply as one text message that fits ``limit`` bytes of UTF-8."""
    head = [line for line in reply.title.split("\n") if line]
    tail = [line for line in (reply.footer, reply.source_line, _hint(reply)) if line]
    return pack_lines(head, reply.lines, tail, limit).text


def _hint(reply: Reply) -> str:
    if reply.kind == "suggestions" and reply.offers:
        numbers = [str(o.number) for o in reply.offers]
        listed = "、".join(numbers[:-1]) + f" 或 {numbers[-1]}" if len(numbers) > 1 else numbers[0]
        return wording.WECHAT_PICK.format(numbers=listed)
    if reply.kind == "passages" and reply.passage and reply.intent != "original":
        return wording.WECHAT_ORIGINAL
    return ""


def welcome() -> str:
    """What a new follower reads: who answers, from what, and questions to try."""
    examples = "\n".join(f"• {q}" for q in wording.EXAMPLE_QUESTIONS)
    return f"{wording.GREETING}\n\n{wording.EXAMPLES_TITLE}\n{examples}"
