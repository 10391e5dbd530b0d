"""Settings for the statistics, and the small typed pieces every result shares.

Inputs -> config -> result (as GrowthBook's gbstats does): every analysis
function takes the analysis table, one frozen :class:`ResultsConfig`, and
returns frozen dataclasses. Degenerate data gives a :class:`Note` with a
machine-readable ``code`` instead of a meaningless number; a bad argument
(a programming error) raises.

    >>> ResultsConfig(correction="fdr_bh").alpha
    0.05
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Mapping

from scipy import stats

CORRECTIONS = ("holm", "fdr_bh")


@functools.lru_cache(maxsize=16)
def z_two_sided(alpha: float) -> float:
    """The normal quantile of a two-sided (1 - alpha) interval, once per alpha: scipy's ppf costs
    about 0.1 ms a call, and curves by company ask for it thousands of times.

    >>> round(z_two_sided(0.05), 6)
    1.959964
    """
    return float(stats.norm.ppf(1 - alpha / 2))

# Codes carried by Note.code. They are part of the JSON contract: add, never rename.
NO_CONTACTS = "no_contacts"
NO_DELIVERED = "no_delivered"
NO_RESPONSES = "no_responses"
ALL_RESPONDED = "all_responded"
SINGLE_GROUP = "single_group"
GROUP_TOO_SMALL = "group_too_small"
ZERO_MARGIN = "zero_margin"
MEDIAN_UNDEFINED = "median_undefined"
MEDIAN_UPPER_UNBOUNDED = "median_upper_unbounded"
BEYOND_FOLLOWUP = "beyond_followup"
TIME_UNKNOWN = "time_unknown_excluded"
OPEN_CONTACTS = "open_contacts"
TOO_MANY_GROUPS = "too_many_groups"
SMALL_EXPECTED = "small_expected_counts"
RATIO_UNDEFINED = "ratio_undefined"
NO_PAIRS = "no_pairs"
UNPAIRED_DROPPED = "unpaired_dropped"
MODEL_FAILED = "model_failed"
NO_VARIATION = "no_variation"
RATIO_MISMATCH = "sample_ratio_mismatch"
ROWS_DROPPED = "rows_dropped"
FEW_CLUSTERS = "few_clusters"
TIES_APPROXIMATED = "ties_approximated"


@dataclass(frozen=True)
class Note:
    """A warning attached to a result: a stable code, a sentence, and where it applies."""

    code: str
    message: str
    group: str | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "group": self.group}


@dataclass(frozen=True)
class ResultsConfig:
    """How to compute results. Defaults follow the audit-study literature.

    alpha: two-sided level for every interval and test.
    correction: multiple-comparison adjustment, "holm" (family-wise) or
        "fdr_bh" (Benjamini-Hochberg false discovery rate). statsmodels'
        own default is Holm-Sidak, which we never use silently.
    min_group_n: a group with fewer delivered contacts gets no test.
    fixed_hours: the times at which shares answered are reported.
    rmst_hours: horizon of the restricted mean; None = the response window
        common to every group.
    fisher_below_expected: use Fisher's exact test when any expected cell
        of a 2x2 table is below this (Cochran's rule).
    exact_mcnemar_below: exact (binomial) McNemar when there are fewer
        discordant pairs than this.
    max_clogit_stratum: the conditional likelihood costs grow fast with
        stratum size; larger strata get a note instead (see the models).
    max_cox_rows: with tied reply times, statsmodels' PHReg (Efron ties) is
        used up to this many rows (it loops in Python per stratum, ~0.5 ms
        per row); beyond, the vectorised Breslow fit, with a note.
    planned_allocation: planned share of contacts per variant for the
        sample-ratio-mismatch test; None = equal allocation.
    """

    alpha: float = 0.05
    correction: str = "holm"
    min_group_n: int = 10
    fixed_hours: tuple[float, ...] = (1.0, 24.0, 72.0)
    rmst_hours: float | None = None
    fisher_below_expected: float = 5.0
    exact_mcnemar_below: int = 25
    max_pairwise_groups: int = 12
    max_logrank_groups: int = 40
    max_clogit_stratum: int = 30
    max_cox_rows: int = 20_000
    planned_allocation: Mapping[str, float] | None = None
    srm_alpha: float = 0.001
    include_models: bool = True
    include_paired: bool = True
    include_competing: bool = True
    seed: int = 2024
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if self.correction not in CORRECTIONS:
            raise ValueError(
                f"correction must be one of {CORRECTIONS}, got {self.correction!r}"
            )
        if self.min_group_n < 1:
            raise ValueError("min_group_n must be at least 1")
        if any(not math.isfinite(h) or h <= 0 for h in self.fixed_hours):
            raise ValueError("fixed_hours must be positive finite hours")
        if self.rmst_hours is not None and not self.rmst_hours > 0:
            raise ValueError("rmst_hours must be positive")

    @property
    def confidence(self) -> float:
        return 1 - self.alpha


def clean(value):
    """A JSON-safe scalar: NaN/inf -> None, numpy scalars -> Python ones."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fmt_hours(hours: float | None) -> str:
    """Human-readable duration: '45 min', '5.2 h', '3.1 days'."""
    if hours is None:
        return "n/a"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
