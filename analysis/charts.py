"""Altair charts of Knock's results, as pure functions of plain data.

The dashboard and the static publisher draw the same charts from the same
numbers: every chart here takes a small DataFrame (or records) built from a
``Results`` object or the analysis table, and a ``title``; none imports
streamlit. Each chart has a ``describe_*`` function that says in words what
it shows (the chart's text alternative: ``st.altair_chart(alt=...)``, an
``aria-label`` or a ``<figcaption>`` on the published page).

Data is aggregated before it reaches Altair (the helpers ``*_frame``/
``*_cells``/``*_bins`` do it), so no chart carries more than a few
thousand rows. Colours are the Okabe-Ito palette, distinguishable with the
common colour-vision deficiencies; states keep one colour everywhere.

    >>> import pandas as pd
    >>> groups = pd.DataFrame({"group": ["customer", "prospect"], "n": [40, 40], "responded": [17, 9],
    ...                        "rate": [0.425, 0.225], "ci_low": [0.285, 0.123], "ci_high": [0.577, 0.376]})
    >>> rate_chart(groups, "Human replies by variant").to_dict()["title"]["text"]
    'Human replies by variant'
    >>> describe_rate_chart(groups, "Human replies by variant")[:74]
    'Human replies by variant. customer: 42.5% (95% CI 28.5% to 57.7%; 17 of 40'
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import altair as alt
import numpy as np
import pandas as pd

# Okabe & Ito (2008), "Color Universal Design": safe for deuteranopia, protanopia, tritanopia.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
STATE_COLOURS = {
    "planned": "#BBBBBB", "queued": "#56B4E9", "claimed": "#56B4E9", "submitting": "#E69F00",
    "submitted": "#0072B2", "uncertain": "#CC79A7", "failed": "#D55E00", "blocked": "#000000",
    "skipped": "#999999",
}
WIDTH = 560
# Fit the width to the page (Streamlit, a published page's column); keep the plot's own height.
AUTOSIZE = alt.AutoSizeParams(type="fit-x", contains="padding")
MAX_ROWS = 5000
TIME_BINS = (0, 1, 4, 8, 24, 48, 72, 168, 336, math.inf)
TIME_BIN_LABELS = ("< 1 h", "1–4 h", "4–8 h", "8–24 h", "1–2 days", "2–3 days", "3–7 days", "1–2 weeks",
                   "> 2 weeks")


def pct(x: float | None, digits: int = 1) -> str:
    """``0.3421`` -> ``34.2%``; ``None`` -> ``n/a``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


def hours_text(hours: float | None) -> str:
    """A duration for people: ``45 min``, ``2.5 h``, ``3.1 days``.

    >>> hours_text(2.5), hours_text(0.5), hours_text(74), hours_text(24)
    ('2.5 h', '30 min', '3.1 days', '24 h')
    """
    if hours is None or (isinstance(hours, float) and math.isnan(hours)):
        return "n/a"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{_one_decimal(hours)} h"
    return f"{_one_decimal(hours / 24)} days"


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _title(title: str, subtitle: str | Sequence[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=title, subtitle=subtitle or alt.Undefined, anchor="start", fontSize=15,
                           subtitleColor="#555555", subtitleFontSize=12)


def _frame(data) -> pd.DataFrame:
    return data.copy() if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))


def _colours(groups: Iterable[str]) -> alt.Scale:
    domain = [str(g) for g in groups]
    return alt.Scale(domain=domain, range=[PALETTE[i % len(PALETTE)] for i in range(len(domain))])


def _check_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame) > MAX_ROWS:
        raise ValueError(f"{len(frame)} rows is too many for a chart: aggregate first (limit {MAX_ROWS})")
    return frame


def to_image(chart: alt.TopLevelMixin, fmt: str = "png", scale: float = 2.0) -> bytes:
    """The chart as PNG or SVG bytes (vl-convert: no browser, works offline)."""
    import vl_convert as vlc

    spec = chart.to_json()
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"format is png or svg, not {fmt!r}")


# --- response rates with intervals --------------------------------------------------

