from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from bot.channels.wechat.config import MODES, Mode, WeChatConfig
from bot.channels.wechat.messages import BadMessage
from bot.channels.wechat.protocol import MAX_BODY_BYTES, Forbidden, open_post, seal_reply, verify_url
from bot.channels.wechat.signature import sign
from tests.channels.wechat.conftest import ACCOUNT, AES_KEY, APPID, NOW, TOKEN
from tests.channels.wechat.fake_wechat import FakeWeChat, Sent

RESIDENT = "oZz3fT0kQ1b2c3d4e5f6g7h8i9j0"


def fake(mode: Mode = "plain") -> FakeWeChat:
    return FakeWeChat(
        "http://bot.invalid",
        token=TOKEN,
        aes_key=AES_KEY if mode != "plain" else "",
        appid=APPID,
        mode=mode,
        account=ACCOUNT,
        clock=lambda: NOW,
    )


def config_for(mode: Mode) -> WeChatConfig:
    if mode == "plain":
        return WeChatConfig(token=TOKEN)
    return WeChatConfig(token=TOKEN, appid=APPID, aes_key=AES_KEY, mode=mode)


# --- URL verification ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_verify_url_returns_echostr_unchanged(mode: Mode) -> None:
    sent = fake(mode).verification("5837397520665436492")
    assert verify_url(config_for(mode), sent.params, NOW) == "5837397520665436492"


def test_verify_url_official_example() -> None:
    query = {
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
        "echostr": "4375120948345356249",
        "timestamp": "1714036504",
        "nonce": "1514711492",
    }
    assert verify_url(WeChatConfig(token="AAAAA"), query, 1714036504.0) == "4375120948345356249"


@pytest.mark.parametrize(
    "spoil",
    [
        {"signature": "0" * 40},
        {"signature": ""},
        {"nonce": "1"},
        {"echostr": ""},
    ],
)
def test_verify_url_refuses(spoil: dict[str, str]) -> None:
    sent = fake().verification()
    assert verify_url(config_for("plain"), {**sent.params, **spoil}, NOW) is None


def test_verify_url_refuses_missing_params_and_stale() -> None:
    sent = fake().verification()
    assert verify_url(config_for("plain"), {}, NOW) is None
    assert verify_url(config_for("plain"), sent.params, NOW + 301) is None


# --- pushes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_open_text_push(mode: Mode) -> None:
    wechat = fake(mode)
    sent = wechat.push(wechat.text(RESIDENT, "管城区哪里可以办理社保卡？", msg_id=24500000000000042))
    incoming = open_post(config_for(mode), sent.params, sent.body, NOW)
    assert (incoming.from_user, incoming.to_user, incoming.msg_type) == (RESIDENT, ACCOUNT, "text")
    assert (incoming.content, incoming.msg_id, incoming.create_time) == (
        "管城区哪里可以办理社保卡？",
        "24500000000000042",
        int(NOW),
    )


def test_wechatpy_built_safe_push_opens() -> None:
    plain = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{RESIDENT}]]>"
    plain += "</FromUserName><CreateTime>1714037059</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    plain += "<Content><![CDATA[你好]]></Content><MsgId>1</MsgId></xml>"
    sealed = WeChatCrypto(TOKEN, AES_KEY, APPID).encrypt_message(plain, "777", "1714037059")
    outer = xmltodict.parse(sealed)["xml"]
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
    body += f"<Encrypt><![CDATA[{outer['Encrypt']}]]></Encrypt></xml>"
    query = {
        "signature": sign(TOKEN, "1714037059", "777"),
        "timestamp": "1714037059",
        "nonce": "777",
        "openid": RESIDENT,
        "encrypt_type": "aes",
        "msg_signature": outer["MsgSignature"],
    }
    assert open_post(config_for("safe"), query, body.encode(), NOW).content == "你好"


@pytest.mark.parametrize("mode", MODES)
def test_bad_signature_refused(mode: Mode) -> None:
    wechat = fake(mode)
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    for spoiled in (
        {**sent.params, "signature": "0" * 40},
        {k: v for k, v in sent.params.items() if k != "signature"},
    ):
        with pytest.raises(Forbidden, match="signature"):
            open_post(config_for(mode), spoiled, sent.body, NOW)


def test_other_token_refused() -> None:
    wechat = fake()
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    with pytest.raises(Forbidden):
        open_post(WeChatConfig(token="someone-else"), sent.params, sent.body, NOW)


@pytest.mark.parametrize("offset", [-301, 301, 86400])
def test_stale_timestamp_refused(offset: int) -> None:
    wechat = fake()
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    with pytest.raises(Forbidden, match="stale"):
        open_post(config_for("plain"), sent.params, sent.body, NOW + offset)


def test_plain_push_refused_in_safe_mode() -> None:
    wechat = fake("plain")
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    with pytest.raises(Forbidden, match="safe mode"):
        open_post(config_for("safe"), sent.params, sent.body, NOW)
    assert open_post(config_for("compatible"), sent.params, sent.body, NOW).content == "hi"


@pytest.mark.parametrize("mode", ["compatible", "safe"])
def test_encrypted_push_refused_in_plain_mode(mode: Mode) -> None:
    wechat = fake(mode)
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    with pytest.raises(Forbidden, match="plain mode"):
        open_post(config_for("plain"), sent.params, sent.body, NOW)


@pytest.mark.parametrize("mode", ["compatible", "safe"])
def test_bad_msg_signature_refused(mode: Mode) -> None:
    wechat = fake(mode)
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    for spoiled in (
        {**sent.params, "msg_signature": "0" * 40},
        {k: v for k, v in sent.params.items() if k != "msg_signature"},
    ):
        with pytest.raises(Forbidden, match="msg_signature"):
            open_post(config_for(mode), spoiled, sent.body, NOW)


