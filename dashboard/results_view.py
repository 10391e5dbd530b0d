"""The Results page's work: filter the analysis table, compute once, keep what the page shows.

``build_view`` turns an analysis table into a ``ResultsView``: small frames
only (rates per group, Kaplan-Meier curves thinned to a few hundred points,
binned reply times, company x channel cells), so the cached object is cheap
to hand to every rerun and every chart stays far below Altair's row limit.
The numbers come from ``analysis.results.compute_results``, the same call
``knock results`` makes. No streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis import charts, schema
from analysis.config import ResultsConfig
from analysis.results import compute_results
from analysis.survival import curves_frame, group_survival

MAX_CHART_GROUPS = 25
MAX_CURVES = 8
GROUP_LABELS = {"variant": "Variant", "channel": "Channel", "company": "Company", "persona": "Persona"}


@dataclass(frozen=True)
class Filters:
    """Which contacts count: some channels, some variants, some values of one stratum (empty = all)."""

    channels: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    stratum: str = ""
    stratum_values: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.channels or self.variants or (self.stratum and self.stratum_values))

    def describe(self) -> str:
        parts = []
        if self.channels:
            parts.append("channel " + " or ".join(self.channels))
        if self.variants:
            parts.append("variant " + " or ".join(self.variants))
        if self.stratum and self.stratum_values:
            parts.append(f"{self.stratum} " + " or ".join(self.stratum_values))
        return "; ".join(parts) if parts else "all contacts"


def filter_options(table: pd.DataFrame) -> dict:
    """Values a researcher can filter and group by."""
    strata = {c[len(schema.STRATUM_PREFIX):]: sorted(table[c].dropna().astype(str).unique())
              for c in schema.stratum_columns(table)}
    return {
        "channels": sorted(table["channel"].dropna().astype(str).unique()),
        "variants": sorted(table["variant"].dropna().astype(str).unique()),
        "strata": strata,
        "group_by": [g for g in ("variant", "channel", "company", "persona") if table[g].notna().any()]
        + list(strata),
    }


def apply_filters(table: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    mask = pd.Series(True, index=table.index)
    if filters.channels:
        mask &= table["channel"].astype(str).isin(filters.channels)
    if filters.variants:
        mask &= table["variant"].astype(str).isin(filters.variants)
    column = schema.STRATUM_PREFIX + filters.stratum
    if filters.stratum and filters.stratum_values and column in table.columns:
        mask &= table[column].astype(str).isin(filters.stratum_values)
    return table.loc[mask] if not mask.all() else table


@dataclass
class ResultsView:
    experiment: str
    by: str
    filters: Filters
    n_contacts: int
    n_delivered: int
    overall: dict | None
    groups: pd.DataFrame
    chart_groups: pd.DataFrame
    comparisons: list[dict]
    tests: list[dict]
    notes: list[str]
    excluded: dict[str, int]
    curves: pd.DataFrame
    curve_groups: list[str]
    time_bins: pd.DataFrame
    cells: pd.DataFrame
    n_companies_two_channels: int
    sections: dict[str, list[str]] = field(default_factory=dict)
    methods: dict = field(default_factory=dict)
    confidence: float = 0.95

    @property
    def group_label(self) -> str:
        return GROUP_LABELS.get(self.by, self.by.replace("_", " ").capitalize())

    @property
    def n_groups(self) -> int:
        return len(self.groups)


def _largest(groups: pd.DataFrame, limit: int) -> list[str]:
    return groups.sort_values(["n", "group"], ascending=[False, True], kind="stable")["group"].head(limit).tolist()


def build_view(table: pd.DataFrame, by: str = "variant", filters: Filters = Filters(), models: bool = False,
               experiment: str | None = None) -> ResultsView:
    """Everything the Results page shows for one grouping and filter."""
    config = ResultsConfig(include_models=models)
    data = apply_filters(table, filters)
    results = compute_results(data, by=by, config=config, experiment=experiment)
    d = results.to_dict()
    groups = pd.DataFrame(d["groups"])
    if groups.empty:
        groups = pd.DataFrame(columns=["group", "n", "responded", "rate", "ci_low", "ci_high", "median_hours",
                                       "rate_any", "warnings", "sentence"])
    groups["group"] = groups["group"].astype(str)
    chart_names = _largest(groups, MAX_CHART_GROUPS)
    chart_groups = groups.loc[groups["group"].isin(chart_names)]

    column = schema.group_column(data, by)
    curve_names: list[str] = []
    curves = pd.DataFrame(columns=["group", "hours", "answered", "ci_low", "ci_high"])
    if len(data) and schema.delivered(data)["followup_hours"].notna().any():
        _, fits = group_survival(data, by, config)
        curve_names = [g for g in _largest(groups, MAX_CURVES) if g in fits and fits[g].n]
        curves = curves_frame({g: fits[g] for g in curve_names}, config.alpha, max_points=300)

    answered = schema.delivered(data)
    answered = answered.loc[answered["responded_human"].astype(bool) & answered["hours_to_human"].notna()]
    if len(groups) <= MAX_CURVES:
        time_bins = charts.response_time_bins(answered["hours_to_human"], schema.labels(answered[column]))
    else:
        time_bins = charts.response_time_bins(answered["hours_to_human"])
    cells, n_two = charts.company_channel_cells(data, max_companies=30)

    notes = [w["message"] + (f" ({w['group']})" if w.get("group") else "") for w in d["warnings"]]
    sections = {name: list(d[name]["sentences"]) for name in ("design", "paired", "competing", "models")
                if isinstance(d.get(name), dict) and d[name].get("sentences")}
    return ResultsView(
        experiment=experiment or "", by=by, filters=filters, n_contacts=len(data),
        n_delivered=int(schema.delivered(data).shape[0]), overall=d["overall"], groups=groups,
        chart_groups=chart_groups, comparisons=d["comparisons"], tests=d["tests"], notes=notes,
        excluded=d["excluded"], curves=curves, curve_groups=curve_names, time_bins=time_bins, cells=cells,
        n_companies_two_channels=n_two, sections=sections, methods=d["methods"], confidence=config.confidence)


def groups_table(view: ResultsView) -> pd.DataFrame:
    """The rates table as people read it: 34.2%, '28.1% to 40.9%', '2.5 h'."""
    g = view.groups
    if g.empty:
        return pd.DataFrame(columns=[view.group_label, "Delivered", "Answered by a person", "Rate", "95% CI",
                                     "Any reply", "Median time to reply"])
    level = f"{100 * view.confidence:g}% CI"
    return pd.DataFrame({
        view.group_label: g["group"],
        "Delivered": g["n"].astype(int),
        "Answered by a person": g["responded"].astype(int),
        "Rate": g["rate"].map(charts.pct),
        level: [f"{charts.pct(lo)} to {charts.pct(hi)}" if lo is not None and not pd.isna(lo) else "n/a"
                for lo, hi in zip(g["ci_low"], g["ci_high"])],
        "Any reply": g["rate_any"].map(charts.pct),
        "Median time to reply": [charts.hours_text(h) if h is not None and not pd.isna(h) else "not reached"
                                 for h in g["median_hours"]],
    })


def comparisons_table(view: ResultsView) -> pd.DataFrame:
    rows = []
    for c in view.comparisons:
        diff = c.get("rate_diff")
        rows.append({
            "Comparison": f"{c['a']} vs {c['b']}",
            "Difference": "n/a" if diff is None else f"{100 * diff:+.1f} points",
            "95% CI": "n/a" if diff is None else f"{100 * c['diff_ci_low']:+.1f} to {100 * c['diff_ci_high']:+.1f}",
            "Ratio": "n/a" if c.get("rate_ratio") is None else f"{c['rate_ratio']:.2f}",
            "Test": c.get("test") or "—",
            "p": _p(c.get("p_value")),
            "p adjusted": _p(c.get("p_adjusted")),
        })
    return pd.DataFrame(rows, columns=["Comparison", "Difference", "95% CI", "Ratio", "Test", "p", "p adjusted"])


def tests_table(view: ResultsView) -> pd.DataFrame:
    names = {"chi_square_equal_rates": "Equal rates across groups (chi-square)",
             "logrank": "Equal times to reply (log-rank)", "mcnemar": "Paired comparison (McNemar)",
             "sample_ratio_mismatch": "Arm sizes as planned (sample ratio)",
             "differential_delivery": "Equal delivery across arms"}
    rows = [{"Test": names.get(t["name"], t["name"].replace("_", " ")),
             "Statistic": "—" if t.get("statistic") is None else f"{t['statistic']:.3g}",
             "df": "—" if t.get("df") is None else str(t["df"]),
             "p": _p(t.get("p_value")),
             "Note": "; ".join(t.get("messages") or [])} for t in view.tests]
    return pd.DataFrame(rows, columns=["Test", "Statistic", "df", "p", "Note"])


def _p(p) -> str:
    if p is None or pd.isna(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def headline(view: ResultsView) -> dict[str, str]:
    """The four numbers at the top of the page."""
    o = view.overall or {}
    rate = o.get("rate")
    median = o.get("median_hours")
    return {
        "Contacts": f"{view.n_contacts:,}",
        "Delivered": f"{view.n_delivered:,}",
        "Answered by a person": charts.pct(rate) if rate is not None else "n/a",
        "Not delivered": f"{sum(v for k, v in view.excluded.items() if k != schema.NOT_SENT):,}",
        "Median time to reply": charts.hours_text(median) if median is not None else "—",
    }


def chart_set(view: ResultsView, title_prefix: str = "") -> dict[str, tuple]:
    """name -> (chart, description) for every chart the view can draw."""
    label = view.group_label.lower()
    out: dict[str, tuple] = {}
    if not view.chart_groups.empty and view.chart_groups["rate"].notna().any():
        title = f"{title_prefix}Human response rate by {label}"
        more = "" if view.n_groups <= MAX_CHART_GROUPS else \
            f"The {MAX_CHART_GROUPS} {label}s with most contacts of {view.n_groups}; dots: share answered"
        out["rates"] = (charts.rate_chart(view.chart_groups, title, view.group_label, subtitle=more or None,
                                          confidence=view.confidence),
                        charts.describe_rate_chart(view.chart_groups, title, view.confidence))
    if not view.curves.empty:
        title = f"{title_prefix}Time to the first human reply, by {label}"
        out["survival"] = (charts.km_chart(view.curves, title, group_label=view.group_label),
                           charts.describe_km_chart(view.curves, title))
    if not view.time_bins.empty and view.time_bins["count"].sum() > 0:
        title = f"{title_prefix}How long replies took"
        label_ = view.group_label if view.n_groups <= MAX_CURVES else "Group"
        out["times"] = (charts.response_time_chart(view.time_bins, title, group_label=label_),
                        charts.describe_response_time_chart(view.time_bins, title))
    if not view.cells.empty:
        title = f"{title_prefix}Company × channel: where channels disagree"
        out["heatmap"] = (charts.heatmap_chart(view.cells, title),
                          charts.describe_heatmap(view.cells, title, view.n_companies_two_channels))
    return out
