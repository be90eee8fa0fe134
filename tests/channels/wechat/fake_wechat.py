"""A stand-in for WeChat's servers talking to our ``/wechat`` endpoint, built on wechatpy.

It makes requests exactly as WeChat does: URL verification GETs, and POSTs whose query holds
``signature``, ``timestamp``, ``nonce`` and ``openid`` (plus ``encrypt_type=aes`` and
``msg_signature`` when encrypted) with a plain, compatible (plain fields + ``<Encrypt>``) or
safe (``<ToUserName>`` + ``<Encrypt>`` only) XML body. It checks each reply as WeChat would:
the MsgSignature of an encrypted reply, the user names swapped, MsgType text, Content at most
2048 bytes, well-formed XML. Its crypto comes from wechatpy, not from ``bot``, so a test that
passes through it is checked against an independent implementation::

    wechat = FakeWeChat(httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bot"),
                        token="tok", aes_key=KEY, appid="wx1234", mode="safe")
    assert await wechat.averify()
    reply = await wechat.asend(wechat.text("o_resident", "哪里可以写春联?"))
    assert "春联" in reply.content
    again = await wechat.aresend(reply.sent)          # WeChat's retry: same MsgId

A sync ``httpx.Client`` (or a base URL string) works the same with ``verify``/``send``/``resend``.
"""

from __future__ import annotations

import base64
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx
import xmltodict
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner

Mode = Literal["plain", "compatible", "safe"]
MAX_CONTENT_BYTES = 2048
DEADLINE = 5.0  # WeChat drops the connection after five seconds, then retries.


class ReplyError(AssertionError):
    """The endpoint answered in a way WeChat would reject."""


def wechat_sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render(message: dict[str, str | int]) -> str:
    """A pushed message's XML the way WeChat writes it: strings in CDATA, integers bare."""
    nodes = [
        f"<{name}>{value}</{name}>" if isinstance(value, int) else f"<{name}>{_cdata(value)}</{name}>"
        for name, value in message.items()
    ]
    return "<xml>" + "".join(nodes) + "</xml>"


@dataclass(frozen=True)
class Sent:
    """One request as sent: its query, body and the plaintext message it carries."""

    method: str
    params: dict[str, str]
    body: bytes
    message: dict[str, str | int]

    @property
    def openid(self) -> str:
        return str(self.message.get("FromUserName", ""))

    @property
    def encrypted(self) -> bool:
        return self.params.get("encrypt_type") == "aes"


@dataclass(frozen=True)
class Reply:
    """The endpoint's answer, checked; ``content`` is None for ``success`` or an empty body."""

    sent: Sent
    status: int
    body: bytes
    content: str | None
    encrypted: bool
    xml: str = ""


