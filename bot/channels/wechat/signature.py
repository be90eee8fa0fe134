"""WeChat request signatures: sha1 over the sorted, concatenated parts.

The same rule signs the URL (token, timestamp, nonce) and, in encrypted modes, the message
(token, timestamp, nonce, Encrypt). Sorting ``str`` by code point equals sorting their UTF-8
bytes, which is what WeChat's own samples do.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(*parts: str) -> str:
    """Hex sha1 of the parts sorted and joined, as WeChat computes ``signature``."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def same_signature(expected: str, given: str) -> bool:
    """Constant-time equality, so a forger learns nothing from response timing."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """True when the URL's ``signature`` proves the request knows our token."""
    return same_signature(sign(token, timestamp, nonce), signature)


def fresh(timestamp: str, now: float, window: float = 300) -> bool:
    """True when ``timestamp`` (unix seconds) is within ``window`` of ``now``.

    A signature never expires by itself, so a captured request could be replayed forever;
    refusing old timestamps bounds that to the window.
    """
    if not timestamp.isascii() or not timestamp.isdigit():
        return False
    return abs(now - int(timestamp)) <= window
