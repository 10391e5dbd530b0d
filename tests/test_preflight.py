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


def test_a_login_wall_is_named_as_such(store, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from experiments.model import Experiment
    from tests.factories import experiment_data

    class Login(BaseHTTPRequestHandler):
        def do_GET(self):
            body = (b"<html><body><h1>Customer portal</h1><form method=post><label>User <input name=u></label>"
                    b"<label>Password <input type=password name=p></label><button>Sign in</button></form></body></html>")
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Login)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        data = experiment_data(n_targets=1, channels=("web_form",))
        data["targets"][0]["channels"][0]["url"] = f"http://127.0.0.1:{server.server_port}/contact"
        store.load(Experiment.model_validate(data))
        (row,) = preflight(store, "built", tmp_path / "evidence")
    finally:
        server.shutdown()
    assert (False, "login wall (the form needs a sign-in; Knock never logs in)") == (row.testable, row.verdict), row.detail
