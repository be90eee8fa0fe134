"""WeChat message XML: the messages WeChat pushes to us and the passive text reply.

Incoming XML is read with ``defusedxml`` because the body comes from the network: a DTD or
entity declaration (the "billion laughs" bomb, external entities) is refused, not expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_CONTENT_BYTES = 2048
"""A passive text reply's Content may hold at most 2048 bytes of UTF-8 (about 680 Chinese
characters); WeChat silently drops a longer reply, so the resident would see nothing."""

# Characters XML 1.0 cannot carry at all, not even inside CDATA.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class BadMessage(ValueError):
    """The body is not a WeChat message we can read (malformed, DTD/entities, fields missing)."""


@dataclass(frozen=True)
class Incoming:
    """One message or event pushed by WeChat; ``from_user`` is the resident's openid."""

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    content: str = ""
    msg_id: str = ""
    event: str = ""
    event_key: str = ""

    @property
    def dedup_key(self) -> str:
        """What identifies WeChat's retries of this message: MsgId, or sender + CreateTime for events."""
        return self.msg_id or f"{self.from_user}:{self.create_time}"


def fields(xml_bytes: bytes) -> dict[str, str]:
    """The ``<xml>`` root's child elements as text (later duplicates ignored)."""
    try:
        root = fromstring(xml_bytes, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise BadMessage(f"XML with a DTD or entities is refused ({type(exc).__name__})") from None
    except (ParseError, ValueError) as exc:
        raise BadMessage(f"not well-formed XML: {exc}") from None
    if root.tag != "xml":
        raise BadMessage(f"root element is <{root.tag}>, expected <xml>")
    found: dict[str, str] = {}
    for child in root:
        found.setdefault(child.tag, child.text or "")
    return found


def parse(xml_bytes: bytes) -> Incoming:
    """Read a plaintext message; raise :class:`BadMessage` when it is not one."""
    got = fields(xml_bytes)
    missing = [name for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType") if not got.get(name)]
    if missing:
        raise BadMessage(f"message lacks {', '.join(missing)}")
    created = got["CreateTime"].strip()
    if not created.isascii() or not created.isdigit():
        raise BadMessage("CreateTime is not an integer")
    return Incoming(
        to_user=got["ToUserName"].strip(),
        from_user=got["FromUserName"].strip(),
        create_time=int(created),
        msg_type=got["MsgType"].strip(),
        content=got.get("Content", ""),
        msg_id=got.get("MsgId", "").strip(),
        event=got.get("Event", "").strip(),
        event_key=got.get("EventKey", "").strip(),
    )


def xml_safe(text: str) -> str:
    """``text`` without the control characters XML 1.0 forbids (they would void the whole reply)."""
    return _NOT_XML.sub("", text)


def cdata(text: str) -> str:
    """A CDATA section holding ``text`` exactly; ``]]>`` inside is split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, now: float) -> str:
    """The passive text reply XML: ``to_user`` is the resident's openid, ``from_user`` our account.

    Raises ``ValueError`` when ``content`` exceeds :data:`MAX_CONTENT_BYTES`: fit it first
    (:mod:`.budget`), since WeChat would drop the reply without a word.
    """
    content = xml_safe(content)
    size = len(content.encode())
    if size > MAX_CONTENT_BYTES:
        raise ValueError(f"reply Content is {size} bytes, WeChat allows {MAX_CONTENT_BYTES}")
    return (
        "<xml>"
        f"<ToUserName>{cdata(xml_safe(to_user))}</ToUserName>"
        f"<FromUserName>{cdata(xml_safe(from_user))}</FromUserName>"
        f"<CreateTime>{int(now)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )
