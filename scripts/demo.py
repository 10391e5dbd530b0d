"""`make demo`: the embedded default, end to end, on 127.0.0.1 only.

Starts the sandbox companies, loads the example inquiry study into
data/knock.db, shows its plan, and tells the researcher what to run next.
On a terminal it keeps the sandbox serving until Ctrl-C so the companies'
pages can be browsed; otherwise (CI, scripts) it stops when done.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experiments.store import Store  # noqa: E402
from experiments.validation import validate_file  # noqa: E402
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
    try:
        sandbox = Sandbox(DATA / "sandbox", http_port=8765, smtp_port=8025, maildir=DATA / "mail").start()
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
        with Store(db_path) as store:
            loaded = store.load(validated.experiment, validated.source, str(EXAMPLE.relative_to(ROOT)))
            contacts = store.contacts(loaded.experiment_id)
        print(f"\nExperiment '{loaded.experiment_id}' {loaded.action} in {db_path}: {len(contacts)} contacts planned.")
        by_channel = Counter(c["channel_type"] for c in contacts)
        by_variant = Counter(c["variant_id"] for c in contacts)
        print("  by channel: " + ", ".join(f"{k} {v}" for k, v in sorted(by_channel.items())))
        print("  by variant: " + ", ".join(f"{k} {v}" for k, v in sorted(by_variant.items())))
        print("\nFirst contacts of the plan (UTC; each inside the company's own business hours):")
        for c in contacts[:8]:
            print(f"  {c['planned_at']}  {c['target_id']:<22} {c['channel_key']:<9} {c['variant_id']:<9} {c['persona_id']}")
        print(f"  ... and {max(0, len(contacts) - 8)} more: knock experiment show {loaded.experiment_id} --plan")

        print("\nNext steps (after `source .venv/bin/activate`):")
        print("  knock experiment list")
        print(f"  knock experiment show {loaded.experiment_id} --plan")
        print(f"  knock experiment arm {loaded.experiment_id}      # lock the pre-registration")
        print("  knock sandbox                       # serve the companies again later")
        if sys.stdin.isatty() and sys.stdout.isatty():
            print(f"\nThe sandbox keeps serving at {sandbox.base_url}/ : open it in a browser. Ctrl-C to stop.")
            try:
                import threading

                threading.Event().wait()
            except KeyboardInterrupt:
                print()
    finally:
        sandbox.stop()
    print("Demo finished.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