@dataclass
class FakeWeChat:
    """WeChat's side of one Official Account (token, AppID, EncodingAESKey, mode, server path)."""

    target: httpx.Client | httpx.AsyncClient | str
    token: str
    aes_key: str = ""
    appid: str = "wx0000000000000000"
    mode: Mode = "plain"
    path: str = "/wechat"
    account: str = "gh_0123456789ab"
    clock: Callable[[], float] = time.time
    seed: int = 0
    exchanges: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.target, str):
            self.target = httpx.Client(base_url=self.target)
        if self.mode != "plain" and not self.aes_key:
            raise ValueError(f"{self.mode} mode needs an aes_key")
        self._rng = random.Random(self.seed)
        self._msg_ids = itertools.count(24_000_000_000_000_000 + self._rng.randrange(10**9))
        if self.aes_key:
            self._prp = PrpCrypto(base64.b64decode(self.aes_key + "="))

    # --- what residents do -------------------------------------------------------------------

    def openid(self, n: int = 0) -> str:
        """A 28-character openid like WeChat's (stable per ``n`` for this account)."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        rng = random.Random(f"{self.account}/{n}")
        return "o" + "".join(rng.choice(alphabet) for _ in range(27))

    def text(self, openid: str, content: str, msg_id: int | None = None) -> dict[str, str | int]:
        return {
            "ToUserName": self.account,
            "FromUserName": openid,
            "CreateTime": int(self.clock()),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id if msg_id is not None else next(self._msg_ids),
        }

    def event(self, openid: str, event: str, key: str | None = None) -> dict[str, str | int]:
        message: dict[str, str | int] = {
            "ToUserName": self.account,
            "FromUserName": openid,
            "CreateTime": int(self.clock()),
            "MsgType": "event",
            "Event": event,
        }
        if key is not None:
            message["EventKey"] = key
        return message

    # --- building requests as WeChat does ----------------------------------------------------

    def _stamp(self) -> tuple[str, str]:
        return str(int(self.clock())), str(self._rng.randrange(10**8, 10**10))

    def verification(self, echostr: str | None = None) -> Sent:
        """The GET WeChat sends when the admin presses 提交 on the server configuration page."""
        timestamp, nonce = self._stamp()
        echo = echostr if echostr is not None else str(self._rng.randrange(10**18, 10**19))
        params = {
            "signature": wechat_sign(self.token, timestamp, nonce),
            "echostr": echo,
            "timestamp": timestamp,
            "nonce": nonce,
        }
        return Sent("GET", params, b"", {})

    def push(self, message: dict[str, str | int]) -> Sent:
        """The POST carrying ``message``, signed and (in compatible/safe mode) encrypted."""
        timestamp, nonce = self._stamp()
        params = {
            "signature": wechat_sign(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": str(message["FromUserName"]),
        }
        plain = render(message)
        if self.mode == "plain":
            return Sent("POST", params, plain.encode(), message)
        encrypted = self._prp.encrypt(plain, self.appid).decode()
        params["encrypt_type"] = "aes"
        params["msg_signature"] = wechat_sign(self.token, timestamp, nonce, encrypted)
        if self.mode == "safe":
            envelope = {"ToUserName": str(message["ToUserName"]), "Encrypt": encrypted}
        else:
            envelope = {**message, "Encrypt": encrypted}
        return Sent("POST", params, render(envelope).encode(), message)

    def resigned(self, sent: Sent) -> Sent:
        """The same message (same MsgId and CreateTime) under a fresh timestamp and nonce."""
        return self.push(sent.message)

    # --- checking replies as WeChat does -----------------------------------------------------

    def check(self, sent: Sent, response: httpx.Response) -> Reply:
        """Validate ``response`` to ``sent`` the way WeChat would; :class:`ReplyError` if not."""
        if response.status_code != 200:
            raise ReplyError(f"HTTP {response.status_code}: {response.text[:200]}")
        body = response.content
        if sent.method == "GET":
            if response.text != sent.params["echostr"]:
                raise ReplyError(f"echostr not returned unchanged: {response.text[:100]!r}")
            return self._log(Reply(sent, 200, body, response.text, encrypted=False))
        if body.strip() in (b"", b"success"):
            return self._log(Reply(sent, 200, body, None, encrypted=False))
        outer = self._xml(body)
        encrypted = "Encrypt" in outer
        if encrypted:
            if not sent.encrypted:
                raise ReplyError("encrypted reply to a plaintext push")
            xml = self._open(outer)
            inner = self._xml(xml.encode())
        else:
            if self.mode == "safe":
                raise ReplyError("plaintext reply in safe mode")
            xml, inner = body.decode(), outer
        content = self._check_text(sent, inner)
        return self._log(Reply(sent, 200, body, content, encrypted=encrypted, xml=xml))

    def _log(self, reply: Reply) -> Reply:
        self.exchanges.append(reply)
        return reply

    @staticmethod
    def _xml(data: bytes) -> dict[str, str]:
        try:
            parsed = xmltodict.parse(data.decode("utf-8"))
        except Exception as exc:
            raise ReplyError(f"reply is not well-formed UTF-8 XML: {exc}") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("xml"), dict):
            raise ReplyError("reply root is not <xml>")
        return {key: value or "" for key, value in parsed["xml"].items()}

    def _open(self, outer: dict[str, str]) -> str:
        for name in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce"):
            if not outer.get(name):
                raise ReplyError(f"encrypted reply lacks {name}")
        expected = wechat_sign(self.token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
        if outer["MsgSignature"] != expected:
            raise ReplyError("encrypted reply's MsgSignature does not match")
        try:
            return self._prp.decrypt(outer["Encrypt"], self.appid)
        except InvalidAppIdException:
            raise ReplyError("encrypted reply carries another AppID") from None

    def _check_text(self, sent: Sent, inner: dict[str, str]) -> str:
        if inner.get("ToUserName") != sent.openid:
            raise ReplyError(f"reply ToUserName {inner.get('ToUserName')!r} is not the sender")
        if inner.get("FromUserName") != self.account:
            raise ReplyError(f"reply FromUserName {inner.get('FromUserName')!r} is not the account")
        if inner.get("MsgType") != "text":
            raise ReplyError(f"reply MsgType {inner.get('MsgType')!r}, expected text")
        if not str(inner.get("CreateTime", "")).isdigit():
            raise ReplyError("reply CreateTime is not an integer")
        content = inner.get("Content", "")
        if len(content.encode()) > MAX_CONTENT_BYTES:
            raise ReplyError(f"reply Content is {len(content.encode())} bytes > {MAX_CONTENT_BYTES}")
        return content

    # --- sending -----------------------------------------------------------------------------

    def _sync(self) -> httpx.Client:
        if not isinstance(self.target, httpx.Client):
            raise TypeError("this FakeWeChat has an AsyncClient: use the a* methods")
        return self.target

    def _async(self) -> httpx.AsyncClient:
        if not isinstance(self.target, httpx.AsyncClient):
            raise TypeError("this FakeWeChat has a sync Client: use the methods without a")
        return self.target

    def exchange(self, sent: Sent) -> Reply:
        response = self._sync().request(
            sent.method, self.path, params=sent.params, content=sent.body or None, timeout=DEADLINE
        )
        return self.check(sent, response)

    async def aexchange(self, sent: Sent) -> Reply:
        response = await self._async().request(
            sent.method, self.path, params=sent.params, content=sent.body or None, timeout=DEADLINE
        )
        return self.check(sent, response)

    def verify(self, echostr: str | None = None) -> bool:
        """Send the verification GET; True when echostr comes back unchanged."""
        try:
            self.exchange(self.verification(echostr))
        except ReplyError:
            return False
        return True

    async def averify(self, echostr: str | None = None) -> bool:
        try:
            await self.aexchange(self.verification(echostr))
        except ReplyError:
            return False
        return True

    def send(self, message: dict[str, str | int]) -> Reply:
        return self.exchange(self.push(message))

    async def asend(self, message: dict[str, str | int]) -> Reply:
        return await self.aexchange(self.push(message))

    def resend(self, sent: Sent, resign: bool = False) -> Reply:
        """WeChat's retry of ``sent`` (same MsgId): byte-identical, or freshly signed."""
        return self.exchange(self.resigned(sent) if resign else sent)

    async def aresend(self, sent: Sent, resign: bool = False) -> Reply:
        return await self.aexchange(self.resigned(sent) if resign else sent)
