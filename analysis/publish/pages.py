"""What each published page says: numbers formatted for readers, tables, figures, facts.

Everything here is computed from the *published* table (the anonymised
CSV read back), so the site shows exactly what a reader can recompute
with ``replication/replicate.py``. Formatting lives here, not in the
templates, so it is tested like any other code; the templates only lay out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from analysis import charts, schema
from analysis.config import ResultsConfig
from analysis.survival import curves_frame, group_survival

from .figures import Figure, figure

GROUP_LABELS = {"variant": "Variant", "channel": "Channel", "company": "Company"}
MAX_RATE_CHART_GROUPS = 25
PLOT_WIDTH = 420  # the plot area; labels and legends come on top (figures.STATIC_AUTOSIZE)
MAX_LISTED_COMPARISONS = 8
MAX_OPEN_ROWS = 30
TEST_NAMES = {
    "chi_square_equal_rates": "Equal rates across groups (Pearson chi-square)",
    "logrank": "Equal times to a human reply (log-rank)",
    "mcnemar": "Same company, different variant (McNemar)",
    "sample_ratio_mismatch": "Arm sizes as planned (sample ratio mismatch)",
    "differential_delivery": "Equal delivery across arms",
}
SECTION_TITLES = {
    "design": "Design checks", "paired": "Within the same company", "competing":
    "Human reply, automatic reply or bounce", "models": "Regression models",
}
CORRECTIONS = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg"}
TEST_WORDS = {"pearson_chi2": "chi-square", "fisher_exact": "Fisher's exact"}


def groupings(models: bool = False) -> list[dict]:
    """The groupings the site shows and the settings of each (also written into replicate.py).

    Regression models are the slowest part and the same for every grouping:
    computed once, with the variants, when asked for. Competing outcomes per
    company (one curve per company) are left out: the company section shows
    report cards instead.
    """
    return [
        {"by": "variant", "config": {"include_models": models}},
        {"by": "channel", "config": {"include_models": False}},
        {"by": "company", "config": {"include_models": False, "include_competing": False}},
    ]


# --- formatting ------------------------------------------------------------------------------

def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x, digits: int = 1) -> str:
    return "n/a" if missing(x) else charts.pct(x, digits)


def interval(lo, hi, digits: int = 1) -> str:
    return "n/a" if missing(lo) or missing(hi) else f"{pct(lo, digits)} to {pct(hi, digits)}"


def points(x) -> str:
    return "n/a" if missing(x) else f"{100 * x:+.1f}"


def p_text(p) -> str:
    if missing(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def num(x, digits: int = 2) -> str:
    return "n/a" if missing(x) else f"{x:.{digits}f}"


def hours(x) -> str:
    return "not reached" if missing(x) else charts.hours_text(x)


@dataclass(frozen=True)
class Table:
    """A table as readers see it: caption, header, rows of text; numeric columns right-aligned."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()
    note: str = ""
    text: frozenset[int] = frozenset()  # columns of prose, allowed to wrap (the others never do)
    collapsed: bool = False  # long tables start folded away (the page stays short; the data stay on it)


def groups_table(d: dict, label: str) -> Table:
    level = f"{100 * (1 - d['config']['alpha']):g}% CI"
    rows = [[str(g["group"]), f"{g['n']:,}", f"{g['responded']:,}", pct(g["rate"]), interval(g["ci_low"], g["ci_high"]),
             pct(g.get("rate_any")), hours(g.get("median_hours"))] for g in d["groups"]]
    return Table(f"Human response rate by {label.lower()}",
                 [label, "Delivered", "Answered by a person", "Rate", level, "Any reply", "Median time to reply"],
                 rows, frozenset({1, 2, 3, 5}),
                 "Rates count delivered contacts only. 'Any reply' includes automatic replies. The median is "
                 "'not reached' when fewer than half were answered.")


