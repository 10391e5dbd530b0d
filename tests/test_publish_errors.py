"""`knock publish` refuses clearly: unknown experiments, folders it cannot or must not write, nothing to show."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from analysis.publish import PublishError, publish, zip_site
from experiments.errors import NotFound
from experiments.outcomes_import import parse_outcomes
from tests.factories import make_experiment

OUTCOMES = """company,channel,variant,sent_at,responded_at
Acme,email,a,2024-01-08T10:00:00Z,2024-01-08T12:30:00Z
Acme,email,b,2024-01-09T10:00:00Z,
Bolt,email,a,2024-01-08T10:00:00Z,
Bolt,email,b,2024-01-09T10:00:00Z,2024-01-10T09:00:00Z
"""
NOW = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def imported(store):
    store.import_outcomes("audit", parse_outcomes(OUTCOMES), "outcomes.csv")
    return store


def test_an_unknown_experiment_raises_not_found_before_anything_is_written(imported, tmp_path):
    with pytest.raises(NotFound, match="no experiment 'nope'"):
        publish(imported, ["audit", "nope"], tmp_path / "site", now=NOW)
    assert not (tmp_path / "site").exists()


def test_a_folder_that_cannot_be_written_is_refused_with_its_reason(imported, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(PublishError, match="is a file, not a folder"):
        publish(imported, ["audit"], blocker, now=NOW)
    with pytest.raises(PublishError, match="cannot write to .*a-file/site"):
        publish(imported, ["audit"], blocker / "site", now=NOW)


def test_a_folder_with_other_files_is_never_overwritten(imported, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(PublishError, match="not empty and was not made by knock publish"):
        publish(imported, ["audit"], mine, now=NOW)
    assert ["notes.txt"] == [p.name for p in mine.iterdir()]


def test_company_names_are_shown_only_when_the_design_says_so(store, tmp_path):
    experiment = make_experiment()
    store.load(experiment)
    with pytest.raises(PublishError, match="publication.company_names: pseudonym"):
        publish(store, [experiment.id], tmp_path / "site", now=NOW, company_names="show")


def test_an_experiment_with_nothing_sent_gets_a_page_that_says_so(store, tmp_path):
    experiment = make_experiment()
    store.load(experiment)
    report = publish(store, [experiment.id], tmp_path / "site", now=NOW)
    html = (tmp_path / "site" / experiment.id / "index.html").read_text()
    assert "No results yet" in html
    assert report.experiments[0].delivered == 0 and "no contact delivered yet" in report.experiments[0].warnings[-1]


def test_an_imported_study_is_published_without_a_design_file(imported, tmp_path):
    report = publish(imported, ["audit"], tmp_path / "site", now=NOW)
    folder = tmp_path / "site" / "audit"
    assert not (folder / "replication" / "design.yaml").exists()
    assert "has no design file" in (folder / "methods.html").read_text()
    assert "no design file" in (folder / "replication" / "README.md").read_text()
    assert {"Company A", "Company B"} == {line.split(",")[2] for line in
                                         (folder / "replication" / "analysis-table.csv").read_text().splitlines()[1:]}
    assert "Acme" not in (folder / "index.html").read_text()
    assert report.experiments[0].pseudonymised and "audit" in report.to_text()
    with zipfile.ZipFile(io.BytesIO(zip_site(tmp_path / "site"))) as archive:
        names = archive.namelist()
    assert {"index.html", "site.css", "audit/index.html", "audit/replication/replicate.py"} <= set(names)
    assert not [n for n in names if ".knock-" in n]
