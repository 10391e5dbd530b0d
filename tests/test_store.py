"""The store: idempotent loads, re-planning drafts, the pre-registration lock, the event log."""

import sqlite3

import pytest

from experiments.errors import NotFound, PreregisteredChange, TransitionRefused
from experiments.model import Experiment
from tests.factories import experiment_data, make_experiment


def variant_changed(data):
    data["variants"][0]["body"] = "A different message body"
    return Experiment.model_validate(data)


def test_loading_creates_the_experiment_and_its_plan(store):
    result = store.load(make_experiment(n_targets=3))
    assert ("created", 12) == (result.action, result.contacts)
    assert {"planned": 12} == store.state_counts("built")
    assert "draft" == store.experiment_row("built")["status"]


def test_loading_the_same_file_twice_changes_nothing(store):
    store.load(make_experiment(n_targets=3))
    before = store.contacts("built")
    events = len(store.events())
    assert "unchanged" == store.load(make_experiment(n_targets=3)).action
    assert before == store.contacts("built")
    assert events == len(store.events())


def test_reloading_a_draft_replans_it_keeping_tokens_of_surviving_contacts(store):
    store.load(make_experiment(n_targets=3, variants=("a", "b")))
    tokens = {c["key"]: c["reply_token"] for c in store.contacts("built")}
    result = store.load(make_experiment(n_targets=2, variants=("a", "b", "c")))
    assert ("replanned", 12) == (result.action, result.contacts)
    after = {c["key"]: c["reply_token"] for c in store.contacts("built")}
    assert 12 == len(after)
    assert all(after[k] == tokens[k] for k in after if k in tokens)
    assert not any(k.startswith("c2.") for k in after)
    assert ["c0", "c1"] == [t["id"] for t in store.targets("built")]


def test_an_armed_design_cannot_change(store):
    data = experiment_data(n_targets=2)
    store.load(Experiment.model_validate(data))
    store.set_status("built", "armed")
    with pytest.raises(PreregisteredChange, match="pre-registered"):
        store.load(variant_changed(data))
    data["design"]["seed"] = 99
    with pytest.raises(PreregisteredChange):
        store.load(Experiment.model_validate(data))


def test_operational_details_may_be_corrected_after_arming(store):
    data = experiment_data(n_targets=2)
    store.load(Experiment.model_validate(data))
    armed = store.set_status("built", "armed")
    data["title"] = "A better title"
    data["ethics"]["opt_out"] = ["company1.example"]
    data["targets"][0]["channels"][0]["recipe"] = {"fields": {"name": {"label": "Your name"}}}
    assert "updated" == store.load(Experiment.model_validate(data)).action
    row = store.experiment_row("built")
    assert ("A better title", armed["prereg_hash"]) == (row["title"], row["prereg_hash"])
    assert ["company1.example"] == store.definition("built").ethics.opt_out


def test_arming_records_hash_and_time(store, clock):
    store.load(make_experiment())
    row = store.set_status("built", "armed")
    assert row["prereg_hash"].startswith("sha256:") and 71 == len(row["prereg_hash"])
    assert "2026-03-01T12:00:00+00:00" == row["armed_at"]


@pytest.mark.parametrize("path, refused", [
    (["live"], "live"), (["armed", "draft"], "draft"), (["armed", "live", "armed"], "armed"),
    (["closed", "armed"], "armed"),
])
def test_lifecycle_refuses_steps_out_of_order(store, path, refused):
    store.load(make_experiment())
    for status in path[:-1]:
        store.set_status("built", status)
    with pytest.raises(TransitionRefused, match=f"not {refused}"):
        store.set_status("built", path[-1])


def test_lifecycle_runs_draft_armed_live_closed(store):
    store.load(make_experiment())
    for status in ("armed", "live", "closed"):
        assert status == store.set_status("built", status)["status"]
    kinds = [(e["kind"], e["detail"]) for e in store.events("built")]
    assert 4 == len(kinds) and "experiment.created" == kinds[0][0]


def test_the_event_log_is_append_only(store):
    store.load(make_experiment())
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE events SET kind = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM events")


def test_unknown_experiment_names_the_known_ones(store):
    store.load(make_experiment())
    with pytest.raises(NotFound, match="no experiment 'nope' \\(known: built\\)"):
        store.experiment_row("nope")


def test_a_failed_load_leaves_the_database_as_it_was(store, monkeypatch):
    store.load(make_experiment(n_targets=2))
    before = list(store.db.iterdump())
    import experiments.store as module

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module.Store, "log", explode)
    with pytest.raises(RuntimeError):
        store.load(make_experiment(n_targets=4))
    assert before == list(store.db.iterdump())


def test_wal_and_foreign_keys_are_on(store):
    assert "wal" == store.db.execute("PRAGMA journal_mode").fetchone()[0]
    assert 1 == store.db.execute("PRAGMA foreign_keys").fetchone()[0]
