"""What a submission task carries, and what it hands back.

A worker (possibly on another host, with no database) gets a
``SubmissionJob`` as plain JSON and returns an ``AttemptResult``; the
coordinator alone writes both to the store. Everything a worker needs is in
the job: rendered texts, field values, the recipe, the allowed hosts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

# Outcomes of one attempt. Only the first two mean something went out.
SUBMITTED_CONFIRMED = "submitted_confirmed"
SUBMITTED_UNCONFIRMED = "submitted_unconfirmed"
VALIDATION_ERROR = "validation_error"
BLOCKED_CAPTCHA = "blocked_captcha"
FORM_NOT_FOUND = "form_not_found"
HTTP_ERROR = "http_error"
TIMEOUT = "timeout"
DRY_RUN = "dry_run"
OFFSITE_REDIRECT = "offsite_redirect"
SEND_FAILED = "send_failed"
ABORTED = "aborted"  # stopped before the submit (pause, lost lease): nothing went out

OUTCOMES = (SUBMITTED_CONFIRMED, SUBMITTED_UNCONFIRMED, VALIDATION_ERROR, BLOCKED_CAPTCHA,
            FORM_NOT_FOUND, HTTP_ERROR, TIMEOUT, DRY_RUN, OFFSITE_REDIRECT, SEND_FAILED, ABORTED)
SENT_OUTCOMES = frozenset({SUBMITTED_CONFIRMED, SUBMITTED_UNCONFIRMED})


@dataclass(frozen=True)
class SubmissionJob:
    contact_id: int
    experiment_id: str
    channel_type: str                 # web_form | job_application | email
    url: str | None                   # web channels
    address: str | None               # email channel: the company's address
    recipe: dict | None               # experiments.model.Recipe as plain data, or None: detect by labels
    values: dict[str, str]            # semantic field -> value (name, email, phone, subject, message, ...)
    subject: str
    body: str
    reply_to: str                     # the plus-address carrying the contact's token
    sender_name: str
    allowed_hosts: tuple[str, ...]    # hosts the browser may submit to (the target's domain, loopback)
    resume_pdf_b64: str | None = None  # job applications: the generated résumé
    resume_filename: str = "resume.pdf"
    dry_run: bool = False
    evidence: str = "default"         # default | off | full
    live: bool = False                # the experiment is live: real (non-sandbox) endpoints may be reached

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SubmissionJob:
        data = json.loads(text)
        data["allowed_hosts"] = tuple(data["allowed_hosts"])
        return cls(**data)


@dataclass
class AttemptResult:
    outcome: str
    message: str = ""
    submit_reached: bool = False      # True once the irreversible click/send was attempted
    page_messages: list[str] = field(default_factory=list)
    evidence: dict[str, str] = field(default_factory=dict)  # kind -> path (before, after, html, trace)
    matched_fields: dict[str, str] = field(default_factory=dict)  # semantic -> how it was found
    final_url: str | None = None
    http_status: int | None = None
    message_id: str | None = None     # email: the Message-ID sent
    retry: bool = False               # a transient failure before the submit: worth another attempt

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> AttemptResult:
        return cls(**json.loads(text))
