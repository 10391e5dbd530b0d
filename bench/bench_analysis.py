"""Benchmark the statistics core on a large synthetic analysis table.

    .venv/bin/python bench/bench_analysis.py [--n 1000000] [--seed 1]

Builds N contacts (1,000 companies x 4 channels x 2 variants by default),
times compute_results for one grouping (full, and without the optional
sections), and times Kaplan-Meier and the log-rank test against lifelines
on the same data in the same run. lifelines is a test/dev dependency
(requirements-dev.txt): it is imported here, never by the analysis package.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analysis import schema  # noqa: E402
from analysis.config import ResultsConfig  # noqa: E402
from analysis.results import compute_results  # noqa: E402
from analysis.survival import kaplan_meier, logrank  # noqa: E402
from analysis.synthetic import synthetic_table  # noqa: E402

CHANNELS = ("web_form", "email", "job_application", "phone")


def timed(fn, repeat: int = 1):
    """(best wall seconds over `repeat` runs, last result)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def build(n: int, seed: int):
    cells = len(CHANNELS) * 2
    companies = 1000 if n >= 1000 * cells else max(1, n // cells)
    per_cell = max(1, n // (companies * cells))
    return synthetic_table(seed=seed, n_companies=companies, channels=CHANNELS, contacts_per_cell=per_cell,
                           company_sd=0.5, bounce_rate=0.02, blocked_rate=0.01, auto_reply_rate=0.3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of contacts (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--by", default="variant", choices=["variant", "channel", "company"])
    args = ap.parse_args(argv)

    t_build, table = timed(lambda: build(args.n, args.seed))
    rows = [("build synthetic table", t_build, None, None)]

    full_t, res = timed(lambda: compute_results(table, by=args.by))
    core_cfg = ResultsConfig(include_models=False, include_paired=False, include_competing=False)
    core_t, _ = timed(lambda: compute_results(table, by=args.by, config=core_cfg))
    json_t, _ = timed(lambda: res.to_json())
    rows += [(f"compute_results(by={args.by}) full", full_t, None, None),
             (f"compute_results(by={args.by}) core (no models/paired/competing)", core_t, None, None),
             ("Results.to_json()", json_t, None, None)]

    sv = schema.survival_frame(table)
    groups = table.loc[sv.index, "variant"].astype(str).to_numpy()
    dur, ev = sv["duration"].to_numpy(), sv["event"].to_numpy()
    masks = [groups == g for g in sorted(set(groups))]

    km_t, _ = timed(lambda: [kaplan_meier(dur[m], ev[m]).median() for m in masks], repeat=3)
    lr_t, ours = timed(lambda: logrank(dur, ev, groups), repeat=3)
    try:
        from lifelines import KaplanMeierFitter
        from lifelines.statistics import logrank_test
    except ImportError:
        print("lifelines not installed: pip install -r requirements-dev.txt for the comparison")
        rows += [("Kaplan-Meier + median, per variant", km_t, None, None), ("log-rank, 2 variants", lr_t, None, None)]
    else:
        ll_km_t, _ = timed(lambda: [KaplanMeierFitter().fit(dur[m], ev[m]).median_survival_time_ for m in masks],
                           repeat=3)
        a, b = masks
        ll_lr_t, ref = timed(lambda: logrank_test(dur[a], dur[b], ev[a], ev[b]), repeat=3)
        if not np.isclose(ref.test_statistic, ours.statistic, rtol=1e-8):
            print(f"WARNING: log-rank statistics differ: ours {ours.statistic} lifelines {ref.test_statistic}")
        rows += [("Kaplan-Meier + median, per variant", km_t, ll_km_t, ll_km_t / km_t),
                 ("log-rank, 2 variants", lr_t, ll_lr_t, ll_lr_t / lr_t)]

    print(f"\nKnock analysis benchmark: {len(table):,} contacts, {table.company.nunique():,} companies, "
          f"{table.channel.nunique()} channels, 2 variants; Python {platform.python_version()}, "
          f"{os.cpu_count()} cores\n")
    print("| step | Knock (s) | lifelines (s) | lifelines / Knock |")
    print("|---|---:|---:|---:|")
    for name, ours_s, ref_s, ratio in rows:
        ref_txt = f"{ref_s:.3f}" if ref_s is not None else ""
        ratio_txt = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"| {name} | {ours_s:.3f} | {ref_txt} | {ratio_txt} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
