"""`knock publish`: a real experiment's site, opened in real Chromium.

One email study runs against the sandbox (one company is renamed
``<script>alert(1)</script> & Co``); the site is published twice (names
shown, as the study registered, and pseudonymised), plus a second,
never-run study whose design asks for pseudonyms. Every page loads from
file:// with no request outside the site, every chart is drawn, no reply
token, email address, persona or message text is in any file, HTML from
the database is shown as text, and replicate.py recomputes results.json.
Screenshots of every page type at desktop and phone width go to
docs/screenshots/publish-*.png.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.publish import publish
from analysis.publish.anonymise import EMAIL_RE
from experiments.clock import FixedClock
from experiments.store import Store
from experiments.validation import validate_text
from runners.browser import ContextOptions, new_context
from runners.collect import collect_maildir
from runners.email_send import SmtpConfig
from runners.run import RunOptions, run_experiment
from sandbox import Sandbox
from tests.sandbox_fixtures import START
from tests.sandbox_study import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
EVIL = "<script>alert(1)</script> & Co"
PAGES = ("index.html", "methods.html", "data.html")
NOW = START + dt.timedelta(days=30)


def study_yaml(sandbox: Sandbox, experiment_id: str, company_names: str) -> str:
    text = (EXAMPLES / "inquiry.yaml").read_text().replace("127.0.0.1:8765", f"127.0.0.1:{sandbox.http_port}")
    text = text.replace("id: inquiry-demo", f"id: {experiment_id}", 1)
    text = text.replace("name: Acme Outdoor Supply", f'name: "{EVIL}"', 1)
    text = text.replace("company_names: show", f"company_names: {company_names}", 1)
    return text.replace("\ndesign:\n", "\ndesign:\n  channels: [email]\n", 1)


def load(store, text: str, armed: bool = True) -> str:
    result = validate_text(text, "inquiry.yaml")
    assert result.ok, [str(p) for p in result.problems]
    store.load(result.experiment, text, "inquiry.yaml")
    if armed:
        store.set_status(result.experiment.id, "armed")
    return result.experiment.id


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A store with a run email study ('shown'), a never-run one ('quiet'), and three published sites."""
    root = tmp_path_factory.mktemp("publish")
    sandbox = Sandbox(root / "sandbox", speed=0, start=START, seed=3).start()
    try:
        store = Store(root / "knock.db", clock=FixedClock(START))
        shown = load(store, study_yaml(sandbox, "shown", "show"))
        quiet = load(store, study_yaml(sandbox, "quiet", "pseudonym"))
        run_experiment(store, RunOptions(shown, ignore_schedule=True, evidence_root=root / "evidence",
                                         smtp=SmtpConfig("127.0.0.1", sandbox.smtp_port)))
        sandbox.flush()
        collect_maildir(store, sandbox.maildir)
        with store.write():
            store.log("experiment.simulated_clock", shown, start=START.isoformat(), advanced_days=30)
        sites = {
            "shown": publish(store, [shown, quiet], root / "site", now=NOW),
            "pseudonym": publish(store, [shown], root / "pseudonymised", now=NOW, company_names="pseudonym"),
        }
        yield {"store": store, "root": root, "sites": sites, "shown": shown, "quiet": quiet}
        store.close()
    finally:
        sandbox.stop()


def site_files(report) -> list[Path]:
    return sorted(p for p in report.out_dir.rglob("*") if p.is_file())


def secrets_of(store) -> dict[str, set[str]]:
    """Everything of the study that must never be published, by kind."""
    tokens = {r["reply_token"] for r in store.db.query("SELECT reply_token FROM contacts")}
    addresses, texts = set(), set()
    for m in store.db.query("SELECT from_addr, to_addrs, subject, body_text FROM messages"):
        addresses |= set(EMAIL_RE.findall(" ".join(filter(None, [m["from_addr"], m["to_addrs"]]))))
        if m["subject"]:
            texts.add(m["subject"])
        for line in (m["body_text"] or "").splitlines():  # the staff's own words, not the quoted inquiry
            line = line.strip()
            if len(line) >= 25 and not line.startswith(">") and "wrote:" not in line:
                texts.add(line)
    people = set()
    for experiment_id in ("shown", "quiet"):
        definition = store.definition(experiment_id)
        addresses.add(definition.mailbox)
        for p in definition.personas:
            people |= {p.name, p.first_name, p.last_name, *(x for x in (p.phone, p.mailbox) if x)}
        for t in definition.targets:
            addresses |= {c.address for c in t.channels if c.address}
    return {"token": tokens, "address": addresses, "message text": texts, "persona": people}


