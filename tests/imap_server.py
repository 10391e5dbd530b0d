"""A private Dovecot IMAP server on 127.0.0.1 for tests.

The ``imap_server`` fixture (session scope) writes a minimal Dovecot 2.3
configuration into a fresh temporary directory and runs ``dovecot -F`` (in
the foreground, so the fixture owns the process) with it:

- ``listen = 127.0.0.1``, one ``imap`` listener on a free port, no imaps,
  ``ssl = no``, plaintext auth allowed (loopback only);
- one user in a ``passwd-file`` passdb/userdb with a known password;
- ``mail_location = maildir:<tmp>/Maildir``; ``base_dir`` (sockets, pid),
  ``state_dir`` and ``log_path`` all inside the temporary directory, so it
  never touches the system's Dovecot;
- run as root (CI containers): Dovecot refuses root for logins and mail,
  so logins run as ``dovenull``, internal services as ``dovecot`` (both
  created by the Debian package) and the mail user is ``nobody``, which
  owns the Maildir. Run as another user: everything runs as that user.

It waits until the server greets, and stops it (SIGTERM to the master,
which stops its children) at the end of the session. A missing ``dovecot``
is a failure, never a skip: ``make test`` installs it.

    def test_something(imap_server):
        imap_server.append(raw_bytes, datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc))
        source = parse_imap_url(imap_server.url)
"""

from __future__ import annotations

import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from tests.services import free_port, wait_for

USER = "knock"
PASSWORD = "knock-test-password"


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    maildir: Path
    root: Path
    _created: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/INBOX"

    def url_for(self, mailbox: str) -> str:
        return f"imap://{self.user}@{self.host}:{self.port}/{mailbox}"

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, internaldate: datetime, mailbox: str = "INBOX") -> int:
        """APPEND with that INTERNALDATE; returns the new message's UID."""
        client = self.connect()
        try:
            typ, data = client.append(_quote(mailbox), None, imaplib.Time2Internaldate(internaldate), raw)
            assert typ == "OK", f"APPEND to {mailbox} failed: {data!r}"
            m = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            assert m, f"Dovecot sent no APPENDUID: {data!r}"
            return int(m.group(1))
        finally:
            client.logout()

    def create_mailbox(self, name: str) -> str:
        client = self.connect()
        try:
            typ, data = client.create(_quote(name))
            assert typ == "OK", f"CREATE {name} failed: {data!r}"
        finally:
            client.logout()
        return name

    def recreate_mailbox(self, name: str) -> None:
        """DELETE and CREATE again: the mailbox comes back empty with a new UIDVALIDITY."""
        client = self.connect()
        try:
            for command in (client.delete, client.create):
                typ, data = command(_quote(name))
                assert typ == "OK", f"{command.__name__} {name} failed: {data!r}"
        finally:
            client.logout()

    def uidvalidity(self, mailbox: str = "INBOX") -> int:
        client = self.connect()
        try:
            typ, data = client.status(_quote(mailbox), "(UIDVALIDITY)")
            return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
        finally:
            client.logout()

    def flags(self, uid: int, mailbox: str = "INBOX") -> str:
        """The FLAGS of one message, read without changing them (EXAMINE)."""
        client = self.connect()
        try:
            client.select(_quote(mailbox), readonly=True)
            typ, data = client.uid("FETCH", str(uid), "(FLAGS)")
            return b" ".join(d for d in data if isinstance(d, bytes)).decode()
        finally:
            client.logout()


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dovecot_binary() -> str:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    assert os.path.exists(binary), (
        "dovecot is not installed: run `make test` (scripts/install-system.sh installs dovecot-imapd)")
    return binary


def _accounts() -> tuple[str, str, str, int, int]:
    """(login user, internal user, internal group, mail uid, mail gid) for this process."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, _group(me.pw_gid), me.pw_uid, me.pw_gid

    def existing(*names: str) -> pwd.struct_passwd:
        for name in names:
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise AssertionError(f"none of the users {names} exists: run `make test` to install dovecot-imapd")

    login, internal, mail = existing("dovenull", "nobody"), existing("dovecot", "nobody"), existing("nobody")
    return login.pw_name, internal.pw_name, _group(internal.pw_gid), mail.pw_uid, mail.pw_gid


def _group(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _config(root: Path, port: int, accounts) -> str:
    login_user, internal_user, internal_group, _, _ = accounts
    return f"""# Generated by tests/imap_server.py: a private test instance, not the system's Dovecot.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# No delay after a failed login (and no auth penalty, see anvil below): a test uses a wrong password.
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 1
mail_location = maildir:{root}/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  # mode 0 turns the per-IP auth penalty off (Dovecot's documented switch).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            return s.recv(64).startswith(b"* OK")
    except OSError:
        return False


def start_dovecot(root: Path) -> tuple[ImapServer, subprocess.Popen]:
    binary = _dovecot_binary()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    assert version.startswith("2.3"), (
        f"tests/imap_server.py writes a Dovecot 2.3 configuration, but dovecot {version!r} is installed")
    accounts = _accounts()
    _, _, _, mail_uid, mail_gid = accounts
    root.chmod(0o755)  # login and mail processes run as other users and must reach the sockets and Maildir
    for sub in ("run", "state", "Maildir"):
        (root / sub).mkdir()
    port = free_port()
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{mail_uid}:{mail_gid}::{root}/home::\n")
    (root / "home").mkdir()
    for path in (root / "Maildir", root / "home"):
        os.chown(path, mail_uid, mail_gid)
    config = root / "dovecot.conf"
    config.write_text(_config(root, port, accounts))
    log = open(root / "master.out", "wb")
    proc = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        wait_for(lambda: proc.poll() is not None or _greets(port), 15, "dovecot to greet on 127.0.0.1")
        assert proc.poll() is None, "dovecot exited at start-up:\n" + _logs(root)
    except AssertionError as exc:
        stop_dovecot(proc)
        raise AssertionError(f"{exc}\n{_logs(root)}") from None
    return ImapServer("127.0.0.1", port, USER, PASSWORD, root / "Maildir", root), proc


def _logs(root: Path) -> str:
    out = []
    for name in ("master.out", "dovecot.log"):
        path = root / name
        if path.exists():
            out.append(f"--- {name}\n" + path.read_text(errors="replace")[-3000:])
    return "\n".join(out)


def stop_dovecot(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def imap_server():
    """A running private Dovecot (see the module docstring); stopped and removed after the session."""
    # Not tmp_path_factory: pytest's base directory is private (0700) and Dovecot's login and
    # mail processes run as other users when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="knock-dovecot-"))
    server, proc = None, None
    try:
        server, proc = start_dovecot(root)
        yield server
    finally:
        if proc is not None:
            stop_dovecot(proc)
        shutil.rmtree(root, ignore_errors=True)
