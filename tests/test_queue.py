"""`knock worker`: the queue scales out and survives kill -9, with the sandbox as witness.

Real processes: a coordinator beside the database, submit workers that
have no database, a real Redis server, the sandbox recording every
inquiry it receives.
"""

from collections import Counter

import pytest

from experiments.model import Experiment
from experiments.store import Store
from sandbox.companies import COMPANIES
from tests.factories import experiment_data
from tests.sandbox_fixtures import *  # noqa: F401,F403
from tests.services import processes, redis_url, wait_for  # noqa: F401

pytestmark = pytest.mark.redis


def bulk_experiment(n_variants: int, n_channels: int, companies=COMPANIES) -> Experiment:
    """Email inquiries to sandbox companies: len(companies) x channels x variants contacts."""
    data = experiment_data(n_targets=0, variants=tuple(f"v{i}" for i in range(n_variants)),
                           cap=n_variants * n_channels, days=2, spacing_hours=0)
    data["id"] = "bulk"
    data["targets"] = [{"id": c.slug, "name": c.name, "domain": c.domain, "timezone": c.timezone,
                        "channels": [{"id": f"mail{j}", "type": "email", "address": c.support_email}
                                     for j in range(n_channels)]} for c in companies]
    return Experiment.model_validate(data)


def armed_store(path, experiment):
    with Store(path) as store:
        store.load(experiment)
        store.set_status(experiment.id, "armed")
        return {c["reply_token"]: c["id"] for c in store.contacts(experiment.id)}


def token_of(submission):
    return submission["reply_to"].split("+", 1)[1].split("@", 1)[0]


def states(path):
    with Store(path) as store:
        return store.state_counts("bulk")


def settled(path):
    counts = states(path)
    return not any(counts.get(s) for s in ("planned", "queued", "claimed", "submitting")) and counts


def test_two_workers_on_redis_drain_200_contacts_with_no_duplicate_and_no_loss(tmp_path, sandbox, processes, redis_url):
    db = tmp_path / "knock.db"
    tokens = armed_store(db, bulk_experiment(n_variants=5, n_channels=4))
    assert 200 == len(tokens)
    env = {"KNOCK_QUEUE": redis_url, "KNOCK_SMTP_URL": f"smtp://127.0.0.1:{sandbox.smtp_port}"}
    processes.knock("--db", str(db), "worker", "--role", "coordinator", "--now", "--interval", "0.3",
                    name="coordinator", extra_env=env)
    # Submit workers get a database path that does not exist: they must never need one.
    for i in range(2):
        processes.knock("--db", str(tmp_path / "nowhere" / "none.db"), "worker", "--role", "submit",
                        "--concurrency", "2", name=f"worker{i}", extra_env=env)
    final = wait_for(lambda: settled(db), 150, "all 200 contacts to settle", interval=0.5)
    assert {"submitted": 200} == final
    received = Counter(token_of(s) for s in sandbox.submissions(channel="email"))
    assert set(tokens) == set(received)
    assert {1} == set(received.values())
    assert not (tmp_path / "nowhere" / "none.db").exists()  # evidence, yes; a database, never


