from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature as wechatpy_check

from bot.channels.wechat.signature import check_signature, fresh, sign


def test_official_example() -> None:
    # From the 消息推送 guide: Token "AAAAA", the verification GET's timestamp and nonce.
    assert sign("AAAAA", "1714036504", "1514711492") == "f464b24fc39322e44b38aa78f5edd27bd1441696"
    assert check_signature("AAAAA", "f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504", "1514711492")


def test_is_sha1_of_sorted_concatenation() -> None:
    expected = hashlib.sha1("".join(sorted(["tok", "1700000000", "42"])).encode()).hexdigest()
    assert sign("tok", "1700000000", "42") == expected
    assert sign("42", "tok", "1700000000") == expected


printable = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=20)


@given(token=printable, timestamp=st.integers(0, 2**33).map(str), nonce=st.integers(0, 10**10).map(str))
def test_agrees_with_wechatpy(token: str, timestamp: str, nonce: str) -> None:
    good = sign(token, timestamp, nonce)
    wechatpy_check(token, good, timestamp, nonce)
    assert check_signature(token, good, timestamp, nonce)
    bad = ("0" if good[0] != "0" else "1") + good[1:]
    assert not check_signature(token, bad, timestamp, nonce)
    with pytest.raises(InvalidSignatureException):
        wechatpy_check(token, bad, timestamp, nonce)


@pytest.mark.parametrize(
    "signature", ["", "f464b24f", "签名" * 20, "F464B24FC39322E44B38AA78F5EDD27BD1441696"]
)
def test_malformed_signatures_are_false_not_errors(signature: str) -> None:
    assert not check_signature("AAAAA", signature, "1714036504", "1514711492")


def test_wrong_token_fails() -> None:
    assert not check_signature("BBBBB", sign("AAAAA", "1", "2"), "1", "2")


@pytest.mark.parametrize(
    ("timestamp", "now", "expected"),
    [
        ("1000", 1000.0, True),
        ("1000", 1300.0, True),
        ("1000", 1300.5, False),
        ("1000", 700.0, True),
        ("1000", 699.0, False),
        ("", 1000.0, False),
        ("-5", 1000.0, False),
        ("1e3", 1000.0, False),
        ("１０００", 1000.0, False),
    ],
)
def test_fresh(timestamp: str, now: float, expected: bool) -> None:
    assert fresh(timestamp, now) is expected


def test_fresh_window_is_adjustable() -> None:
    assert fresh("1000", 1010.0, window=10)
    assert not fresh("1000", 1011.0, window=10)
