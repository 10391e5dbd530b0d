"""Reading and checking what a browser posted to a company's form.

Multipart is parsed by hand (split on the boundary, headers via the
``email`` package) rather than with the deprecated ``cgi`` module or by
round-tripping through ``email``'s MIME parser, so uploaded bytes arrive
exactly as sent and their sha256 matches the file the runner chose.

Server-side checks mirror the pages' client-side ones (phone format,
PDF résumé), as real sites do, so a runner that skips the JavaScript
still meets them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from sandbox.model import Company

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_RESUME_BYTES = 5 * 1024 * 1024

PHONE_ERROR = "Please enter a valid phone number"
PDF_ERROR = "Please upload your résumé as a PDF file"
CAPTCHA_ERROR = "Please complete the CAPTCHA to show you are not a robot"
EMAIL_ERROR = "Please enter a valid email address"

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# The same pattern is used by the phone_validation page's JavaScript.
PHONE_PATTERN = r"^\+?[0-9][0-9 ().-]{5,18}[0-9]$"
CAPTCHA_FIELD = "g-recaptcha-response"


class BadRequest(ValueError):
    """The request body is not a form the sandbox can read: send urlencoded or multipart."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file, as sent."""

    field: str
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    """Fields (last value wins) and uploads of a POSTed form."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded" or not ctype:
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)), {}
    if ctype == "multipart/form-data":
        return _parse_multipart(content_type, body)
    raise BadRequest(f"unsupported Content-Type {ctype!r}")


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise BadRequest("multipart/form-data without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    uploads: dict[str, Upload] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, sep, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise BadRequest("malformed multipart part")
        data = data.removesuffix(b"\r\n")
        headers = BytesHeaderParser(policy=HTTP).parsebytes(head + b"\r\n\r\n")
        disposition = headers.get("Content-Disposition")
        if disposition is None:
            continue
        name = disposition.params.get("name")
        if not name:
            continue
        filename = disposition.params.get("filename")
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        elif filename or data:  # an empty file input sends filename="" and no data
            uploads[name] = Upload(name, _utf8(filename), headers.get_content_type(), data)
    return fields, uploads


def _utf8(text: str) -> str:
    """Browsers send raw UTF-8 filenames; the header parser left them as surrogates."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        return text


def valid_phone(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    return bool(re.match(PHONE_PATTERN, value.strip())) and 7 <= digits <= 15


def validate(
    company: Company, fields: dict[str, str], uploads: dict[str, Upload], step: int | None = None
) -> dict[str, str]:
    """Error messages keyed by field name (``_captcha`` for the widget); empty if valid.

    ``step`` limits the check to one step of a multi-step form.
    """
    errors: dict[str, str] = {}
    for f in company.fields:
        if step is not None and f.step != step:
            continue
        value = fields.get(f.name, "").strip()
        shown = f.label or f.placeholder or f.name
        if f.kind == "file":
            upload = uploads.get(f.name)
            if upload is None or not upload.data:
                if f.required:
                    errors[f.name] = "Please attach your résumé (PDF)"
            elif upload.size > MAX_RESUME_BYTES:
                errors[f.name] = "Your résumé must be smaller than 5 MB"
            elif not upload.data.startswith(b"%PDF"):
                errors[f.name] = PDF_ERROR
        elif f.kind == "checkbox":
            if f.required and not value:
                errors[f.name] = "Please tick this box so we may contact you"
        elif f.required and not value:
            errors[f.name] = f"Please fill in: {shown}"
        elif f.kind == "email" and value and not EMAIL_RE.fullmatch(value):
            errors[f.name] = EMAIL_ERROR
        elif f.kind == "tel" and company.form_kind == "phone_validation" and value and not valid_phone(value):
            errors[f.name] = PHONE_ERROR
        elif f.kind == "select" and value and value not in f.options:
            errors[f.name] = f"Please choose a {shown.lower()} from the list"
    if company.form_kind == "captcha" and step in (None, 1):
        # By design no token is ever valid: the widget cannot be solved, as a
        # real CAPTCHA should not be by a research robot.
        errors["_captcha"] = CAPTCHA_ERROR
    return errors


def semantic_values(company: Company, fields: dict[str, str]) -> dict[str, str]:
    """The posted values by meaning (name, email, subject, message, ...)."""
    return {f.semantic: fields.get(f.name, "").strip() for f in company.fields if f.kind != "file"}