def test_no_token_address_persona_or_message_text_is_in_any_file(world):
    secrets = secrets_of(world["store"])
    assert secrets["token"] and secrets["address"] and secrets["message text"], "the study produced no mail"
    found = []
    for report in world["sites"].values():
        for path in site_files(report):
            data = path.read_bytes()
            for kind, values in secrets.items():
                found += [(path.name, kind, v) for v in values if v.encode() in data]
            found += [(path.name, "address", a) for a in EMAIL_RE.findall(data.decode("utf-8", "replace"))]
    assert [] == found


def test_every_page_loads_from_file_with_charts_and_no_request_elsewhere(world, chromium):
    report = world["sites"]["shown"]
    site = report.out_dir.resolve()
    context = new_context(chromium)
    page = context.new_page()
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    urls = [site / "index.html"] + [site / e / name for e in ("shown", "quiet") for name in PAGES]
    for url in urls:
        response = page.goto(url.as_uri())
        assert response is None or response.ok, url
        assert page.locator("h1").count() == 1, url
        if url.name == "index.html" and url.parent.name == "shown":
            assert page.locator("figure.chart svg").count() >= 4
            assert all(box and box["width"] > 200 for box in
                       (f.bounding_box() for f in page.locator("figure.chart svg").all())), "a chart is not drawn"
            assert page.locator("figure.chart figcaption").count() == page.locator("figure.chart svg").count()
    context.close()
    outside = [u for u in requests if not u.startswith(site.as_uri() + "/")]
    assert [] == outside
    assert [] == problems  # a stylesheet blocked by the page's Content-Security-Policy would show here
    assert {site.as_uri() + "/site.css"} <= set(requests)


