"""The dashboard's pages, driven in-process with Streamlit's AppTest.

One parametrised test opens every page signed in and asserts no exception;
the others drive widgets: sign-in, uploads with validation problems, the
go-live confirmation, the pause switch, design problems next to their
field, saving, triage, coding with kappa, and the result charts. Each test
gets its own copy of a database seeded once (dashboard.demo).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth import ENV_HASH, hash_password
from dashboard.demo import seed_demo
from experiments.store import Store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "correct horse battery"
PAGES = ["experiments", "design", "runs", "inbox", "results", "publish"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A database with a study in the field (seeded once per module)."""
    folder = tmp_path_factory.mktemp("seeded")
    ids = seed_demo(folder / "knock.db")
    return folder, ids


@pytest.fixture
def db(seeded, tmp_path, monkeypatch):
    """This test's own copy of the seeded database (and its evidence), with a password configured."""
    folder, _ = seeded
    shutil.copy(folder / "knock.db", tmp_path / "knock.db")
    shutil.copytree(folder / "evidence", tmp_path / "evidence")
    monkeypatch.setenv("KNOCK_DB", str(tmp_path / "knock.db"))
    monkeypatch.setenv(ENV_HASH, hash_password(PASSWORD, iterations=1000))
    monkeypatch.delenv("KNOCK_DASHBOARD_ALLOWED_EMAILS", raising=False)
    return tmp_path / "knock.db"


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    monkeypatch.setenv("KNOCK_DB", str(tmp_path / "empty" / "knock.db"))
    monkeypatch.setenv(ENV_HASH, hash_password(PASSWORD, iterations=1000))
    return tmp_path / "empty" / "knock.db"


def sign_in(password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="password").set_value(password)
    at.button[0].click().run()
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"dashboard/{page}_page.py").run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def all_text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "code", "title", "subheader"):
        parts += [str(v) for v in texts(at, kind)]
    return "\n".join(parts)


