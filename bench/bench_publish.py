"""Publish an imported study of N contacts as a static site, against computing its results alone.

    .venv/bin/python bench/bench_publish.py [--n 100000] [--companies 1000]

Builds the study with ``store.import_outcomes`` from a generated CSV (N rows
over the companies, 2 channels, 2 variants, a stratum, replies with times).
Baseline: what any results surface must do anyway -- build the analysis
table and call ``compute_results`` for the groupings the site shows (same
settings). Knock: the whole ``publish`` (anonymise, write and re-read the
CSV, the same statistics, charts drawn by vl-convert, pages, replication
package). Reports the time, publish's ratio to the baseline, and each
page's weight (its HTML plus the one stylesheet; charts are inline SVG).
Targets: a few seconds beyond the baseline, every page under 2 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import tempfile
from pathlib import Path

from common import machine, table, timer

from analysis.config import ResultsConfig
from analysis.publish import pages, publish
from analysis.results import compute_results
from analysis.table import analysis_table
from experiments.clock import FixedClock
from experiments.outcomes_import import parse_outcomes
from experiments.store import Store

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone.utc)
INDUSTRIES = ("retail", "finance", "health", "software", "travel")


def outcomes_csv(n: int, companies: int, seed: int = 1) -> str:
    """N contacts: company x channel x variant cells, replies more likely for some companies and arms."""
    rng = random.Random(seed)
    lines = ["company,channel,variant,sent_at,responded_at,industry"]
    base = {c: rng.gauss(0, 0.8) for c in range(companies)}
    for i in range(n):
        c = i % companies
        channel = ("email", "web_form")[(i // companies) % 2]
        variant = ("customer", "prospect")[(i // (2 * companies)) % 2]
        sent = START + dt.timedelta(hours=rng.uniform(0, 24 * 28))
        logit = -0.4 + base[c] + (0.3 if variant == "customer" else 0) + (0.2 if channel == "email" else 0)
        answered = rng.random() < 1 / (1 + math.exp(-logit))
        reply = sent + dt.timedelta(hours=min(rng.lognormvariate(math.log(20), 1.2), 14 * 24 - 1)) if answered else None
        lines.append(f"Company {c:04d} Ltd,{channel},{variant},{sent.isoformat()},"
                     f"{reply.isoformat() if reply else ''},{INDUSTRIES[c % len(INDUSTRIES)]}")
    return "\n".join(lines) + "\n"


def run(n: int, companies: int) -> str:
    now = START + dt.timedelta(days=60)
    with tempfile.TemporaryDirectory() as tmp:
        with timer() as build:
            store = Store(Path(tmp) / "knock.db", clock=FixedClock(now))
            store.import_outcomes("bench", parse_outcomes(outcomes_csv(n, companies)), "bench.csv")
        with timer() as base:
            frame = analysis_table(store, "bench", now=now)
            for g in pages.groupings():
                compute_results(frame, by=g["by"], config=ResultsConfig(**g["config"]), experiment="bench")
        with timer() as variant_only:
            compute_results(analysis_table(store, "bench", now=now), by="variant", experiment="bench")
        with timer() as pub:
            report = publish(store, ["bench"], Path(tmp) / "site", now=now)
        e = report.experiments[0]
        folder = e.directory
        sizes = {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
        store.close()
    rows = [
        {"what": "knock results --by variant (table + one grouping, with models as the CLI does)",
         "seconds": f"{variant_only.seconds:.1f}",
         "ratio": f"{variant_only.seconds / base.seconds:.2f}"},
        {"what": "baseline: analysis table + compute_results by variant, channel, company", "seconds":
         f"{base.seconds:.1f}", "ratio": "1.00 (baseline)"},
        {"what": "knock publish (all of the above + CSV, charts, pages, replication package)",
         "seconds": f"{pub.seconds:.1f}", "ratio": f"{pub.seconds / base.seconds:.2f}"},
    ]
    weights = [{"page": f"ID/{name}", "HTML + CSS": f"{size / 1024:,.0f} KB",
                "target": "< 2 MB: " + ("met" if size < 2 * 1024 * 1024 else "MISSED")}
               for name, size in e.page_bytes.items()]
    files = [{"file": f"ID/{name}", "size": f"{size / 1024:,.0f} KB"} for name, size in sorted(sizes.items())
             if not name.endswith(".html")]
    return (f"### Publish a study of {n:,} contacts ({companies:,} companies) as a static site\n\n{machine()}\n\n"
            f"Study imported in {build.seconds:.1f} s (not timed below).\n\n{table(rows)}\n\n"
            f"Page weight (charts are inline SVG; nothing else is loaded):\n\n{table(weights)}\n\n"
            f"Downloads (not part of any page's weight):\n\n{table(files)}\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=1000)
    args = parser.parse_args()
    print(run(args.n, args.companies))
