"""Randomized assignment: deterministic, balanced, spaced, with secret tokens."""

import re
from collections import Counter, defaultdict
from pathlib import Path

from experiments.assignment import plan
from experiments.validation import validate_file
from tests.factories import make_experiment

KEY = b"k" * 32
MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"


def test_same_file_and_seed_give_the_same_plan():
    first = plan(validate_file(MINIMAL).experiment, KEY)
    second = plan(validate_file(MINIMAL).experiment, KEY)
    assert first == second


def test_another_seed_gives_another_plan():
    plans = {tuple((c.key, c.planned_at) for c in plan(make_experiment(seed=s), KEY)) for s in range(5)}
    assert 5 == len(plans)


def test_within_design_sends_every_variant_on_every_channel_to_every_company():
    contacts = plan(make_experiment(n_targets=5, arms="within"), KEY)
    per_target = defaultdict(set)
    for c in contacts:
        per_target[c.target_id].add((c.channel_key, c.variant_id))
    expected = {(ch, v) for ch in ("web_form", "email") for v in ("a", "b")}
    assert {f"c{i}": expected for i in range(5)} == dict(per_target)


def test_within_design_randomizes_the_order_of_variants():
    firsts = Counter()
    for seed in range(60):
        contacts = [c for c in plan(make_experiment(n_targets=1, seed=seed), KEY)]
        firsts[contacts[0].variant_id] += 1
    assert firsts["a"] > 10 and firsts["b"] > 10


def test_between_design_is_balanced_within_blocks_for_many_seeds():
    for seed in range(200):
        experiment = make_experiment(n_targets=17, arms="between", block_by="industry", seed=seed,
                                     variants=("a", "b", "c"))
        contacts = plan(experiment, KEY)
        arm_of = {c.target_id: c.variant_id for c in contacts}
        assert 17 == len(arm_of)
        assert all(len({c.variant_id for c in contacts if c.target_id == t}) == 1 for t in arm_of)
        by_block = defaultdict(Counter)
        for target in experiment.targets:
            by_block[target.strata["industry"]][arm_of[target.id]] += 1
        for block, counts in by_block.items():
            sizes = [counts[v] for v in ("a", "b", "c")]
            assert max(sizes) - min(sizes) <= 1, (seed, block, counts)


def test_between_design_gives_every_company_each_arm_across_seeds():
    seen = defaultdict(set)
    for seed in range(40):
        for c in plan(make_experiment(n_targets=6, arms="between", block_by="industry", seed=seed), KEY):
            seen[c.target_id].add(c.variant_id)
    assert all({"a", "b"} == arms for arms in seen.values())


def test_personas_are_balanced_within_each_company():
    contacts = plan(make_experiment(n_targets=4, variants=("a", "b", "c", "d"), personas=("p1", "p2")), KEY)
    for target in {c.target_id for c in contacts}:
        counts = Counter(c.persona_id for c in contacts if c.target_id == target)
        assert abs(counts["p1"] - counts["p2"]) <= 1


def test_contacts_to_one_domain_are_spaced():
    contacts = plan(make_experiment(n_targets=4, variants=("a", "b", "c"), spacing_hours=30, days=28), KEY)
    by_target = defaultdict(list)
    for c in contacts:
        by_target[c.target_id].append(c.planned_at)
    for times in by_target.values():
        times.sort()
        gaps = [(b - a).total_seconds() / 3600 for a, b in zip(times, times[1:])]
        assert min(gaps) >= 30


def test_reply_tokens_are_unique_opaque_and_bound_to_the_database_key():
    contacts = plan(make_experiment(n_targets=10), KEY)
    tokens = [c.reply_token for c in contacts]
    assert len(tokens) == len(set(tokens))
    assert all(re.fullmatch(r"[a-z2-7]{12}", t) for t in tokens)
    other = plan(make_experiment(n_targets=10), b"another-database-key")
    assert [(c.key, c.planned_at) for c in contacts] == [(c.key, c.planned_at) for c in other]
    assert not set(tokens) & {c.reply_token for c in other}
