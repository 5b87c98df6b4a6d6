"""WeChat message XML: parsing pushed messages and rendering passive replies.

Only flat `<xml>` documents are read (the top-level children's text); documents with a DOCTYPE or
entity declarations are refused outright, so no entity expansion ever happens. The body is decoded first
(UTF-8, as WeChat sends it; anything else is refused) and the check and the parser both see that text:
checking the raw bytes let a UTF-16 encoded DOCTYPE through, which the XML parser then decoded itself.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

# Characters that XML 1.0 cannot carry (most C0 controls); removed from reply text.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(r"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)


class MalformedMessage(ValueError):
    """The body is not a WeChat message document."""


@dataclass(frozen=True)
class IncomingMessage:
    """The fields of a pushed message or event that the channel uses."""

    to_user: str  # the official account (gh_…)
    from_user: str  # the customer's openid
    create_time: str
    msg_type: str  # text | image | voice | video | shortvideo | location | link | file | event
    msg_id: str = ""
    content: str = ""
    event: str = ""  # subscribe | unsubscribe | CLICK | … (msg_type "event")
    recognition: str = ""  # speech recognition result of a voice message, when enabled

    @property
    def dedupe_key(self) -> str:
        """Retries of one push share this key: the MsgId, or for events sender + CreateTime + event."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"event:{self.from_user}:{self.create_time}:{self.event}"


def decode(body: bytes | str) -> str:
    """The body as text: UTF-8 only (a UTF-8 byte order mark is dropped), no NUL characters."""
    if isinstance(body, str):
        text = body
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedMessage("the body is not UTF-8") from error
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise MalformedMessage("the body contains NUL characters (not UTF-8 text)")
    declared = _ENCODING.match(text)
    if declared and declared.group(1).strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise MalformedMessage(f"the body declares the encoding {declared.group(1)!r}; only UTF-8 is accepted")
    return text


def parse_fields(body: bytes | str) -> dict[str, str]:
    """The text of each top-level child of the `<xml>` root (MalformedMessage when it is not such a document)."""
    text = decode(body)
    if _DECLARATION.search(text):
        raise MalformedMessage("DOCTYPE and entity declarations are not accepted")
    try:
        root = ElementTree.fromstring(text)  # text, not bytes: the parser cannot pick another encoding
    except ElementTree.ParseError as error:
        raise MalformedMessage(f"not XML: {error}") from error
    if root.tag != "xml":
        raise MalformedMessage("the root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def parse_message(body: bytes | str) -> IncomingMessage:
    fields = parse_fields(body)
    sender, msg_type = fields.get("FromUserName", ""), fields.get("MsgType", "").lower()
    if not sender or not msg_type:
        raise MalformedMessage("FromUserName or MsgType missing")
    return IncomingMessage(
        to_user=fields.get("ToUserName", ""), from_user=sender, create_time=fields.get("CreateTime", ""),
        msg_type=msg_type, msg_id=fields.get("MsgId", ""), content=fields.get("Content", ""),
        event=fields.get("Event", ""), recognition=fields.get("Recognition", ""),
    )


def encrypted_field(body: bytes | str) -> str:
    """The `Encrypt` element of a safe-mode envelope (MalformedMessage when missing)."""
    encrypted = parse_fields(body).get("Encrypt", "")
    if not encrypted:
        raise MalformedMessage("Encrypt missing")
    return encrypted


def cdata(text: str) -> str:
    """Text as CDATA (a `]]>` inside is split across two sections)."""
    clean = _XML_INVALID.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """A passive text reply to the customer `to_user` from the official account `from_user`."""
    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{int(create_time)}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content></xml>")


def encrypted_reply(encrypted: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    """The safe-mode envelope of an encrypted passive reply."""
    return (f"<xml><Encrypt>{cdata(encrypted)}</Encrypt><MsgSignature>{cdata(msg_signature)}</MsgSignature>"
            f"<TimeStamp>{int(timestamp)}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>")
