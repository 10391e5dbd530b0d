"""Fetch new mail from an IMAP mailbox, incrementally and without touching it.

The mailbox is named by a URL without credentials; the password comes from
``KNOCK_IMAP_PASSWORD``, never from the command line or the database:

    imaps://replies@mail.example.org/INBOX            TLS from the start (port 993)
    imap+starttls://replies@mail.example.org/Replies  STARTTLS upgrade (port 143)
    imap://knock@127.0.0.1:1143/INBOX                 plain, loopback only (tests, sandbox)

Fetching is read-only: the mailbox is opened with EXAMINE and bodies are
read with ``BODY.PEEK[]``, so no ``\\Seen`` flag changes and a person
reading the same mailbox sees nothing different. A caller keeps
``(uidvalidity, last_uid)`` of what it has stored and passes them back:

    for m in fetch_new(source, password, state.uidvalidity, state.last_uid):
        store(m.raw, m.internaldate)           # UID order, ``batch`` per FETCH
        state = (m.uidvalidity, m.uid)         # after storing, not before

or, to hold one connection only briefly, one bounded batch at a time:

    batch = fetch_batch(source, password, state.uidvalidity, state.last_uid)
    ... store batch.messages, then state = (batch.uidvalidity, batch.last_uid)
    if batch.more: call again

When the server's UIDVALIDITY differs from the one known, old UIDs mean
nothing: everything is fetched again and ``uidvalidity_changed`` is set (on
the batch and on each message), so the caller dedupes by Message-ID (and
raw bytes) instead of by UID.
"""

from __future__ import annotations

import imaplib
import os
import re
import ssl
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator
from urllib.parse import unquote, urlsplit

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

from experiments.errors import KnockError
from experiments.safety import is_loopback

DEFAULT_TIMEOUT = 30.0  # seconds, per socket operation (connect, each read)
PASSWORD_ENV = "KNOCK_IMAP_PASSWORD"
SCHEMES = {"imaps": ("ssl", 993), "imap+starttls": ("starttls", 143), "imap": ("plain", 143)}


class ImapConfigError(KnockError, ValueError):
    """The IMAP URL or credentials are unusable: the message says how to write them."""


class ImapError(KnockError):
    """Talking to the IMAP server failed; the message names the server and mailbox."""


@dataclass(frozen=True)
class ImapSource:
    host: str
    port: int
    user: str
    mailbox: str = "INBOX"
    security: str = "ssl"  # "ssl" | "starttls" | "plain"

    def __post_init__(self):
        if self.security not in ("ssl", "starttls", "plain"):
            raise ImapConfigError(f"security must be ssl, starttls or plain, not {self.security!r}")

    @property
    def where(self) -> str:
        """user@host:port/mailbox, for messages and logs (never a password)."""
        return f"{self.user}@{self.host}:{self.port}/{self.mailbox}"


@dataclass(frozen=True)
class FetchedMessage:
    uid: int
    uidvalidity: int
    internaldate: datetime  # aware, UTC: when the server received it
    raw: bytes
    uidvalidity_changed: bool = False  # the caller's known UIDVALIDITY was not the server's


@dataclass(frozen=True)
class FetchBatch:
    uidvalidity: int
    uidvalidity_changed: bool
    messages: tuple[FetchedMessage, ...]
    last_uid: int | None  # highest UID seen so far: pass back as after_uid
    more: bool  # more new messages are waiting than ``batch`` allowed


