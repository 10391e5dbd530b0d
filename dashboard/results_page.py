"""Results: response rates with intervals, time to reply, channel gaps, comparisons in words, downloads."""

import streamlit as st

from analysis import charts
from dashboard import results_view as rv
from dashboard import ui

ui.guard()
st.title("Results", anchor=False)
chosen = ui.require_experiment("results", "no results")
db, eid = ui.db_path(), chosen["id"]
options = ui.results_options(db, eid)

by_col, channel_col, variant_col, stratum_col, values_col = st.columns([2, 2, 2, 2, 3])
by = by_col.selectbox("Group by", options["group_by"], key="results.by",
                      format_func=lambda g: rv.GROUP_LABELS.get(g, f"stratum: {g}"))
channels = channel_col.multiselect("Channels", options["channels"], key="results.channels", placeholder="all")
variants = variant_col.multiselect("Variants", options["variants"], key="results.variants", placeholder="all")
stratum = stratum_col.selectbox("Stratum", [""] + list(options["strata"]), key="results.stratum",
                                format_func=lambda s: s or "no stratum filter", disabled=not options["strata"])
values = values_col.multiselect("Stratum values", options["strata"].get(stratum, []), key="results.values",
                                placeholder="all", disabled=not stratum)
models = st.toggle("Include regression models (slower)", key="results.models")
filters = rv.Filters(tuple(channels), tuple(variants), stratum, tuple(values))
view = ui.results_view(db, eid, by, filters, models)

if view.n_delivered == 0:
    st.info(f"No contact delivered yet{' among ' + filters.describe() if filters.active else ''}: results appear "
            "once inquiries have gone out. Runs shows where every contact stands.", icon=":material/hourglass_top:")
    st.stop()

for (label, value), column in zip(rv.headline(view).items(), st.columns(5)):
    column.metric(label, value, help="Fewer than half were answered: the median is not reached (see the curves)"
                  if label.startswith("Median") and value == "—" else None)
if filters.active:
    st.caption(f"Filtered to {filters.describe()}.")

figures = rv.chart_set(view)
st.subheader(f"Rates by {view.group_label.lower()}", anchor=False)
if "rates" in figures:
    chart, text = figures["rates"]
    st.altair_chart(chart, alt=text, key="results.chart.rates")
st.dataframe(rv.groups_table(view), hide_index=True, width="stretch")
for group in view.groups.to_dict(orient="records")[:rv.MAX_CHART_GROUPS]:
    if group.get("sentence"):
        st.caption(group["sentence"])

st.subheader("Comparisons", anchor=False)
if view.comparisons:
    for comparison in view.comparisons[:12]:
        st.markdown(f"- {comparison['sentence']}")
    if len(view.comparisons) > 12:
        st.caption(f"… and {len(view.comparisons) - 12} more pairs in the table and the CSV.")
    with st.expander("Comparison table and tests"):
        st.dataframe(rv.comparisons_table(view), hide_index=True, width="stretch")
        st.dataframe(rv.tests_table(view), hide_index=True, width="stretch")
else:
    st.caption("Nothing to compare: there is only one group.")
for name, sentences in view.sections.items():
    with st.expander({"design": "Design checks", "paired": "Paired analysis (same company)",
                      "competing": "Human reply, auto-reply or bounce", "models": "Regression models"}.get(name, name)):
        for sentence in sentences:
            st.markdown(f"- {sentence}")

st.subheader("Time to the first human reply", anchor=False)
left, right = st.columns(2)
for column, name in ((left, "survival"), (right, "times")):
    with column:
        if name in figures:
            chart, text = figures[name]
            st.altair_chart(chart, alt=text, key=f"results.chart.{name}")
if view.n_groups > rv.MAX_CURVES:
    st.caption(f"Curves for the {len(view.curve_groups)} {view.group_label.lower()}s with most contacts; "
               "reply times for all contacts together.")

st.subheader("Company × channel", anchor=False)
if "heatmap" in figures:
    chart, text = figures["heatmap"]
    st.altair_chart(chart, alt=text, key="results.chart.heatmap")
    if view.n_companies_two_channels > view.cells["company"].nunique():
        st.caption(f"The {view.cells['company'].nunique()} of {view.n_companies_two_channels} companies with the "
                   "largest gap between their channels.")
else:
    st.caption("No company was reached on two channels yet.")

if view.notes:
    with st.expander(f"Warnings ({len(view.notes)})"):
        for note in view.notes:
            st.markdown(f"- {note}")

st.subheader("Downloads", anchor=False)
a, b, c = st.columns(3)
a.download_button("Rates (CSV)", view.groups.drop(columns=["buckets", "excluded"], errors="ignore").to_csv(index=False),
                  file_name=f"{eid}-rates-by-{by}.csv", mime="text/csv", icon=":material/download:")
b.download_button("Comparisons (CSV)", rv.comparisons_table(view).to_csv(index=False),
                  file_name=f"{eid}-comparisons-by-{by}.csv", mime="text/csv", icon=":material/download:")
c.download_button("Analysis table (CSV)", lambda: ui.analysis_table(db, eid).to_csv(index=False),
                  file_name=f"{eid}-analysis-table.csv", mime="text/csv", icon=":material/download:",
                  help="One row per contact, as `knock results` uses it")
if figures:
    a, b, c = st.columns([2, 1, 1], vertical_alignment="bottom")
    which = a.selectbox("Chart image", list(figures), key="results.download_chart",
                        format_func={"rates": "Rates chart", "survival": "Time-to-reply curves",
                                     "times": "Reply-time bars", "heatmap": "Company × channel"}.get)
    chart = figures[which][0]
    b.download_button("PNG", lambda: charts.to_image(chart, "png"), file_name=f"{eid}-{which}.png",
                      mime="image/png", icon=":material/image:", key="results.png")
    c.download_button("SVG", lambda: charts.to_image(chart, "svg"), file_name=f"{eid}-{which}.svg",
                      mime="image/svg+xml", icon=":material/image:", key="results.svg")
with st.expander("Methods"):
    for key, value in view.methods.items():
        st.markdown(f"- **{key.replace('_', ' ')}**: {value}")
