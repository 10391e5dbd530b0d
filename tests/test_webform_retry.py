"""Which failed attempts may be tried again, and which hosts an attempt may reach.

One function decides retries (``should_retry``), as crawlee's
``_should_retry_request`` does: only transient failures before anything
was sent. The host rule is the other half of "never submit where we
should not".
"""

from __future__ import annotations

import pytest

from runners import jobs
from runners.form_guard import bypass_rules, host_allowed, url_allowed
from runners.jobs import AttemptResult
from runners.webform import should_retry


@pytest.mark.parametrize("outcome, status, submit_reached, expected", [
    (jobs.TIMEOUT, None, False, True),                 # page never loaded: try later
    (jobs.HTTP_ERROR, None, False, True),              # connection refused, DNS, reset
    (jobs.HTTP_ERROR, 500, False, True),               # the site fell over before we filled anything
    (jobs.HTTP_ERROR, 503, False, True),
    (jobs.HTTP_ERROR, 429, False, True),               # rate limited
    (jobs.HTTP_ERROR, 404, False, False),              # the contact page is gone: fix the channel
    (jobs.HTTP_ERROR, 403, False, False),
    (jobs.HTTP_ERROR, 500, True, False),               # after the click: may have been recorded
    (jobs.TIMEOUT, None, True, False),
    (jobs.SUBMITTED_UNCONFIRMED, None, True, False),
    (jobs.SUBMITTED_CONFIRMED, 200, True, False),
    (jobs.VALIDATION_ERROR, None, True, False),
    (jobs.VALIDATION_ERROR, None, False, False),
    (jobs.BLOCKED_CAPTCHA, 200, False, False),
    (jobs.FORM_NOT_FOUND, 200, False, False),
    (jobs.OFFSITE_REDIRECT, None, False, False),
    (jobs.DRY_RUN, 200, False, False),
    (jobs.ABORTED, 200, False, False),
])
def test_should_retry(outcome, status, submit_reached, expected):
    result = AttemptResult(outcome, http_status=status, submit_reached=submit_reached)

    assert expected == should_retry(result)


def test_every_outcome_has_a_retry_answer():
    for outcome in jobs.OUTCOMES:
        assert should_retry(AttemptResult(outcome)) in (True, False)


@pytest.mark.parametrize("host, allowed, expected", [
    ("acme.example", ("acme.example",), True),
    ("www.acme.example", ("acme.example",), True),        # the target's own subdomains
    ("ACME.example.", ("acme.example",), True),
    ("evilacme.example", ("acme.example",), False),       # not a subdomain, just a suffix
    ("acme.example.evil.test", ("acme.example",), False),
    ("127.0.0.1", ("127.0.0.1",), True),
    ("127.0.0.2", ("127.0.0.1",), False),                 # IPs match exactly
    ("1.127.0.0.1", ("127.0.0.1",), False),
    ("::1", ("::1",), True),
    ("", ("acme.example",), False),
    (None, ("acme.example",), False),
])
def test_host_allowed(host, allowed, expected):
    assert expected == host_allowed(host, allowed)


@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1:8765/acme/contact", True),
    ("https://127.0.0.1/", True),
    ("ws://127.0.0.1:9/socket", True),
    ("http://127.0.0.2:8765/", False),
    ("https://www.google.com/recaptcha/api.js", False),
    ("data:image/png;base64,AAAA", True),                 # stays inside the browser
    ("blob:http://127.0.0.1/1234", True),
    ("about:blank", True),
    ("file:///etc/passwd", False),
    ("ftp://127.0.0.1/", False),
    ("javascript:alert(1)", False),
])
def test_url_allowed(url, expected):
    assert expected == url_allowed(url, ("127.0.0.1",))


def test_bypass_rules_name_exact_hosts_and_subdomains_and_switch_off_implicit_loopback():
    # Chromium's own rule syntax: "name" is that host, ".name" its subdomains; "<-loopback>" removes
    # the implicit "loopback never goes through the proxy", so 127.0.0.2 is blocked like any host.
    assert "<-loopback>,acme.example,.acme.example,127.0.0.1" == bypass_rules(("Acme.Example.", "127.0.0.1"))
    assert "<-loopback>,[::1]" == bypass_rules(("[::1]",))


@pytest.mark.parametrize("host", ["*", "acme.example,evil.test", "acme.example;evil.test", "acme .example",
                                  "<local>", "*.acme.example", "", "0.1", "10.0.1"])
def test_bypass_rules_refuse_anything_that_would_widen_the_list(host):
    with pytest.raises(ValueError, match="cannot be an allowed host"):
        bypass_rules(("acme.example", host))
