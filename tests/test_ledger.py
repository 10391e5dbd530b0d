"""The contact ledger: nothing twice, nothing lost."""

import multiprocessing
from collections import Counter

from experiments.ledger import LEASE_SECONDS
from experiments.store import Store
from runners.jobs import AttemptResult
from tests.factories import make_experiment


def loaded(store, n_targets=2):
    store.load(make_experiment(n_targets=n_targets))
    store.set_status("built", "armed")
    return [c["id"] for c in store.contacts("built")]


def result(outcome, submit_reached=False, message=""):
    transient = outcome in ("timeout", "http_error", "send_failed") and not submit_reached
    return AttemptResult(outcome=outcome, submit_reached=submit_reached, message=message, retry=transient)


def test_one_claim_wins(store):
    cid = loaded(store)[0]
    assert store.claim(cid, "w1")
    assert not store.claim(cid, "w2")
    assert "w1" == store.contact(cid)["lease_owner"]


def test_submitting_needs_the_lease(store, clock):
    cid = loaded(store)[0]
    assert not store.mark_submitting(cid, "w1")  # not claimed
    store.claim(cid, "w1", lease_seconds=60)
    assert not store.mark_submitting(cid, "w2")  # someone else's lease
    clock.advance(seconds=61)
    assert not store.mark_submitting(cid, "w1")  # lease expired
    assert "claimed" == store.contact(cid)["state"]


def test_a_confirmed_submission_is_submitted_at_the_durable_step(store, clock):
    cid = loaded(store)[0]
    started = clock.now()
    store.claim(cid, "w1")
    assert store.mark_submitting(cid, "w1")
    clock.advance(seconds=5)
    assert "submitted" == store.record_attempt(cid, "w1", result("submitted_confirmed", True), started)
    contact = store.contact(cid)
    assert ("2026-03-01T12:00:00+00:00", 1) == (contact["submitted_at"], contact["attempts"])
    assert ["submitted_confirmed"] == [a["outcome"] for a in store.attempts_of(cid)]


def test_a_crash_after_the_durable_step_makes_the_contact_uncertain_never_retried(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "w1", lease_seconds=60)
    store.mark_submitting(cid, "w1")  # renews the lease for the submit itself
    clock.advance(seconds=LEASE_SECONDS + 1)  # the worker died: no outcome recorded
    assert {"requeued": 0, "uncertain": 1} == store.expire_leases()
    assert "uncertain" == store.contact(cid)["state"]
    clock.advance(days=1)
    assert cid not in [c["id"] for c in store.due_contacts("built", clock.now(), ignore_schedule=True)]
    assert not store.claim(cid, "w2")


def test_a_crash_before_the_durable_step_is_retried(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "w1", lease_seconds=60)
    clock.advance(seconds=61)
    assert {"requeued": 1, "uncertain": 0} == store.expire_leases()
    assert "queued" == store.contact(cid)["state"]
    assert store.claim(cid, "w2")


def test_transient_failures_before_the_submit_retry_with_backoff_then_stop(store, clock):
    cid = loaded(store)[0]
    for attempt, wait in enumerate((5, 30, 120), start=1):
        assert store.claim(cid, "w")
        assert "failed" == store.record_attempt(cid, "w", result("timeout"), clock.now())
        assert not store.claim(cid, "w"), "retry must wait for its backoff"
        clock.advance(minutes=wait)
        assert cid in [c["id"] for c in store.due_contacts("built", clock.now())]
    assert store.claim(cid, "w")
    store.record_attempt(cid, "w", result("http_error"), clock.now())
    clock.advance(days=1)
    assert None is store.contact(cid)["retry_at"]
    assert not store.claim(cid, "w")
    assert 4 == store.contact(cid)["attempts"]


def test_an_error_after_the_click_is_uncertain(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "w")
    store.mark_submitting(cid, "w")
    assert "uncertain" == store.record_attempt(cid, "w", result("http_error", True, "500 after submit"), clock.now())


def test_a_validation_error_after_the_click_fails_without_retry(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "w")
    store.mark_submitting(cid, "w")
    assert "failed" == store.record_attempt(cid, "w", result("validation_error", True), clock.now())
    clock.advance(days=1)
    assert not store.claim(cid, "w")


