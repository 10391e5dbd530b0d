"""Submission overhead against bare Playwright, and throughput by concurrency.

Overhead: N submissions of the same sandbox form (labelled fields, consent,
success text), once by a bare Playwright script (one browser, a fresh
context per submission, fill, click, wait for the success text) and once by
`knock run` (ledger, gate, job building, detection, outcome, evidence).
Targets: at most 1.10x with evidence off, at most 1.5x with the default
evidence. Throughput: submissions per minute at concurrency 1, 2, 4, 8 on
plain forms of three companies; target at least 2x from 1 to 4. It is
measured twice: on the instant loopback sandbox, and with every page and
form answer taking LATENCY seconds of server time (``--latency``), as real
sites do. Each row also says how busy the machine's cores were, which is
what bounds the instant case.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, machine, table, timer

from experiments.model import Experiment
from experiments.store import Store
from runners.browser import launch_chromium, new_context
from runners.email_send import SmtpConfig
from runners.run import RunOptions, run_experiment
from sandbox.companies import by_slug
from tests.factories import experiment_data

PLAIN = ("acme-outdoor", "tandem-travel", "ledgerline-accounting")
LATENCY = 0.8  # seconds of server time per page or form answer: web.dev's "good" time to first byte


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(tmp: Path, latency: float = 0.0) -> tuple[subprocess.Popen, int, int]:
    http, smtp = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(http), "--smtp-port", str(smtp),
                             "--data-dir", str(tmp / f"sandbox-{latency}"), "--speed", "0",
                             "--latency", str(latency)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http}/", timeout=1).close()
            return proc, http, smtp
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("sandbox did not start")


class CpuBusy:
    """The share of all cores' time spent busy while the block ran (from /proc/stat)."""

    share = 0.0

    @staticmethod
    def _read() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    def __enter__(self):
        self._start = self._read()
        return self

    def __exit__(self, *exc):
        total, idle = self._read()
        spent = total - self._start[0]
        self.share = 1 - (idle - self._start[1]) / spent if spent else 0.0


def recipe(slug: str) -> dict:
    """The same locators the bare script uses: a fair 'same fill and click'."""
    company = by_slug(slug)
    fields = {f.semantic: {"label": f.label} for f in company.fields if f.label and f.semantic in
              ("name", "email", "phone", "subject", "message", "consent")}
    return {"fields": fields, "submit": {"role": "button", "role_name": company.submit_label},
            "success": {"text": company.success_text}}


def experiment(port: int, slugs, per_company: int) -> Experiment:
    data = experiment_data(n_targets=0, variants=tuple(f"v{i}" for i in range(per_company)),
                           cap=per_company, days=30, spacing_hours=0)
    data["id"] = "bench"
    data["targets"] = [{"id": s, "name": by_slug(s).name, "domain": by_slug(s).domain, "timezone": "UTC",
                        "channels": [{"type": "web_form", "url": f"http://127.0.0.1:{port}{by_slug(s).contact_path}",
                                      "recipe": recipe(s)}]}
                       for s in slugs]
    return Experiment.model_validate(data)


def knock_run(tmp: Path, port: int, smtp: int, slugs, per_company: int, concurrency: int, evidence: str):
    db = tmp / f"knock-{evidence}-{concurrency}-{time.monotonic_ns()}.db"
    with Store(db) as store:
        store.load(experiment(port, slugs, per_company))
        store.set_status("bench", "armed")
        options = RunOptions("bench", ignore_schedule=True, concurrency=concurrency, evidence=evidence,
                             evidence_root=tmp / "evidence", smtp=SmtpConfig("127.0.0.1", smtp))
        with timer() as t:
            summary = run_experiment(store, options)
    assert summary.outcomes.get("submitted_confirmed") == per_company * len(slugs), summary.outcomes
    return t.seconds


def bare_run(port: int, n: int) -> float:
    from playwright.sync_api import sync_playwright

    company = by_slug("acme-outdoor")
    with timer() as t, sync_playwright() as p:
        browser = launch_chromium(p)
        for i in range(n):
            context = new_context(browser)
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}{company.contact_path}")
            page.get_by_label("Your name").fill("Morgan Ellis")
            page.get_by_label("Email").fill(f"research+bare{i}@lab.example")
            page.get_by_label("Phone").fill("+44 20 7946 0321")
            page.get_by_label("Subject").fill("Question about your services")
            page.get_by_label("Message").fill("Hello, what are the next steps?")
            page.get_by_label("I agree to be contacted").check()
            page.get_by_role("button", name="Send message").click()
            page.get_by_text(company.success_text).wait_for()
            context.close()
        browser.close()
    return t.seconds


