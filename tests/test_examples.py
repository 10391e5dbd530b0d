"""The shipped examples are valid and fit the sandbox they are written for."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from experiments.validation import validate_file
from sandbox.companies import COMPANIES

EXAMPLES = sorted((Path(__file__).parent.parent / "experiments" / "examples").glob("*.yaml"))
BY_PATH = {c.contact_path: c for c in COMPANIES}


def test_there_are_an_inquiry_and_a_job_application_example():
    assert {"inquiry.yaml", "job-audit.yaml"} <= {p.name for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_valid(path):
    result = validate_file(path)
    assert [] == [str(p) for p in result.problems]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_targets_are_sandbox_companies_and_recipes_name_real_fields(path):
    experiment = validate_file(path).experiment
    for target in experiment.targets:
        for channel in target.channels:
            if channel.url:
                company = BY_PATH[urlsplit(channel.url).path]
                assert urlsplit(channel.url).hostname == "127.0.0.1"
                assert company.domain == target.domain
                labels = {f.label for f in company.fields} | {f.placeholder for f in company.fields}
                for semantic, locator in (channel.recipe.fields.items() if channel.recipe else []):
                    given = locator.label or locator.placeholder
                    assert given in labels, f"{target.id}: {semantic} locator {given!r} is not on the form"
            if channel.address:
                assert channel.address.endswith("@" + target.domain)
