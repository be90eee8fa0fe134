from __future__ import annotations

import pytest

from bot.channels.wechat.config import WeChatConfig
from tests.channels.wechat.conftest import AES_KEY, APPID, TOKEN


def test_no_token_no_channel() -> None:
    assert WeChatConfig.from_env({}) is None
    assert WeChatConfig.from_env({"WECHAT_TOKEN": "  ", "WECHAT_AES_KEY": AES_KEY}) is None


def test_plain_by_default() -> None:
    assert WeChatConfig.from_env({"WECHAT_TOKEN": TOKEN}) == WeChatConfig(token=TOKEN, mode="plain")


def test_compatible_by_default_with_a_key() -> None:
    config = WeChatConfig.from_env({"WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_AES_KEY": AES_KEY})
    assert config is not None and config.mode == "compatible" and config.encrypted


def test_explicit_mode_any_case() -> None:
    env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_AES_KEY": AES_KEY, "WECHAT_MODE": " Safe "}
    config = WeChatConfig.from_env(env)
    assert config is not None and config.mode == "safe"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WECHAT_MODE": "secure"}, "WECHAT_MODE must be one of"),
        ({"WECHAT_MODE": "safe"}, "needs WECHAT_AES_KEY"),
        ({"WECHAT_AES_KEY": AES_KEY[:-1]}, "43 characters"),
        ({"WECHAT_AES_KEY": AES_KEY[:-1] + "!"}, "base64"),
        ({"WECHAT_AES_KEY": AES_KEY, "WECHAT_APPID": ""}, "needs WECHAT_APPID"),
    ],
)
def test_bad_settings_explained(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        WeChatConfig.from_env({"WECHAT_TOKEN": TOKEN, **env})
    assert AES_KEY[:-1] not in str(caught.value)


def test_secrets_not_in_repr() -> None:
    config = WeChatConfig(token=TOKEN, appid=APPID, aes_key=AES_KEY, mode="safe")
    assert TOKEN not in repr(config) and AES_KEY not in repr(config) and APPID in repr(config)
