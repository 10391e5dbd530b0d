"""`knock import-outcomes`: good CSVs in, bad ones refused with row numbers, all or none."""

import pytest
from click.testing import CliRunner

from cli import main
from experiments.errors import ImportRefused
from experiments.outcomes_import import parse_outcomes, read_outcomes
from tests.factories import make_experiment

GOOD = """company,channel,variant,sent_at,responded,industry
Acme & Co,email,friendly,2024-01-08T10:00:00Z,1,retail
Acme & Co,web_form,formal,2024-01-09T10:00:00Z,0,retail
Bolt,email,formal,2024-01-08 09:00:00+01:00,yes,software
"""

TIMED = """company,channel,variant,sent_at,responded_at
Acme,email,a,2024-01-08T10:00:00Z,2024-01-08T12:30:00Z
Acme,email,b,2024-01-08T10:00:00Z,
"""


def run(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def write(tmp_path, text, name="outcomes.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_csv_is_imported_with_strata_and_responses(tmp_path, store):
    rows = read_outcomes(write(tmp_path, GOOD))
    result = store.import_outcomes("audit", rows, "outcomes.csv")
    assert ("created", 3) == (result.action, result.contacts)
    contacts = store.contacts("audit")
    assert ["acme-co", "acme-co", "bolt"] == sorted(c["target_id"] for c in contacts)
    assert {'{"industry": "retail"}', '{"industry": "software"}'} == {c["strata"] for c in contacts}
    bolt = next(c for c in contacts if c["target_id"] == "bolt")
    assert "2024-01-08T08:00:00+00:00" == bolt["submitted_at"]
    responses = store.db.execute("SELECT COUNT(*) FROM messages WHERE classification = 'human'").fetchone()[0]
    assert 2 == responses


def test_response_times_are_kept_and_empty_means_none():
    rows = parse_outcomes(TIMED)
    assert [True, False] == [r.responded for r in rows]
    assert 2.5 == (rows[0].responded_at - rows[0].sent_at).total_seconds() / 3600


def test_reimport_replaces_the_earlier_import(tmp_path, store):
    path = write(tmp_path, GOOD)
    store.import_outcomes("audit", read_outcomes(path), str(path))
    result = store.import_outcomes("audit", read_outcomes(path), str(path))
    assert ("replaced", 3) == (result.action, len(store.contacts("audit")))


@pytest.mark.parametrize("text, problems", [
    ("", ["f.csv:1: the file is empty; expected a header row: company, channel, variant, sent_at, responded"]),
    ("company,channel,variant,responded\nA,email,a,1\n",
     ["f.csv:1: missing column 'sent_at' (columns are: company, channel, variant, responded)"]),
    ("company,channel,variant,sent_at\nA,email,a,2024-01-01T00:00:00Z\n",
     ["f.csv:1: needs a 'responded' (0/1) or a 'responded_at' column"]),
    ("company,channel,variant,sent_at,responded\nA,email,a,yesterday,1\nB,email,b,2024-01-01T00:00:00Z,maybe\n"
     ",email,b,2024-01-01T00:00:00Z,0\n",
     ["f.csv:2: sent_at: 'yesterday' is not a date-time (ISO 8601, like 2024-03-01T09:30:00Z)",
      "f.csv:3: responded: 'maybe' is not 0 or 1",
      "f.csv:4: company: is empty"]),
    ("company,channel,variant,sent_at,responded_at\nA,email,a,2024-01-02T00:00:00Z,2024-01-01T00:00:00Z\n",
     ["f.csv:2: responded_at: 2024-01-01T00:00:00Z is before sent_at"]),
    ("company,channel,variant,sent_at,responded\nA,email,a,2024-01-02T00:00:00Z\n",
     ["f.csv:2: has 4 fields, the header has 5"]),
    ('company,channel,variant,sent_at,responded\n"A\nwith a line break",email,a,2024-01-02,1\n'
     "B,email,a,soon,1\n",
     ["f.csv:4: sent_at: 'soon' is not a date-time (ISO 8601, like 2024-03-01T09:30:00Z)"]),
    ("company,channel,variant,sent_at,responded,responded\nA,email,a,2024-01-02T00:00:00Z,1,1\n",
     ["f.csv:1: column 'responded' appears twice"]),
    ("company,channel,variant,sent_at,responded\n", ["f.csv: no data rows after the header"]),
])
def test_bad_csv_lists_every_problem_with_its_line(text, problems):
    with pytest.raises(ImportRefused) as caught:
        parse_outcomes(text, "f.csv")
    assert problems == caught.value.problems


def test_bad_csv_leaves_the_database_unchanged_through_the_cli(tmp_path):
    db = tmp_path / "k.db"
    assert 0 == run(db, "import-outcomes", str(write(tmp_path, GOOD)), "--experiment", "audit").exit_code
    from experiments.store import Store

    with Store(db) as s:
        before = list(s.db.iterdump())
    bad = write(tmp_path, GOOD + "Bolt,email,formal,not-a-date,1,software\n", "bad.csv")
    result = run(db, "import-outcomes", str(bad), "--experiment", "audit")
    assert 2 == result.exit_code
    assert f"{bad}:5: sent_at: 'not-a-date' is not a date-time" in result.output
    assert "Nothing imported: 1 problem(s)." in result.output
    with Store(db) as s:
        assert before == list(s.db.iterdump())


def test_non_utf8_csv_is_refused_clearly(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(GOOD.replace("Bolt", "Bölt").encode("latin-1"))
    with pytest.raises(ImportRefused, match="not UTF-8 text .*save the CSV as UTF-8"):
        read_outcomes(path)


def test_a_designed_experiment_is_never_overwritten_by_an_import(tmp_path, store):
    store.load(make_experiment())
    before = list(store.db.iterdump())
    with pytest.raises(ImportRefused, match="was designed in Knock; import into a new id"):
        store.import_outcomes("built", parse_outcomes(GOOD), "x.csv")
    assert before == list(store.db.iterdump())


def test_semicolon_separated_files_are_understood():
    rows = parse_outcomes(GOOD.replace(",", ";"))
    assert 3 == len(rows)