def comparisons_table(d: dict, label: str) -> Table | None:
    if not d["comparisons"]:
        return None
    correction = CORRECTIONS.get(d["config"]["correction"], d["config"]["correction"])
    def between(lo, hi, fmt) -> str:
        return "n/a" if missing(lo) or missing(hi) else f"{fmt(lo)} to {fmt(hi)}"

    rows = []
    for c in d["comparisons"]:
        rows.append([f"{c['a']} vs {c['b']}", points(c.get("rate_diff")),
                     between(c.get("diff_ci_low"), c.get("diff_ci_high"), points), num(c.get("rate_ratio")),
                     between(c.get("ratio_ci_low"), c.get("ratio_ci_high"), num),
                     TEST_WORDS.get(c.get("test") or "", c.get("test") or "—"), p_text(c.get("p_value")),
                     p_text(c.get("p_adjusted"))])
    n = len(rows)
    return Table(f"Pairwise comparisons by {label.lower()}",
                 ["Comparison", "Difference (points)", "95% CI", "Rate ratio", "95% CI", "Test", "p",
                  f"p adjusted ({correction})"], rows, frozenset({1, 3, 6, 7}),
                 f"Differences are in percentage points (first minus second). p-values are adjusted for the {n} "
                 f"comparison{'s' if n != 1 else ''} with the {correction} method.")


def tests_table(d: dict) -> Table:
    rows = [[TEST_NAMES.get(t["name"], t["name"].replace("_", " ")),
             "—" if missing(t.get("statistic")) else f"{t['statistic']:.3g}",
             "—" if missing(t.get("df")) else f"{t['df']:g}", p_text(t.get("p_value")),
             "; ".join(t.get("messages") or [])] for t in d["tests"]]
    return Table("Tests across all groups", ["Test", "Statistic", "df", "p", "Note"], rows, frozenset({1, 2, 3}),
                 text=frozenset({0, 4}))


def company_table(d: dict) -> Table:
    cards = {c["company"]: c for c in (d.get("report_cards") or {}).get("companies", [])}
    rows = []
    for g in d["groups"]:
        card = cards.get(g["group"], {})
        rows.append([str(g["group"]), f"{g['n']:,}", f"{g['responded']:,}", pct(g["rate"]),
                     interval(g["ci_low"], g["ci_high"]), pct(card.get("shrunk_rate")),
                     interval(card.get("shrunk_ci_low"), card.get("shrunk_ci_high")), hours(g.get("median_hours"))])
    return Table(f"Every company ({len(rows):,})", ["Company", "Delivered", "Answered", "Rate", "95% CI",
                                                    "Adjusted rate", "Adjusted 95% interval", "Median time"],
                 rows, frozenset({1, 2, 3, 5}),
                 "The adjusted rate pulls each company's rate towards the average of all companies, more so when it "
                 "had few contacts (empirical Bayes, beta-binomial): fairer for ranking companies than the raw rate.",
                 collapsed=len(rows) > MAX_OPEN_ROWS)


# --- the results of one experiment ----------------------------------------------------------

@dataclass
class Section:
    by: str
    label: str
    result: dict
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    extra: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, sentences)
    single: str = ""  # why there is nothing to compare


def section(table: pd.DataFrame, by: str, d: dict, prefix: str, pool=None) -> Section:
    label = GROUP_LABELS[by]
    s = Section(by, label, d)
    groups = pd.DataFrame(d["groups"], columns=["group", "n", "responded", "rate", "ci_low", "ci_high"])
    rated = groups.loc[groups["rate"].notna()]  # only what the chart draws: the spec carries its data
    if len(rated) > 1 and (by != "company" or len(rated) <= MAX_RATE_CHART_GROUPS):
        title = f"Human response rate by {label.lower()}"
        s.figures.append(figure(f"rates-{by}", charts.rate_chart(rated, title, label, width=PLOT_WIDTH),
                                charts.describe_rate_chart(rated, title), prefix, pool))
    if by == "company":
        s.tables.append(company_table(d))
        cells, n_two = charts.company_channel_cells(table, max_companies=30)
        if len(cells):
            title = "Company × channel: where a company's channels disagree"
            s.figures.append(figure("heatmap", charts.heatmap_chart(cells, title, width=300),
                                    charts.describe_heatmap(cells, title, n_two), prefix, pool))
    else:
        s.tables.append(groups_table(d, label))
        if len(rated) < 2:
            s.single = f"Every delivered contact had the same {label.lower()}: nothing to compare."
        else:
            comparisons = comparisons_table(d, label)
            if comparisons:
                s.tables.append(comparisons)
            s.tables.append(tests_table(d))
        if len(d["comparisons"]) > 3:  # up to three are among the main findings already
            s.sentences = [c["sentence"] for c in d["comparisons"][:MAX_LISTED_COMPARISONS]]
    for name, title in SECTION_TITLES.items():
        part = d.get(name)
        if isinstance(part, dict) and part.get("sentences") and not (by == "company" and name == "competing"):
            s.extra.append((title, list(part["sentences"])))
    return s


