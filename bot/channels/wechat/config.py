"""The WeChat channel's settings: what the account's 服务器配置 page holds, read from the environment."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("bot.channels.wechat.route")

Mode = Literal["plain", "compatible", "safe"]
MODES: tuple[Mode, ...] = ("plain", "compatible", "safe")


@dataclass(frozen=True)
class WeChatConfig:
    """Token, AppID, EncodingAESKey and the 消息加解密方式 chosen on the account.

    ``plain`` (明文模式) takes plaintext only; ``compatible`` (兼容模式) takes both and answers
    in kind; ``safe`` (安全模式) takes encrypted messages only. Secrets stay out of ``repr``.
    """

    token: str = field(repr=False)
    appid: str = ""
    aes_key: str = field(default="", repr=False)
    mode: Mode = "plain"

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("WECHAT_TOKEN is empty")
        if self.mode not in MODES:
            raise ValueError(f"WECHAT_MODE must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.aes_key:
            from bot.channels.wechat.crypto import aes_key_bytes  # cryptography: only with a key

            try:
                aes_key_bytes(self.aes_key)
            except ValueError as exc:
                raise ValueError(f"WECHAT_AES_KEY is not a valid EncodingAESKey: {exc}") from None
        if self.mode != "plain":
            if not self.aes_key:
                raise ValueError(f"WECHAT_MODE={self.mode} needs WECHAT_AES_KEY (the EncodingAESKey)")
            if not self.appid:
                raise ValueError(f"WECHAT_MODE={self.mode} needs WECHAT_APPID (encrypted messages carry it)")

    @property
    def encrypted(self) -> bool:
        """True when encrypted messages are accepted (compatible or safe mode)."""
        return self.mode != "plain"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> WeChatConfig | None:
        """The config from WECHAT_TOKEN/APPID/AES_KEY/MODE; None when WECHAT_TOKEN is unset.

        The mode defaults to ``compatible`` when an AES key is set (it accepts whatever the
        account sends while the admin switches modes), else ``plain``.
        """
        token = environ.get("WECHAT_TOKEN", "").strip()
        if not token:
            return None
        aes_key = environ.get("WECHAT_AES_KEY", "").strip()
        mode = environ.get("WECHAT_MODE", "").strip().lower() or ("compatible" if aes_key else "plain")
        if mode not in MODES:
            raise ValueError(f"WECHAT_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        return cls(
            token=token,
            appid=environ.get("WECHAT_APPID", "").strip(),
            aes_key=aes_key,
            mode=mode,
        )


def configured(settings: Settings) -> WeChatConfig | None:
    """The account's settings, or None (with one log line) when WECHAT_TOKEN is not set.

    Here, apart from the route, so that ``serve`` without WeChat imports none of its protocol."""
    token = settings.wechat_token.get_secret_value() if settings.wechat_token else ""
    if not token:
        log.warning("WeChat is off: set WECHAT_TOKEN (and WECHAT_APPID, WECHAT_AES_KEY) to serve /wechat")
        return None
    key = settings.wechat_aes_key.get_secret_value() if settings.wechat_aes_key else ""
    mode = settings.wechat_mode or ("compatible" if key else "plain")
    return WeChatConfig(token=token, appid=settings.wechat_appid.strip(), aes_key=key, mode=mode)
