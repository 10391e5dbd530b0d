"""`make demo`: the embedded default, end to end, on 127.0.0.1 only.

Starts the sandbox companies, loads and arms the example inquiry study in
data/knock.db, submits every automated contact (web forms in Chromium,
email by SMTP), lets the sandbox's staff answer, collects and matches the
replies, and prints the results by variant and channel.
On a terminal it keeps the sandbox serving until Ctrl-C so the companies'
pages can be browsed; otherwise (CI, scripts) it stops when done.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.results import compute_results  # noqa: E402
from analysis.table import analysis_table  # noqa: E402
from cli import _table  # noqa: E402
from experiments.clock import FixedClock  # noqa: E402
from experiments.store import Store  # noqa: E402
from experiments.validation import validate_file  # noqa: E402
from runners.collect import collect_maildir  # noqa: E402
from runners.email_send import SmtpConfig  # noqa: E402
from runners.run import RunOptions, run_experiment  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402

EXAMPLE = ROOT / "experiments" / "examples" / "inquiry.yaml"
DATA = ROOT / "data"


def check_pages(sandbox: Sandbox) -> list[str]:
    """Fetch every company's contact page once: the sandbox is really serving."""
    lines = []
    for company in sandbox.companies.values():
        url = sandbox.company_url(company.slug)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # 127.0.0.1 only
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        note = f"  ({company.form_kind.replace('_', ' ')})"
        lines.append(f"  {status}  {company.name:<28} {url}{note}")
    return lines


def main() -> int:
    db_path = Path(os.environ.get("KNOCK_DB", DATA / "knock.db"))
    print("Knock demo: the sandbox world on 127.0.0.1 and the example inquiry study\n")
    # One simulated clock for Knock and the sandbox, started three weeks ago, so the
    # staff's replies (hours to days later) have all arrived when the demo ends.
    sim_start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=21)).replace(microsecond=0)
    clock = FixedClock(sim_start)
    try:
        sandbox = Sandbox(DATA / "sandbox", http_port=8765, smtp_port=8025, maildir=DATA / "mail",
                          speed=0, start=sim_start).start()
    except OSError as exc:
        print(f"Cannot start the sandbox on 127.0.0.1:8765/8025 ({exc.strerror}). "
              "Is `knock sandbox` already running? Stop it and try again.")
        return 1
    try:
        print(f"Sandbox companies at {sandbox.base_url}/ (SMTP 127.0.0.1:{sandbox.smtp_port}):")
        print("\n".join(check_pages(sandbox)))

        validated = validate_file(EXAMPLE)
        if not validated.ok:
            print("\n".join(str(p) for p in validated.problems))
            return 2
        with Store(db_path, clock=clock) as store:
            eid = load_and_arm(store, validated)
            submit(store, eid, sandbox)
            clock.advance(days=15)
            sandbox.advance(dt.timedelta(days=15))
            sandbox.flush()
            counts = collect_maildir(store, DATA / "mail")
            print(f"\n3. Replies collected from {DATA / 'mail'} (the sandbox's staff answered by email):")
            print(indent(_table(counts.rows(), ["what", "messages"])))
            with store.write():
                store.log("experiment.simulated_clock", eid, start=sim_start.isoformat(), advanced_days=15)
            table = analysis_table(store, eid, now=clock.now())
        for by in ("variant", "channel"):
            print(f"\n4. Results by {by} (simulated clock: the demo's three weeks passed in seconds)")
            print(indent(compute_results(table, by=by, experiment=eid).to_text()))
        print("\nNext steps (after `source .venv/bin/activate`):")
        print(f"  knock status --experiment {eid} --all     # every contact and its outcome")
        print("  knock inbox                                 # the replies, matched and classified")
        print(f"  knock results {eid} --by company --format json")
        print("  knock sandbox                               # serve the companies again to browse them")
        if sys.stdin.isatty() and sys.stdout.isatty():
            print(f"\nThe sandbox keeps serving at {sandbox.base_url}/ : open it in a browser. Ctrl-C to stop.")
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                print()
    finally:
        sandbox.stop()
    print("Demo finished.")
    return 0


def indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())


def load_and_arm(store: Store, validated) -> str:
    loaded = store.load(validated.experiment, validated.source, str(EXAMPLE.relative_to(ROOT)))
    eid = loaded.experiment_id
    if store.experiment_row(eid)["status"] == "draft":
        store.set_status(eid, "armed")
    contacts = store.contacts(eid)
    print(f"\n1. Experiment '{eid}' {loaded.action} and armed: {len(contacts)} contacts planned "
          f"({', '.join(f'{k} {v}' for k, v in sorted(Counter(c['channel_type'] for c in contacts).items()))}).")
    for c in contacts[:5]:
        print(f"   {c['planned_at']}  {c['target_id']:<22} {c['channel_key']:<9} {c['variant_id']:<9} {c['persona_id']}")
    print(f"   ... and {max(0, len(contacts) - 5)} more (knock experiment show {eid} --plan)")
    return eid


def submit(store: Store, eid: str, sandbox: Sandbox) -> None:
    print("\n2. Submitting every automated contact now (web forms in Chromium, email by SMTP):")
    options = RunOptions(eid, ignore_schedule=True, concurrency=2, evidence_root=DATA / "evidence",
                         smtp=SmtpConfig("127.0.0.1", sandbox.smtp_port))
    summary = run_experiment(store, options, lambda entry, total: print(
        f"   {entry['outcome']:<20} {entry['message'][:90]}"))
    if summary.outcomes:
        print(indent(_table([{"outcome": k, "contacts": v} for k, v in sorted(summary.outcomes.items())],
                            ["outcome", "contacts"])))
    else:
        print("   nothing was due: every contact was already submitted by an earlier demo run")
    retry = [c for c in store.contacts(eid, state="failed") if c["retry_at"]]
    if retry:
        store.clock.advance(minutes=6)
        print(f"   {len(retry)} transient failure(s); six minutes later, after their backoff:")
        again = run_experiment(store, options)
        print(indent(_table([{"outcome": k, "contacts": v} for k, v in sorted(again.outcomes.items())],
                            ["outcome", "contacts"])) if again.outcomes else "   none was due yet")
    todo = [c for c in store.contacts(eid) if c["channel_type"] in ("phone", "social", "chat")]
    print(f"   {len(todo)} phone contact(s) are left for a person: knock todo")


if __name__ == "__main__":
    sys.exit(main())