def parse_imap_url(url: str) -> ImapSource:
    """``imaps://user@host[:port]/MAILBOX`` (also ``imap+starttls://``, loopback-only ``imap://``)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ImapConfigError(f"IMAP URL {url!r} is malformed: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ImapConfigError(f"IMAP URL {url!r}: use imaps://user@host/MAILBOX "
                              "(or imap+starttls://, or imap:// for a loopback test server)")
    if parts.password is not None or ":" in (parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""):
        raise ImapConfigError("the IMAP URL must not contain a password: set KNOCK_IMAP_PASSWORD instead")
    if not parts.username:
        raise ImapConfigError(f"IMAP URL {url!r} names no user: write imaps://user@host/MAILBOX")
    host = parts.hostname
    if not host:
        raise ImapConfigError(f"IMAP URL {url!r} names no host: write imaps://user@host/MAILBOX")
    security, default_port = SCHEMES[scheme]
    if security == "plain" and not is_loopback(host):
        raise ImapConfigError(f"imap:// sends the password unencrypted and is allowed only for loopback hosts; "
                              f"use imaps://{unquote(parts.username)}@{host}/... (or imap+starttls://) for {host}")
    if parts.query or parts.fragment:
        raise ImapConfigError(f"IMAP URL {url!r}: query strings and fragments are not supported")
    mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapSource(host=host, port=port or default_port, user=unquote(parts.username),
                      mailbox=mailbox, security=security)


def password_from_env(environ=os.environ) -> str:
    """The IMAP password from KNOCK_IMAP_PASSWORD (never from the URL, the command line or the database)."""
    password = environ.get(PASSWORD_ENV)
    if not password:
        raise ImapConfigError(f"{PASSWORD_ENV} is not set: export the mailbox password in that "
                              "environment variable before collecting mail")
    return password


def fetch_new(source: ImapSource, password: str, known_uidvalidity: int | None, after_uid: int | None,
              batch: int = 200, timeout: float = DEFAULT_TIMEOUT) -> Iterator[FetchedMessage]:
    """Every message with UID > ``after_uid`` (all when UIDVALIDITY changed), in UID order.

    One connection; ``batch`` messages per FETCH, so at most that many are in memory at once.
    Nothing in the mailbox changes. Errors raise :class:`ImapError` (also mid-iteration).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with _session(source, password, timeout) as session:
        uidvalidity, changed, uids = session.new_uids(known_uidvalidity, after_uid)
        for start in range(0, len(uids), batch):
            yield from session.fetch(uids[start:start + batch], uidvalidity, changed)


