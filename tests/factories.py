"""Small builders for experiment definitions used across tests."""

from experiments.model import Experiment

INDUSTRIES = ("retail", "software", "finance")
ZONES = ("Europe/London", "America/New_York", "Australia/Sydney", "Asia/Tokyo")


def experiment_data(n_targets=6, arms="within", block_by=None, seed=1, variants=("a", "b"),
                    personas=("alex", "sam"), channels=("web_form", "email"), start="2026-03-23",
                    days=21, spacing_hours=24, cap=8):
    targets = []
    for i in range(n_targets):
        domain = f"company{i}.example"
        chans = []
        for kind in channels:
            if kind == "email":
                chans.append({"type": "email", "address": f"info@{domain}"})
            elif kind == "phone":
                chans.append({"type": "phone"})
            else:
                chans.append({"type": kind, "url": f"https://www.{domain}/contact"})
        targets.append({"id": f"c{i}", "name": f"Company {i}", "domain": domain,
                        "timezone": ZONES[i % len(ZONES)], "strata": {"industry": INDUSTRIES[i % len(INDUSTRIES)]},
                        "channels": chans})
    design = {"arms": arms, "seed": seed, "start": start, "days": days, "spacing_hours": spacing_hours}
    if block_by:
        design["block_by"] = block_by
    return {
        "id": "built", "title": "Built", "hypothesis": "H1", "mailbox": "research@lab.example",
        "ethics": {"approval": "IRB-1", "max_contacts_per_company": cap},
        "design": design,
        "personas": [{"id": p, "first_name": p.title(), "last_name": "Tester"} for p in personas],
        "variants": [{"id": v, "subject": "Hello {{ target.name }}", "body": "From {{ persona.name }}"}
                     for v in variants],
        "targets": targets,
    }


def make_experiment(**kwargs) -> Experiment:
    return Experiment.model_validate(experiment_data(**kwargs))