def time_figures(table: pd.DataFrame, by: str, prefix: str, pool=None) -> list[Figure]:
    """Kaplan-Meier curves and reply-time bars by ``by``."""
    delivered = schema.delivered(table)
    if delivered.empty or not delivered["followup_hours"].notna().any():
        return []
    label = GROUP_LABELS[by]
    _, fits = group_survival(table, by, ResultsConfig())
    fits = {g: km for g, km in fits.items() if km.n}
    out = []
    curves = curves_frame(fits, 0.05, max_points=300)
    if len(curves):
        title = f"Time to the first human reply, by {label.lower()}"
        out.append(figure(f"km-{by}", charts.km_chart(curves, title, width=PLOT_WIDTH, group_label=label),
                          charts.describe_km_chart(curves, title), prefix, pool))
    answered = delivered.loc[delivered["responded_human"].astype(bool) & delivered["hours_to_human"].notna()]
    bins = charts.response_time_bins(answered["hours_to_human"], schema.labels(answered[by]))
    if len(bins) and bins["count"].sum() > 0:
        title = "How long replies took"
        out.append(figure(f"times-{by}", charts.response_time_chart(bins, title, width=PLOT_WIDTH, group_label=label),
                          charts.describe_response_time_chart(bins, title), prefix, pool))
    return out


def shares_table(d: dict, label: str) -> Table:
    """Share answered by a person within 1 hour, 1 day and 3 days (Kaplan-Meier), per group."""
    marks = [h for h in d["config"]["fixed_hours"]]
    rows = []
    for g in d["groups"]:
        row = [str(g["group"])]
        for h in marks:
            k = f"km_answered_by_{h:g}h"
            row.append(f"{pct(g.get(k))} ({interval(g.get(k + '_ci_low'), g.get(k + '_ci_high'))})")
        rows.append(row)
    return Table("Share answered by a person within ...", [label, *(f"{charts.hours_text(h)}" for h in marks)],
                 rows, frozenset(), "Kaplan–Meier estimates with 95% intervals; contacts still inside their "
                 "window count for as long as they have been observed.")


def headline(results: dict[str, dict], window_days: float) -> list[tuple[str, str]]:
    """The findings in plain language, most important first: (label, sentence)."""
    overall = results["variant"].get("overall")
    if not overall or not overall.get("n"):
        return []
    lines = [("Overall", f"Of {overall['n']:,} delivered inquiries, {overall['responded']:,} ({pct(overall['rate'])}, "
                         f"95% CI {interval(overall['ci_low'], overall['ci_high'])}) were answered by a person within "
                         f"the {window_days:g}-day response window; {pct(overall.get('rate_any'))} got some reply, "
                         "automatic replies included.")]
    for by in ("variant", "channel"):
        d = results[by]
        lines += [(f"By {by}", c["sentence"]) for c in d["comparisons"][:3]]
        if len(d["comparisons"]) > 3:
            lines.append((f"By {by}", f"… and {len(d['comparisons']) - 3} more comparisons below."))
    companies = [g for g in results["company"]["groups"] if g.get("n") and g.get("rate") is not None]
    if len(companies) > 1:
        low = min(companies, key=lambda g: (g["rate"], g["group"]))
        high = max(companies, key=lambda g: (g["rate"], g["group"]))
        never = sum(1 for g in companies if g["responded"] == 0)
        text = (f"Response rates of the {len(companies):,} companies ranged from {pct(low['rate'])} ({low['group']}) "
                f"to {pct(high['rate'])} ({high['group']}).")
        if never:
            text += f" {never:,} never answered any inquiry by a person."
        lines.append(("By company", text))
    return lines


def index_headline(results: dict[str, dict], window_days: float) -> str:
    lines = headline(results, window_days)
    if not lines:
        return "No inquiries delivered yet."
    first = results["variant"]["comparisons"][:1]
    return " ".join([lines[0][1], *(c["sentence"] for c in first)])
