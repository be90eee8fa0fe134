"""WeChat's message encryption for the compatible and safe modes (消息加解密).

``AESKey = base64decode(EncodingAESKey + "=")`` (32 bytes); AES-256-CBC with IV = the key's
first 16 bytes; the plaintext is 16 random bytes, the XML's length as 4 bytes big-endian,
the XML, then the AppID, PKCS#7-padded to a multiple of 32 bytes (not AES's 16). The AppID at
the end is what proves a message was meant for this account.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wechat.messages import cdata
from bot.channels.wechat.signature import same_signature, sign

PAD_BLOCK = 32
AES_KEY_CHARS = 43


class CryptoError(ValueError):
    """An encrypted message that does not decrypt to one for this account."""


def aes_key_bytes(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of an EncodingAESKey; the message never echoes the key itself."""
    if len(encoding_aes_key) != AES_KEY_CHARS:
        raise ValueError(f"EncodingAESKey must be {AES_KEY_CHARS} characters, got {len(encoding_aes_key)}")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("EncodingAESKey must use only base64 letters and digits (A-Z a-z 0-9 + /)") from None
    return key


def _pad(data: bytes) -> bytes:
    n = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    n = data[-1] if data else 0
    if not 1 <= n <= PAD_BLOCK or n > len(data) or data[-n:] != bytes([n]) * n:
        raise CryptoError("bad padding: wrong key or damaged message")
    return data[:-n]


class MessageCrypto:
    """Encrypts replies and decrypts pushes for one account (token, EncodingAESKey, AppID)."""

    def __init__(
        self,
        token: str,
        aes_key: str,
        appid: str,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        if not appid:
            raise ValueError("an AppID is needed: WeChat appends it to every encrypted message")
        self.token = token
        self.appid = appid
        self._key = aes_key_bytes(aes_key)
        self._random_bytes = random_bytes

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def seal(self, xml: str) -> str:
        """Base64 ciphertext of ``xml`` (the text that goes in ``<Encrypt>``)."""
        body = xml.encode()
        prefix = self._random_bytes(16)
        if len(prefix) != 16:
            raise ValueError("the random source must give 16 bytes")
        plain = _pad(prefix + len(body).to_bytes(4, "big") + body + self.appid.encode())
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def encrypt(self, xml: str, nonce: str, timestamp: str) -> str:
        """The whole encrypted reply: ``<xml>`` with Encrypt, MsgSignature, TimeStamp and Nonce."""
        encrypted = self.seal(xml)
        return (
            "<xml>"
            f"<Encrypt>{cdata(encrypted)}</Encrypt>"
            f"<MsgSignature>{cdata(self.signature(timestamp, nonce, encrypted))}</MsgSignature>"
            f"<TimeStamp>{int(timestamp)}</TimeStamp>"
            f"<Nonce>{cdata(nonce)}</Nonce>"
            "</xml>"
        )

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        """``msg_signature``: the token, timestamp, nonce and ciphertext signed together."""
        return sign(self.token, timestamp, nonce, encrypted)

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> bool:
        """True when ``msg_signature`` covers this ciphertext (checked before decrypting)."""
        return same_signature(self.signature(timestamp, nonce, encrypted), msg_signature)

    def decrypt(self, encrypt_b64: str) -> str:
        """The XML inside ``<Encrypt>``; :class:`CryptoError` on bad base64, padding, length or AppID."""
        try:
            raw = base64.b64decode(encrypt_b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("Encrypt is not base64") from None
        if not raw or len(raw) % 16:
            raise CryptoError("ciphertext length is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("decrypted message is too short")
        size = int.from_bytes(plain[16:20], "big")
        end = 20 + size
        if end > len(plain):
            raise CryptoError("declared XML length runs past the message")
        appid = plain[end:]
        if appid != self.appid.encode():
            raise CryptoError("message is for another AppID")
        try:
            return plain[20:end].decode()
        except UnicodeDecodeError:
            raise CryptoError("decrypted XML is not UTF-8") from None
