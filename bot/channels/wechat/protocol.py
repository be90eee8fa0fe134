"""What the ``/wechat`` route does with a request, independent of any web framework.

GET is URL verification (reply ``echostr`` unchanged); POST is a pushed message. Every request
carries ``signature``, ``timestamp`` and ``nonce`` in the query; encrypted pushes add
``encrypt_type=aes`` and ``msg_signature``, and are answered encrypted.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from bot.channels.wechat.budget import fit_bytes
from bot.channels.wechat.config import WeChatConfig
from bot.channels.wechat.crypto import CryptoError, MessageCrypto
from bot.channels.wechat.messages import MAX_CONTENT_BYTES, BadMessage, Incoming, fields, parse, text_reply
from bot.channels.wechat.signature import check_signature, fresh

MAX_BODY_BYTES = 64 * 1024
"""A real push is a few KiB (compatible mode about three times a plain one); the route answers
413 past this, so a flood of large bodies never reaches the XML parser."""

FRESH_WINDOW = 300.0
"""Seconds a request's timestamp may differ from our clock (WeChat retries within ~15 s)."""

SUCCESS = b"success"
"""The body that tells WeChat "no reply, do not retry" (an empty body does too)."""

__all__ = [
    "MAX_BODY_BYTES",
    "SUCCESS",
    "BadMessage",
    "Forbidden",
    "encrypted_request",
    "open_post",
    "seal_reply",
    "verify_url",
]


class Forbidden(Exception):
    """The request is not provably from WeChat for this account (the route answers 403)."""


@lru_cache(maxsize=8)
def _crypto(config: WeChatConfig) -> MessageCrypto:
    return MessageCrypto(config.token, config.aes_key, config.appid)


def _signed(config: WeChatConfig, query: Mapping[str, str], now: float) -> None:
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if not check_signature(config.token, query.get("signature", ""), timestamp, nonce):
        raise Forbidden("missing or wrong signature")
    if not fresh(timestamp, now, FRESH_WINDOW):
        raise Forbidden("timestamp is stale or not a number")


def encrypted_request(query: Mapping[str, str]) -> bool:
    """True when WeChat sent the body encrypted (``encrypt_type=aes``); plain is absent or ``raw``."""
    kind = query.get("encrypt_type", "raw").lower()
    if kind not in ("aes", "raw", ""):
        raise Forbidden(f"unknown encrypt_type {kind!r}")
    return kind == "aes"


def verify_url(config: WeChatConfig, query: Mapping[str, str], now: float) -> str | None:
    """The ``echostr`` to send back verbatim when the GET is WeChat's, else None (403).

    For an Official Account echostr comes in clear in every mode (WeCom, unlike it, encrypts it).
    """
    try:
        _signed(config, query, now)
    except Forbidden:
        return None
    echostr = query.get("echostr")
    return echostr or None


def open_post(config: WeChatConfig, query: Mapping[str, str], body: bytes, now: float) -> Incoming:
    """The pushed message, authenticated and decrypted.

    Raises :class:`Forbidden` for a bad or missing signature, a stale timestamp, a plaintext
    push in safe mode, an encrypted one in plain mode, or ciphertext that is not ours; and
    :class:`BadMessage` for a body that is too large or not a message.
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadMessage(f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
    _signed(config, query, now)
    if not encrypted_request(query):
        if config.mode == "safe":
            raise Forbidden("plaintext push refused in safe mode")
        return parse(body)
    if not config.encrypted:
        raise Forbidden("encrypted push refused in plain mode (set WECHAT_AES_KEY and WECHAT_MODE)")
    encrypted = fields(body).get("Encrypt", "")
    if not encrypted:
        raise BadMessage("encrypted push without <Encrypt>")
    crypto = _crypto(config)
    if not crypto.check(query.get("msg_signature", ""), query["timestamp"], query["nonce"], encrypted):
        raise Forbidden("missing or wrong msg_signature")
    try:
        xml = crypto.decrypt(encrypted)
    except CryptoError as exc:
        raise Forbidden(f"cannot decrypt: {exc}") from None
    return parse(xml.encode())


def seal_reply(
    config: WeChatConfig,
    query: Mapping[str, str],
    incoming: Incoming,
    content: str,
    now: float,
    nonce: str,
) -> bytes:
    """The passive text reply to ``incoming``, encrypted when the push was.

    ``content`` should already fit :data:`MAX_CONTENT_BYTES`; anything longer is cut here
    rather than lost, since WeChat drops an over-long reply silently.
    """
    xml = text_reply(
        to_user=incoming.from_user,
        from_user=incoming.to_user,
        content=fit_bytes(content, MAX_CONTENT_BYTES),
        now=now,
    )
    if encrypted_request(query) and config.encrypted:
        return _crypto(config).encrypt(xml, nonce, str(int(now))).encode()
    return xml.encode()