def fetch_batch(source: ImapSource, password: str, known_uidvalidity: int | None, after_uid: int | None,
                batch: int = 200, timeout: float = DEFAULT_TIMEOUT) -> FetchBatch:
    """At most ``batch`` new messages and where to continue (``last_uid``, ``more``); read-only."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    with _session(source, password, timeout) as session:
        uidvalidity, changed, uids = session.new_uids(known_uidvalidity, after_uid)
        chosen = uids[:batch]
        messages = session.fetch(chosen, uidvalidity, changed)
        last = chosen[-1] if chosen else (None if changed else after_uid)
        return FetchBatch(uidvalidity, changed, messages, last, len(uids) > batch)


class _Session:
    """One logged-in, read-only (EXAMINE) connection; every step names itself in errors."""

    def __init__(self, source: ImapSource, box):
        self.source, self.box = source, box

    def new_uids(self, known_uidvalidity: int | None, after_uid: int | None) -> tuple[int, bool, list[int]]:
        with _step(self.source, "open mailbox"):
            self.box.folder.set(self.source.mailbox, readonly=True)  # EXAMINE: nothing can change flags
            uidvalidity = _uidvalidity(self.box, self.source)
        changed = known_uidvalidity is not None and known_uidvalidity != uidvalidity
        floor = 0 if changed or after_uid is None else after_uid
        with _step(self.source, "search"):
            return uidvalidity, changed, _uids_after(self.box.client, floor)

    def fetch(self, uids: list[int], uidvalidity: int, changed: bool) -> tuple[FetchedMessage, ...]:
        if not uids:
            return ()
        with _step(self.source, "fetch"):
            return _fetch(self.box.client, uids, uidvalidity, changed, self.source)


@contextmanager
def _step(source: ImapSource, what: str):
    """Turn any failure of one step into ImapError naming the step, server and mailbox."""
    try:
        yield
    except ImapError:
        raise
    except Exception as exc:  # noqa: BLE001 - imaplib, ssl and socket errors all become ImapError here
        detail = str(exc) or type(exc).__name__
        raise ImapError(f"IMAP {what} failed for {source.where} ({source.security}): {detail}") from exc


@contextmanager
def _session(source: ImapSource, password: str, timeout: float):
    with _step(source, "connect"):
        box = _open(source, timeout)
    try:
        with _step(source, "log in"):
            box.login(source.user, password, initial_folder=None)
        yield _Session(source, box)
    finally:
        try:
            box.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone; what was read stands
            pass


def _open(source: ImapSource, timeout: float):
    context = ssl.create_default_context()  # imaplib's own default would not verify the certificate
    if source.security == "ssl":
        return MailBox(source.host, source.port, timeout=timeout, ssl_context=context)
    if source.security == "starttls":
        return MailBoxStartTls(source.host, source.port, timeout=timeout, ssl_context=context)
    if not is_loopback(source.host):
        raise ImapError(f"refusing plain IMAP to non-loopback {source.where}: use imaps://")
    return MailBoxUnencrypted(source.host, source.port, timeout=timeout)


def _uidvalidity(box, source: ImapSource) -> int:
    """From the EXAMINE response (same moment as the UIDs we read), else from STATUS."""
    typ, data = box.client.response("UIDVALIDITY")
    value = data[0] if data and data[0] else None
    if value is None:
        status = box.folder.status(source.mailbox, ["UIDVALIDITY"])
        value = status.get("UIDVALIDITY")
    if value is None:
        raise ImapError(f"{source.where}: the server reported no UIDVALIDITY")
    return int(value)


def _uids_after(client: imaplib.IMAP4, floor: int) -> list[int]:
    # "N:*" always includes the highest UID even when it is below N (RFC 3501 6.4.8): filter here.
    typ, data = client.uid("SEARCH", f"UID {floor + 1}:*")
    if typ != "OK":
        raise ImapError(f"UID SEARCH answered {typ}: {data!r}")
    found = set()
    for chunk in data or []:
        if chunk:
            found.update(int(x) for x in chunk.split())
    return sorted(uid for uid in found if uid > floor)


_UID_RE = re.compile(rb"\bUID\s+(\d+)", re.I)
_INTERNALDATE_RE = re.compile(rb'INTERNALDATE\s+"([^"]+)"', re.I)
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def _fetch(client: imaplib.IMAP4, uids: list[int], uidvalidity: int, changed: bool, source: ImapSource) -> tuple:
    typ, data = client.uid("FETCH", ",".join(map(str, uids)), "(UID INTERNALDATE BODY.PEEK[])")
    if typ != "OK":
        raise ImapError(f"UID FETCH answered {typ}: {data!r}")
    found: dict[int, FetchedMessage] = {}
    pending: tuple[bytes, bytes] | None = None
    for item in data or []:
        # imaplib gives (b'1 (UID 5 INTERNALDATE "..." BODY[] {123}', raw) then b')' or b' UID 5)' when the
        # server puts attributes after the literal: read UID/INTERNALDATE from both.
        if isinstance(item, tuple):
            if pending:
                _add(found, pending[0], pending[1], uidvalidity, changed, source)
            pending = (item[0], item[1])
        elif isinstance(item, bytes) and pending:
            _add(found, pending[0] + b" " + item, pending[1], uidvalidity, changed, source)
            pending = None
    if pending:
        _add(found, pending[0], pending[1], uidvalidity, changed, source)
    wanted = set(uids)
    return tuple(found[uid] for uid in sorted(found) if uid in wanted)


def _add(found: dict, meta: bytes, raw: bytes, uidvalidity: int, changed: bool, source: ImapSource) -> None:
    uid = _UID_RE.search(meta)
    date = _INTERNALDATE_RE.search(meta)
    if not uid or not date:
        raise ImapError(f"{source.where}: FETCH response without UID or INTERNALDATE: {meta[:200]!r}")
    found[int(uid.group(1))] = FetchedMessage(int(uid.group(1)), uidvalidity,
                                              parse_internaldate(date.group(1).decode("ascii")), bytes(raw), changed)


def parse_internaldate(value: str) -> datetime:
    """RFC 3501 date-time ("02-Mar-2026 09:15:41 +0100", day may be space-padded) as aware UTC."""
    m = re.fullmatch(r"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\s*", value)
    if not m:
        raise ValueError(f"not an IMAP INTERNALDATE: {value!r}")
    day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    local = datetime(int(year), MONTHS[mon.lower()], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))
    return local.astimezone(timezone.utc)
