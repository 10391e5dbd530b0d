"""The shapes of the sandbox world: companies, their forms, staff and sites.

Kept apart from the data in ``companies.py`` so the data reads like a table
and these classes can be checked (probabilities sum to 1, known form kinds)
in one place. Everything is a frozen dataclass: a company never changes
while a sandbox runs; overrides make a new one (``with_overrides``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

FORM_KINDS = (
    "plain",
    "placeholder",
    "two_step",
    "phone_validation",
    "job_application",
    "captcha",
    "flaky",
    "no_form",
)
OUTCOMES = ("none", "auto_ack", "human", "bounce")
AUTOACK_STYLES = ("rfc", "helpdesk", "exchange")


class UnknownOverride(ValueError):
    """An override names a field that no behaviour or site setting has: check the spelling."""


@dataclass(frozen=True)
class Field:
    """One form control, what it means, and how a recipe would find it.

    ``semantic`` is the researcher's word (name, email, phone, subject,
    message, consent, position, resume, ...); ``name`` is the HTML name
    attribute. A field with a label is found by its label; one without
    (the ``placeholder`` kind) by its placeholder.
    """

    semantic: str
    name: str
    label: str | None = None
    placeholder: str | None = None
    kind: str = "text"  # text, email, tel, textarea, checkbox, select, file
    required: bool = False
    step: int = 1
    options: tuple[str, ...] = ()

    @property
    def locator(self) -> dict[str, str]:
        """The most human locator: label, else placeholder, else name."""
        if self.label:
            return {"label": self.label}
        if self.placeholder:
            return {"placeholder": self.placeholder}
        return {"name": self.name}


@dataclass(frozen=True)
class Behaviour:
    """How a company's support staff answer, drawn per inquiry.

    The four outcome probabilities sum to 1. A human reply comes after a
    lognormal delay (``ln(hours) ~ N(mu, sigma)``), moved into business
    hours in the company's timezone. ``ack_then_human`` is the chance that
    an auto-acknowledgement is later followed by a human reply, as
    helpdesks do.
    """

    p_none: float
    p_auto_ack: float
    p_human: float
    p_bounce: float
    human_delay_mu: float = 1.8  # median exp(1.8) ~ 6 h
    human_delay_sigma: float = 0.8
    auto_ack_delay_s: float = 30.0
    ack_then_human: float = 0.0
    autoack_style: str = "rfc"
    business_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    open_hour: int = 9
    close_hour: int = 17

    def __post_init__(self) -> None:
        probs = (self.p_none, self.p_auto_ack, self.p_human, self.p_bounce)
        if any(p < 0 or p > 1 for p in probs) or not math.isclose(sum(probs), 1.0, abs_tol=1e-9):
            raise ValueError(f"outcome probabilities must be in [0, 1] and sum to 1, got {probs}")
        if self.autoack_style not in AUTOACK_STYLES:
            raise ValueError(f"autoack_style must be one of {AUTOACK_STYLES}")
        if not 0 <= self.open_hour < self.close_hour <= 24:
            raise ValueError("business hours need 0 <= open_hour < close_hour <= 24")


@dataclass(frozen=True)
class Flakiness:
    """How unreliable a company's website is, drawn per request (seeded).

    ``error_after_record_rate`` is the share of failing POSTs that fail
    *after* the submission was recorded: the case a runner must treat as
    ``uncertain`` and never retry.
    """

    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    error_after_record_rate: float = 0.0


@dataclass(frozen=True)
class Theme:
    """Looks only: colours, font family and header layout of the site."""

    primary: str
    accent: str
    background: str = "#f7f7f5"
    font: str = "sans"  # sans | serif | rounded
    layout: str = "bar"  # bar | centered | split | utility


@dataclass(frozen=True)
class Company:
    """One fictitious company: identity, contact page, staff and site.

    ``contact_path`` is the absolute path of its contact (or careers) page
    on the sandbox's HTTP server; ``success_text`` is the stable text its
    success page shows, for recipes to wait for.
    """

    slug: str
    name: str
    domain: str
    timezone: str
    industry: str
    form_kind: str
    contact_path: str
    success_text: str
    tagline: str
    address: str
    city: str
    phone: str
    fields: tuple[Field, ...]
    submit_label: str
    staff: tuple[str, ...]
    behaviour: Behaviour
    theme: Theme
    ticket_prefix: str = ""
    next_label: str | None = None
    success_redirect: bool = False
    flakiness: Flakiness = Flakiness()
    services: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.form_kind not in FORM_KINDS:
            raise ValueError(f"{self.slug}: form_kind must be one of {FORM_KINDS}")
        if not self.domain.endswith(".example"):
            raise ValueError(f"{self.slug}: domains must use the reserved .example TLD")

    @property
    def support_email(self) -> str:
        return f"support@{self.domain}"

    @property
    def channel(self) -> str | None:
        """The ledger channel its form feeds, or None when it has no form."""
        if self.form_kind == "no_form":
            return None
        return "job_application" if self.form_kind == "job_application" else "web_form"

    @property
    def home_path(self) -> str:
        return f"/{self.slug}/"

    @property
    def success_path(self) -> str | None:
        return f"{self.contact_path}/thank-you" if self.success_redirect else None

    def field(self, semantic: str) -> Field:
        for f in self.fields:
            if f.semantic == semantic:
                return f
        raise KeyError(f"{self.slug} has no {semantic!r} field")

    def recipe(self) -> dict:
        """What a runner's recipe for this form would say, as plain data.

        Example: ``by_slug("acme-outdoor").recipe()["fields"]["email"]``
        is ``{"label": "Email"}``.
        """
        if self.form_kind == "no_form":
            return {"form": None, "email": self.support_email}
        steps = sorted({f.step for f in self.fields})
        recipe: dict = {
            "url_path": self.contact_path,
            "fields": {f.semantic: f.locator for f in self.fields},
            "steps": [
                {
                    "fields": [f.semantic for f in self.fields if f.step == s],
                    "then": {"role": "button", "name": self.next_label if s != steps[-1] else self.submit_label},
                }
                for s in steps
            ],
            "submit": {"role": "button", "name": self.submit_label},
            "success": {"text": self.success_text},
        }
        # Controls that are not typed into: how a runner operates them.
        actions = {"checkbox": "check", "select": "select", "file": "upload"}
        recipe["actions"] = {f.semantic: actions[f.kind] for f in self.fields if f.kind in actions}
        if self.form_kind == "captcha":
            recipe["blocked_by"] = "captcha"
        if self.success_path:
            recipe["success"]["url_path"] = self.success_path
        return recipe

    def with_overrides(self, overrides: dict) -> Company:
        """A copy with behaviour/flakiness fields replaced.

        ``{"outcome": "human"}`` forces one outcome (probability 1);
        any other key must name a ``Behaviour`` or ``Flakiness`` field.
        """
        overrides = dict(overrides)
        behaviour, flakiness = {}, {}
        outcome = overrides.pop("outcome", None)
        if outcome is not None:
            if outcome not in OUTCOMES:
                raise UnknownOverride(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
            behaviour.update({f"p_{o}": 1.0 if o == outcome else 0.0 for o in OUTCOMES})
        b_names = {f.name for f in dataclasses.fields(Behaviour)}
        f_names = {f.name for f in dataclasses.fields(Flakiness)}
        for key, value in overrides.items():
            if key in b_names:
                behaviour[key] = value
            elif key in f_names:
                flakiness[key] = value
            else:
                raise UnknownOverride(
                    f"{self.slug}: unknown override {key!r}; use 'outcome' or one of "
                    f"{sorted(b_names | f_names)}"
                )
        return dataclasses.replace(
            self,
            behaviour=dataclasses.replace(self.behaviour, **behaviour),
            flakiness=dataclasses.replace(self.flakiness, **flakiness),
        )
