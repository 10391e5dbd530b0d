"""The sandbox's company table keeps the promises other tests and demos rely on."""

from __future__ import annotations

import math
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from sandbox import COMPANIES, by_domain, by_slug
from sandbox.companies import UnknownCompany
from sandbox.model import FORM_KINDS, Behaviour


def test_enough_companies_with_unique_slugs_and_domains():
    assert len(COMPANIES) >= 8
    assert len({c.slug for c in COMPANIES}) == len(COMPANIES)
    assert len({c.domain for c in COMPANIES}) == len(COMPANIES)


def test_every_form_kind_is_present():
    assert set(FORM_KINDS) <= {c.form_kind for c in COMPANIES}


def test_every_industry_has_at_least_two_companies():
    assert min(Counter(c.industry for c in COMPANIES).values()) >= 2


@pytest.mark.parametrize("company", COMPANIES, ids=lambda c: c.slug)
def test_company_metadata_is_well_formed(company):
    assert company.domain.endswith(".example")
    assert f"support@{company.domain}" == company.support_email
    ZoneInfo(company.timezone)  # a real IANA zone
    b = company.behaviour
    assert math.isclose(1.0, b.p_none + b.p_auto_ack + b.p_human + b.p_bounce)
    assert company.contact_path.startswith(f"/{company.slug}/")
    assert company.staff
    if company.form_kind != "no_form":
        assert company.success_text and company.fields
        assert {"name", "email", "message"} <= {f.semantic for f in company.fields}


def test_timezones_span_continents():
    assert len({c.timezone.split("/")[0] for c in COMPANIES}) >= 4


def test_lookups():
    assert "Acme Outdoor Supply" == by_slug("acme-outdoor").name
    assert "acme-outdoor" == by_domain("ACME-OUTDOOR.example").slug
    with pytest.raises(UnknownCompany):
        by_slug("nope")


def test_probabilities_must_sum_to_one():
    with pytest.raises(ValueError):
        Behaviour(0.5, 0.5, 0.5, 0.0)


def test_outcome_override_forces_one_outcome():
    forced = by_slug("acme-outdoor").with_overrides({"outcome": "bounce"})
    assert (0.0, 0.0, 0.0, 1.0) == (
        forced.behaviour.p_none, forced.behaviour.p_auto_ack, forced.behaviour.p_human, forced.behaviour.p_bounce)
