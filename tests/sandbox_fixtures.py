"""Fixtures for the sandbox's own tests: a started Sandbox, a generated PDF.

Import with ``from tests.sandbox_fixtures import *`` in a test module.
Every sandbox binds port 0 on 127.0.0.1, lives in ``tmp_path``, starts
with a stopped clock at a fixed time (tests move it on purpose), and is
stopped by the fixture that made it.
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from sandbox import Sandbox

__all__ = ["START", "make_pdf", "make_sandbox", "sandbox", "send_inquiry"]

# A Monday morning in London: inside most companies' business hours.
START = datetime(2030, 3, 4, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def make_sandbox(tmp_path):
    """A factory: ``make_sandbox(behaviour_overrides=..., seed=...)`` -> started Sandbox."""
    made: list[Sandbox] = []

    def make(**kwargs) -> Sandbox:
        kwargs.setdefault("speed", 0)
        kwargs.setdefault("start", START)
        sandbox = Sandbox(tmp_path / f"sandbox-{len(made)}", **kwargs).start()
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox) -> Sandbox:
    """A started sandbox with default behaviour, seed 0 and a stopped clock."""
    return make_sandbox()


def make_pdf(path: Path, text: str = "Ada Lovelace - Curriculum Vitae") -> Path:
    """A small real PDF (fpdf2), as a résumé upload."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    pdf.output(str(path))
    return path


def send_inquiry(
    sandbox: Sandbox,
    to: str,
    subject: str = "Opening hours over Easter",
    body: str = "Hello,\nare you open on Easter Monday?\nThanks, Ada",
    message_id: str | None = "<inquiry-1@lab.example>",
    sender: str = "Ada Lovelace <research+tok123@lab.example>",
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Email an inquiry to the sandbox's SMTP server, as Knock's email channel would."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", sandbox.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)
    return msg