def rate_chart(groups, title: str, group_label: str = "Group", width: int = WIDTH,
               subtitle: str | None = None, confidence: float = 0.95) -> alt.Chart:
    """Rate per group as a dot with its confidence interval (one row per group).

    ``groups``: columns group, n, responded, rate, ci_low, ci_high (``Results.groups_frame()``).
    """
    frame = _check_rows(_frame(groups))
    frame = frame.loc[frame["rate"].notna()].copy()
    frame["group"] = frame["group"].astype(str)
    level = f"{100 * confidence:g}% CI"
    frame["label"] = frame["rate"].map(pct)
    frame["interval"] = [f"{pct(lo)} to {pct(hi)}" for lo, hi in zip(frame["ci_low"], frame["ci_high"])]
    frame["counts"] = [f"{int(k)} of {int(n)}" for k, n in zip(frame["responded"], frame["n"])]
    order = frame.sort_values("rate", ascending=False)["group"].tolist()
    y = alt.Y("group:N", sort=order, title=group_label, axis=alt.Axis(labelLimit=220))
    x_scale = alt.Scale(domain=[0, 1])
    tooltip = [alt.Tooltip("group:N", title=group_label), alt.Tooltip("label:N", title="Rate"),
               alt.Tooltip("interval:N", title=level), alt.Tooltip("counts:N", title="Answered")]
    base = alt.Chart(frame)
    rule = base.mark_rule(strokeWidth=3, color=PALETTE[4]).encode(
        y=y, x=alt.X("ci_low:Q", scale=x_scale, axis=alt.Axis(format="%", title="Answered by a person")),
        x2="ci_high:Q", tooltip=tooltip)
    dot = base.mark_circle(size=110, color=PALETTE[0], opacity=1).encode(y=y, x="rate:Q", tooltip=tooltip)
    text = base.mark_text(align="center", dy=-13, fontSize=11, color="#333333").encode(
        y=y, x="rate:Q", text="label:N")
    height = max(60, 40 * len(frame))
    return (rule + dot + text).properties(
        autosize=AUTOSIZE,
        title=_title(title, subtitle or f"Dots: share answered; bars: {level}"), width=width, height=height)


def describe_rate_chart(groups, title: str, confidence: float = 0.95) -> str:
    frame = _frame(groups)
    level = f"{100 * confidence:g}% CI"
    parts = []
    for row in frame.sort_values("rate", ascending=False, na_position="last").itertuples():
        if row.rate is None or (isinstance(row.rate, float) and math.isnan(row.rate)):
            parts.append(f"{row.group}: no delivered contacts")
            continue
        parts.append(f"{row.group}: {pct(row.rate)} ({level} {pct(row.ci_low)} to {pct(row.ci_high)}; "
                     f"{int(row.responded)} of {int(row.n)} answered)")
    return f"{title}. " + ("; ".join(parts) if parts else "No groups to show") + "."


# --- Kaplan-Meier curves ----------------------------------------------------------

def _time_axis(max_hours: float) -> tuple[str, float]:
    return ("days", 24.0) if max_hours > 72 else ("hours", 1.0)


def km_chart(curves, title: str, width: int = WIDTH, height: int = 300,
             subtitle: str | None = None, group_label: str = "Group") -> alt.LayerChart:
    """Cumulative share answered by a person over time, per group, with a pointwise band.

    ``curves``: columns group, hours, answered, ci_low, ci_high (``analysis.survival.curves_frame``).
    """
    frame = _check_rows(_frame(curves))
    frame["group"] = frame["group"].astype(str)
    unit, per = _time_axis(float(frame["hours"].max()) if len(frame) else 0.0)
    frame["time"] = frame["hours"] / per
    frame["when"] = frame["hours"].map(hours_text)
    frame["label"] = frame["answered"].map(pct)
    groups = sorted(frame["group"].unique())
    legend = alt.Legend(symbolType="stroke", symbolStrokeWidth=3, symbolOpacity=1)
    colour = alt.Color("group:N", scale=_colours(groups), title=group_label, legend=legend)
    x = alt.X("time:Q", title=f"Time since the knock ({unit})", scale=alt.Scale(nice=False, zero=True))
    y_axis = alt.Axis(format="%", title="Answered by a person")
    base = alt.Chart(frame)
    band = base.mark_area(opacity=0.15, interpolate="step-after").encode(
        x=x, y=alt.Y("ci_low:Q", axis=y_axis, scale=alt.Scale(domain=[0, 1])), y2="ci_high:Q", color=colour)
    line = base.mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        x=x, y=alt.Y("answered:Q", axis=y_axis), color=colour,
        tooltip=[alt.Tooltip("group:N", title=group_label), alt.Tooltip("when:N", title="After"),
                 alt.Tooltip("label:N", title="Answered")])
    return (band + line).properties(
        autosize=AUTOSIZE,
        title=_title(title, subtitle or "Kaplan–Meier estimate; shaded: 95% pointwise band"),
        width=width, height=height)


