from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wechatpy import parse_message
from wechatpy.replies import TextReply

from bot.channels.wechat.messages import (
    MAX_CONTENT_BYTES,
    BadMessage,
    Incoming,
    cdata,
    parse,
    text_reply,
)
from tests.channels.wechat.fake_wechat import render

TEXT = (
    b"<xml><ToUserName><![CDATA[gh_4a8c3f1d2e9b]]></ToUserName>"
    b"<FromUserName><![CDATA[oResident123]]></FromUserName>"
    b"<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    b"<Content><![CDATA[\xe4\xba\x8c\xe4\xb8\x83\xe5\xb9\xbf\xe5\x9c\xba\xe6\x80\x8e\xe4\xb9\x88\xe8\xb5\xb0]]></Content>"
    b"<MsgId>1234567890123456</MsgId></xml>"
)


def test_parse_text_message() -> None:
    assert parse(TEXT) == Incoming(
        to_user="gh_4a8c3f1d2e9b",
        from_user="oResident123",
        create_time=1348831860,
        msg_type="text",
        content="二七广场怎么走",
        msg_id="1234567890123456",
    )


def test_parse_agrees_with_wechatpy() -> None:
    theirs = parse_message(TEXT)
    got = parse(TEXT)
    assert (got.to_user, got.from_user, got.content, got.msg_id) == (
        theirs.target,
        theirs.source,
        theirs.content,
        str(theirs.id),
    )


@pytest.mark.parametrize(
    ("event", "key"), [("subscribe", None), ("unsubscribe", None), ("CLICK", "NEXT_PAGE")]
)
def test_parse_events(event: str, key: str | None) -> None:
    message: dict[str, str | int] = {
        "ToUserName": "gh_1",
        "FromUserName": "oX",
        "CreateTime": 1700000000,
        "MsgType": "event",
        "Event": event,
    }
    if key:
        message["EventKey"] = key
    got = parse(render(message).encode())
    assert (got.msg_type, got.event, got.event_key, got.msg_id) == ("event", event, key or "", "")
    assert got.dedup_key == "oX:1700000000"


@pytest.mark.parametrize("msg_type", ["image", "voice", "video", "location", "link"])
def test_parse_other_message_types(msg_type: str) -> None:
    xml = render(
        {"ToUserName": "gh_1", "FromUserName": "oX", "CreateTime": 1, "MsgType": msg_type, "MsgId": 77}
    )
    got = parse(xml.encode())
    assert (got.msg_type, got.content, got.msg_id, got.dedup_key) == (msg_type, "", "77", "77")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&c;</Content></xml>"""

EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&x;</Content></xml>"""

BARE_DTD = b"""<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd">
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType></xml>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL, BARE_DTD], ids=["bomb", "external", "dtd"])
def test_dtd_and_entities_refused(body: bytes) -> None:
    with pytest.raises(BadMessage, match="DTD or entities"):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<xml><ToUserName>gh</ToUserName>",
        b"<root><ToUserName>gh</ToUserName></root>",
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><MsgType>text</MsgType></xml>",
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>soon</CreateTime>"
        b"<MsgType>text</MsgType></xml>",
        b'{"ToUserName": "gh"}',
    ],
)
def test_malformed_refused(body: bytes) -> None:
    with pytest.raises(BadMessage):
        parse(body)


def test_reply_parses_with_wechatpy() -> None:
    xml = text_reply(
        to_user="oResident123", from_user="gh_4a8c3f1d2e9b", content="您好\n第二行", now=1700000000.9
    )
    reply = parse_message(xml)
    assert (reply.type, reply.target, reply.source, reply.content) == (
        "text",
        "oResident123",
        "gh_4a8c3f1d2e9b",
        "您好\n第二行",
    )
    assert ET.fromstring(xml).findtext("CreateTime") == "1700000000"


def test_our_parser_reads_wechatpy_replies() -> None:
    built = TextReply(
        source="gh_1", target="oResident", content="金水区 & <b> 测试\n", time=1700000000
    ).render()
    got = parse(built.encode())
    assert (got.to_user, got.from_user, got.content, got.create_time) == (
        "oResident",
        "gh_1",
        "金水区 & <b> 测试\n",
        1700000000,
    )


def test_terminator_that_breaks_wechatpys_reply_is_safe_in_ours() -> None:
    # wechatpy puts Content in one CDATA section as is, so "]]>" ends it early: invalid XML.
    broken = TextReply(source="gh_1", target="o", content="a]]>b", time=1).render()
    with pytest.raises(BadMessage):
        parse(broken.encode())
    assert parse(text_reply("o", "gh_1", "a]]>b", 1).encode()).content == "a]]>b"


@pytest.mark.parametrize("content", ["]]>", "a]]>b", "]]>]]>", "]]]]>", "x]]", "<![CDATA[ ]]> ]]"])
def test_cdata_terminator_stays_valid_and_round_trips(content: str) -> None:
    xml = text_reply("o", "gh", content, 0)
    assert ET.fromstring(xml).findtext("Content") == content
    assert parse_message(xml).content == content


@given(st.text(max_size=300))
def test_any_text_gives_valid_xml(content: str) -> None:
    xml = text_reply("o", "gh", content[:600], 0)
    read = ET.fromstring(xml).findtext("Content") or ""
    allowed = "".join(ch for ch in content[:600] if ch in "\t\n\r" or ch >= " ")
    assert read == "".join(
        ch for ch in allowed if not (0xD800 <= ord(ch) <= 0xDFFF) and ch not in "\ufffe\uffff"
    ).replace("\r\n", "\n").replace("\r", "\n")


def test_cdata_helper() -> None:
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"


def test_reply_content_limit() -> None:
    assert text_reply("o", "gh", "字" * (MAX_CONTENT_BYTES // 3), 0)
    with pytest.raises(ValueError, match="2048"):
        text_reply("o", "gh", "字" * (MAX_CONTENT_BYTES // 3 + 1), 0)
