"""Disconnect index: spread of a company's responsiveness across its channels."""

import numpy as np
import pytest

from analysis.config import ResultsConfig
from analysis.disconnect import disconnect_index
from analysis.synthetic import table_from_records


def small_table():
    recs = []
    # acme: web_form 3/4 answered (2, 4, 6 h), email 1/4 (30 h); solo: one channel only
    for h in (2.0, 4.0, 6.0, None):
        recs.append({"company": "acme", "channel": "web_form", "hours": h})
    for h in (30.0, None, None, None):
        recs.append({"company": "acme", "channel": "email", "hours": h})
    for h in (1.0, None):
        recs.append({"company": "solo", "channel": "email", "hours": h})
    # even: both channels 1/2, medians 10 h and 12 h
    for ch, h in (("web_form", 10.0), ("web_form", None), ("email", 12.0), ("email", None)):
        recs.append({"company": "even", "channel": ch, "hours": h})
    return table_from_records(recs)


def test_spreads_and_ranks_by_hand():
    f = disconnect_index(small_table(), n_boot=200).frame.set_index("company")

    assert 0.5 == f.at["acme", "rate_spread"]
    assert 30.0 - 4.0 == f.at["acme", "median_hours_spread"]  # medians 4 h vs 30 h
    assert ("web_form", "email") == (f.at["acme", "best_channel"], f.at["acme", "worst_channel"])
    assert (0.0, 2.0) == (f.at["even", "rate_spread"], f.at["even", "median_hours_spread"])
    assert (1.0, 2.0) == (f.at["acme", "rank"], f.at["even", "rank"])
    assert np.isnan(f.at["solo", "rate_spread"]) and np.isnan(f.at["solo", "rank"])


def test_bootstrap_is_seeded():
    a = disconnect_index(small_table(), ResultsConfig(seed=1), n_boot=100).frame
    b = disconnect_index(small_table(), ResultsConfig(seed=1), n_boot=100).frame

    assert a.equals(b)


def test_bootstrap_interval_agrees_with_naive_row_resampling():
    rng = np.random.default_rng(0)
    recs = [{"company": "c", "channel": ch, "hours": 1.0 if rng.uniform() < p else None}
            for ch, p in (("web_form", 0.6), ("email", 0.3)) for _ in range(60)]
    table = table_from_records(recs)
    got = disconnect_index(table, n_boot=4000).frame.iloc[0]
    # naive reference: resample rows within each channel with replacement
    y = {ch: table.loc[table.channel == ch, "responded_human"].to_numpy() for ch in ("web_form", "email")}
    boot = [abs(rng.choice(y["web_form"], 60).mean() - rng.choice(y["email"], 60).mean()) for _ in range(4000)]
    lo, hi = np.percentile(boot, [2.5, 97.5])

    assert lo == pytest.approx(got.rate_spread_ci_low, abs=0.03)
    assert hi == pytest.approx(got.rate_spread_ci_high, abs=0.03)
