"""Shared account values for the WeChat protocol tests."""

from __future__ import annotations

import base64
import os

import pytest

from bot.channels.wechat.config import WeChatConfig

TOKEN = "zzDistrictBot2024"
APPID = "wx5823bf96d3bd56c7"
ACCOUNT = "gh_4a8c3f1d2e9b"
NOW = 1_714_037_059.0


def new_aes_key() -> str:
    """A fresh EncodingAESKey: 32 random bytes in base64 without the trailing '='."""
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


AES_KEY = new_aes_key()


@pytest.fixture
def plain_config() -> WeChatConfig:
    return WeChatConfig(token=TOKEN)


@pytest.fixture(params=["compatible", "safe"])
def aes_config(request: pytest.FixtureRequest) -> WeChatConfig:
    return WeChatConfig(token=TOKEN, appid=APPID, aes_key=AES_KEY, mode=request.param)
