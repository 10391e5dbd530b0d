"""The dashboard's Publish page: choose experiments, publish, see the pages and download the site."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth import ENV_HASH, hash_password
from experiments.outcomes_import import parse_outcomes
from experiments.store import Store
from tests.test_publish_errors import OUTCOMES

PAGE = str(Path(__file__).resolve().parent.parent / "dashboard" / "publish_page.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "knock.db"
    with Store(path) as store:
        store.import_outcomes("audit", parse_outcomes(OUTCOMES), "outcomes.csv")
    monkeypatch.setenv("KNOCK_DB", str(path))
    monkeypatch.setenv(ENV_HASH, hash_password("pw", iterations=1000))
    return path


def signed_in_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["knock_user"] = "researcher"
    return at.run()


def test_publishing_from_the_dashboard_writes_the_site_and_offers_it_as_a_zip(db):
    at = signed_in_page()
    assert [] == [e.message for e in at.exception]
    at.multiselect(key="publish.ids").set_value(["audit"])
    at.text_input(key="publish.out").set_value(str(db.parent / "site")).run()
    at.button(key="publish.go").click().run()
    assert [] == [e.message for e in at.exception] and [] == [e.value for e in at.error]
    assert (db.parent / "site" / "audit" / "index.html").exists()
    assert "Published 1 experiment(s)" in at.success[0].value


def test_a_folder_that_is_not_a_site_is_refused_on_the_page(db):
    (db.parent / "mine").mkdir()
    (db.parent / "mine" / "notes.txt").write_text("mine")
    at = signed_in_page()
    at.multiselect(key="publish.ids").set_value(["audit"])
    at.text_input(key="publish.out").set_value(str(db.parent / "mine")).run()
    at.button(key="publish.go").click().run()
    assert [] == [e.message for e in at.exception]
    assert "not made by knock publish" in at.error[0].value
