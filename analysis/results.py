"""One call, one result object, every output.

`knock results ID --by variant --format table|json|csv` calls
:func:`compute_results` and prints ``.to_text()``, ``.to_json()`` or
``.groups_frame().to_csv()``; the dashboard and the static site read the
same object, so every surface shows the same numbers (as lifelines'
StatisticalResult does).

    >>> from analysis.synthetic import synthetic_table
    >>> r = compute_results(synthetic_table(seed=1), by="variant")
    >>> sorted(r.to_dict())[:4]
    ['by', 'comparisons', 'competing', 'config']
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import pandas as pd

from . import compare, schema, sentences
from .config import NO_CONTACTS, SINGLE_GROUP, Note, ResultsConfig, clean
from .rates import GroupRates, counts, group_rates
from .survival import GroupSurvival, group_survival, logrank_table


def jsonable(obj):
    """Recursively turn results into strict-JSON-safe Python (NaN -> None)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Note):
        return obj.to_dict()
    if hasattr(obj, "to_dict") and not isinstance(obj, pd.DataFrame):
        return jsonable(obj.to_dict())
    if isinstance(obj, pd.DataFrame):
        return jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    return clean(obj)


def _hk(h: float) -> str:
    return f"{h:g}h"


def group_row(r: GroupRates, s: GroupSurvival | None, confidence: float) -> dict:
    """One group as a flat dict (JSON 'groups' entry)."""
    row = {
        "group": r.group, "n": r.n, "responded": r.responded,
        "rate": r.rate, "ci_low": r.ci_low, "ci_high": r.ci_high,
        "median_hours": s.median_hours if s else None,
        "median_ci_low": s.median_ci_low if s else None,
        "median_ci_high": s.median_ci_high if s else None,
        "responded_any": r.responded_any, "rate_any": r.rate_any,
        "any_ci_low": r.any_ci_low, "any_ci_high": r.any_ci_high,
    }
    for sh in r.shares:
        k = _hk(sh.hours)
        row[f"share_within_{k}"] = sh.share
        row[f"share_within_{k}_ci_low"] = sh.ci_low
        row[f"share_within_{k}_ci_high"] = sh.ci_high
        row[f"eligible_{k}"] = sh.eligible
    if s:
        for h, est, lo, hi in s.answered_by:
            k = _hk(h)
            row[f"km_answered_by_{k}"] = est
            row[f"km_answered_by_{k}_ci_low"] = lo
            row[f"km_answered_by_{k}_ci_high"] = hi
        row.update(rmst_hours=s.rmst_hours, rmst_ci_low=s.rmst_ci_low, rmst_ci_high=s.rmst_ci_high,
                   rmst_tau_hours=s.rmst_tau_hours, n_timed=s.n, events_timed=s.events)
    row.update(buckets=dict(r.buckets), n_time_unknown=r.n_time_unknown, n_open=r.n_open,
               excluded=dict(r.excluded))
    notes = list(r.notes) + [n for n in (s.notes if s else ()) if n.code not in {x.code for x in r.notes}]
    row["warnings"] = [n.code for n in notes]
    row["sentence"] = sentences.group_sentence(r.group, r.n, r.responded, r.rate, r.ci_low, r.ci_high,
                                               row["median_hours"], confidence)
    return row


def comparison_row(c: compare.Comparison, config: ResultsConfig) -> dict:
    row = asdict(c)
    row.pop("notes")
    row["correction"] = config.correction
    row["warnings"] = [n.code for n in c.notes]
    row["sentence"] = " ".join([
        sentences.diff_sentence(c.a, c.b, c.rate_diff, c.diff_ci_low, c.diff_ci_high, c.p_value,
                                c.p_adjusted, config.correction, config.confidence),
        sentences.ratio_sentence(c.a, c.b, c.rate_ratio, c.ratio_ci_low, c.ratio_ci_high,
                                 config.confidence),
    ])
    return row


def test_row(t: compare.TestResult) -> dict:
    return t.to_dict()


