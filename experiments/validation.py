"""Validate an experiment file: every problem at once, each with its line.

Output lines look like ``study.yaml:12: targets[1].timezone: 'Europe/Lodnon'
is not an IANA timezone (like Europe/London)``. Schema problems come from
the pydantic model; cross-field problems (duplicate ids, template
placeholders, the contact cap, channels no variant can use) are checked on
the raw data, defensively, so they are reported even when the schema also
has complaints.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from experiments.assignment import can_carry
from experiments.model import EMAIL_RE, DOMAIN_RE, Experiment
from experiments.templates import PERSONA_FIELDS, TARGET_FIELDS, check as check_template
from experiments.yamlio import Located, Path_, format_path, parse

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


@dataclass(frozen=True)
class Validated:
    experiment: Experiment | None
    problems: list[Problem]
    source: str

    @property
    def ok(self) -> bool:
        return self.experiment is not None and not self.problems


def validate_file(path: Path | str) -> Validated:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Validated(None, [Problem(str(path), 0, "(file)", f"cannot read: {exc.strerror}")], "")
    except UnicodeDecodeError as exc:
        return Validated(None, [Problem(str(path), 1, "(file)", f"not UTF-8 text ({exc.reason} at byte {exc.start})")], "")
    return validate_text(text, str(path))


def validate_text(text: str, filename: str = "<text>") -> Validated:
    """Parse and check ``text``; the experiment is returned only when there is no problem."""
    located = parse(text)
    raw: list[tuple[int, str, str]] = [(p.line, p.path, p.message) for p in located.problems]
    experiment = None
    if located.data is not None and not isinstance(located.data, dict):
        raw.append((1, "(top)", "an experiment file is a mapping of keys (id, title, hypothesis, ...)"))
    elif isinstance(located.data, dict):
        try:
            experiment = Experiment.model_validate(located.data)
        except ValidationError as exc:
            raw.extend(_schema_problems(exc, located))
        raw.extend(_cross_field_problems(located))
    problems = sorted({Problem(filename, line, path, msg) for line, path, msg in raw},
                      key=lambda p: (p.line, p.path, p.message))
    return Validated(experiment if not problems else None, problems, text)


# --- schema problems ---------------------------------------------------------

def _schema_problems(exc: ValidationError, located: Located) -> list[tuple[int, str, str]]:
    out = []
    errors = exc.errors(include_url=False)
    misspelt = _misspelt_required(errors)
    for error in errors:
        loc = _clean(error["loc"])
        if error["type"] == "missing" and loc in misspelt:
            continue  # the unknown-key message already says "did you mean ...?"
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        kind = error["type"]
        if kind == "extra_forbidden":
            message = _unknown_key_message(loc)
        elif kind == "missing":
            message = f"required key '{loc[-1]}' is missing"
        elif kind.startswith("literal_error"):
            message = f"{message} (got {error['input']!r})"
        elif kind == "string_pattern_mismatch":
            message = "ids use lower-case letters, digits, '-' and '_' (start with a letter or digit, at most 63)"
        out.append((located.line_of(loc), format_path(loc), message))
    return out


def _clean(loc) -> Path_:
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))


def _misspelt_required(errors) -> set[Path_]:
    """Missing keys that an unknown key at the same level is a close spelling of."""
    unknown = [_clean(e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    out = set()
    for error in errors:
        loc = _clean(error["loc"])
        if error["type"] == "missing" and any(
                u[:-1] == loc[:-1] and difflib.get_close_matches(str(u[-1]), [str(loc[-1])], n=1) for u in unknown):
            out.add(loc)
    return out


def _unknown_key_message(loc: Path_) -> str:
    fields = _fields_at(Experiment, loc[:-1])
    key = loc[-1]
    if not fields:
        return f"unknown key '{key}'"
    close = difflib.get_close_matches(str(key), fields, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(fields)}"
    return f"unknown key '{key}' ({hint})"


def _fields_at(model: type[BaseModel], loc: Path_) -> list[str]:
    """The field names of the model found at ``loc`` (for spelling hints)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = _inner_model(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        for inner in typing.get_args(arg):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


# --- cross-field problems ----------------------------------------------------

def _dicts(value: Any) -> list[tuple[int, dict]]:
    return [(i, v) for i, v in enumerate(value)] if isinstance(value, list) else []


def _only_dicts(value: Any) -> list[tuple[int, dict]]:
    return [(i, v) for i, v in _dicts(value) if isinstance(v, dict)]


def _cross_field_problems(located: Located) -> list[tuple[int, str, str]]:
    data = located.data
    out: list[tuple[int, str, str]] = []

    def add(path: Path_, message: str, line: int | None = None) -> None:
        out.append((line or located.line_of(path), format_path(path), message))

    for section in ("targets", "personas", "variants", "coding"):
        _duplicate_ids(data.get(section), (section,), add)
    targets = _only_dicts(data.get("targets"))
    variants = _only_dicts(data.get("variants"))
    personas = _only_dicts(data.get("personas"))
    design = data.get("design") if isinstance(data.get("design"), dict) else {}
    ethics = data.get("ethics") if isinstance(data.get("ethics"), dict) else {}

    for ti, target in targets:
        _channel_ids(target, ti, add)
        _channel_hosts(target, ti, add)
    _templates(variants, personas, targets, located, add)
    _persona_refs(variants, personas, add)
    _carriage(variants, targets, design, add)
    _contact_cap(variants, targets, design, ethics, add)
    _design_refs(design, targets, add)
    _opt_out(ethics, add)
    return out


def _duplicate_ids(items: Any, path: Path_, add) -> None:
    first: dict[str, int] = {}
    for index, item in _only_dicts(items):
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in first:
            add(path + (index, "id"), f"duplicate id '{ident}' (also {format_path(path + (first[ident],))})")
        else:
            first[ident] = index


def _channel_ids(target: dict, ti: int, add) -> None:
    seen: dict[str, int] = {}
    for ci, channel in _only_dicts(target.get("channels")):
        key = channel.get("id") or channel.get("type")
        if not isinstance(key, str):
            continue
        if key in seen:
            add(("targets", ti, "channels", ci),
                f"two channels are both called '{key}': give them distinct ids (id: {key}-2)")
        else:
            seen[key] = ci


def _channel_hosts(target: dict, ti: int, add) -> None:
    """Live runs submit only to the target's own domain (or loopback, for the sandbox)."""
    domain = target.get("domain")
    if not isinstance(domain, str) or not DOMAIN_RE.match(domain):
        return
    for ci, channel in _only_dicts(target.get("channels")):
        url = channel.get("url")
        if not isinstance(url, str):
            continue
        host = (urlsplit(url).hostname or "").lower()
        if host and host not in LOOPBACK_HOSTS and host != domain and not host.endswith("." + domain):
            add(("targets", ti, "channels", ci, "url"),
                f"host '{host}' is not {domain} or one of its subdomains; Knock only submits to a target's own domain")


def _templates(variants, personas, targets, located: Located, add) -> None:
    persona_fields = set(PERSONA_FIELDS)
    extras = [set((p.get("extra") or {}).keys()) if isinstance(p.get("extra"), dict) else set() for _, p in personas]
    if extras:
        persona_fields |= set.intersection(*extras)
    target_fields = set(TARGET_FIELDS)
    strata = [set(t["strata"]) if isinstance(t.get("strata"), dict) else set() for _, t in targets]
    if strata:
        target_fields |= set.intersection(*strata)
    for vi, variant in variants:
        for key in ("subject", "body"):
            template = variant.get(key)
            if not isinstance(template, str):
                continue
            path = ("variants", vi, key)
            first_line = located.value_lines.get(path, located.line_of(path))
            if path in located.block_scalars:
                first_line += 1
            for problem in check_template(template, persona_fields, target_fields):
                # Point at the template's own line, not the key's.
                add(path, problem.message, line=first_line + problem.line - 1)


def _persona_refs(variants, personas, add) -> None:
    ids = {p.get("id") for _, p in personas}
    for vi, variant in variants:
        ref = variant.get("persona")
        if isinstance(ref, str) and ref not in ids:
            add(("variants", vi, "persona"), f"no persona has id '{ref}' (personas: {', '.join(sorted(map(str, ids)))})")


def _channel_types(target: dict, design: dict) -> list[tuple[int, str]]:
    wanted = design.get("channels") if isinstance(design.get("channels"), list) else None
    return [(ci, c.get("type")) for ci, c in _only_dicts(target.get("channels"))
            if isinstance(c.get("type"), str) and (wanted is None or c.get("type") in wanted)]


def _variant_fits(variant: dict, channel_type: str) -> bool:
    channels = variant.get("channels") if isinstance(variant.get("channels"), list) else None
    return can_carry(channels, bool(variant.get("resume")), channel_type)


def _carriage(variants, targets, design, add) -> None:
    types = {t for _, target in targets for _, t in _channel_types(target, design)}
    for vi, variant in variants:
        if types and not any(_variant_fits(variant, t) for t in types):
            limited = variant.get("channels")
            reason = (f"it is limited to {', '.join(map(str, limited))}" if limited
                      else "it has no résumé and every channel is a job application")
            add(("variants", vi), f"no channel of any target can carry this variant: {reason} (targets offer {', '.join(sorted(types))})")
    for ti, target in targets:
        for ci, channel_type in _channel_types(target, design):
            if variants and not any(_variant_fits(v, channel_type) for _, v in variants):
                why = " (a job application needs a variant with a résumé)" if channel_type == "job_application" else ""
                add(("targets", ti, "channels", ci), f"no variant can be sent through this {channel_type} channel{why}")


def _contact_cap(variants, targets, design, ethics, add) -> None:
    cap = ethics.get("max_contacts_per_company")
    if not isinstance(cap, int) or isinstance(cap, bool):
        return
    between = design.get("arms") == "between"
    spacing = design.get("spacing_hours", 24)
    days = design.get("days", 14)
    for ti, target in targets:
        per_variant = [sum(1 for _, t in _channel_types(target, design) if _variant_fits(v, t)) for _, v in variants]
        planned = max(per_variant, default=0) if between else sum(per_variant)
        name = target.get("id", f"target {ti}")
        if planned > cap:
            add(("targets", ti),
                f"the design plans {planned} contacts to '{name}', over ethics.max_contacts_per_company ({cap})")
        if isinstance(spacing, (int, float)) and isinstance(days, int) and planned > 1 and (planned - 1) * spacing > days * 24:
            add(("targets", ti),
                f"{planned} contacts to '{name}' spaced {spacing:g} h apart do not fit in design.days ({days})")


def _design_refs(design, targets, add) -> None:
    block_by = design.get("block_by")
    if isinstance(block_by, str):
        for ti, target in targets:
            strata = target.get("strata") if isinstance(target.get("strata"), dict) else {}
            if block_by not in strata:
                add(("targets", ti), f"design.block_by is '{block_by}' but this target has no strata.{block_by}")
    wanted = design.get("channels")
    if isinstance(wanted, list):
        offered = {t for _, target in targets for _, t in _channel_types(target, {})}
        for index, channel_type in enumerate(wanted):
            if isinstance(channel_type, str) and channel_type not in offered:
                add(("design", "channels", index), f"no target has a {channel_type} channel")


def _opt_out(ethics, add) -> None:
    for index, entry in _dicts(ethics.get("opt_out")):
        if not isinstance(entry, str) or not (EMAIL_RE.match(entry) or DOMAIN_RE.match(entry)):
            add(("ethics", "opt_out", index), f"{entry!r} is neither an email address nor a domain")