def test_html_in_a_company_name_is_shown_as_text(world, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    site = world["sites"]["shown"].out_dir.resolve()
    for name in PAGES:
        page.goto((site / "shown" / name).as_uri())
        assert 0 == page.locator("script").count()
        if name == "index.html":
            assert EVIL in page.locator("main").inner_text()
            assert EVIL in page.locator("table").filter(has_text="Every company").inner_text()
    assert [] == dialogs
    html = (site / "shown" / "index.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_pseudonyms_replace_company_names_everywhere(world):
    store = world["store"]
    hidden = set()
    for t in store.definition("shown").targets:
        hidden |= {t.name, t.domain, t.id, *(c.url for c in t.channels if c.url)}
    for key in ("pseudonym",):
        for path in site_files(world["sites"][key]):
            text = path.read_bytes().decode("utf-8", "replace")
            assert [] == [h for h in hidden if h in text], path
    quiet = world["sites"]["shown"].out_dir / "quiet"
    for path in [*quiet.rglob("*")]:
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert [] == [h for h in hidden if h in text], path
    results = (world["sites"]["pseudonym"].out_dir / "shown" / "index.html").read_text()
    assert "Company A" in results and "Company B" in results
    shown = (world["sites"]["shown"].out_dir / "shown" / "index.html").read_text()
    assert "Bluefin Software" in shown and "Company A" not in shown


def test_pseudonyms_are_stable_when_the_site_is_published_again(world, tmp_path):
    store = world["store"]
    first = (world["sites"]["pseudonym"].out_dir / "shown" / "replication" / "analysis-table.csv").read_text()
    again = publish(store, ["shown"], tmp_path / "again", now=NOW + dt.timedelta(days=1), company_names="pseudonym")
    second = (again.out_dir / "shown" / "replication" / "analysis-table.csv").read_text()
    assert first == second
    html = (again.out_dir / "shown" / "index.html").read_text()
    assert "Data as of" in html and "4 Apr 2030" in html and "3 Apr 2030" not in html


def test_republishing_updates_the_pages_and_keeps_the_other_experiments(world, tmp_path):
    store = world["store"]
    out = tmp_path / "site"
    publish(store, ["quiet"], out, now=NOW)
    publish(store, ["shown"], out, now=NOW + dt.timedelta(days=2))
    index = (out / "index.html").read_text()
    assert 'href="quiet/index.html"' in index and 'href="shown/index.html"' in index
    assert "5 Apr 2030" in (out / "shown" / "index.html").read_text()
    assert "simulated clock" in (out / "shown" / "index.html").read_text()
    assert "simulated clock" not in (out / "quiet" / "index.html").read_text()


def test_an_experiment_without_submitted_contacts_says_so(world):
    quiet = world["sites"]["shown"].out_dir / "quiet"
    html = (quiet / "index.html").read_text()
    assert "No results yet" in html and "No inquiry of this experiment has been delivered yet" in html
    methods = (quiet / "methods.html").read_text()
    assert "Hypothesis, as registered" in methods and "sha256:" in methods


def test_methods_page_gives_registration_design_classification_exclusions_and_ethics(world):
    store = world["store"]
    row = store.experiment_row("shown")
    html = (world["sites"]["shown"].out_dir / "shown" / "methods.html").read_text()
    for expected in (row["prereg_hash"], "Human reply", "Bounce", "Automatic reply", "SANDBOX-ONLY",
                     "at most 4 contacts per company", "Where every contact stands", "delivered (counted in the rates)",
                     "H1: Inquiries framed as coming from an existing customer", "Randomisation seed", "20261122"):
        assert expected in html, expected


def test_replicate_py_recomputes_the_published_numbers(world):
    folder = world["sites"]["shown"].out_dir / "shown"
    done = subprocess.run([sys.executable, str(folder / "replication" / "replicate.py"), "--knock", str(ROOT)],
                          capture_output=True, text=True, timeout=120, cwd=folder,
                          env={**os.environ, "PYTHONPATH": ""})
    assert 0 == done.returncode, done.stderr
    published = json.loads((folder / "results.json").read_text())["results"]
    assert [] == differences(published, json.loads(done.stdout))
    assert {"variant", "channel", "company"} == set(published)
    assert published["variant"]["comparisons"], "nothing compared: the replication would prove little"


def differences(a, b, path="") -> list[str]:
    """Where two results differ (floats: beyond 1e-9 relative, for BLAS summation order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in (differences(a[k], b[k], f"{path}/{k}") if k in a and k in b else [f"{path}/{k} missing"])]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)) else [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def test_design_file_is_redacted(world):
    design = (world["sites"]["shown"].out_dir / "shown" / "replication" / "design.yaml").read_text()
    assert "recipe:" not in design and "placeholder" not in design
    assert "[redacted]" in design and "[redacted email address]" in design
    assert re.search(r"sha256:[0-9a-f]{64}", design)
    assert "Question from an existing customer" in design  # the message templates are the design
    assert "persona-1" in design and "morgan" not in design.lower()


def test_screenshots_of_every_page_type_at_desktop_and_phone_width(world, chromium, tmp_path):
    site = world["sites"]["shown"].out_dir.resolve()
    # The README's pictures are refreshed on request only (KNOCK_UPDATE_SCREENSHOTS=1).
    shots = SHOTS if os.environ.get("KNOCK_UPDATE_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    pages = {"index": site / "index.html", "results": site / "shown" / "index.html",
             "methods": site / "shown" / "methods.html", "data": site / "shown" / "data.html",
             "empty": site / "quiet" / "index.html"}
    for width_name, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
        context = new_context(chromium, ContextOptions(viewport_width=width, viewport_height=height))
        page = context.new_page()
        for name, path in pages.items():
            page.goto(path.as_uri())
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways at {width}px: tables and charts must scroll on their own"
            page.screenshot(path=shots / f"publish-{name}-{width_name}.png", full_page=True)
        context.close()
    expected = {f"publish-{name}-{w}.png" for name in pages for w in ("desktop", "phone")}
    assert expected <= {p.name for p in shots.glob("publish-*.png")}
