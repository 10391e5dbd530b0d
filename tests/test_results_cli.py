"""`knock results`: the JSON contract of DESIGN.md, CSV and table output, clear errors."""

import csv
import io
import json

from click.testing import CliRunner

from cli import main

CSV = "company,channel,variant,sent_at,responded_at\n" + "".join(
    f"Company {i % 12},{'email' if i % 2 else 'web_form'},{'a' if i % 3 else 'b'},2024-01-0{1 + i % 5}T10:00:00Z,"
    + (f"2024-01-0{1 + i % 5}T{11 + i % 8}:00:00Z" if i % 4 else "") + "\n" for i in range(120))


def imported(tmp_path):
    db = tmp_path / "k.db"
    path = tmp_path / "outcomes.csv"
    path.write_text(CSV)
    assert 0 == CliRunner().invoke(main, ["--db", str(db), "import-outcomes", str(path), "--experiment", "s"]).exit_code
    return db


def run(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), "results", "s", *args])


def test_json_follows_the_contract(tmp_path):
    result = run(imported(tmp_path), "--by", "variant", "--format", "json")
    assert 0 == result.exit_code, result.output
    data = json.loads(result.output)
    assert {"experiment", "by", "groups", "comparisons", "tests"} <= set(data)
    assert ("s", "variant") == (data["experiment"], data["by"])
    assert {"group", "n", "responded", "rate", "ci_low", "ci_high", "median_hours"} <= set(data["groups"][0])
    assert {"a", "b", "rate_diff", "rate_ratio", "p_value", "p_adjusted"} <= set(data["comparisons"][0])
    assert {"name", "statistic", "p_value"} <= set(data["tests"][0])
    assert 120 == sum(g["n"] for g in data["groups"])
    assert 90 == sum(g["responded"] for g in data["groups"])  # every fourth row has no reply


def test_csv_has_one_row_per_group(tmp_path):
    rows = list(csv.DictReader(io.StringIO(run(imported(tmp_path), "--by", "channel", "--format", "csv").output)))
    assert ["email", "web_form"] == [r["group"] for r in rows]


def test_an_unknown_grouping_lists_the_choices(tmp_path):
    result = run(imported(tmp_path), "--by", "colour")
    assert 2 == result.exit_code
    assert "cannot group by 'colour': choose one of variant, channel, company, persona" in result.output


def test_the_business_clock_needs_a_design(tmp_path):
    result = run(imported(tmp_path), "--clock", "business")
    assert 1 == result.exit_code
    assert "was imported: it has outcomes but no design" in result.output


def test_results_under_a_simulated_clock_say_so(tmp_path):
    db = imported(tmp_path)
    from experiments.store import Store

    with Store(db) as store, store.write():
        store.log("experiment.simulated_clock", "s", start="2024-01-01T00:00:00+00:00")
    assert run(db).output.startswith("Computed under a simulated clock")
    assert json.loads(run(db, "--format", "json").output)["simulated_clock"] is True
