"""The dashboard's plain modules (no streamlit): evidence paths, lifecycle words, results views, previews."""

import json

import pytest

from analysis.synthetic import synthetic_table
from dashboard import design_view, overview, results_view, runs_view
from experiments.safety import Reach


class _Attempts:
    def __init__(self, evidence):
        self.evidence = evidence

    def attempts_of(self, contact_id):
        return [{"id": 1, "evidence": json.dumps(self.evidence), "page_messages": '["Thanks!"]'}]


def test_evidence_is_shown_only_from_inside_the_evidence_folder(tmp_path):
    root = tmp_path / "evidence"
    (root / "study" / "7").mkdir(parents=True)
    shot = root / "study" / "7" / "x-before.jpg"
    shot.write_bytes(b"\xff\xd8")
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG")
    moved = tmp_path / "old-home" / "evidence" / "study" / "7" / "x-before.jpg"  # the db moved with its folder
    row = runs_view.attempt_rows(_Attempts({"before": str(shot), "after": str(secret), "html": "../../etc/passwd",
                                            "again": str(moved)}), 7, root)[0]
    assert [("again", str(shot)), ("before", str(shot))] == sorted(row["images"])
    assert ["after", "html"] == row["missing"] and ["Thanks!"] == row["page_messages"]


def test_progress_counts_what_is_settled():
    totals = runs_view.progress({"planned": 2, "queued": 1, "submitted": 5, "blocked": 1, "uncertain": 1})
    assert (10, 5, 3, 1, 1) == (totals["total"], totals["made"], totals["open"], totals["uncertain"],
                                totals["not_delivered"])
    assert 0.7 == pytest.approx(totals["settled_share"])


def test_lifecycle_words_and_template_ids():
    assert ["armed", "closed"] == overview.next_statuses("draft")
    assert [] == overview.next_statuses("closed")
    assert "Going live makes 1 real contact to 1 domain." == overview.describe_reach(Reach(1, {"a.example": 1}))
    assert overview.describe_reach(Reach(0, {})).startswith("Going live makes no real contacts")
    assert "inquiry-demo-3" == overview.free_id("inquiry-demo", {"inquiry-demo", "inquiry-demo-2"})
    assert {"inquiry.yaml", "job-audit.yaml"} <= {t.name for t in overview.templates()}


def test_a_results_view_is_small_and_filters_apply():
    table = synthetic_table(seed=2, n_companies=30, contacts_per_cell=2)
    view = results_view.build_view(table, "channel", results_view.Filters(variants=("A",)))
    assert ["email", "web_form"] == view.groups["group"].tolist()
    assert view.n_contacts == int((table["variant"] == "A").sum())
    assert len(view.curves) <= 2 * 302 and set(results_view.chart_set(view)) == {"rates", "survival", "times",
                                                                                 "heatmap"}
    table_text = results_view.groups_table(view)
    assert table_text["Rate"].str.endswith("%").all()
    assert "variant A" == view.filters.describe()


def test_a_results_view_of_nothing_delivered_is_empty_not_an_error():
    table = synthetic_table(seed=2, n_companies=4, contacts_per_cell=1)
    view = results_view.build_view(table.assign(delivered=False), "variant")
    assert 0 == view.n_delivered and {} == results_view.chart_set(view)


def test_a_preview_renders_and_a_broken_template_says_why():
    persona = {"id": "ada", "first_name": "Ada", "last_name": "Lovelace"}
    target = {"id": "acme", "name": "Acme", "domain": "acme.example", "timezone": "Europe/London"}
    shown = design_view.preview("Hi {{ target.name }}", "From {{ persona.name }}", persona, target, "T",
                                "r@lab.example")
    assert ("Hi Acme", "From Ada Lovelace", "") == (shown.subject, shown.body, shown.error)
    broken = design_view.preview("x", "{{ persona.name + 1 }}", persona, target, "T", "r@lab.example")
    assert broken.error.startswith("template error")
