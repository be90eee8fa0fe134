from __future__ import annotations

import base64
from typing import Any

import pytest
import xmltodict
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from bot.channels.wechat.crypto import CryptoError, MessageCrypto, aes_key_bytes
from tests.channels.wechat.conftest import AES_KEY, APPID, TOKEN, new_aes_key

MESSAGE = (
    "<xml><ToUserName><![CDATA[gh_4a8c3f1d2e9b]]></ToUserName>"
    "<FromUserName><![CDATA[oAbc]]></FromUserName><CreateTime>1714037059</CreateTime>"
    "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[金水区哪里办居住证？]]></Content>"
    "<MsgId>24500000000000001</MsgId></xml>"
)


def ours(**kwargs: Any) -> MessageCrypto:
    return MessageCrypto(TOKEN, AES_KEY, APPID, **kwargs)


def theirs() -> WeChatCrypto:
    return WeChatCrypto(TOKEN, AES_KEY, APPID)


def test_key_is_base64_of_the_43_chars_plus_padding() -> None:
    raw = bytes(range(32))
    assert aes_key_bytes(base64.b64encode(raw).decode().rstrip("=")) == raw


@pytest.mark.parametrize("bad", ["", "abc", "a" * 42, "a" * 44, "*" * 43, "我" * 43])
def test_bad_keys_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        aes_key_bytes(bad)
    if bad:
        assert bad not in str(caught.value)


def test_wechatpy_encrypted_decrypts_with_ours() -> None:
    sealed = xmltodict.parse(theirs().encrypt_message(MESSAGE, "12345", "1714037059"))["xml"]
    assert ours().check(sealed["MsgSignature"], "1714037059", "12345", sealed["Encrypt"])
    assert ours().decrypt(sealed["Encrypt"]) == MESSAGE


def test_ours_decrypts_with_wechatpy() -> None:
    sealed = ours().encrypt(MESSAGE, nonce="987654", timestamp="1714037059")
    outer = xmltodict.parse(sealed)["xml"]
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert outer["TimeStamp"] == "1714037059" and outer["Nonce"] == "987654"
    assert theirs().decrypt_message(sealed, outer["MsgSignature"], "1714037059", "987654") == MESSAGE


def test_same_random_prefix_gives_wechatpys_exact_ciphertext(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PrpCrypto, "get_random_string", lambda self: "abcdefghijklmnop")
    expected = xmltodict.parse(theirs().encrypt_message(MESSAGE, "1", "2"))["xml"]
    got = xmltodict.parse(ours(random_bytes=lambda n: b"abcdefghijklmnop"[:n]).encrypt(MESSAGE, "1", "2"))[
        "xml"
    ]
    assert got == expected


def test_random_prefix_differs_between_messages() -> None:
    crypto = ours()
    assert crypto.seal(MESSAGE) != crypto.seal(MESSAGE)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=3000))
def test_round_trip_any_text_both_ways(text: str) -> None:
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    theirs_prp = PrpCrypto(aes_key_bytes(AES_KEY))
    assert ours().decrypt(theirs_prp.encrypt(text, APPID).decode()) == text
    assert theirs_prp.decrypt(ours().seal(text), APPID) == text


def test_plaintext_is_padded_to_32_byte_blocks() -> None:
    for n in range(0, 70):
        raw = base64.b64decode(ours().seal("x" * n))
        assert len(raw) % 32 == 0
        assert len(raw) >= 16 + 4 + n + len(APPID)


def test_other_appid_refused_both_ways() -> None:
    other = MessageCrypto(TOKEN, AES_KEY, "wx_other_account")
    with pytest.raises(CryptoError, match="AppID"):
        ours().decrypt(other.seal(MESSAGE))
    with pytest.raises(InvalidAppIdException):
        PrpCrypto(aes_key_bytes(AES_KEY)).decrypt(other.seal(MESSAGE), APPID)


def test_wrong_key_refused() -> None:
    stranger = MessageCrypto(TOKEN, new_aes_key(), APPID)
    with pytest.raises(CryptoError):
        ours().decrypt(stranger.seal(MESSAGE))


@pytest.mark.parametrize(
    "damage",
    [
        "not base64!!",
        base64.b64encode(b"short").decode(),
        base64.b64encode(b"0" * 33).decode(),
        "",
    ],
)
def test_garbage_refused(damage: str) -> None:
    with pytest.raises(CryptoError):
        ours().decrypt(damage)


def test_tampered_ciphertext_refused_or_changed() -> None:
    raw = bytearray(base64.b64decode(ours().seal(MESSAGE)))
    raw[-1] ^= 0x01
    with pytest.raises(CryptoError):
        ours().decrypt(base64.b64encode(bytes(raw)).decode())


def test_length_field_past_the_end_refused() -> None:
    key = aes_key_bytes(AES_KEY)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    plain = b"r" * 16 + (10_000).to_bytes(4, "big") + b"<xml/>" + APPID.encode()
    plain += bytes([32 - len(plain) % 32]) * (32 - len(plain) % 32)
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    forged = base64.b64encode(enc.update(plain) + enc.finalize()).decode()
    with pytest.raises(CryptoError, match="length"):
        ours().decrypt(forged)


def test_msg_signature_covers_the_ciphertext() -> None:
    crypto = ours()
    encrypted = crypto.seal(MESSAGE)
    good = crypto.signature("1714037059", "5", encrypted)
    assert crypto.check(good, "1714037059", "5", encrypted)
    assert not crypto.check(good, "1714037059", "5", crypto.seal(MESSAGE))
    with pytest.raises(InvalidSignatureException):
        theirs().decrypt_message({"Encrypt": crypto.seal(MESSAGE)}, good, "1714037059", "5")


def test_appid_required() -> None:
    with pytest.raises(ValueError, match="AppID"):
        MessageCrypto(TOKEN, AES_KEY, "")


def test_random_source_must_give_16_bytes() -> None:
    with pytest.raises(ValueError, match="16"):
        ours(random_bytes=lambda n: b"short").seal(MESSAGE)