@dataclass(frozen=True)
class Results:
    """Everything `knock results` shows, computed once."""

    experiment: str | None
    by: str
    config: ResultsConfig
    overall: GroupRates | None
    rates: tuple[GroupRates, ...]
    survival: tuple[GroupSurvival, ...]
    comparisons: tuple[compare.Comparison, ...]
    tests: tuple[compare.TestResult, ...]
    notes: tuple[Note, ...] = ()
    sections: dict = field(default_factory=dict)  # paired, competing, models, design
    overall_survival: GroupSurvival | None = None

    # -- outputs -----------------------------------------------------------------
    def group_rows(self) -> list[dict]:
        surv = {s.group: s for s in self.survival}
        return [group_row(r, surv.get(r.group), self.config.confidence) for r in self.rates]

    def to_dict(self) -> dict:
        overall = group_row(self.overall, self.overall_survival, self.config.confidence) if self.overall else None
        excluded: dict[str, int] = {}
        for r in self.rates:
            for k, v in r.excluded.items():
                excluded[k] = excluded.get(k, 0) + v
        d = {
            "experiment": self.experiment,
            "by": self.by,
            "groups": self.group_rows(),
            "comparisons": [comparison_row(c, self.config) for c in self.comparisons],
            "tests": [test_row(t) for t in self.tests],
            "overall": overall,
            "excluded": excluded,
            "warnings": [n.to_dict() for n in self.notes],
            "methods": {
                "rate_ci": "wilson",
                "rate_diff_ci": "newcombe_hybrid_score",
                "rate_ratio_ci": "katz_log (miettinen_nurminen_score when a count is 0 or n)",
                "two_group_test": f"pearson_chi2 without continuity correction; fisher_exact when an "
                                  f"expected cell < {self.config.fisher_below_expected:g}",
                "multiple_comparisons": self.config.correction,
                "survival": "kaplan_meier (greenwood, log-log band); median CI brookmeyer_crowley",
                "time_test": "logrank",
            },
            "config": {"alpha": self.config.alpha, "correction": self.config.correction,
                       "min_group_n": self.config.min_group_n,
                       "fixed_hours": list(self.config.fixed_hours)},
        }
        for name, section in self.sections.items():
            d[name] = section
        return jsonable(d)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def groups_frame(self) -> pd.DataFrame:
        rows = self.group_rows()
        for r in rows:
            for b, v in r.pop("buckets").items():
                r[f"bucket_{b}"] = v
            r["excluded"] = ";".join(f"{k}={v}" for k, v in r["excluded"].items())
            r["warnings"] = ";".join(r["warnings"])
        return pd.DataFrame(rows)

    def comparisons_frame(self) -> pd.DataFrame:
        rows = [comparison_row(c, self.config) for c in self.comparisons]
        for r in rows:
            r["warnings"] = ";".join(r["warnings"])
        cols = list(rows[0]) if rows else ["a", "b", "rate_diff", "rate_ratio", "p_value", "p_adjusted"]
        return pd.DataFrame(rows, columns=cols)

    def tests_frame(self) -> pd.DataFrame:
        return pd.DataFrame([test_row(t) for t in self.tests],
                            columns=["name", "statistic", "df", "p_value", "method", "warnings", "messages"])

    def to_text(self) -> str:
        from .text import render

        return render(self)


def _experiment_name(table: pd.DataFrame) -> str | None:
    ids = sorted(table["experiment_id"].dropna().astype(str).unique())
    return ", ".join(ids) if ids else None


def compute_results(table: pd.DataFrame, by: str = "variant", config: ResultsConfig = ResultsConfig(),
                    experiment: str | None = None) -> Results:
    """All results for one grouping of the analysis table.

    Programming errors (missing columns, a `by` that is not a column, a bad
    config) raise; data problems (no contacts, one group, no replies) come
    back as warnings with stable codes.
    """
    schema.check_table(table, by)
    experiment = experiment if experiment is not None else _experiment_name(table)
    if table.empty:
        return Results(experiment, by, config, None, (), (), (), (),
                       (Note(NO_CONTACTS, "the analysis table has no contacts"),))
    rates = group_rates(table, by, config)
    everyone = table.assign(_all="all")
    overall = group_rates(everyone, "_all", config)[0]
    overall_surv = group_survival(everyone, "_all", config)[0]
    surv, _ = group_survival(table, by, config)
    notes: list[Note] = []
    # Groups with nothing delivered (a channel worked only by hand, say) have no rate to compare.
    ct = counts(rates)
    ct = ct.loc[ct["n"] > 0].reset_index(drop=True)
    sv = schema.survival_frame(table)
    sv = sv.assign(group=schema.labels(table[schema.group_column(table, by)]).loc[sv.index])
    comps, pair_notes = compare.pairwise(ct, config, survival=sv)
    notes.extend(pair_notes)
    k_test = compare.chi_square_across(ct, config)
    lr = logrank_table(table, by, config)
    tests = [k_test, compare.TestResult("logrank", lr.statistic, lr.df, lr.p_value, "logrank", lr.notes)]
    if len(rates) < 2 and not any(n.code == SINGLE_GROUP for n in notes):
        notes.append(Note(SINGLE_GROUP, "only one group: nothing to compare"))
    sections: dict = {}
    from .extras import add_sections

    add_sections(table, by, config, tests, notes, sections)
    return Results(experiment, by, config, overall, tuple(rates), tuple(surv), tuple(comps),
                   tuple(tests), tuple(notes), sections, overall_surv[0] if overall_surv else None)
