"""One inbound mail, from raw bytes to a small frozen record.

Real-world mail is messy: Exchange Message-IDs that make ``policy.default``
raise, wrong or unknown charsets, 8-bit bytes in headers, broken dates,
bounces that carry the message Knock sent. So the parse is defensive:

- the stdlib parser runs with ``policy.compat32``, which never raises on a
  header; every header is decoded here (RFC 2047 encoded-words, raw 8-bit
  bytes as UTF-8, else windows-1252), never by the policy;
- text parts are decoded with the declared charset, then UTF-8, then
  windows-1252 with replacement characters; each fallback is recorded in
  ``problems``;
- attachment bytes are never kept, only (filename, content type, size);
- bounces (RFC 3464 DSNs, Exim/qmail-style inline copies) expose the
  embedded original's Message-ID, From and To, so they can be matched to
  the contact that sent it.

Only bytes that cannot be used at all (empty, no header fields) raise
:class:`Unparseable`; callers quarantine those and keep the raw bytes.

    >>> msg = parse_message(b"From: Ann <ann@acme.example>\\r\\nSubject: Hi\\r\\n\\r\\nHello\\r\\n")
    >>> msg.from_addr, msg.subject, msg.text
    ('ann@acme.example', 'Hi', 'Hello')
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import utils as email_utils
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from html.parser import HTMLParser


class Unparseable(Exception):
    """The bytes are not a usable mail message (empty, no headers): quarantine them and keep the raw bytes."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class DeliveryStatus:
    """One per-recipient block of an RFC 3464 message/delivery-status part."""

    recipient: str | None
    action: str | None  # failed, delayed, delivered, relayed, expanded
    status: str | None  # e.g. "5.1.1"
    diagnostic: str | None


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None
    from_addr: str | None
    from_name: str | None
    recipients: tuple[str, ...]
    subject: str
    date_header: str | None
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    headers: dict[str, list[str]]
    text: str
    content_type: str
    size: int
    attachments: tuple[tuple[str | None, str, int], ...]
    embedded_message_id: str | None = None
    embedded_from: str | None = None
    embedded_to: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    # Content types of every MIME part outside embedded messages, in order
    # (the classifier looks for message/delivery-status and friends).
    part_types: tuple[str, ...] = ()
    delivery_status: tuple[DeliveryStatus, ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to", "resent-to")
ADDRESS_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
MSGID_RE = re.compile(r"<([^<>]*)>")
ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
# Markers before an inline copy of the returned message (Exim, qmail, Sendmail-style bounces).
INLINE_COPY_RE = re.compile(
    r"^-{2,}\s*(?:This is a copy of the message, including all the headers\.|"  # Exim
    r"Below this line is a copy of the message\.)\s*-*\s*$",  # qmail ("failure notice")
    re.IGNORECASE | re.MULTILINE,
)


def parse_message(raw: bytes, max_text_chars: int = 200_000, max_attachment_bytes: int = 5_000_000) -> ParsedMessage:
    """Parse one message; raise :class:`Unparseable` only when the bytes cannot be used at all."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise Unparseable(f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise Unparseable("empty message")
    try:
        return _parse(raw, max_text_chars, max_attachment_bytes)
    except Unparseable:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: nothing but Unparseable escapes
        raise Unparseable(f"parser failed: {type(exc).__name__}: {exc}") from exc


def _parse(raw: bytes, max_text_chars: int, max_attachment_bytes: int) -> ParsedMessage:
    problems: list[str] = []
    msg = BytesParser(policy=compat32).parsebytes(raw)
    if not msg.keys():
        raise Unparseable("no header fields found")
    for defect in msg.defects:
        problems.append(f"MIME defect: {type(defect).__name__}")

    headers = _decoded_headers(msg, problems)
    raw_first = {name.lower(): value for name, value in reversed(list(msg.raw_items()))}

    from_name, from_addr = _first_address(_raw(raw_first.get("from")), problems)
    recipients: list[str] = []
    for name in RECIPIENT_HEADERS:
        for _, value in (item for item in msg.raw_items() if item[0].lower() == name):
            for addr in _addresses(_raw(value)):
                if addr not in recipients:
                    recipients.append(addr)

    date_header = headers.get("date", [None])[0]
    date = _parse_date(date_header, problems)

    body = _Body(max_attachment_bytes, problems)
    body.walk(msg, top=True)
    text = body.text()
    if len(text) > max_text_chars:
        problems.append(f"text truncated to {max_text_chars} of {len(text)} characters")
        text = text[:max_text_chars]
    embedded = body.embedded or _inline_copy(text)

    return ParsedMessage(
        message_id=_message_id(headers.get("message-id", [None])[0]),
        from_addr=from_addr,
        from_name=from_name,
        recipients=tuple(recipients),
        subject=_collapse(headers.get("subject", [""])[0]),
        date_header=date_header,
        date=date,
        in_reply_to=_message_ids(" ".join(headers.get("in-reply-to", []))),
        references=_message_ids(" ".join(headers.get("references", []))),
        headers=headers,
        text=text,
        content_type=msg.get_content_type(),
        size=len(raw),
        attachments=tuple(body.attachments),
        embedded_message_id=_message_id(embedded.get("message-id")) if embedded else None,
        embedded_from=(_first_address(embedded.get("from"), [])[1] if embedded else None),
        embedded_to=tuple(_addresses(embedded.get("to") or "")) if embedded else (),
        problems=tuple(dict.fromkeys(problems)),
        part_types=tuple(body.part_types),
        delivery_status=tuple(body.delivery_status),
    )


# --- headers -----------------------------------------------------------------


def _raw(value) -> str:
    """A compat32 header value as text: raw 8-bit bytes (kept as surrogates) decoded as UTF-8, else cp1252."""
    if value is None:
        return ""
    value = str(value) if not isinstance(value, str) else value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value
    if not any(b > 127 for b in data):
        return value
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def decode_header_value(value, problems: list[str] | None = None) -> str:
    """Unfold a header value and decode its RFC 2047 encoded-words; never raises."""
    text = FOLD_RE.sub("", _raw(value))
    if "=?" not in text:
        return text
    out, last_end, last_was_word = [], 0, False
    for m in ENCODED_WORD_RE.finditer(text):
        between = text[last_end:m.start()]
        # RFC 2047 section 6.2: whitespace between adjacent encoded-words is dropped.
        if not (last_was_word and between.strip() == ""):
            out.append(between)
        out.append(_decode_word(m.group(1), m.group(2), m.group(3), problems))
        last_end, last_was_word = m.end(), True
    out.append(text[last_end:])
    return "".join(out)


def _decode_word(charset: str, encoding: str, payload: str, problems: list[str] | None) -> str:
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    try:
        if encoding.lower() == "b":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return payload
    return decode_bytes(data, charset, problems if problems is not None else [], "header")


def _decoded_headers(msg: Message, problems: list[str]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        headers.setdefault(name.strip().lower(), []).append(decode_header_value(value, problems).strip())
    return headers


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _addresses(value: str) -> list[str]:
    """Lower-case addresses of an address-list header (raw, encoded-words intact)."""
    found: list[str] = []
    try:
        pairs = email_utils.getaddresses([value])
    except Exception:  # noqa: BLE001 - malformed lists fall back to the regex below
        pairs = []
    for _, addr in pairs:
        addr = addr.strip().strip("<>").lower()
        if "@" in addr and ADDRESS_RE.fullmatch(addr) and addr not in found:
            found.append(addr)
    if not found:
        for addr in ADDRESS_RE.findall(value):
            if addr.lower() not in found:
                found.append(addr.lower())
    return found


def _first_address(value: str, problems: list[str]) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    try:
        name, addr = email_utils.parseaddr(value)
    except Exception:  # noqa: BLE001
        name, addr = "", ""
    addr = addr.strip().lower()
    if not ADDRESS_RE.fullmatch(addr or "-"):
        found = ADDRESS_RE.findall(value)
        if not found:
            problems.append(f"no address found in From: {value[:80]!r}")
            return _collapse(decode_header_value(value)) or None, None
        addr = found[0].lower()
        name = value.split("<", 1)[0] if "<" in value else ""
    name = _collapse(decode_header_value(name)).strip('"\' ')
    return name or None, addr


def _message_id(value: str | None) -> str | None:
    """The first <id> of a Message-ID value, brackets added when missing; None when empty."""
    if not value:
        return None
    value = "".join(value.split())
    m = MSGID_RE.search(value)
    if m:
        return f"<{m.group(1)}>" if m.group(1) else None
    value = value.strip("<>")
    return f"<{value}>" if value else None


def _message_ids(value: str) -> tuple[str, ...]:
    ids = [f"<{''.join(m.split())}>" for m in MSGID_RE.findall(value) if m.strip()]
    if not ids:  # no brackets at all: whitespace-separated tokens that look like ids
        ids = [f"<{token}>" for token in value.split() if "@" in token]
    return tuple(dict.fromkeys(ids))


def _parse_date(value: str | None, problems: list[str]) -> datetime | None:
    if not value:
        return None
    parsed = None
    try:
        parsed = email_utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        problems.append(f"unparseable Date header {value[:60]!r}")
        return None
    if parsed.tzinfo is None:
        if not re.search(r"-0000\s*$", value):
            problems.append("Date header has no time zone; assumed UTC")
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# --- body --------------------------------------------------------------------


def decode_bytes(data: bytes, charset: str | None, problems: list[str], where: str = "text") -> str:
    """Declared charset, then UTF-8, then windows-1252 with replacement characters; notes each fallback."""
    declared = (charset or "").strip().strip('"').lower() or None
    codec = None
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except (LookupError, ValueError):  # ValueError: a NUL byte in the name
            problems.append(f"unknown charset {declared} in {where}, decoded as utf-8 or windows-1252")
    if codec and any(b > 127 for b in data):
        # A single-byte declaration never fails, so mislabelled UTF-8 would silently become mojibake:
        # non-ASCII bytes that are valid UTF-8 are, in practice, UTF-8.
        if codec in ("latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15") and _is_utf8(data):
            problems.append(f"declared charset {declared} in {where} but the bytes are UTF-8; decoded as utf-8")
            return data.decode("utf-8")
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            problems.append(f"{where} is not valid {declared}; decoded as utf-8 or windows-1252")
    if _is_utf8(data):
        return data.decode("utf-8")
    if not declared:
        problems.append(f"{where} has no charset and is not UTF-8; decoded as windows-1252")
    return data.decode("cp1252", "replace")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


class _Body:
    """Walks the MIME tree once: text parts, attachments, embedded original, delivery status."""

    def __init__(self, max_attachment_bytes: int, problems: list[str]):
        self.max_attachment_bytes = max_attachment_bytes
        self.problems = problems
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[tuple[str | None, str, int]] = []
        self.part_types: list[str] = []
        self.embedded: dict[str, str] | None = None
        self.delivery_status: list[DeliveryStatus] = []

    def text(self) -> str:
        if any(t.strip() for t in self.plain):
            return _tidy("\n\n".join(t for t in self.plain if t.strip()))
        if self.html:
            return _tidy("\n\n".join(html_to_text(h) for h in self.html))
        return ""

    def walk(self, part: Message, top: bool = False) -> None:
        ctype = part.get_content_type()
        self.part_types.append(ctype)
        if ctype in ("message/rfc822", "message/global"):
            self._embedded_message(part)
            return
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            # compat32 parses each block of a delivery-status part as a headers-only Message.
            payload = _raw_payload(part)
            if isinstance(payload, list):
                blocks = [_header_map(b) for b in payload if isinstance(b, Message)]
            else:
                blocks = _status_blocks(self._payload(part))
            self.delivery_status.extend(_delivery_status(blocks))
            return
        if part.is_multipart():
            children = _raw_payload(part)
            if ctype == "multipart/alternative":
                children = self._best_alternative(children)
            for child in children:
                if isinstance(child, Message):
                    self.walk(child)
            return
        filename = _filename(part)
        disposition = _part_header(part, "content-disposition").split(";", 1)[0].strip().lower()
        if ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            self._embedded_headers(self._payload(part))
            return
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not (filename and not top):
            text = decode_bytes(self._payload(part), _charset(part), self.problems, f"{ctype} part")
            (self.plain if ctype == "text/plain" else self.html).append(text)
            return
        self.attachments.append((filename, ctype, self._size(part, filename)))

    def _best_alternative(self, children: list) -> list:
        children = [c for c in children if isinstance(c, Message)]
        for wanted in ("text/plain", "text/html"):
            for child in children:
                if child.get_content_type() == wanted and self._payload(child).strip():
                    return [child]
        multipart = [c for c in children if c.is_multipart()]
        return multipart[-1:] or children[-1:]

    def _payload(self, part: Message) -> bytes:
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:  # noqa: BLE001
            self.problems.append(f"could not decode a {part.get_content_type()} part: {exc}")
            data = None
        if data is None:
            payload = _raw_payload(part)
            data = payload.encode("ascii", "surrogateescape") if isinstance(payload, str) else b""
        return data

    def _size(self, part: Message, filename: str | None) -> int:
        payload = _raw_payload(part)
        if not isinstance(payload, str):
            return 0
        encoding = _part_header(part, "content-transfer-encoding").strip().lower()
        estimate = len(payload)
        if encoding == "base64":  # line breaks are not data; 4 characters carry 3 bytes
            estimate = (estimate - payload.count("\n") - payload.count("\r") - payload.count(" ")) * 3 // 4
        if estimate > self.max_attachment_bytes:
            self.problems.append(f"attachment {filename or part.get_content_type()} is about {estimate} bytes "
                                 f"(over {self.max_attachment_bytes}); size estimated, not decoded")
            return estimate
        return len(self._payload(part))

    def _embedded_message(self, part: Message) -> None:
        payload = _raw_payload(part)
        inner = payload[0] if isinstance(payload, list) and payload else None
        size = 0
        if isinstance(inner, Message):
            if self.embedded is None:
                self.embedded = _header_map(inner)
            try:
                size = len(inner.as_bytes())
            except Exception:  # noqa: BLE001 - the size of an odd embedded message is not worth a failure
                size = 0
        self.attachments.append((_filename(part), part.get_content_type(), size))

    def _embedded_headers(self, data: bytes) -> None:
        if self.embedded is None:
            headers = BytesParser(policy=compat32).parsebytes(data.lstrip(), headersonly=True)
            if headers.keys():
                self.embedded = _header_map(headers)


def _header_map(msg: Message) -> dict[str, str]:
    """First raw value of each header of an embedded message (encoded-words intact, for address parsing)."""
    out: dict[str, str] = {}
    for name, value in msg.raw_items():
        out.setdefault(name.strip().lower(), FOLD_RE.sub("", _raw(value)))
    return out


def _inline_copy(text: str) -> dict[str, str] | None:
    """Headers of a returned message pasted into a bounce's text after a marker line."""
    m = INLINE_COPY_RE.search(text)
    if not m:
        return None
    rest = text[m.end():].lstrip("\n")
    headers = BytesParser(policy=compat32).parsebytes(rest.encode("utf-8", "replace"), headersonly=True)
    found = _header_map(headers)
    return found if ("message-id" in found or "from" in found) else None


def _raw_payload(part: Message):
    """The payload as parsed (str or list of parts): get_payload() itself decodes 8-bit text and can raise."""
    return getattr(part, "_payload", None)


def _part_header(part: Message, name: str) -> str:
    """A part's header as text; compat32's get() would hand back a Header object for 8-bit values."""
    for key, value in part.raw_items():
        if key.strip().lower() == name:
            return FOLD_RE.sub("", _raw(value))
    return ""


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001
        return None


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename() or part.get_param("name")
    except Exception:  # noqa: BLE001
        return None
    if isinstance(name, tuple):  # RFC 2231 (charset, language, value)
        name = email_utils.collapse_rfc2231_value(name)
    return decode_header_value(name).strip() or None if name else None


def _status_blocks(data: bytes) -> list[dict[str, str]]:
    """Blank-line separated "Name: value" blocks of a delivery-status body."""
    text = decode_bytes(data, "utf-8", [], "delivery-status")
    blocks = []
    for block in re.split(r"\r?\n\s*\r?\n", text.strip()):
        fields: dict[str, str] = {}
        for line in FOLD_RE.sub(" ", block).splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields.setdefault(name.strip().lower(), value.strip())
        blocks.append(fields)
    return blocks


def _delivery_status(blocks: list[dict[str, str]]) -> list[DeliveryStatus]:
    """Per-recipient blocks of an RFC 3464 report (the per-message block has no recipient and is skipped)."""
    out = []
    for fields in blocks:
        recipient = fields.get("final-recipient") or fields.get("original-recipient")
        if recipient is None and "action" not in fields:
            continue
        if recipient and ";" in recipient:
            recipient = recipient.split(";", 1)[1]
        out.append(DeliveryStatus(
            recipient=recipient.strip().strip("<>").lower() if recipient else None,
            action=(fields.get("action") or "").strip().lower() or None,
            status=(fields.get("status") or "").strip() or None,
            diagnostic=" ".join((fields.get("diagnostic-code") or "").split()) or None,
        ))
    return out


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- HTML to text --------------------------------------------------------------

BLOCK_TAGS = {"address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
              "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
              "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul"}
SKIP_TAGS = {"script", "style", "head", "title", "template", "noscript", "svg", "object"}


class _HtmlText(HTMLParser):
    """Readable text from mail HTML: blocks become lines, blockquotes become "> " lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.line_depth = 0
        self.quote_depth = 0
        self.skip_depth = 0
        self.pre_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip_depth += 1
            return
        if tag == "br":
            self.newline(force=True)
        elif tag in BLOCK_TAGS:
            self.newline()
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1
            elif tag == "li":
                self.text("- ")
            elif tag == "hr":
                self.text("________________________________")
                self.newline()
        elif tag in ("td", "th") and self.line:
            self.text(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag in BLOCK_TAGS:
            self.newline()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            if tag in ("p", "div", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"):
                self.blank()

    def handle_data(self, data):
        if self.skip_depth:
            return
        if self.pre_depth:
            parts = data.split("\n")
            for i, part in enumerate(parts):
                if i:
                    self.newline(force=True)
                self.text(part)
            return
        self.text(re.sub(r"\s+", " ", data))

    def text(self, data: str):
        if not data:
            return
        if not self.line:
            data = data.lstrip() if not self.pre_depth else data
            if not data:
                return
            self.line_depth = self.quote_depth
        self.line.append(data)

    def newline(self, force: bool = False):
        if self.line or force:
            content = "".join(self.line).rstrip()
            depth = self.line_depth if self.line else self.quote_depth
            self.lines.append(("> " * depth + content).rstrip() if depth else content)
        self.line = []

    def blank(self):
        if self.lines and self.lines[-1].replace(">", "").strip():
            self.lines.append(("> " * self.quote_depth).rstrip())

    def result(self) -> str:
        self.newline()
        while self.lines and not self.lines[-1].replace(">", "").strip():
            self.lines.pop()
        return "\n".join(self.lines)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML mail body (stdlib html.parser; never raises)."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; keep whatever was read
        pass
    return _tidy(parser.result())