def test_captcha_and_missing_form_block_the_contact(store, clock):
    first, second = loaded(store)[:2]
    for cid, outcome in ((first, "blocked_captcha"), (second, "form_not_found")):
        store.claim(cid, "w")
        assert "blocked" == store.record_attempt(cid, "w", result(outcome), clock.now())


def test_a_dry_run_leaves_the_contact_planned_and_uncounted(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "w")
    assert "planned" == store.record_attempt(cid, "w", result("dry_run"), clock.now(), dry_run=True)
    assert 0 == store.contact(cid)["attempts"]
    assert [1] == [a["dry_run"] for a in store.attempts_of(cid)]


def test_a_human_resolves_an_uncertain_contact(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "w", lease_seconds=1)
    store.mark_submitting(cid, "w")
    clock.advance(seconds=LEASE_SECONDS + 1)
    store.expire_leases()
    assert store.resolve_uncertain(cid, went_out=True, note="the company's autoreply proves it arrived")
    assert "submitted" == store.contact(cid)["state"]
    kinds = [e["kind"] for e in store.events("built") if e["contact_id"] == cid]
    assert ["contact.claimed", "contact.submitting", "contact.lease_expired", "contact.resolved"] == kinds


def _race(path, worker, ids, out):
    store = Store(path)
    out.put([(cid, worker) for cid in ids if store.claim(cid, worker)])
    store.close()


def test_processes_racing_for_contacts_each_win_different_ones(tmp_path):
    path = tmp_path / "race.db"
    with Store(path) as store:
        ids = loaded(store, n_targets=25)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_race, args=(path, f"w{i}", ids, out)) for i in range(4)]
    for p in procs:
        p.start()
    won = [pair for _ in procs for pair in out.get(timeout=60)]
    for p in procs:
        p.join(timeout=60)
    counts = Counter(cid for cid, _ in won)
    assert sorted(ids) == sorted(counts)
    assert {1} == set(counts.values())


def test_an_outcome_from_a_lost_lease_does_not_change_the_contact(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "old", lease_seconds=10)
    clock.advance(seconds=11)
    store.expire_leases()
    assert store.claim(cid, "new")
    assert "claimed" == store.record_attempt(cid, "old", result("aborted"), clock.now())
    assert ("claimed", "new") == (store.contact(cid)["state"], store.contact(cid)["lease_owner"])
    assert 1 == len(store.attempts_of(cid))


def test_a_closed_or_paused_experiment_cannot_pass_the_gate(store):
    first, second = loaded(store)[:2]
    store.claim(first, "w")
    store.claim(second, "w")
    store.set_paused("built", True)
    assert not store.mark_submitting(first, "w")
    store.set_paused("built", False)
    store.set_status("built", "closed")
    assert not store.mark_submitting(second, "w")


def test_a_draft_never_passes_the_gate(store):
    store.load(make_experiment(n_targets=1))
    cid = store.contacts("built")[0]["id"]
    store.claim(cid, "w")
    assert not store.mark_submitting(cid, "w")


def test_a_failure_after_a_gated_first_step_is_uncertain_not_blocked(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "w")
    store.mark_submitting(cid, "w")  # "Next" of a two-step form sent step 1
    assert "uncertain" == store.record_attempt(cid, "w", result("form_not_found", True), clock.now())


def test_claimed_contacts_count_for_spacing_and_the_cap(store):
    cid = loaded(store)[0]
    domain = store.targets("built")[0]["domain"]
    target = store.contact(cid)["target_id"]
    before = store.contacts_made("built", target)
    store.claim(cid, "w")
    assert before + 1 == store.contacts_made("built", target)
    assert store.last_contact_at_domain(domain) is not None


def test_a_late_outcome_of_an_expired_submit_settles_the_uncertain_contact(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "slow", lease_seconds=10)
    store.mark_submitting(cid, "slow")
    clock.advance(seconds=LEASE_SECONDS + 1)
    store.expire_leases()
    assert "uncertain" == store.contact(cid)["state"]
    assert "submitted" == store.record_attempt(cid, "slow", result("submitted_confirmed", True), clock.now())


def test_a_late_failure_of_an_expired_submit_stays_uncertain(store, clock):
    cid = loaded(store)[0]
    store.claim(cid, "slow", lease_seconds=10)
    store.mark_submitting(cid, "slow")
    clock.advance(seconds=LEASE_SECONDS + 1)
    store.expire_leases()
    assert "uncertain" == store.record_attempt(cid, "slow", result("http_error", True), clock.now())