def test_ciphertext_for_another_account_refused() -> None:
    other = FakeWeChat(
        "http://x.invalid", token=TOKEN, aes_key=AES_KEY, appid="wx_other", mode="safe", clock=lambda: NOW
    )
    sent = other.push(other.text(RESIDENT, "hi"))
    with pytest.raises(Forbidden, match="AppID"):
        open_post(config_for("safe"), sent.params, sent.body, NOW)


def test_unknown_encrypt_type_refused() -> None:
    wechat = fake()
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    with pytest.raises(Forbidden, match="encrypt_type"):
        open_post(config_for("compatible"), {**sent.params, "encrypt_type": "rot13"}, sent.body, NOW)


def test_encrypted_push_without_encrypt_element() -> None:
    wechat = fake("safe")
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    with pytest.raises(BadMessage, match="Encrypt"):
        open_post(config_for("safe"), sent.params, b"<xml><ToUserName>gh</ToUserName></xml>", NOW)


def test_oversized_and_hostile_bodies() -> None:
    wechat = fake()
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    with pytest.raises(BadMessage, match="exceeds"):
        open_post(config_for("plain"), sent.params, b" " * (MAX_BODY_BYTES + 1), NOW)
    bomb = b'<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
    with pytest.raises(BadMessage, match="DTD"):
        open_post(config_for("plain"), sent.params, bomb, NOW)


# --- replies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_reply_accepted_by_fake_and_wechatpy(mode: Mode) -> None:
    wechat = fake(mode)
    sent = wechat.push(wechat.text(RESIDENT, "春节庙会在哪？"))
    config = config_for(mode)
    incoming = open_post(config, sent.params, sent.body, NOW)
    body = seal_reply(
        config, sent.params, incoming, "庙会在碧沙岗公园。]]>\n回复「下一页」看更多", NOW, "556677"
    )
    reply = wechat.check(sent, httpx.Response(200, content=body))
    assert reply.content == "庙会在碧沙岗公园。]]>\n回复「下一页」看更多"
    assert reply.encrypted is (mode != "plain")
    xml = reply.xml
    if mode != "plain":
        outer = xmltodict.parse(body)["xml"]
        assert outer["Nonce"] == "556677" and outer["TimeStamp"] == str(int(NOW))
        xml = WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
            body, outer["MsgSignature"], outer["TimeStamp"], "556677"
        )
    theirs = parse_message(xml)
    assert (theirs.target, theirs.source, theirs.type) == (RESIDENT, ACCOUNT, "text")


def test_plain_push_in_compatible_mode_gets_plain_reply() -> None:
    wechat = fake("plain")
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    config = config_for("compatible")
    body = seal_reply(config, sent.params, open_post(config, sent.params, sent.body, NOW), "好的", NOW, "1")
    assert ET.fromstring(body).findtext("Content") == "好的"


def test_reply_over_budget_is_cut_to_2048_bytes() -> None:
    wechat = fake("safe")
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    config = config_for("safe")
    long = "这是一句很长的回答。" * 400
    body = seal_reply(config, sent.params, open_post(config, sent.params, sent.body, NOW), long, NOW, "1")
    reply = wechat.check(sent, httpx.Response(200, content=body))
    assert reply.content is not None and len(reply.content.encode()) <= 2048
    assert reply.content.endswith("。…")


def test_fake_flags_bad_replies() -> None:
    from tests.channels.wechat.fake_wechat import ReplyError

    wechat = fake("safe")
    sent = wechat.push(wechat.text(RESIDENT, "hi"))
    config = config_for("safe")
    incoming = open_post(config, sent.params, sent.body, NOW)
    plain_reply = seal_reply(config_for("plain"), {}, incoming, "hi", NOW, "1")
    with pytest.raises(ReplyError, match="safe mode"):
        wechat.check(sent, httpx.Response(200, content=plain_reply))
    sealed = seal_reply(config, sent.params, incoming, "hi", NOW, "1").replace(
        b"<Nonce><![CDATA[1]]>", b"<Nonce><![CDATA[2]]>"
    )
    with pytest.raises(ReplyError, match="MsgSignature"):
        wechat.check(sent, httpx.Response(200, content=sealed))
    swapped = seal_reply(
        config_for("plain"),
        {},
        incoming.__class__(**{**incoming.__dict__, "from_user": "oOther"}),
        "x",
        NOW,
        "1",
    )
    with pytest.raises(ReplyError, match="ToUserName"):
        FakeWeChat("http://x.invalid", token=TOKEN, account=ACCOUNT).check(
            Sent("POST", {}, b"", {"FromUserName": RESIDENT}), httpx.Response(200, content=swapped)
        )
    assert wechat.check(sent, httpx.Response(200, content=b"success")).content is None


def test_query_is_what_wechat_sends() -> None:
    plain = fake().push(fake().text(RESIDENT, "hi"))
    assert set(plain.params) == {"signature", "timestamp", "nonce", "openid"}
    safe = fake("safe").push(fake("safe").text(RESIDENT, "hi"))
    assert set(safe.params) == {"signature", "timestamp", "nonce", "openid", "encrypt_type", "msg_signature"}
    assert safe.params["encrypt_type"] == "aes" and safe.params["openid"] == RESIDENT
    envelope = xmltodict.parse(safe.body)["xml"]
    assert set(envelope) == {"ToUserName", "Encrypt"}
    compatible = xmltodict.parse(fake("compatible").push(fake("compatible").text(RESIDENT, "hi")).body)["xml"]
    assert {"Content", "MsgId", "Encrypt"} <= set(compatible)
    url = httpx.URL("http://bot/wechat", params=safe.params)
    assert dict(parse_qsl(urlsplit(str(url)).query)) == safe.params