def no_exception(at: AppTest) -> None:
    assert [] == [e.message for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_signed_in_without_an_exception(db, page):
    at = open_page(sign_in(), page)
    no_exception(at)
    assert [page.capitalize()] == texts(at, "title")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_a_helpful_empty_state(empty_db, page):
    at = open_page(sign_in(), page)
    no_exception(at)
    assert "No experiments yet" in all_text(at) or "nothing" in all_text(at).lower()


def test_without_a_login_only_the_sign_in_page_exists(db):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert ["Knock"] == texts(at, "title")
    with pytest.raises(ValueError):
        at.switch_page("dashboard/results_page.py")
    assert "inquiry-demo" not in all_text(at)


def test_a_wrong_password_is_refused(db):
    at = sign_in("guess")
    assert ["That password is not right."] == texts(at, "error")
    assert ["Knock"] == texts(at, "title")


def test_with_no_login_configured_nothing_is_served_and_setup_is_explained(db, monkeypatch):
    monkeypatch.delenv(ENV_HASH)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "No login is configured" in texts(at, "error")[0]
    assert any("python -m dashboard.auth hash" in code for code in texts(at, "code"))
    assert not at.text_input


def test_an_invalid_upload_lists_problems_like_the_cli_and_stores_nothing(db):
    at = open_page(sign_in(), "experiments")
    text = (Path(APP).parent / "experiments/examples/inquiry.yaml").read_text()
    bad = text.replace("id: inquiry-demo", "id: upload-test").replace("Europe/London", "Europe/Lodnon")
    at.file_uploader(key="upload").set_value(("bad.yaml", bad.encode(), "application/x-yaml"))
    at.run()
    no_exception(at)
    listing = "\n".join(texts(at, "code"))
    assert "bad.yaml:" in listing and "targets[0].timezone: 'Europe/Lodnon' is not an IANA timezone" in listing
    assert "nothing was stored" in "\n".join(texts(at, "error"))
    with Store(db) as store:
        assert "upload-test" not in {r["id"] for r in store.experiments()}


def test_a_valid_upload_is_loaded_after_the_click(db):
    at = open_page(sign_in(), "experiments")
    text = (Path(APP).parent / "experiments/examples/job-audit.yaml").read_text().replace(
        "id: job-audit-demo", "id: uploaded-audit")
    at.file_uploader(key="upload").set_value(("audit.yaml", text.encode(), "application/x-yaml"))
    at.run()
    at.button(key="load_upload").click().run()
    no_exception(at)
    assert any("Loaded: uploaded-audit" in s for s in texts(at, "success"))
    with Store(db) as store:
        assert "draft" == store.experiment_row("uploaded-audit")["status"]


def test_creating_from_a_template_suggests_a_free_id(db):
    at = open_page(sign_in(), "experiments")
    assert "inquiry-demo-2" == at.text_input(key="template_id.inquiry.yaml").value
    at.button(key="create_template").click().run()
    no_exception(at)
    with Store(db) as store:
        assert "draft" == store.experiment_row("inquiry-demo-2")["status"]


def test_going_live_names_the_reach_and_changes_status_only_after_confirming(db):
    from experiments.safety import live_reach
    from experiments.validation import validate_file

    with Store(db) as store:  # a fresh armed study: its contacts are all still to be made
        fresh = validate_file(Path(APP).parent / "experiments/examples/inquiry.yaml").experiment
        store.load(fresh.model_copy(update={"id": "fresh"}))
        store.set_status("fresh", "armed")
        reach = live_reach(store, "fresh")
    assert reach.total > 0
    at = sign_in()
    at.selectbox(key="experiments.experiment").set_value("fresh").run()
    at.button(key="go_live").click().run()
    warning = " ".join(texts(at, "warning"))
    assert f"Going live makes {reach.total} real contacts to {len(reach.domains)} domains." in warning
    assert dict(zip(at.dataframe[1].value["domain"], at.dataframe[1].value["contacts"])) == reach.domains
    with Store(db) as store:
        assert "armed" == store.experiment_row("fresh")["status"]
    assert at.button(key="confirm_live_button").disabled
    at.checkbox(key="confirm_live_box").check().run()
    with Store(db) as store:
        assert "armed" == store.experiment_row("fresh")["status"]
    at.button(key="confirm_live_button").click().run()
    no_exception(at)
    with Store(db) as store:
        assert "live" == store.experiment_row("fresh")["status"]
    assert any("fresh is live" in s for s in texts(at, "success"))


def test_the_pause_switch_stops_and_resumes_an_experiment(db):
    at = open_page(sign_in(), "runs")
    toggle = at.toggle[0]
    assert toggle.value is False
    toggle.set_value(True).run()
    with Store(db) as store:
        assert store.is_paused("inquiry-demo")
    assert any("paused" in s for s in texts(at, "success"))
    at = open_page(at, "experiments")
    at.button(key="pause_switch").click().run()
    with Store(db) as store:
        assert not store.is_paused("inquiry-demo")


def test_an_uncertain_contact_is_resolved_with_a_note(db, seeded):
    contact = seeded[1]["uncertain"]
    at = open_page(sign_in(), "runs")
    at.button(key=f"runs.sent.{contact}").click().run()
    assert any("add a note" in e for e in texts(at, "error"))
    at.text_input(key=f"runs.note.{contact}").set_value("the confirmation email arrived")
    at.button(key=f"runs.sent.{contact}").click().run()
    with Store(db) as store:
        assert "submitted" == store.contact(contact)["state"]


def test_runs_shows_evidence_screenshots_and_the_schedule(db):
    at = open_page(sign_in(), "runs")
    assert len(at.get("vega_lite_chart")) == 1
    assert len(at.get("image")) >= 1


def design_key(at: AppTest, name: str) -> str:
    return f"dz{at.session_state['design.ver']}.{name}"


def test_design_shows_problems_next_to_their_field_with_the_cli_message(db):
    at = open_page(sign_in(), "design")
    assert any("**Valid:** 9 targets" in s for s in texts(at, "markdown"))
    at.session_state[design_key(at, "targets")] = {
        "edited_rows": {0: {"timezone": "Mars/Olympus"}}, "added_rows": [], "deleted_rows": []}
    at.text_input(key=design_key(at, "title")).set_value("")
    at.run()
    no_exception(at)
    targets_tab, basics_tab = at.tabs[1], at.tabs[0]
    assert ["targets[0].timezone: 'Mars/Olympus' is not an IANA timezone (like Europe/London) "
            "(targets table, row 1)"] == [e.value for e in targets_tab.error]
    assert ["title: required key 'title' is missing"] == [e.value for e in basics_tab.error]


def test_design_saves_a_new_experiment_that_round_trips(db):
    from experiments.validation import validate_file

    at = open_page(sign_in(), "design")
    at.selectbox(key="design.open_choice").set_value("template:inquiry.yaml")
    at.button(key="design.open").click().run()
    assert "inquiry-demo-2" == at.text_input(key=design_key(at, "id")).value
    at.button(key="design.save").click().run()
    no_exception(at)
    assert any("Loaded: inquiry-demo-2" in s for s in texts(at, "success"))
    example = validate_file(Path(APP).parent / "experiments/examples/inquiry.yaml").experiment
    with Store(db) as store:
        saved = store.definition("inquiry-demo-2")
    assert example.model_copy(update={"id": "inquiry-demo-2"}) == saved


def test_design_refuses_to_change_an_armed_design_with_the_stores_message(db):
    at = open_page(sign_in(), "design")
    at.text_area(key=design_key(at, "hypothesis")).set_value("H1: something else entirely.")
    at.button(key="design.save").click().run()
    assert any("pre-registered and cannot change" in e for e in texts(at, "error"))
    with Store(db) as store:
        assert "something else" not in store.definition("inquiry-demo").hypothesis


def test_design_keeps_unsaved_edits_while_visiting_other_pages(db):
    at = open_page(sign_in(), "design")
    at.text_input(key=design_key(at, "title")).set_value("A better title").run()
    open_page(at, "results")
    at = open_page(at, "design")
    assert "A better title" == at.text_input(key=design_key(at, "title")).value


def test_a_template_error_shows_in_the_preview_not_as_a_traceback(db):
    at = open_page(sign_in(), "design")
    slot = at.session_state[design_key(at, "slots")][0]
    at.text_area(key=design_key(at, f"v{slot}.body")).set_value("Hello {{ persona.nmae }} {{ persona.name + 1 }}")
    at.run()
    no_exception(at)
    assert any("template error" in w for w in texts(at, "warning"))
    assert any("unknown placeholder 'persona.nmae'" in e for e in texts(at, "error"))


def test_design_previews_each_variant_for_a_persona_and_target(db):
    at = open_page(sign_in(), "design")
    previews = [c.value for c in at.code if "Hello Acme Outdoor Supply team" in c.value]
    assert 2 == len(previews) and all("Morgan Ellis" in p for p in previews)
    assert any("send 292 contacts" in m for m in texts(at, "markdown"))


def unmatched_message(at: AppTest) -> int:
    at.radio(key="inbox.view").set_value("unmatched").run()
    return at.selectbox(key="inbox.message").value


def test_inbox_assigns_and_unassigns_a_message(db, seeded):
    at = open_page(sign_in(), "inbox")
    pk = unmatched_message(at)
    target = seeded[1]["made"][0]
    at.selectbox(key=f"inbox.assign_to.{pk}").set_value(target)
    at.button(key=f"inbox.assign.{pk}").click().run()
    no_exception(at)
    with Store(db) as store:
        assert target == store.message(pk)["contact_id"]
    at.radio(key="inbox.view").set_value("all").run()
    at.selectbox(key="inbox.message").set_value(pk).run()
    at.button(key=f"inbox.unassign.{pk}").click().run()
    with Store(db) as store:
        assert store.message(pk)["contact_id"] is None


def test_inbox_overrides_a_classification(db):
    at = open_page(sign_in(), "inbox")
    pk = unmatched_message(at)
    form = at.get("form")[0]
    form.radio[0].set_value("bounce")
    form.button[0].click()
    at.run()
    with Store(db) as store:
        assert "bounce" == store.message(pk)["classification"]


def test_a_reply_by_phone_is_logged_for_a_contact_that_was_made(db, seeded):
    contact = seeded[1]["made"][1]
    at = open_page(sign_in(), "inbox")
    by_hand = at.tabs[1]
    by_hand.selectbox[0].set_value(contact)
    by_hand.text_area[0].set_value("called back, friendly and helpful")
    by_hand.button[0].click()
    at.run()
    no_exception(at)
    with Store(db) as store:
        logged = [m for m in store.inbox("inquiry-demo") if m["contact_id"] == contact]
    assert any(m["classification"] == "human" and m["match_rule"] == "manual" for m in logged)


def test_coding_saves_levels_and_shows_kappa(db):
    at = open_page(sign_in(), "inbox")
    kappa = at.tabs[2].dataframe[0].value
    assert ["helpfulness"] == kappa["Dimension"].tolist() and "ana & ben" == kappa["Coders"][0]
    at.text_input(key="inbox.coder").set_value("cara").run()
    contact = at.selectbox(key="inbox.code_contact").value
    at.radio(key=f"inbox.level.{contact}.helpfulness").set_value("partly")
    at.button(key="FormSubmitter:" + f"inbox.code.{contact}.cara-Save coding").click().run()
    no_exception(at)
    with Store(db) as store:
        from experiments.dashboard_queries import codings

        assert {"contact_id": contact, "coder": "cara", "dimension": "helpfulness", "level": "partly"} in [
            {k: r[k] for k in ("contact_id", "coder", "dimension", "level")} for r in codings(store, "inquiry-demo")]


def test_results_draws_every_chart_and_compares_in_words(db):
    at = open_page(sign_in(), "results")
    no_exception(at)
    assert 4 == len(at.get("vega_lite_chart"))
    assert any("percentage points" in m for m in texts(at, "markdown"))
    at.selectbox(key="results.by").set_value("channel").run()
    no_exception(at)
    assert "Channel" in at.dataframe[0].value.columns
    at.multiselect(key="results.channels").set_value(["email"]).run()
    no_exception(at)
    assert any("Filtered to channel email" in c for c in texts(at, "caption"))
