"""The dashboard for real: `streamlit run app.py` in a subprocess, driven by Chromium.

A researcher signs in, uploads an experiment file, edits it on Design and
saves it, dry-runs one contact against the sandbox (a real form filled by
a real browser, nothing submitted), triages on Inbox and reads Results.
Every page is photographed into a temporary folder and copied to
docs/screenshots/ for the README when KNOCK_UPDATE_SCREENSHOTS=1. A missing browser fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.auth import ENV_HASH, hash_password
from dashboard.demo import seed_demo
from experiments.store import Store
from runners.browser import ContextOptions, new_context
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "screenshots"
PASSWORD = "e2e-password"
NEW_TITLE = "Do companies answer their contact forms? (edited on Design)"
IDLE = "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning'"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sandbox(tmp_path):
    with Sandbox(tmp_path / "sandbox", http_port=0, smtp_port=0, speed=0) as world:
        yield world


@pytest.fixture
def server(tmp_path, sandbox):
    """The dashboard on a free port, over a database with a study in the field; stopped afterwards."""
    db = tmp_path / "data" / "knock.db"
    seed_demo(db, sandbox_port=sandbox.http_port)
    port = free_port()
    env = {**os.environ, "KNOCK_DB": str(db), ENV_HASH: hash_password(PASSWORD, iterations=1000),
           "KNOCK_SMTP_URL": f"smtp://127.0.0.1:{sandbox.smtp_port}"}
    log = open(tmp_path / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 45
        while True:
            if proc.poll() is not None:
                pytest.fail("streamlit exited:\n" + (tmp_path / "streamlit.log").read_text())
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the dashboard did not become healthy in 45 s")
            time.sleep(0.3)
        yield base, db
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def settle(page, extra_ms: int = 400) -> None:
    """Wait until the script run triggered by the last action has finished and the page has drawn."""
    page.wait_for_timeout(250)
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_timeout(extra_ms)


def go(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    settle(page)
    page.get_by_role("heading", name=name, level=1).wait_for()


def choose(page, label: str, typed: str, option: str | None = None) -> None:
    """Pick a selectbox option: type to filter (long lists are virtual), click the one containing ``option``."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.press_sequentially(typed)
    page.get_by_role("option", name=re.compile(re.escape(option or typed))).first.click()
    settle(page)


def shoot(page, folder: Path, name: str) -> Path:
    """A screenshot of the whole page (the app scrolls inside stMain), palette-compressed."""
    from PIL import Image

    page.mouse.move(1, 1)  # no hover toolbars in the picture
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": max(800, min(height, 4200))})
    page.wait_for_timeout(900)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)
    return path


@pytest.mark.browser
def test_a_researcher_signs_in_designs_dry_runs_one_contact_and_reads_results(server, sandbox, chromium, tmp_path):
    base, db = server
    shots = tmp_path / "screenshots"
    shots.mkdir()
    study = (ROOT / "experiments/examples/inquiry.yaml").read_text().replace(
        "127.0.0.1:8765", f"127.0.0.1:{sandbox.http_port}").replace("id: inquiry-demo", "id: e2e-study")
    (tmp_path / "e2e-study.yaml").write_text(study)
    context = new_context(chromium, ContextOptions(viewport_width=1280, viewport_height=900))
    page = context.new_page()
    try:
        page.goto(base)
        settle(page)
        shoot(page, shots, "login")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        settle(page)
        page.get_by_role("heading", name="Experiments", level=1).wait_for()

        # Experiments: upload a file, see it validated, load it.
        page.get_by_role("tab", name="Upload a YAML file").click()
        page.locator("input[type=file]").set_input_files(str(tmp_path / "e2e-study.yaml"))
        settle(page)
        page.get_by_text("e2e-study.yaml: valid: 9 targets, 2 variants.").wait_for()
        page.get_by_role("button", name="Load e2e-study").click()
        settle(page)
        page.get_by_text("Loaded: e2e-study (36 contacts).").wait_for()
        page.get_by_role("tab", name="From a template").click()
        shoot(page, shots, "experiments")

        # Design: the new study is open; change its title and save (a draft is re-planned).
        go(page, "Design")
        page.get_by_text("Editing e2e-study").wait_for()
        title = page.get_by_label("Title", exact=True)
        title.fill(NEW_TITLE)
        title.press("Enter")
        settle(page)
        page.get_by_role("button", name="Save").click()
        settle(page)
        page.get_by_text("Re-planned draft: e2e-study (36 contacts planned).").wait_for()
        with Store(db) as store:
            assert NEW_TITLE == store.definition("e2e-study").title
        shoot(page, shots, "design")
        page.get_by_role("tab", name="Messages").click()
        settle(page)
        shoot(page, shots, "design-messages")
        page.get_by_role("tab", name="Plan & power").click()
        settle(page)
        shoot(page, shots, "design-plan")

        # Runs: dry-run Acme's web form in the sandbox; its screenshots appear as evidence.
        go(page, "Runs")
        choose(page, "Contact to try", "Acme Outdoor", "web_form")
        page.get_by_role("button", name="Dry-run this contact").click()
        settle(page, 800)
        page.get_by_text(re.compile(r"Dry run of contact \d+: the form was filled and not submitted")).wait_for(
            timeout=60_000)
        page.get_by_test_id("stImage").first.wait_for(timeout=30_000)
        assert [] == sandbox.submissions(), "a dry run never submits"
        with Store(db) as store:
            acme = [c for c in store.contacts("e2e-study") if c["target_id"] == "acme-outdoor"
                    and c["channel_type"] == "web_form"]
            attempts = [a for c in acme for a in store.attempts_of(c["id"])]
        assert ["dry_run"] == [a["outcome"] for a in attempts] and attempts[0]["dry_run"] == 1
        shoot(page, shots, "runs")

        # Inbox and Results of the study in the field.
        go(page, "Inbox")
        choose(page, "Experiment", "inquiry-demo")
        shoot(page, shots, "inbox")
        page.get_by_role("tab", name="Code replies").click()
        settle(page)
        shoot(page, shots, "inbox-coding")
        go(page, "Results")
        page.get_by_test_id("stVegaLiteChart").nth(3).wait_for()
        assert 4 == page.get_by_test_id("stVegaLiteChart").count()
        shoot(page, shots, "results")
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"screenshot of the failure: {tmp_path / 'failure.png'}; server log: {tmp_path / 'streamlit.log'}")
        raise
    finally:
        context.close()
    for shot in sorted(shots.glob("*.png")):
        assert shot.stat().st_size < 900_000, f"{shot.name} is too large for the README"
    if os.environ.get("KNOCK_UPDATE_SCREENSHOTS"):  # refresh the README's pictures on request only
        DOCS.mkdir(parents=True, exist_ok=True)
        for shot in sorted(shots.glob("*.png")):
            shutil.copy(shot, DOCS / shot.name)
