"""The experiment definition: what a researcher writes in YAML.

Pydantic models with ``extra="forbid"`` so a misspelt key is a problem, not
a silently ignored setting. Cross-field checks that need the whole
experiment (template placeholders, contact caps, duplicate ids) live in
``experiments.validation`` so that all problems are reported at once.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

ChannelType = Literal["web_form", "job_application", "email", "phone", "social", "chat"]
AUTOMATED_CHANNELS = frozenset({"web_form", "job_application", "email"})
WEB_CHANNELS = frozenset({"web_form", "job_application"})
RECIPE_VALUE_FIELDS = ("topic", "consent", "company")
SEMANTIC_FIELDS = ("name", "first_name", "last_name", "email", "phone", "company",
                   "subject", "message", "topic", "consent", "resume")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_email(value: str) -> str:
    if not EMAIL_RE.match(value):
        raise ValueError(f"{value!r} is not an email address (expected name@domain.tld)")
    return value


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class Locator(Strict):
    """How to find one element: exactly one of label, placeholder, name, role, css."""

    label: str | None = None
    placeholder: str | None = None
    name: str | None = None
    role: str | None = None
    role_name: str | None = None
    css: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Locator:
        given = [k for k in ("label", "placeholder", "name", "role", "css") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a locator needs exactly one of label, placeholder, name, role, css")
        if self.role_name and not self.role:
            raise ValueError("role_name is only meaningful with role")
        return self


class SuccessSignal(Strict):
    """How a successful submission shows: any given condition suffices."""

    text: str | None = None
    url_contains: str | None = None
    status: int | None = None


class Step(Strict):
    """One page of a multi-page form: its fields, then the control that moves on."""

    fields: list[str]
    next: Locator | None = None


class Recipe(Strict):
    fields: dict[str, Locator] = Field(default_factory=dict)
    steps: list[Step] = Field(default_factory=list)
    submit: Locator | None = None
    success: SuccessSignal | None = None
    values: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _semantic(cls, fields: dict[str, Locator]) -> dict[str, Locator]:
        unknown = sorted(set(fields) - set(SEMANTIC_FIELDS))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}; known: {', '.join(SEMANTIC_FIELDS)}")
        return fields

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        for key in self.values:
            # The message, names and reply address come from the pre-registered variant and
            # persona; a recipe (editable after arming) may only fix choices such as a topic.
            if key not in RECIPE_VALUE_FIELDS:
                raise ValueError(f"values: {key!r} cannot be fixed by a recipe; only {', '.join(RECIPE_VALUE_FIELDS)}")
        for step in self.steps:
            missing = [f for f in step.fields if f not in self.fields]
            if missing:
                raise ValueError(f"a step names field {missing[0]!r}, which the recipe's fields do not locate")
        return self


class Channel(Strict):
    id: str | None = Field(default=None, pattern=ID_PATTERN)
    type: ChannelType
    url: str | None = None
    address: str | None = None
    handle: str | None = None
    recipe: Recipe | None = None

    _url = field_validator("url")(lambda cls, v: v if v is None else _check_http_url(v))
    _addr = field_validator("address")(lambda cls, v: v if v is None else _check_email(v))

    @model_validator(mode="after")
    def _needs_endpoint(self) -> Channel:
        if self.type in WEB_CHANNELS and not self.url:
            raise ValueError(f"a {self.type} channel needs a url")
        if self.type == "email" and not self.address:
            raise ValueError("an email channel needs an address")
        if self.recipe is not None and self.type not in WEB_CHANNELS:
            raise ValueError("only web_form and job_application channels take a recipe")
        return self

    @property
    def key(self) -> str:
        return self.id or self.type


class BusinessHours(Strict):
    """Opening hours in the target's own timezone, e.g. mon-fri 09:00-17:00."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ["mon", "tue", "wed", "thu", "fri"]
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError("business hours must end after they start")
        if not self.days:
            raise ValueError("business hours need at least one day")
        return self


class Target(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    domain: str
    timezone: str
    strata: dict[str, str] = Field(default_factory=dict)
    business_hours: BusinessHours | None = None
    channels: list[Channel] = Field(min_length=1)

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        # A last label of digits only ("0.1") is no domain: to a browser it reads as part of an IP address.
        if not DOMAIN_RE.match(value) or value.rsplit(".", 1)[-1].isdigit():
            raise ValueError(f"{value!r} is not a domain name (like example.com, lower case)")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone (like Europe/London)") from None
        return value


class Persona(Strict):
    """A fictitious but consistent sender. The reply address is the mailbox plus the contact's token."""

    id: str = Field(pattern=ID_PATTERN)
    first_name: str
    last_name: str
    phone: str | None = None
    company: str | None = None
    mailbox: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)

    _mb = field_validator("mailbox")(lambda cls, v: v if v is None else _check_email(v))

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Resume(Strict):
    """A résumé variant: only these differences change between arms."""

    headline: str
    experience: list[str] = Field(default_factory=list)
    education: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)


class Variant(Strict):
    id: str = Field(pattern=ID_PATTERN)
    description: str = ""
    subject: str
    body: str
    channels: list[ChannelType] | None = None
    persona: str | None = None
    resume: Resume | None = None


class Ethics(Strict):
    approval: str = Field(min_length=1)
    max_contacts_per_company: int = Field(ge=1)
    opt_out: list[str] = Field(default_factory=list)


class Design(Strict):
    unit: Literal["company"] = "company"
    arms: Literal["within", "between"] = "within"
    block_by: str | None = None
    seed: int
    start: dt.date
    days: int = Field(default=14, ge=1, le=365)
    spacing_hours: float = Field(default=24.0, ge=0)
    channels: list[ChannelType] | None = None


class CodingDimension(Strict):
    id: str = Field(pattern=ID_PATTERN)
    question: str
    levels: list[str] = Field(min_length=2)


class Publication(Strict):
    company_names: Literal["show", "pseudonym"] = "pseudonym"


class Experiment(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    hypothesis: str = Field(min_length=1)
    mailbox: str
    ethics: Ethics
    design: Design
    response_window_days: float = Field(default=14, gt=0)
    business_hours: BusinessHours = BusinessHours()
    personas: list[Persona] = Field(min_length=1)
    variants: list[Variant] = Field(min_length=1)
    targets: list[Target] = Field(min_length=1)
    coding: list[CodingDimension] = Field(default_factory=list)
    publication: Publication = Publication()

    _mb = field_validator("mailbox")(lambda cls, v: _check_email(v))

    def hours_for(self, target: Target) -> BusinessHours:
        return target.business_hours or self.business_hours

    def persona(self, persona_id: str) -> Persona:
        return next(p for p in self.personas if p.id == persona_id)

    def variant(self, variant_id: str) -> Variant:
        return next(v for v in self.variants if v.id == variant_id)

    def target(self, target_id: str) -> Target:
        return next(t for t in self.targets if t.id == target_id)


def reply_address(mailbox: str, token: str) -> str:
    """Plus-address the researcher mailbox with a contact's token.

    >>> reply_address("research@lab.example", "k7f2q9")
    'research+k7f2q9@lab.example'
    """
    local, _, domain = mailbox.partition("@")
    return f"{local}+{token}@{domain}"