def describe_km_chart(curves, title: str, at_hours: Sequence[float] = (24, 72)) -> str:
    frame = _frame(curves)
    if frame.empty:
        return f"{title}. No delivered contacts yet."
    parts = []
    for hours in at_hours:
        shares = []
        for group, part in frame.groupby(frame["group"].astype(str), sort=True):
            part = part.sort_values("hours")
            if part["hours"].max() < hours:
                shares.append(f"{group} not yet observed")
                continue
            value = float(part.loc[part["hours"] <= hours, "answered"].iloc[-1])
            shares.append(f"{group} {pct(value)}")
        parts.append(f"after {hours_text(hours)}: " + ", ".join(shares))
    return f"{title}. Share answered by a person " + "; ".join(parts) + "."


# --- response-time distribution -----------------------------------------------------

def _bin_label(lo: float, hi: float) -> str:
    if math.isinf(hi):
        return f"over {hours_text(lo)}"
    if lo == 0:
        return f"under {hours_text(hi)}"
    return f"{hours_text(lo)} – {hours_text(hi)}"


def response_time_bins(hours, groups=None, edges: Sequence[float] = TIME_BINS) -> pd.DataFrame:
    """Counts of reply times per bin and group: columns group, bin, order, count, share.

    ``hours``: hours to the first human reply of each answered contact;
    ``groups``: the group of each (or None for one group, "all").
    """
    hours = pd.Series(hours, dtype=float).reset_index(drop=True)
    group = pd.Series(groups if groups is not None else ["all"] * len(hours), dtype=object).astype(str)
    group = group.reset_index(drop=True)
    keep = hours.notna()
    hours, group = hours[keep], group[keep]
    labels = list(TIME_BIN_LABELS) if tuple(edges) == TIME_BINS else \
        [_bin_label(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
    codes = np.clip(np.searchsorted(np.asarray(edges[1:-1], dtype=float), hours.to_numpy(), side="right"),
                    0, len(labels) - 1)
    rows = []
    for name in sorted(group.unique()) if len(group) else []:
        mask = (group == name).to_numpy()
        counts = np.bincount(codes[mask], minlength=len(labels))
        total = counts.sum()
        rows += [{"group": name, "bin": labels[i], "order": i, "count": int(c),
                  "share": float(c / total) if total else 0.0} for i, c in enumerate(counts)]
    return pd.DataFrame(rows, columns=["group", "bin", "order", "count", "share"])


def response_time_chart(bins, title: str, width: int = WIDTH, height: int = 260,
                        subtitle: str | None = None, group_label: str = "Group") -> alt.Chart:
    """How long answered contacts waited for the first human reply: share per time bin and group."""
    frame = _check_rows(_frame(bins))
    frame["group"] = frame["group"].astype(str)
    frame["label"] = frame["share"].map(lambda s: pct(s, 0))
    order = frame.sort_values("order")["bin"].drop_duplicates().tolist()
    groups = sorted(frame["group"].unique())
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("bin:N", sort=order, title="Time to the first human reply",
                  axis=alt.Axis(labelAngle=-30, labelAlign="right", labelFontSize=11, labelOverlap=False)),
        xOffset=alt.XOffset("group:N", sort=groups),
        y=alt.Y("share:Q", axis=alt.Axis(format="%", title="Share of replies")),
        color=alt.Color("group:N", scale=_colours(groups), title=group_label),
        tooltip=[alt.Tooltip("group:N", title=group_label), alt.Tooltip("bin:N", title="Replied"),
                 alt.Tooltip("count:Q", title="Replies", format=","), alt.Tooltip("label:N", title="Share")],
    ).properties(autosize=AUTOSIZE, title=_title(title, subtitle or "Among contacts that got a human reply"),
                 width=width, height=height)


def describe_response_time_chart(bins, title: str) -> str:
    frame = _frame(bins)
    if frame.empty or frame["count"].sum() == 0:
        return f"{title}. No human replies yet."
    parts = []
    for group, part in frame.groupby(frame["group"].astype(str), sort=True):
        part = part.sort_values("order")
        total = int(part["count"].sum())
        top = part.loc[part["count"].idxmax()]
        within_day = part.loc[part["order"] < list(TIME_BINS).index(24), "count"].sum()
        parts.append(f"{group}: {total} replies, most often {top['bin']} ({pct(top['share'], 0)}), "
                     f"{pct(within_day / total if total else 0, 0)} within a day")
    return f"{title}. " + "; ".join(parts) + "."


# --- company x channel disconnect heatmap ----------------------------------------------

def company_channel_cells(table: pd.DataFrame, max_companies: int = 30) -> tuple[pd.DataFrame, int]:
    """Rate per company x channel over delivered contacts, for the companies whose channels differ most.

    Returns (cells, n_companies): cells has company, channel, n, responded,
    rate, spread (the company's max - min channel rate) and rank; only
    companies reached on two or more channels, at most ``max_companies``.
    """
    d = table.loc[table["delivered"].fillna(False).astype(bool)]
    if d.empty:
        return pd.DataFrame(columns=["company", "channel", "n", "responded", "rate", "spread", "rank"]), 0
    cells = (d.groupby([d["company"].astype(str), d["channel"].astype(str)], observed=True)["responded_human"]
             .agg(n="size", responded="sum").reset_index())
    cells["responded"] = cells["responded"].astype(int)
    cells["rate"] = cells["responded"] / cells["n"]
    per = cells.groupby("company")["rate"].agg(["max", "min", "size"])
    per = per.loc[per["size"] >= 2]
    per["spread"] = per["max"] - per["min"]
    per = per.sort_values(["spread"], ascending=False, kind="stable")
    keep = per.head(max_companies)
    cells = cells.loc[cells["company"].isin(keep.index)].copy()
    cells["spread"] = cells["company"].map(keep["spread"])
    cells["rank"] = cells["company"].map({c: i + 1 for i, c in enumerate(keep.index)})
    return cells.sort_values(["rank", "channel"]).reset_index(drop=True), int(len(per))


def heatmap_chart(cells, title: str, width: int = WIDTH, subtitle: str | None = None) -> alt.LayerChart:
    """Company x channel human-response rates; companies ordered by their channel gap (largest first)."""
    frame = _check_rows(_frame(cells))
    frame["label"] = [f"{pct(r, 0)} (n={int(n)})" for r, n in zip(frame["rate"], frame["n"])]
    frame["gap"] = frame["spread"].map(lambda s: f"{100 * s:.0f} points")
    order = frame.sort_values("rank")["company"].drop_duplicates().tolist()
    channels = sorted(frame["channel"].unique())
    y = alt.Y("company:N", sort=order, title="Company (largest gap first)", axis=alt.Axis(labelLimit=220))
    x = alt.X("channel:N", sort=channels, title="Channel", axis=alt.Axis(labelAngle=0, orient="top"))
    base = alt.Chart(frame)
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, y=y, color=alt.Color("rate:Q", scale=alt.Scale(scheme="viridis", domain=[0, 1]),
                                  legend=alt.Legend(format="%", title="Answered",
                                                    gradientLength=max(60, min(200, 26 * len(order) - 20)))),
        tooltip=[alt.Tooltip("company:N", title="Company"), alt.Tooltip("channel:N", title="Channel"),
                 alt.Tooltip("label:N", title="Answered"), alt.Tooltip("gap:N", title="Gap across channels")])
    text = base.mark_text(fontSize=11).encode(
        x=x, y=y, text="label:N",
        color=alt.condition("datum.rate > 0.55", alt.value("black"), alt.value("white")))
    cell_w = max(90, min(160, width // max(1, len(channels))))
    return (rect + text).properties(
        autosize=AUTOSIZE,
        title=_title(title, subtitle or "Share of delivered contacts answered by a person, per channel"),
        width=cell_w * len(channels), height=max(60, 26 * len(order)))


def describe_heatmap(cells, title: str, n_companies: int | None = None, top: int = 3) -> str:
    frame = _frame(cells)
    if frame.empty:
        return f"{title}. No company was reached on two channels yet."
    parts = []
    for company, part in list(frame.groupby("company", sort=False))[:top]:
        part = part.sort_values("rate", ascending=False)
        best, worst = part.iloc[0], part.iloc[-1]
        parts.append(f"{company}: {best['channel']} {pct(best['rate'], 0)} vs {worst['channel']} "
                     f"{pct(worst['rate'], 0)}")
    shown = frame["company"].nunique()
    of = f" (showing {shown} of {n_companies} companies)" if n_companies and n_companies > shown else ""
    return f"{title}{of}. Largest gaps between a company's channels: " + "; ".join(parts) + "."


# --- schedule and progress timeline ------------------------------------------------------

def timeline_frame(contacts, detail_limit: int = 1500) -> tuple[pd.DataFrame, str]:
    """Contacts for the timeline: one row per contact (``"contacts"``) or, when there are many,
    counts per day and state (``"days"``).

    ``contacts``: columns planned_at (time), company, channel, variant, state.
    """
    frame = _frame(contacts)
    if frame.empty:
        return pd.DataFrame(columns=["planned_at", "company", "channel", "variant", "state"]), "contacts"
    frame["planned_at"] = pd.to_datetime(frame["planned_at"], utc=True, format="ISO8601")
    if len(frame) <= detail_limit:
        return frame[["planned_at", "company", "channel", "variant", "state"]].reset_index(drop=True), "contacts"
    day = frame["planned_at"].dt.floor("D")
    daily = frame.groupby([day, frame["state"]]).size().rename("contacts").reset_index()
    daily.columns = ["day", "state", "contacts"]
    return daily, "days"


def timeline_chart(contacts, title: str, colour_by: str = "state", width: int = WIDTH,
                   now=None, subtitle: str | None = None) -> alt.LayerChart | alt.Chart:
    """When each contact is planned (or was made): one dot per contact, or daily counts for large plans."""
    frame, kind = timeline_frame(contacts)
    frame = _check_rows(frame)
    if kind == "days":
        frame["day"] = frame["day"].dt.tz_convert(None)
        states = [s for s in STATE_COLOURS if s in set(frame["state"])]
        chart = alt.Chart(frame).mark_bar().encode(
            x=alt.X("yearmonthdate(day):T", title="Planned day (UTC)"),
            y=alt.Y("sum(contacts):Q", title="Contacts"),
            color=alt.Color("state:N", title="State", scale=alt.Scale(
                domain=states, range=[STATE_COLOURS[s] for s in states])),
            tooltip=[alt.Tooltip("yearmonthdate(day):T", title="Day"), alt.Tooltip("state:N", title="State"),
                     alt.Tooltip("sum(contacts):Q", title="Contacts", format=",")])
        return chart.properties(autosize=AUTOSIZE, title=_title(title, subtitle or "Contacts per planned day"), width=width,
                                height=260)
    frame["when"] = frame["planned_at"].dt.strftime("%a %d %b %Y, %H:%M UTC")
    frame["planned_at"] = frame["planned_at"].dt.tz_convert(None)
    if colour_by == "state":
        values = [s for s in STATE_COLOURS if s in set(frame["state"])]
        scale = alt.Scale(domain=values, range=[STATE_COLOURS[s] for s in values])
    else:
        scale = _colours(sorted(frame[colour_by].astype(str).unique()))
    companies = sorted(frame["company"].astype(str).unique())
    points = alt.Chart(frame).mark_point(filled=True, size=90, opacity=0.9).encode(
        x=alt.X("planned_at:T", title="Planned time (UTC)", axis=alt.Axis(format="%d %b", labelAngle=0)),
        y=alt.Y("company:N", sort=companies, title=None, axis=alt.Axis(labelLimit=220)),
        color=alt.Color(f"{colour_by}:N", scale=scale, title=colour_by.capitalize()),
        shape=alt.Shape("channel:N", title="Channel"),
        tooltip=[alt.Tooltip("company:N", title="Company"), alt.Tooltip("channel:N", title="Channel"),
                 alt.Tooltip("variant:N", title="Variant"), alt.Tooltip("state:N", title="State"),
                 alt.Tooltip("when:N", title="Planned")])
    layers = [points]
    if now is not None:
        moment = pd.Timestamp(now)
        moment = moment.tz_convert(None) if moment.tzinfo else moment
        lo, hi = frame["planned_at"].min(), frame["planned_at"].max()
        if lo <= moment <= hi:
            rule = alt.Chart(pd.DataFrame({"now": [moment]})).mark_rule(color="#D55E00", strokeDash=[4, 3]).encode(
                x="now:T")
            layers.append(rule)
    chart = alt.layer(*layers) if len(layers) > 1 else points
    return chart.properties(autosize=AUTOSIZE, title=_title(title, subtitle or "One mark per contact; shape: channel"),
                            width=width, height=max(80, 24 * len(companies)))


def describe_timeline(contacts, title: str) -> str:
    frame = _frame(contacts)
    if frame.empty:
        return f"{title}. No contacts planned."
    times = pd.to_datetime(frame["planned_at"], utc=True, format="ISO8601")
    states = frame["state"].value_counts()
    state_text = ", ".join(f"{n:,} {s}" for s, n in states.items())
    return (f"{title}. {len(frame):,} contacts to {frame['company'].nunique():,} companies, planned from "
            f"{times.min():%d %b %Y} to {times.max():%d %b %Y} (UTC): {state_text}.")
