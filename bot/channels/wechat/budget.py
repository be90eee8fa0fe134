"""Fitting text into a byte budget (WeChat counts a reply's length in UTF-8 bytes, not characters).

Cuts land on character boundaries, preferably at a sentence end, so a shortened answer still
reads as whole sentences; the lines that matter (title, citation, paging hint) are kept whole.
"""

from __future__ import annotations

from dataclasses import dataclass

SENTENCE_ENDS = "。！？；!?;\n"
SOFT_BREAKS = "，、,： "
# A cut never leaves a joiner or variation selector dangling at the end.
_DANGLING = "\u200d\ufe0e\ufe0f"


def size(text: str) -> int:
    """UTF-8 length in bytes."""
    return len(text.encode())


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` bytes, never half a character."""
    return text.encode()[: max(limit, 0)].decode("utf-8", "ignore")


def _last_break(text: str, breaks: str) -> int:
    return max(text.rfind(mark) for mark in breaks)


def fit_bytes(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` if it fits in ``limit`` bytes, else a shorter prefix ending in ``ellipsis``.

    The cut prefers the last sentence end (。！？；\\n) in the second half of the room, then
    a comma or space, and only then any character boundary.
    """
    if size(text) <= limit:
        return text
    if size(ellipsis) > limit:
        ellipsis = ""
    head = _prefix(text, limit - size(ellipsis))
    for breaks in (SENTENCE_ENDS, SOFT_BREAKS):
        at = _last_break(head, breaks)
        if at >= len(head) // 2 and at > 0:
            head = head[: at + 1]
            break
    return head.rstrip().rstrip(_DANGLING) + ellipsis


@dataclass(frozen=True)
class Packed:
    """A fitted text and how many body lines it kept whole (the next page starts there)."""

    text: str
    kept: int
    cut: bool


def pack_lines(head: list[str], body: list[str], tail: list[str], limit: int, min_cut: int = 60) -> Packed:
    """Keep ``head`` and ``tail`` whole and as many ``body`` lines as fit, one per line.

    A body line that no longer fits is shortened when at least ``min_cut`` bytes are left for
    it, otherwise dropped with the rest; ``kept`` counts only whole lines. When even head and
    tail overflow, the head is shortened first, then the whole text.
    """
    fixed = "\n".join(head + tail)
    if size(fixed) > limit:
        room_for_head = limit - size("\n".join(tail)) - (1 if tail and head else 0)
        if head and room_for_head > 0:
            short_head = fit_bytes("\n".join(head), room_for_head)
            return Packed(text="\n".join([short_head, *tail]), kept=0, cut=True)
        return Packed(text=fit_bytes(fixed, limit), kept=0, cut=True)
    used = size(fixed)
    taken: list[str] = []
    cut = False
    for line in body:
        cost = size(line) + (1 if head or tail or taken else 0)
        if used + cost <= limit:
            taken.append(line)
            used += cost
            continue
        room = limit - used - (1 if head or tail or taken else 0)
        if room >= min_cut:
            taken.append(fit_bytes(line, room))
            cut = True
        break
    kept = len(taken) - (1 if cut else 0)
    dropped = kept < len(body)
    return Packed(text="\n".join(head + taken + tail), kept=kept, cut=cut or dropped)


def fit_lines(head: list[str], body: list[str], tail: list[str], limit: int) -> str:
    """:func:`pack_lines`' text: head and tail whole, body lines dropped or cut to fit ``limit`` bytes."""
    return pack_lines(head, body, tail, limit).text
