"""``submit_web`` at the edges: dead sites, redirects away, pages that hang, servers that fail.

Two tiny local servers play the world: ``site`` on 127.0.0.1 (the allowed
host) serves the awkward pages, and ``elsewhere`` on 127.0.0.2 stands for
every host an attempt must never reach. Every test ends by checking that
``elsewhere`` was never contacted: the guard blocks redirect hops, form
actions and third-party trackers before they leave the browser.
"""

from __future__ import annotations

import itertools
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Error as PlaywrightError

from runners import jobs
from runners.browser import CHROMIUM_ARGS, CHROMIUM_PATH, ContextOptions, new_context
from runners.form_guard import guarded_context
from runners.jobs import SubmissionJob
from runners.webform import should_retry, submit_web

pytestmark = pytest.mark.browser
_ids = itertools.count(1)

FORM = """<!doctype html><title>Contact</title>
<form method=post action="{action}">
  <label for=n>Your name</label><input id=n name=name required>
  <label for=e>Email</label><input id=e name=email type=email required>
  {extra}
  <label for=m>Message</label><textarea id=m name=message required></textarea>
  <button type=submit>Send</button>
</form>{after}"""


# A form a recipe can name only loosely: an off-page honeypot labelled exactly "Email" before the
# real "Email address", the subject as a drop-down, the message labelled longer than the recipe says.
HONEYPOT = """<!doctype html><title>Contact</title>
<form method=post action="/honeypot">
  <div style="position:absolute; left:-9999px">
    <label for=hp>Email</label><input id=hp name=email_confirm tabindex=-1></div>
  <label for=n>Your name</label><input id=n name=name required>
  <label for=e>Email address</label><input id=e name=email type=email required>
  <label for=s>Subject</label><select id=s name=subject><option value="">Choose</option>
    <option value=sales>Sales</option><option value=support>Support</option></select>
  <label for=m>Your message to us</label><textarea id=m name=message required></textarea>
  <button type=submit>Send</button>
</form>"""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, handler):
        self.hits: list[tuple[str, str]] = []
        self.posts: list[dict] = []
        self.release = threading.Event()
        super().__init__((host, 0), handler)

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def server_bind(self):  # skip the reverse DNS lookup of HTTPServer.server_bind
        import socketserver

        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Elsewhere(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits.append(("GET", self.path))
        self._ok(b'<link rel=icon href="data:,"><h1>somewhere else</h1>')  # no favicon request

    def do_POST(self):
        self.server.hits.append(("POST", self.path))
        self._ok(b"<h1>Thank you</h1>")

    def _ok(self, body: bytes):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Site(BaseHTTPRequestHandler):
    elsewhere = ""

    def do_GET(self):
        self.server.hits.append((self.headers.get("Host", ""), self.path))
        off = self.elsewhere
        pages = {
            "/redirect-off": lambda: self._redirect(f"{off}/landing"),
            "/redirect-chain": lambda: self._redirect("/redirect-off"),
            "/hang": self._hang,
            "/form500": lambda: self._html(FORM.format(action="/form500", extra="", after="")),
            "/thanks-elsewhere": lambda: self._html(FORM.format(action="/thanks-elsewhere", extra="", after="")),
            "/plain": lambda: self._html(FORM.format(action="/plain", extra="", after="")),
            "/offsite-action": lambda: self._html(FORM.format(action=f"{off}/collect", extra="", after="")),
            "/required": lambda: self._html(FORM.format(
                action="/required", after="",
                extra="<label for=o>Order number</label><input id=o name=order_no required>")),
            "/honeypot": lambda: self._html(HONEYPOT),
            "/new-window": lambda: self._html(FORM.format(action="/new-window", extra="", after="").replace(
                "<form method=post", "<form target=_blank method=post") + "<script>window.open('/opened')</script>"),
            "/new-window-by-script": lambda: self._html(FORM.format(action="/new-window", extra="", after="").replace(
                "<form method=post", "<form target=_blank method=post").replace(
                "<button type=submit>Send</button>", "<button type=button onclick='this.form.submit()'>Send</button>")),
            "/alert": lambda: self._html(FORM.format(action="/alert", extra="", after="""<script>
                document.forms[0].addEventListener('submit', e => { e.preventDefault();
                  alert('Sorry, we only accept enquiries from customers in Ireland.'); });</script>""")),
            "/script-form": lambda: self._html(FORM.format(action="#", extra="", after=f"""
                <link rel=icon href="{off}/favicon.ico"><link rel=prefetch href="{off}/next">
                <img src="{off}/pixel.gif" alt=""><script src="{off}/tracker.js"></script>
                <iframe src="{off}/chat-widget" title="Chat"></iframe>
                <script>navigator.sendBeacon("{off}/beacon", "x");
                  new Worker(URL.createObjectURL(new Blob(["fetch('{off}/from-a-worker')"])));
                  new WebSocket("{off.replace('http', 'ws')}/socket");
                  window.open("/redirect-off");  // a popup whose redirect would leave</script>
                <p id=status role=status></p><script>
                document.forms[0].addEventListener('submit', async e => {{ e.preventDefault();
                  await fetch('/script-post', {{method: 'POST', body: new URLSearchParams(new FormData(e.target))}});
                  setTimeout(() => {{ document.forms[0].remove();
                    document.getElementById('status').textContent = 'Thanks, we got your note.'; }}, 300);
                }});</script>""")),
        }
        page = pages.get(self.path)
        if page is None:
            self.send_error(404)
        else:
            page()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self.server.posts.append({"path": self.path, **fields})
        if self.path == "/new-window":
            self._html("<h1>Thanks, we got your note</h1>")
        elif self.path == "/honeypot":
            self._html("<h1>Thank you, we have your message</h1>")
        elif self.path == "/form500":
            self._html("<h1>500 Internal Server Error</h1>", status=500)
        elif self.path == "/thanks-elsewhere":
            self.send_response(303)
            self.send_header("Location", f"{self.elsewhere}/thank-you")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._html('{"ok": true}')

    def _redirect(self, location: str):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _hang(self):
        """Headers and half a page, then nothing until the test module ends."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>Loading</title><p>Please wait")
        self.wfile.flush()
        self.server.release.wait(timeout=30)

    def _html(self, body: str, status: int = 200):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def _serve(server: _Server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def elsewhere():
    server = _Server("127.0.0.2", _Elsewhere)
    _serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site(elsewhere):
    handler = type("Site", (_Site,), {"elsewhere": elsewhere.url})
    server = _Server("127.0.0.1", handler)
    _serve(server)
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def nothing_reaches_elsewhere(elsewhere):
    before = len(elsewhere.hits)
    yield
    assert [] == elsewhere.hits[before:], "a request left the allowed hosts"


@pytest.fixture
def context(chromium):
    context = new_context(chromium)
    yield context
    context.close()


class Gate:
    def __init__(self):
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return True


def make_job(url: str, **changes) -> SubmissionJob:
    n = next(_ids)
    job = dict(contact_id=n, experiment_id="webform-network", channel_type="web_form", url=url, address=None,
               recipe=None, values={"name": "Ada Lovelace", "email": f"research+n{n}@lab.example",
                                    "message": "Hello, do you deliver to Cork?", "consent": "yes"},
               subject="Delivery", body="Hello, do you deliver to Cork?", reply_to=f"research+n{n}@lab.example",
               sender_name="Ada Lovelace", allowed_hosts=("127.0.0.1",))
    job.update(changes)
    return SubmissionJob(**job)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_control_elsewhere_is_reachable_without_the_guard(elsewhere, context):
    """Without this, "nothing reached elsewhere" would prove nothing."""
    before = len(elsewhere.hits)
    page = context.new_page()

    page.goto(f"{elsewhere.url}/control")

    assert [("GET", "/control")] == elsewhere.hits[before:]
    del elsewhere.hits[before:]


# -- before anything is filled ------------------------------------------------------------------

def test_an_unreachable_site_is_a_retryable_http_error(chromium, tmp_path):
    job = make_job(f"http://127.0.0.1:{closed_port()}/contact")

    result = submit_web(chromium, job, tmp_path, Gate())

    assert (jobs.HTTP_ERROR, False) == (result.outcome, result.submit_reached)
    assert "ERR_CONNECTION_REFUSED" in result.message and job.url in result.message
    assert should_retry(result)


def test_a_redirect_off_the_allowed_hosts_is_blocked(site, chromium, tmp_path):
    result = submit_web(chromium, make_job(f"{site.url}/redirect-off"), tmp_path, Gate())

    assert jobs.OFFSITE_REDIRECT == result.outcome, result.message
    assert "127.0.0.2" in result.message and "nothing was filled" in result.message
    assert ({}, False) == (result.matched_fields, result.submit_reached)
    assert not should_retry(result)


def test_the_second_hop_of_a_redirect_chain_is_blocked_too(site, chromium, tmp_path):
    # Playwright's routes never see redirect hops; the proxy the guard puts in front of the context does.
    result = submit_web(chromium, make_job(f"{site.url}/redirect-chain"), tmp_path, Gate())

    assert jobs.OFFSITE_REDIRECT == result.outcome, result.message


def test_hosts_are_allowed_by_name_so_another_name_for_the_same_address_is_blocked(site, chromium, tmp_path):
    # A browser of its own that resolves every *.test name to 127.0.0.1, where `site` listens:
    # the allowed domain's subdomain gets through, another name for the very same address does not.
    resolver = "--host-resolver-rules=MAP *.test 127.0.0.1"
    browser = chromium.browser_type.launch(executable_path=CHROMIUM_PATH, args=[*CHROMIUM_ARGS, resolver])
    port = site.server_address[1]
    try:
        context = guarded_context(browser, ("acme.test",))
        page = context.new_page()
        assert 200 == page.goto(f"http://www.acme.test:{port}/plain").status
        with pytest.raises(PlaywrightError, match="ERR_PROXY_CONNECTION_FAILED"):
            page.goto(f"http://evil.test:{port}/plain?from=evil")
        context.close()
        job = make_job(f"http://www.acme.test:{port}/plain", allowed_hosts=("acme.test",))
        result = submit_web(browser, job, tmp_path, Gate())
    finally:
        browser.close()

    assert (f"www.acme.test:{port}", "/plain") in site.hits
    assert not [hit for hit in site.hits if "evil" in hit[0] or "from=evil" in hit[1]]
    assert result.submit_reached, result.message
    assert ("/plain", job.reply_to) == (site.posts[-1]["path"], site.posts[-1]["email"])


def test_webrtc_cannot_send_udp_around_the_guard(site, chromium, context):
    # STUN binding requests are UDP, which no proxy sees: a guarded page has no WebRTC at all (and
    # Chromium's --force-webrtc-ip-handling-policy switch turned out not to stop them). An unguarded
    # context of the same browser is the control: its packets do arrive.
    stun = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stun.bind(("127.0.0.2", 0))
    stun.settimeout(0.2)
    script = """async (url) => { let pc;
        try { pc = new RTCPeerConnection({iceServers: [{urls: url}]}); } catch (e) { return 'no WebRTC'; }
        pc.createDataChannel('x'); await pc.setLocalDescription(await pc.createOffer());
        await new Promise(r => setTimeout(r, 1500)); pc.close(); return 'tried'; }"""
    url = f"stun:127.0.0.2:{stun.getsockname()[1]}"

    def packets() -> int:
        n = 0
        while True:
            try:
                stun.recv(2048)
                n += 1
            except TimeoutError:
                return n

    try:
        guarded = guarded_context(chromium, ("127.0.0.1",))
        page = guarded.new_page()
        page.goto(f"{site.url}/plain")
        assert "no WebRTC" == page.evaluate(script, url)
        guarded.close()
        through_the_guard = packets()

        control = context.new_page()
        control.goto(f"{site.url}/plain")
        assert "tried" == control.evaluate(script, url)
        without_it = packets()
    finally:
        stun.close()

    assert 0 == through_the_guard
    assert without_it > 0


def test_a_job_url_on_another_host_is_refused_unopened(elsewhere, chromium, tmp_path):
    result = submit_web(chromium, make_job(f"{elsewhere.url}/contact"), tmp_path, Gate())

    assert jobs.OFFSITE_REDIRECT == result.outcome
    assert result.message.startswith("refused:") and {} == result.evidence


def test_a_page_that_never_finishes_loading_times_out(site, chromium, tmp_path):
    result = submit_web(chromium, make_job(f"{site.url}/hang", evidence="off"), tmp_path, Gate(),
                        ContextOptions(navigation_timeout_ms=1_500))

    assert (jobs.TIMEOUT, False) == (result.outcome, result.submit_reached)
    assert "1500ms exceeded" in result.message
    assert should_retry(result)


# -- at and after the click ----------------------------------------------------------------------

def test_a_loose_recipe_still_fills_the_visible_fields_and_never_the_honeypot(site, chromium, tmp_path):
    # Text fields try the one-round-trip fill first; each of these makes it fail, and the careful path
    # must take over: "Email" names exactly only the honeypot (a substring match finds the real field),
    # "Subject" is a drop-down, "Your message" is a substring of the label.
    recipe = {"fields": {"name": {"label": "Your name"}, "email": {"label": "Email"},
                         "subject": {"label": "Subject"}, "message": {"label": "Your message"}},
              "submit": {"role": "button", "role_name": "Send"}, "success": {"text": "we have your message"}}
    job = make_job(f"{site.url}/honeypot", recipe=recipe, subject="Support")

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert {"path": "/honeypot", "email_confirm": "", "name": "Ada Lovelace", "email": job.reply_to,
            "subject": "support", "message": job.body} == {**{"email_confirm": ""}, **site.posts[-1]}
    assert "recipe label 'Your name'" == result.matched_fields["name"]
    assert "recipe label 'Email' (substring match) (2 matches, used the first visible)" == result.matched_fields["email"]
    assert "(substring match)" in result.matched_fields["message"]


@pytest.mark.parametrize("path", ["/new-window", "/new-window-by-script"])
def test_one_window_a_form_aimed_at_a_new_one_is_sent_and_answered_in_the_attempt_page(site, chromium, tmp_path,
                                                                                          path):
    before = len(site.posts)
    recipe = {"fields": {"name": {"label": "Your name"}, "email": {"label": "Email"},
                         "message": {"label": "Message"}},
              "submit": {"role": "button", "role_name": "Send"}, "success": {"text": "we got your note"}}

    result = submit_web(chromium, make_job(f"{site.url}{path}", recipe=recipe), tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert 1 == len(site.posts) - before
    assert "new window" not in result.message  # nothing had to be closed
    assert not [hit for hit in site.hits if hit[1] == "/opened"]  # window.open opened nothing


def test_a_500_after_the_submit_is_an_http_error_never_retried(site, chromium, tmp_path):
    before = len(site.posts)

    result = submit_web(chromium, make_job(f"{site.url}/form500"), tmp_path, Gate())

    assert (jobs.HTTP_ERROR, 500, True) == (result.outcome, result.http_status, result.submit_reached)
    assert "may or may not have recorded" in result.message
    assert not should_retry(result)
    assert 1 == len(site.posts) - before


@pytest.mark.parametrize("recipe", [None, {"fields": {"name": {"label": "Your name"}, "email": {"label": "Email"},
                                                     "message": {"label": "Message"}},
                                          "submit": {"role": "button", "role_name": "Send"},
                                          "success": {"text": "Thank you"}}], ids=["detected", "recipe"])
def test_a_form_that_posts_to_another_host_is_never_clicked(site, chromium, tmp_path, recipe):
    gate = Gate()

    result = submit_web(chromium, make_job(f"{site.url}/offsite-action", recipe=recipe), tmp_path, gate)

    assert jobs.OFFSITE_REDIRECT == result.outcome
    assert "would send the form to" in result.message and "nothing was clicked" in result.message
    assert (0, False) == (gate.calls, result.submit_reached)


def test_html5_validation_that_blocks_the_submit(site, chromium, tmp_path):
    before = len(site.posts)

    result = submit_web(chromium, make_job(f"{site.url}/required"), tmp_path, Gate())

    assert jobs.VALIDATION_ERROR == result.outcome, result.message
    assert ["Order number: Please fill out this field."] == result.page_messages
    assert "nothing left the browser" in result.message
    assert before == len(site.posts)


def test_an_alert_that_refuses_the_submit_is_a_validation_error(site, chromium, tmp_path):
    result = submit_web(chromium, make_job(f"{site.url}/alert"), tmp_path, Gate())

    assert jobs.VALIDATION_ERROR == result.outcome, result.message
    assert ["Sorry, we only accept enquiries from customers in Ireland."] == result.page_messages


def test_a_script_driven_form_is_confirmed_and_third_parties_are_blocked(site, chromium, tmp_path):
    # the page also pulls a favicon, a prefetch, an image, a script, an iframe, a beacon, a worker's
    # fetch and a WebSocket from "elsewhere", and opens a popup that redirects there: none may arrive
    before = len(site.posts)
    job = make_job(f"{site.url}/script-form")

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert "'thanks'" in result.message
    assert "blocked" in result.message and "127.0.0.2" in result.message
    assert [{"path": "/script-post", "name": "Ada Lovelace", "email": job.reply_to,
             "message": job.body}] == site.posts[before:]


def test_a_redirect_off_the_allowed_hosts_after_the_submit_is_unconfirmed(site, chromium, tmp_path):
    before = len(site.posts)

    result = submit_web(chromium, make_job(f"{site.url}/thanks-elsewhere"), tmp_path, Gate())

    assert (jobs.SUBMITTED_UNCONFIRMED, True) == (result.outcome, result.submit_reached), result.message
    assert "redirected to http://127.0.0.2" in result.message
    assert 1 == len(site.posts) - before  # it went out; only the thank-you page was not fetched


def test_before_submit_raising_propagates_and_nothing_is_clicked(site, chromium, tmp_path):
    def gate():
        raise RuntimeError("the store is locked")

    before = len(site.posts)

    with pytest.raises(RuntimeError, match="the store is locked"):
        submit_web(chromium, make_job(f"{site.url}/plain"), tmp_path, gate)

    assert before == len(site.posts)
    assert list(tmp_path.glob("*-trace.zip"))  # the trace of what happened is kept
