"""`knock run` for email inquiries against the sandbox's real SMTP server."""

from collections import Counter

import pytest

from runners.email_send import SmtpConfig
from runners.run import RunOptions, RunRefused, run_experiment
from tests.sandbox_fixtures import *  # noqa: F401,F403
from tests.sandbox_study import load_armed, sandbox_experiment


def options(sandbox, tmp_path, **kwargs):
    return RunOptions("inquiry-demo", ignore_schedule=True, evidence_root=tmp_path / "evidence",
                      smtp=SmtpConfig("127.0.0.1", sandbox.smtp_port), **kwargs)


def test_every_email_contact_arrives_exactly_once(store, sandbox, tmp_path):
    contacts = load_armed(store, sandbox_experiment(sandbox, channels=["email"]))
    summary = run_experiment(store, options(sandbox, tmp_path, concurrency=2))
    assert {"submitted_confirmed": 18} == dict(summary.outcomes)
    received = sandbox.submissions(channel="email")
    tokens = {c["reply_token"] for c in contacts}
    assert 18 == len(received)
    assert tokens == {r["reply_to"].split("+")[1].split("@")[0] for r in received}
    sent_ids = {a["message_id"] for c in contacts for a in store.attempts_of(c["id"])}
    assert sent_ids == {r["message_id"] for r in received}
    assert {"submitted": 18} == store.state_counts("inquiry-demo")


def test_a_second_run_sends_nothing_again(store, sandbox, tmp_path):
    load_armed(store, sandbox_experiment(sandbox, channels=["email"]))
    run_experiment(store, options(sandbox, tmp_path))
    again = run_experiment(store, options(sandbox, tmp_path))
    assert Counter() == again.outcomes
    assert 18 == len(sandbox.submissions(channel="email"))


def test_a_draft_only_dry_runs(store, sandbox, tmp_path):
    store.load(sandbox_experiment(sandbox, channels=["email"]))
    with pytest.raises(RunRefused, match="draft: arm it first"):
        run_experiment(store, options(sandbox, tmp_path))
    summary = run_experiment(store, options(sandbox, tmp_path, dry_run=True, limit=3))
    assert {"dry_run": 3} == dict(summary.outcomes)
    assert [] == sandbox.submissions()
    assert {"planned": 18} == store.state_counts("inquiry-demo")


def test_a_real_relay_needs_a_live_experiment(store, sandbox, tmp_path):
    load_armed(store, sandbox_experiment(sandbox, channels=["email"]))
    real = RunOptions("inquiry-demo", ignore_schedule=True, evidence_root=tmp_path,
                      smtp=SmtpConfig("smtp.lab.example", 587))
    with pytest.raises(RunRefused, match="the experiment is armed, not live"):
        run_experiment(store, real)
    assert {"planned": 18} == store.state_counts("inquiry-demo")


def test_a_relay_that_is_down_fails_before_the_submit_and_is_retried_later(store, sandbox, tmp_path):
    contacts = load_armed(store, sandbox_experiment(sandbox, channels=["email"]))
    down = RunOptions("inquiry-demo", ignore_schedule=True, evidence_root=tmp_path,
                      smtp=SmtpConfig("127.0.0.1", 9, timeout=2), limit=2)
    summary = run_experiment(store, down)
    assert {"send_failed": 2} == dict(summary.outcomes)
    failed = store.contacts("inquiry-demo", state="failed")
    assert 2 == len(failed) and all(c["retry_at"] for c in failed)
    assert all(not a["submit_reached"] for c in failed for a in store.attempts_of(c["id"]))


def test_paused_experiments_submit_nothing(store, sandbox, tmp_path):
    load_armed(store, sandbox_experiment(sandbox, channels=["email"]))
    store.set_paused("inquiry-demo", True)
    summary = run_experiment(store, options(sandbox, tmp_path))
    assert Counter() == summary.outcomes
    assert [] == sandbox.submissions()


def test_opted_out_companies_are_skipped_at_run_time(store, sandbox, tmp_path):
    experiment = sandbox_experiment(sandbox, channels=["email"])
    load_armed(store, experiment)
    data = experiment.model_dump(mode="json")
    data["ethics"]["opt_out"] = ["acme-outdoor.example"]
    from experiments.model import Experiment

    store.load(Experiment.model_validate(data))  # allowed after arming: opt-outs only grow
    summary = run_experiment(store, options(sandbox, tmp_path))
    assert 2 == len(summary.skipped)
    assert not [r for r in sandbox.submissions() if r["company"] == "acme-outdoor"]


def test_the_global_pause_stops_every_experiment(store, sandbox, tmp_path):
    load_armed(store, sandbox_experiment(sandbox, channels=["email"]))
    store.set_paused_all(True)
    assert store.is_paused("inquiry-demo")
    assert Counter() == run_experiment(store, options(sandbox, tmp_path)).outcomes
    store.set_paused_all(False)
    assert 18 == sum(run_experiment(store, options(sandbox, tmp_path)).outcomes.values())


def test_email_to_a_real_domain_needs_live_even_through_a_local_relay(store, sandbox, tmp_path):
    """A local MTA on 127.0.0.1 relays to the world: only reserved domains count as the sandbox."""
    from experiments.model import Experiment

    data = sandbox_experiment(sandbox, channels=["email"]).model_dump(mode="json")
    data["targets"][0]["domain"] = "acme-outdoor.com"
    data["targets"][0]["channels"] = [c for c in data["targets"][0]["channels"] if c["type"] != "web_form"]
    for channel in data["targets"][0]["channels"]:
        if channel["type"] == "email":
            channel["address"] = "support@acme-outdoor.com"
    load_armed(store, Experiment.model_validate(data))
    with pytest.raises(RunRefused, match="support@acme-outdoor.com|acme-outdoor.com is a real address"):
        run_experiment(store, options(sandbox, tmp_path))
    assert [] == sandbox.submissions()


def test_a_worker_refuses_a_real_endpoint_of_a_job_that_is_not_live(tmp_path):
    from runners.jobs import SubmissionJob
    from runners.run import refusal

    job = SubmissionJob(contact_id=1, experiment_id="x", channel_type="email", url=None, address="info@acme.com",
                        recipe=None, values={}, subject="s", body="b", reply_to="r+t@lab.example", sender_name="R",
                        allowed_hosts=("acme.com",))
    assert refusal(job, SmtpConfig("127.0.0.1", 25)).startswith("refused")
    assert refusal(job, SmtpConfig("smtp.lab.example", 587)).startswith("refused")
    assert refusal(SubmissionJob(**{**job.__dict__, "live": True}), SmtpConfig("smtp.lab.example", 587)) is None


def test_opt_out_of_a_domain_covers_its_subdomains(store, sandbox, tmp_path):
    from experiments.model import Experiment

    experiment = sandbox_experiment(sandbox, channels=["email"])
    data = experiment.model_dump(mode="json")
    data["ethics"]["opt_out"] = ["Example"]  # covers every *.example company, whatever the case
    load_armed(store, Experiment.model_validate(data))
    summary = run_experiment(store, options(sandbox, tmp_path))
    assert 18 == len(summary.skipped) and [] == sandbox.submissions()
