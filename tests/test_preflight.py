"""`knock preflight`: every channel visited, nothing submitted, verdicts a researcher can act on."""

from runners.preflight import preflight
from tests.sandbox_fixtures import *  # noqa: F401,F403
from tests.sandbox_study import sandbox_experiment


def test_preflight_reports_what_is_testable_and_submits_nothing(store, sandbox, tmp_path):
    experiment = sandbox_experiment(sandbox)
    store.load(experiment)
    rows = {(r.target, r.channel): r for r in preflight(store, experiment.id, tmp_path / "evidence")}
    assert [] == sandbox.submissions(), "preflight never submits"
    assert {"planned": 36} == store.state_counts(experiment.id), "preflight never touches the ledger"
    verdict = {key: (r.testable, r.verdict) for key, r in rows.items()}
    details = {key: r.detail for key, r in rows.items()}
    assert (True, "form found") == verdict[("acme-outdoor", "web_form")], details
    assert (True, "form found") == verdict[("bluefin-software", "web_form")], details
    assert (True, "multi-step form: step 1 found, later steps not checked") == verdict[
        ("harbour-savings", "web_form")], details
    assert (False, "CAPTCHA (Knock never solves one)") == verdict[("northgate-insurance", "web_form")]
    assert (True, "sent by email") == verdict[("acme-outdoor", "email")]
    assert (False, "made by hand (knock todo)") == verdict[("quayside-inn", "phone")]
    assert {"name", "email", "message"} <= set(rows[("acme-outdoor", "web_form")].fields)
    assert rows[("acme-outdoor", "web_form")].evidence, "each verdict keeps its evidence"
    assert "experiment.preflight" == store.events(experiment.id)[-1]["kind"]
