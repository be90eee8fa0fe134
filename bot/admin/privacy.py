"""Personal data out of anything the bot writes down.

Residents type their phone number or ID card into a question (「我叫张三,电话13800138000」); a log
must keep what was asked, not who asked. Every log that stores residents' words masks them here
first. Digits may be typed full-width (１３８…), so the patterns accept both widths.
"""

from __future__ import annotations

import re

_D = "[0-9０-９]"  # ASCII or full-width digits; not \d, which also matches other scripts' digits
_SEP = "[-－ ]?"

# Order matters: e-mail first (it may hold digits), then ID cards (18 characters, so they are not
# read as a phone number plus digits), mobiles, and last landlines.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[A-Za-z0-9._%+-]+[@＠][A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[邮箱]"),
    # Mainland resident ID: 17 digits and a check digit or X.
    (re.compile(rf"(?<![0-9０-９]){_D}{{17}}[0-9０-９XxＸｘ](?![0-9０-９A-Za-z])"), "[身份证号]"),
    # Mainland mobile: 1[3-9] and 9 more digits, optionally +86 and 3-4-4 spacing.
    (
        re.compile(
            rf"(?<![0-9０-９])(?:(?:\+|＋)?(?:86|８６){_SEP})?[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}"
            r"(?![0-9０-９])"
        ),
        "[手机号]",
    ),
    # Landline with its area code: 0371-12345678, (0371)1234567, 010 12345678.
    (
        re.compile(
            rf"(?<![0-9０-９])(?:[(（][0０]{_D}{{2,3}}[)）]|[0０]{_D}{{2,3}}){_SEP}{_D}{{7,8}}(?![0-9０-９])"
        ),
        "[电话]",
    ),
)


def mask_personal(text: str) -> str:
    """``text`` with phone numbers, ID-card numbers and e-mail addresses replaced by what they were."""
    for pattern, label in _PATTERNS:
        text = pattern.sub(label, text)
    return text
