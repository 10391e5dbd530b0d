"""The companies' websites: one threaded HTTP server, a path prefix per company.

``/`` lists the companies; ``/<slug>/`` is a company's home page and its
``contact_path`` its contact (or careers) page. ``/_sandbox/submissions``
and ``/_sandbox/replies`` show the ledger as JSON, read-only.

The server binds 127.0.0.1 only and speaks HTTP/1.0 (one request per
connection), so a shutdown never waits on an idle keep-alive socket.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import random
import socketserver
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sandbox import forms
from sandbox.model import Company

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
CSS = (HERE / "static" / "site.css").read_bytes()


class Response:
    """What a page handler returns: the HTTP plumbing in _Handler sends it."""

    def __init__(self, status: int, body: bytes | str = b"", content_type: str = "text/html; charset=utf-8",
                 headers: dict | None = None):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type
        self.headers = headers or {}


class Site:
    """Routing and rendering for every company; no HTTP plumbing here.

    ``accept`` is the sandbox's intake: it records a valid submission and
    plans the staff's answer, returning the ledger row.
    """

    def __init__(self, companies: dict[str, Company], accept: Callable[..., dict],
                 ledger_json: Callable[[str], list], seed: int, now: Callable[[], datetime]):
        self.companies = companies
        self.accept = accept
        self.ledger_json = ledger_json
        self.seed = seed
        self.now = now
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
        self._flow_secret = os.urandom(16)
        self._requests: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- routing ---------------------------------------------------------

    def handle(self, method: str, path: str, headers, body: bytes, remote: str) -> Response:
        path = urlsplit(path).path
        if path == "/":
            return self.page(200, "index.html", companies=list(self.companies.values()))
        if path == "/static/site.css":
            return Response(200, CSS, "text/css; charset=utf-8")
        if path == "/robots.txt":
            return Response(200, "User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
        if path.startswith("/_sandbox/"):
            return self._api(method, path)
        slug = path.strip("/").split("/")[0]
        company = self.companies.get(slug)
        if company is None:
            return self.page(404, "error.html", code=404, message="Page not found")
        return self._company(company, method, path, headers, body, remote)

    def _api(self, method: str, path: str) -> Response:
        what = path.removeprefix("/_sandbox/").strip("/")
        if method != "GET" or what not in ("submissions", "replies", "companies", "clock"):
            return Response(404, '{"error": "not found"}', "application/json")
        return Response(200, json.dumps(self.ledger_json(what), indent=1), "application/json")

    def _company(self, c: Company, method: str, path: str, headers, body: bytes, remote: str) -> Response:
        slow, error, after_record = self._flaky(c)
        if slow:
            time.sleep(c.flakiness.slow_seconds)
        if error and not (method == "POST" and after_record):
            return self.page(500, "error.html", code=500, message="Internal Server Error")
        path = path.rstrip("/") or "/"
        if path == f"/{c.slug}" and method == "GET":
            return self.page(200, "home.html", company=c)
        if path == c.contact_path and method == "GET":
            return self.contact_page(c)
        if c.success_path and path == c.success_path and method == "GET":
            return self.page(200, "success.html", company=c)
        if method == "POST" and c.form_kind != "no_form" and path in (c.contact_path, f"{c.contact_path}/send"):
            try:
                fields, uploads = forms.parse_body(headers.get("Content-Type", ""), body)
            except forms.BadRequest as exc:
                return self.page(400, "error.html", code=400, message=str(exc))
            response = self._post(c, path, fields, uploads, remote)
            if error:  # the submission went in, then the site fell over
                return self.page(500, "error.html", code=500, message="Internal Server Error")
            return response
        return self.page(404, "error.html", code=404, message="Page not found", company=c)

    def _post(self, c: Company, path: str, fields: dict, uploads: dict, remote: str) -> Response:
        if c.form_kind == "two_step":
            if path == c.contact_path:  # step 1 -> step 2
                errors = forms.validate(c, fields, uploads, step=1)
                if errors:
                    return self.contact_page(c, fields, errors, status=422)
                return self.contact_page(c, fields, {}, step=2, flow=self._flow_token(c, fields))
            if not hmac.compare_digest(fields.get("flow", "").encode(), self._flow_token(c, fields).encode()):
                return self.contact_page(
                    c, {}, {"_form": "Your session has expired. Please start again."}, status=400)
            errors = forms.validate(c, fields, uploads)
            if errors:
                return self.contact_page(c, fields, errors, status=422, step=2, flow=fields.get("flow"))
        elif path != c.contact_path:
            return self.page(404, "error.html", code=404, message="Page not found", company=c)
        else:
            errors = forms.validate(c, fields, uploads)
            if errors:
                status = 403 if "_captcha" in errors else 422
                return self.contact_page(c, fields, errors, status=status)
        self.accept(c, fields, uploads, remote)
        if c.success_path:
            return Response(303, b"", headers={"Location": c.success_path})
        return self.page(200, "success.html", company=c)

    # -- rendering -------------------------------------------------------

    def contact_page(self, c: Company, values: dict | None = None, errors: dict | None = None,
                     status: int = 200, step: int = 1, flow: str | None = None) -> Response:
        template = "no_form.html" if c.form_kind == "no_form" else "contact.html"
        return self.page(
            status, template, company=c, values=values or {}, errors=errors or {}, step=step, flow=flow,
            step_fields=[f for f in c.fields if f.step == step], carried=[f for f in c.fields if f.step < step],
            phone_pattern=forms.PHONE_PATTERN, phone_error=forms.PHONE_ERROR, captcha_field=forms.CAPTCHA_FIELD,
            multipart=any(f.kind == "file" for f in c.fields),
        )

    def page(self, status: int, template: str, **context) -> Response:
        company = context.get("company")
        html = self.env.get_template(template).render(
            year=self.now().year, theme=company.theme if company else None, **context)
        return Response(status, html)

    # -- helpers ---------------------------------------------------------

    def _flaky(self, c: Company) -> tuple[bool, bool, bool]:
        """Seeded per company and request number: the same seed fails the same requests."""
        f = c.flakiness
        if not (f.error_rate or f.slow_rate):
            return False, False, False
        with self._lock:
            n = self._requests.get(c.slug, 0)
            self._requests[c.slug] = n + 1
        rng = random.Random(f"{self.seed}|{c.slug}|request|{n}")
        return rng.random() < f.slow_rate, rng.random() < f.error_rate, rng.random() < f.error_after_record_rate

    def _flow_token(self, c: Company, fields: dict) -> str:
        """Binds step 2 to a completed step 1, so the form really needs both steps."""
        step1 = "\x1f".join(fields.get(f.name, "") for f in c.fields if f.step == 1)
        return hmac.new(self._flow_secret, f"{c.slug}\x1f{step1}".encode(), hashlib.sha256).hexdigest()[:32]


class _Handler(BaseHTTPRequestHandler):
    server_version = "SandboxHTTP/1.0"

    def do_GET(self):
        self._serve("GET", b"")

    def do_HEAD(self):  # link checkers and preflights use HEAD
        self._serve("GET", b"", head=True)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > forms.MAX_BODY_BYTES:
            self._send(Response(413, "Request too large"))
            self.close_connection = True
            return
        self._serve("POST", self.rfile.read(length))

    def _serve(self, method: str, body: bytes, head: bool = False) -> None:
        try:
            response = self.server.site.handle(method, self.path, self.headers, body, self.client_address[0])
        except Exception:
            log.exception("sandbox page failed: %s %s", method, self.path)
            response = Response(500, "Internal Server Error (sandbox bug)", "text/plain; charset=utf-8")
        self._send(response, head)

    def _send(self, response: Response, head: bool = False) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser gave up (e.g. a test timed out on a slow page)

    def log_message(self, fmt, *args):
        log.debug("%s - %s", self.address_string(), fmt % args)


class SandboxHTTPServer(ThreadingHTTPServer):
    """Threaded, loopback-only; request threads are daemons so stop() never hangs."""

    daemon_threads = True

    def __init__(self, site: Site, port: int = 0):
        self.site = site
        super().__init__(("127.0.0.1", port), _Handler)

    def server_bind(self):
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
