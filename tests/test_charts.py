"""analysis.charts: pure chart functions of plain data, each with a title and a text alternative."""

import json

import pandas as pd
import pytest

from analysis import charts
from analysis.results import compute_results
from analysis.survival import curves_frame, group_survival
from analysis.synthetic import synthetic_table


@pytest.fixture(scope="module")
def table():
    return synthetic_table(seed=3, n_companies=60, contacts_per_cell=3, channels=("web_form", "email"),
                           variant_rates={"A": 0.5, "B": 0.3})


@pytest.fixture(scope="module")
def groups(table):
    return compute_results(table, "variant").groups_frame()


def spec(chart) -> dict:
    return json.loads(chart.to_json())


def test_the_rate_chart_has_its_title_percent_axis_and_one_row_per_group(groups):
    chart = charts.rate_chart(groups, "Human replies by variant", "Variant")
    d = spec(chart)
    assert "Human replies by variant" == d["title"]["text"]
    rows = next(iter(d["datasets"].values()))
    assert ["A", "B"] == sorted(r["group"] for r in rows)
    assert "%" == d["layer"][0]["encoding"]["x"]["axis"]["format"]
    assert all(r["label"].endswith("%") and "." in r["label"] for r in rows)  # 34.2%, not 0.342


def test_the_rate_description_reads_the_numbers_out(groups):
    text = charts.describe_rate_chart(groups, "Human replies by variant")
    a = groups.set_index("group").loc["A"]
    assert text.startswith("Human replies by variant. A: ")
    assert f"{100 * a['rate']:.1f}%" in text and f"{int(a['responded'])} of {int(a['n'])} answered" in text


def test_kaplan_meier_curves_are_steps_with_a_band_in_days_for_long_windows(table):
    _, fits = group_survival(table, "variant")
    curves = curves_frame(fits)
    d = spec(charts.km_chart(curves, "Time to reply", group_label="Variant"))
    assert ["step-after", "step-after"] == [layer["mark"]["interpolate"] for layer in d["layer"]]
    assert "Time since the knock (days)" == d["layer"][1]["encoding"]["x"]["title"]
    text = charts.describe_km_chart(curves, "Time to reply")
    assert "after 24 h: A " in text and "after 3 days" in text


def test_reply_times_are_binned_before_charting():
    bins = charts.response_time_bins([0.5, 2, 30, 30, 500], ["a", "a", "a", "b", "b"])
    a = bins.loc[bins["group"] == "a"].set_index("bin")["count"]
    assert (1, 1, 1) == (a["< 1 h"], a["1–4 h"], a["1–2 days"])
    assert 1.0 == pytest.approx(bins.loc[bins["group"] == "b", "share"].sum())
    text = charts.describe_response_time_chart(bins, "How long replies took")
    assert "a: 3 replies" in text and "67% within a day" in text


def test_the_heatmap_shows_the_companies_whose_channels_differ_most(table):
    cells, n_companies = charts.company_channel_cells(table, max_companies=10)
    assert 10 == cells["company"].nunique() and n_companies == 60
    spreads = cells.drop_duplicates("company").sort_values("rank")["spread"].tolist()
    assert spreads == sorted(spreads, reverse=True)
    d = spec(charts.heatmap_chart(cells, "Company × channel"))
    assert "Company × channel" == d["title"]["text"]
    assert "showing 10 of 60 companies" in charts.describe_heatmap(cells, "Company × channel", n_companies)


def test_large_plans_become_daily_counts_and_no_chart_exceeds_the_row_limit():
    times = pd.date_range("2026-01-05", periods=20_000, freq="5min", tz="UTC")
    contacts = pd.DataFrame({"planned_at": times, "company": [f"c{i % 900}" for i in range(len(times))],
                             "channel": "email", "variant": "A", "state": "planned"})
    frame, kind = charts.timeline_frame(contacts)
    assert "days" == kind and len(frame) < charts.MAX_ROWS
    d = spec(charts.timeline_chart(contacts, "Schedule"))
    assert "Contacts per planned day" == d["title"]["subtitle"]
    with pytest.raises(ValueError, match="aggregate first"):
        charts.rate_chart(pd.DataFrame({"group": range(6000), "n": 1, "responded": 0, "rate": 0.0,
                                        "ci_low": 0.0, "ci_high": 1.0}), "too many")


def test_a_small_plan_is_one_mark_per_contact_with_a_now_line():
    contacts = pd.DataFrame({"planned_at": ["2026-12-01T10:00:00+00:00", "2026-12-03T15:30:00+00:00"],
                             "company": ["Acme", "Bluefin"], "channel": ["email", "web_form"],
                             "variant": ["A", "B"], "state": ["submitted", "planned"]})
    d = spec(charts.timeline_chart(contacts, "Schedule", now="2026-12-02T12:00:00+00:00"))
    assert 2 == len(d["layer"])
    assert charts.describe_timeline(contacts, "Schedule") == (
        "Schedule. 2 contacts to 2 companies, planned from 01 Dec 2026 to 03 Dec 2026 (UTC): 1 submitted, 1 planned.")


@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("svg", b"<svg")])
def test_charts_export_as_png_and_svg_offline(groups, fmt, magic):
    image = charts.to_image(charts.rate_chart(groups, "Rates"), fmt)
    assert image.startswith(magic)


def test_formats_people_read():
    assert ("34.2%", "n/a") == (charts.pct(0.3421), charts.pct(None))
    assert ("2.5 h", "45 min", "3 days") == (charts.hours_text(2.5), charts.hours_text(0.75), charts.hours_text(72))