def bare_parallel(port: int, total: int, processes: int) -> float:
    """The machine's ceiling: the bare script in separate processes, no Knock at all."""
    code = (f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'bench')!r}]; "
            f"import bench_submit; bench_submit.bare_run({port}, {total // processes})")
    with timer() as t:
        procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT) for _ in range(processes)]
        for proc in procs:
            proc.wait()
    return t.seconds


def throughput(tmp: Path, latency: float, levels: tuple[int, ...], per_company: int) -> list[dict]:
    total = per_company * len(PLAIN)
    proc, port, smtp = start_sandbox(tmp, latency)
    runs: dict[str, tuple[float, float]] = {}
    try:
        for c in levels:
            with CpuBusy() as busy:
                seconds = knock_run(tmp, port, smtp, PLAIN, per_company, c, "off")
            runs[str(c)] = (seconds, busy.share)
        if latency == 0:  # the machine's ceiling: the bare script in separate processes, no Knock at all
            for c in (1, 4):
                with CpuBusy() as busy:
                    seconds = bare_parallel(port, total, c)
                runs[f"bare Playwright, {c} process(es)"] = (seconds, busy.share)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rows = []
    for label, (seconds, busy) in runs.items():
        base = runs["1"][0] if label.isdigit() else runs["bare Playwright, 1 process(es)"][0]
        ratio = f"{base / seconds:.2f}x" + (" (target >= 2x)" if label == "4" else "")
        rows.append({"concurrency": label, "submissions": total, "seconds": f"{seconds:.1f}",
                     "per minute": f"{total / seconds * 60:.0f}", "vs concurrency 1": ratio,
                     "cores busy": f"{busy:.0%}"})
    return rows


def run(n: int, levels: tuple[int, ...], per_company_tp: int) -> str:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc, port, smtp = start_sandbox(tmp)
        try:
            bare = bare_run(port, n)
            off = knock_run(tmp, port, smtp, ("acme-outdoor",), n, 1, "off")
            default = knock_run(tmp, port, smtp, ("acme-outdoor",), n, 1, "default")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        instant = throughput(tmp, 0.0, levels, per_company_tp)
        slow = throughput(tmp, LATENCY, levels, per_company_tp)
    overhead = [
        {"what": "bare Playwright (fill, click, wait)", "submissions": n, "s per submission": f"{bare / n:.2f}",
         "ratio": "1.00 (baseline)"},
        {"what": "knock run, evidence off", "submissions": n, "s per submission": f"{off / n:.2f}",
         "ratio": f"{off / bare:.2f} (target <= 1.10)"},
        {"what": "knock run, default evidence", "submissions": n, "s per submission": f"{default / n:.2f}",
         "ratio": f"{default / bare:.2f} (target <= 1.50)"},
    ]
    return (f"### Submissions: overhead against bare Playwright\n\n{machine()}\n\n{table(overhead)}\n\n"
            "Both include launching Chromium once. Default evidence is a full-page JPEG before and after "
            "the submit, the final HTML, and a Playwright trace (without its screencast) kept only when "
            "the attempt is not confirmed.\n\n"
            f"### Submissions: throughput by concurrency (evidence off)\n\n"
            f"**Instant sites** (the loopback sandbox answers at once). The last rows run the bare script "
            f"in separate processes, with no Knock at all: the most this machine's cores allow. With nothing "
            f"to wait for, one submission at a time already keeps both cores busy (a fresh context's "
            f"browser and renderer work is about a core-second), so more at once only adds contention, for "
            f"Knock and the bare script alike.\n\n"
            f"{table(instant)}\n\n"
            f"**Sites with {LATENCY * 1000:.0f} ms of server time** per page and form answer "
            f"(`python -m sandbox --latency {LATENCY}`): web.dev calls a time to first byte of 0.8 s or less "
            f"good, so this is a quick real site. Concurrency is for this: while one site thinks, another "
            f"context works.\n\n{table(slow)}\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        print(run(6, (1, 2), 2))
    else:
        print(run(20, (1, 2, 4, 8), 8))