@pytest.mark.parametrize("phase, killed_state, arrived", [
    ("before_gate", "submitted", 1),   # never reached submitting: dispatched again, sent once
    ("after_gate", "uncertain", 0),    # durably submitting, killed before the send
    ("after_submit", "uncertain", 1),  # sent, killed before the outcome was recorded
])
def test_kill_9_a_worker_mid_submission(tmp_path, sandbox, processes, phase, killed_state, arrived):
    db = tmp_path / "knock.db"
    tokens = armed_store(db, bulk_experiment(n_variants=1, n_channels=1, companies=COMPANIES[:4]))
    markers = tmp_path / "markers"
    env = {"KNOCK_SMTP_URL": f"smtp://127.0.0.1:{sandbox.smtp_port}", "KNOCK_LEASE_SECONDS": "3",
           "KNOCK_GATE_TIMEOUT": "10"}
    processes.knock("--db", str(db), "worker", "--role", "coordinator", "--now", "--interval", "0.3",
                    name="coordinator", extra_env=env)
    doomed = processes.knock("--db", str(db), "worker", "--role", "submit", "--concurrency", "1", name="doomed",
                             extra_env={**env, "KNOCK_FAULT_PAUSE": f"{phase}:120", "KNOCK_FAULT_MARKERS": str(markers)})
    marker = wait_for(lambda: next(markers.glob(f"{phase}-*"), None) if markers.exists() else None, 60,
                      f"the worker to reach {phase}")
    killed_contact = int(marker.name.rsplit("-", 1)[1])
    processes.kill9(doomed)
    processes.knock("--db", str(db), "worker", "--role", "submit", "--concurrency", "1", name="survivor",
                    extra_env=env)
    final = wait_for(lambda: settled(db), 90, "every contact to settle", interval=0.5)

    with Store(db) as store:
        state_of = {c["id"]: c["state"] for c in store.contacts("bulk")}
    received = Counter(token_of(s) for s in sandbox.submissions(channel="email"))
    assert {1} == set(received.values()), "no company received anything twice"
    for token in received:
        assert state_of[tokens[token]] in ("submitted", "uncertain"), "every arrival is recorded or uncertain"
    assert killed_state == state_of[killed_contact]
    killed_token = next(t for t, cid in tokens.items() if cid == killed_contact)
    assert arrived == received[killed_token]
    assert {"submitted": 3, killed_state: 1} == final if killed_state != "submitted" else {"submitted": 4} == final


def test_the_coordinator_polls_the_mailbox(tmp_path, sandbox, processes):
    db = tmp_path / "knock.db"
    armed_store(db, bulk_experiment(n_variants=1, n_channels=1, companies=COMPANIES[:4]))
    env = {"KNOCK_SMTP_URL": f"smtp://127.0.0.1:{sandbox.smtp_port}"}
    processes.knock("--db", str(db), "worker", "--role", "all", "--now", "--interval", "0.3",
                    "--maildir", str(sandbox.maildir), "--collect-every", "0.5", name="worker", extra_env=env)
    wait_for(lambda: settled(db), 60, "the four inquiries to go out", interval=0.5)
    sandbox.flush()
    assert sandbox.replies(), "the sandbox's staff answered nobody"

    def collected():
        with Store(db) as store:
            return store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == len(sandbox.replies())

    wait_for(collected, 30, "the worker to collect every reply", interval=0.5)


def test_a_job_older_than_its_lease_is_dropped_before_any_browser_or_gate(tmp_path, monkeypatch):
    # By then the coordinator has expired the claim and dispatched the contact again under a new owner.
    import time

    from runners import queue as knock_queue
    from runners.jobs import SubmissionJob

    q = knock_queue.KnockQueue(url="", sqlite_path=tmp_path / "queue.db")
    touched = []
    monkeypatch.setattr(q, "_browser", lambda: touched.append("browser"))
    monkeypatch.setattr(q, "_ask_gate", lambda job, owner: touched.append("gate") or False)
    monkeypatch.setattr(q, "record", lambda *args: touched.append("record"))
    job = SubmissionJob(contact_id=7, experiment_id="bulk", channel_type="web_form", url="http://127.0.0.1:9/c",
                        address=None, recipe=None, values={}, subject="s", body="b", reply_to="r+t@lab.example",
                        sender_name="A B", allowed_hosts=("127.0.0.1",), evidence="off")
    lease = knock_queue.QUEUE_LEASE_SECONDS

    q._submit(job.to_json(), "queue:old", time.time() - lease - 5)
    assert [] == touched

    q._submit(job.to_json(), "queue:fresh", time.time())  # a fresh one goes on and hands an outcome back
    assert ["browser", "record"] == [touched[0], touched[-1]]
