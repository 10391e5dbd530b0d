"""An experiment as editable tables, and back to YAML, without loss.

The dashboard's Design page edits an experiment without YAML: targets,
channels, personas and coding dimensions are tables of plain strings;
variants, schedule and ethics are plain values. This module converts

    Experiment -> DesignForm -> plain data -> YAML text -> validate_text -> Experiment

and the round trip gives back an equal ``Experiment`` (tests check both
examples). Cells that hold structure use YAML's flow style without the
outer brackets, so they read like prose and parse losslessly:

- strata and persona extras: ``industry: retail, size: small``
- coding levels and résumé skills: ``no, partly, fully``
- a channel's recipe: ``fields: {name: {label: Full name}}, submit: {role: button}``
- a target's own opening hours: ``mon-fri 09:00-17:00`` (or ``mon, wed 08:30-12:00``)

A cell that does not parse is passed on as it is, so validation reports it
at the field it belongs to (``targets[2].strata``) with the CLI's message;
only problems the YAML cannot have (a channel row naming an unknown
target) come from here, as ``Problem``s with file ``<dashboard>``.

    >>> from experiments.validation import validate_file
    >>> exp = validate_file("experiments/examples/inquiry.yaml").experiment
    >>> form = form_from_experiment(exp)
    >>> list(form.targets.columns)
    ['id', 'name', 'domain', 'timezone', 'strata', 'hours']
    >>> validate_form(form)[1].experiment == exp
    True
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import yaml

from experiments.model import WEEKDAYS, BusinessHours, Experiment
from experiments.validation import Problem, Validated, validate_text
from experiments.yamlio import Loader, dump

DASHBOARD = "<dashboard>"

TARGET_COLUMNS = ["id", "name", "domain", "timezone", "strata", "hours"]
CHANNEL_COLUMNS = ["target", "type", "id", "url", "address", "handle", "recipe"]
PERSONA_COLUMNS = ["id", "first_name", "last_name", "phone", "company", "mailbox", "extra"]
CODING_COLUMNS = ["id", "question", "levels"]
HOURS_FORMAT = "mon-fri 09:00-17:00"


@dataclass
class DesignForm:
    """Everything the Design page edits: plain values and string tables."""

    general: dict[str, Any]      # id, title, hypothesis, mailbox, response_window_days, company_names
    ethics: dict[str, Any]       # approval, max_contacts_per_company, opt_out (list of str)
    design: dict[str, Any]       # unit, arms, block_by, seed, start (date), days, spacing_hours, channels
    hours: dict[str, Any]        # days (list), start (time), end (time)
    targets: pd.DataFrame
    channels: pd.DataFrame
    personas: pd.DataFrame
    variants: list[dict[str, Any]] = field(default_factory=list)
    coding: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CODING_COLUMNS))


# --- small text formats ---------------------------------------------------------

class _FlowDumper(yaml.SafeDumper):
    pass


def flow_text(value: dict | list) -> str:
    """A mapping or list as one line of YAML flow style, without the outer brackets.

    >>> flow_text({"industry": "retail", "size": "no"})
    "industry: retail, size: 'no'"
    >>> flow_text(["no", "partly", "fully"])
    "'no', partly, fully"
    """
    if not value:
        return ""
    text = yaml.dump(value, Dumper=_FlowDumper, default_flow_style=True, width=math.inf,
                     allow_unicode=True, sort_keys=False).strip()
    return text[1:-1].strip()


def parse_flow(text: Any, kind: type) -> Any:
    """Read ``flow_text`` back; text that does not parse is returned unchanged (validation names it).

    >>> parse_flow("industry: retail, size: 50", dict)
    {'industry': 'retail', 'size': '50'}
    >>> parse_flow("no, partly", list)
    ['no', 'partly']
    """
    if _blank(text):
        return kind()
    if not isinstance(text, str):
        return text
    brackets = "{}" if kind is dict else "[]"
    try:
        value = yaml.load(brackets[0] + text + brackets[1], Loader=Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError:
        return text
    if kind is dict and isinstance(value, dict):
        return {str(k): _scalar_text(v) for k, v in value.items()}
    if kind is list and isinstance(value, list):
        return [_scalar_text(v) for v in value]
    return text


def _scalar_text(value: Any) -> Any:
    """Table cells hold text: 50 -> '50', true -> 'true'; structure stays (validation complains)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float, dt.date)):
        return str(value)
    return value


def recipe_text(recipe: dict | None) -> str:
    return flow_text(recipe) if recipe else ""


def parse_recipe(text: Any) -> Any:
    if _blank(text):
        return None
    value = parse_flow_raw(text)
    return value


def parse_flow_raw(text: str) -> Any:
    """A flow mapping without coercing its scalars (recipes carry an HTTP status number)."""
    try:
        value = yaml.load("{" + text + "}", Loader=Loader)  # noqa: S506
    except yaml.YAMLError:
        return text
    return value if isinstance(value, dict) else text


def hhmm(value: dt.time | str) -> str:
    """``09:00``; seconds only when there are some."""
    if isinstance(value, str):
        return value
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def days_text(days: list[str]) -> str:
    """Weekdays as ranges: ``['mon','tue','wed','thu','fri']`` -> ``mon-fri``.

    >>> days_text(["mon", "tue", "wed", "fri", "sat"])
    'mon-wed, fri-sat'
    """
    order = [d for d in WEEKDAYS if d in days]
    if [d for d in days] != order:  # unusual order or repeats: keep it literally
        return ", ".join(days)
    runs: list[list[str]] = []
    for day in order:
        if runs and WEEKDAYS.index(day) == WEEKDAYS.index(runs[-1][-1]) + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def hours_text(hours: BusinessHours | dict | None) -> str:
    """``mon-fri 09:00-17:00``; empty for none."""
    if hours is None:
        return ""
    if isinstance(hours, dict):
        hours = BusinessHours.model_validate(hours)
    return f"{days_text(list(hours.days))} {hhmm(hours.start)}-{hhmm(hours.end)}"


_HOURS_RE = re.compile(r"^\s*(?P<days>[a-z,\s-]+?)\s+(?P<start>\d{1,2}:\d{2}(?::\d{2})?)\s*-\s*"
                       r"(?P<end>\d{1,2}:\d{2}(?::\d{2})?)\s*$")


def parse_hours(text: Any) -> Any:
    """``mon-fri 09:00-17:00`` -> business-hours data; None when blank; the text itself when unreadable.

    >>> parse_hours("mon-wed, sat 08:30-12:00")
    {'days': ['mon', 'tue', 'wed', 'sat'], 'start': '08:30', 'end': '12:00'}
    """
    if _blank(text):
        return None
    match = _HOURS_RE.match(str(text).lower())
    if not match:
        return str(text)
    days: list[str] = []
    for part in re.split(r"[,\s]+", match["days"].strip()):
        if not part:
            continue
        if "-" in part:
            first, _, last = part.partition("-")
            if first in WEEKDAYS and last in WEEKDAYS and WEEKDAYS.index(first) <= WEEKDAYS.index(last):
                days.extend(WEEKDAYS[WEEKDAYS.index(first):WEEKDAYS.index(last) + 1])
                continue
        days.append(part)
    return {"days": days, "start": match["start"], "end": match["end"]}


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _cell(value: Any) -> Any:
    """A table cell as YAML data: blank -> None; text stripped of outer spaces."""
    if _blank(value):
        return None
    return value.strip() if isinstance(value, str) else value


# --- Experiment -> form -------------------------------------------------------

def form_from_experiment(experiment: Experiment) -> DesignForm:
    """The editable form of a definition (every field, so saving loses nothing)."""
    data = experiment.model_dump(mode="json", exclude_none=True)
    targets = pd.DataFrame([
        {"id": t["id"], "name": t["name"], "domain": t["domain"], "timezone": t["timezone"],
         "strata": flow_text(t.get("strata") or {}), "hours": hours_text(t.get("business_hours"))}
        for t in data["targets"]], columns=TARGET_COLUMNS)
    channels = pd.DataFrame([
        {"target": t["id"], "type": c["type"], "id": c.get("id", ""), "url": c.get("url", ""),
         "address": c.get("address", ""), "handle": c.get("handle", ""),
         "recipe": recipe_text(_compact(c.get("recipe")))}
        for t in data["targets"] for c in t["channels"]], columns=CHANNEL_COLUMNS)
    personas = pd.DataFrame([
        {"id": p["id"], "first_name": p["first_name"], "last_name": p["last_name"],
         "phone": p.get("phone", ""), "company": p.get("company", ""), "mailbox": p.get("mailbox", ""),
         "extra": flow_text(p.get("extra") or {})}
        for p in data["personas"]], columns=PERSONA_COLUMNS)
    coding = pd.DataFrame([
        {"id": c["id"], "question": c["question"], "levels": flow_text(c["levels"])}
        for c in data.get("coding", [])], columns=CODING_COLUMNS)
    variants = [
        {"id": v["id"], "description": v.get("description", ""), "subject": v["subject"], "body": v["body"],
         "channels": v.get("channels"), "persona": v.get("persona"), "resume": v.get("resume")}
        for v in data["variants"]]
    design = experiment.design
    return DesignForm(
        general={"id": experiment.id, "title": experiment.title, "hypothesis": experiment.hypothesis,
                 "mailbox": experiment.mailbox, "response_window_days": float(experiment.response_window_days),
                 "company_names": experiment.publication.company_names},
        ethics={"approval": experiment.ethics.approval,
                "max_contacts_per_company": experiment.ethics.max_contacts_per_company,
                "opt_out": list(experiment.ethics.opt_out)},
        design={"unit": design.unit, "arms": design.arms, "block_by": design.block_by, "seed": design.seed,
                "start": design.start, "days": design.days, "spacing_hours": float(design.spacing_hours),
                "channels": list(design.channels) if design.channels is not None else None},
        hours={"days": list(experiment.business_hours.days), "start": experiment.business_hours.start,
               "end": experiment.business_hours.end},
        targets=targets, channels=channels, personas=personas, variants=variants, coding=coding)


def _compact(value: Any) -> Any:
    """Drop empty containers and None from nested recipe data (they are the defaults)."""
    if isinstance(value, dict):
        out = {k: _compact(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


# --- form -> plain data -> YAML ----------------------------------------------------

def data_from_form(form: DesignForm) -> tuple[dict, list[Problem]]:
    """The YAML data of a form (key order as in the examples) and problems only the tables can have."""
    problems: list[Problem] = []
    g, e, d, h = form.general, form.ethics, form.design, form.hours
    data: dict[str, Any] = {
        "id": _cell(g.get("id")), "title": _cell(g.get("title")), "hypothesis": g.get("hypothesis"),
        "mailbox": _cell(g.get("mailbox")),
        "ethics": _drop_none({"approval": _cell(e.get("approval")),
                              "max_contacts_per_company": e.get("max_contacts_per_company"),
                              "opt_out": [s.strip() for s in e.get("opt_out") or [] if s and s.strip()]}),
        "design": _drop_none({
            "unit": d.get("unit") or "company", "arms": d.get("arms"), "block_by": _cell(d.get("block_by")),
            "seed": d.get("seed"), "start": d.get("start"), "days": d.get("days"),
            "spacing_hours": d.get("spacing_hours"), "channels": d.get("channels") or None}),
        "response_window_days": g.get("response_window_days"),
        "business_hours": {"days": list(h.get("days") or []), "start": hhmm(h["start"]), "end": hhmm(h["end"])},
        "personas": [_persona(row) for row in _rows(form.personas)],
        "variants": [_variant(v) for v in form.variants],
        "coding": [_drop_none({"id": _cell(r.get("id")), "question": _cell(r.get("question")),
                               "levels": parse_flow(r.get("levels"), list)}) for r in _rows(form.coding)],
        "publication": {"company_names": g.get("company_names") or "pseudonym"},
        "targets": [],
    }
    if data["hypothesis"] is not None and not str(data["hypothesis"]).strip():
        data["hypothesis"] = ""
    targets = _rows(form.targets)
    channels = _rows(form.channels)
    by_target: dict[str, list[dict]] = {}
    target_ids = [_cell(t.get("id")) for t in targets]
    for index, row in enumerate(channels):
        owner = _cell(row.get("target"))
        if owner not in target_ids:
            known = ", ".join(str(t) for t in target_ids if t) or "none yet"
            problems.append(Problem(DASHBOARD, 0, f"channels (row {index + 1})",
                                    f"target {owner!r} is not in the targets table (targets: {known})"))
            continue
        by_target.setdefault(owner, []).append(_channel(row))
    for row in targets:
        target = _drop_none({
            "id": _cell(row.get("id")), "name": _cell(row.get("name")), "domain": _cell(row.get("domain")),
            "timezone": _cell(row.get("timezone")), "strata": parse_flow(row.get("strata"), dict) or None,
            "business_hours": parse_hours(row.get("hours"))})
        target["channels"] = by_target.get(target.get("id"), [])
        data["targets"].append(target)
    if not data["coding"]:
        del data["coding"]
    return _drop_none(data), problems


def _rows(frame: pd.DataFrame | None) -> list[dict]:
    """Table rows as dicts; rows left entirely blank (a new row not filled in) are ignored."""
    if frame is None or frame.empty:
        return []
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [r for r in rows if any(not _blank(v) for v in r.values())]


def _persona(row: dict) -> dict:
    return _drop_none({
        "id": _cell(row.get("id")), "first_name": _cell(row.get("first_name")),
        "last_name": _cell(row.get("last_name")), "phone": _cell(row.get("phone")),
        "company": _cell(row.get("company")), "mailbox": _cell(row.get("mailbox")),
        "extra": parse_flow(row.get("extra"), dict) or None})


def _channel(row: dict) -> dict:
    return _drop_none({
        "id": _cell(row.get("id")), "type": _cell(row.get("type")), "url": _cell(row.get("url")),
        "address": _cell(row.get("address")), "handle": _cell(row.get("handle")),
        "recipe": parse_recipe(row.get("recipe"))})


def _variant(v: dict) -> dict:
    resume = v.get("resume")
    if resume is not None:
        resume = _drop_none({"headline": resume.get("headline"), "experience": list(resume.get("experience") or []),
                             "education": list(resume.get("education") or []),
                             "skills": list(resume.get("skills") or [])})
    return _drop_none({
        "id": _cell(v.get("id")), "description": v.get("description") or None, "subject": v.get("subject"),
        "body": v.get("body"), "channels": list(v["channels"]) if v.get("channels") else None,
        "persona": _cell(v.get("persona")), "resume": resume})


def _drop_none(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def yaml_from_form(form: DesignForm) -> str:
    data, _ = data_from_form(form)
    return dump(data)


def experiment_yaml(experiment: Experiment) -> str:
    """A stored definition as readable YAML that ``knock experiment validate`` accepts."""
    return yaml_from_form(form_from_experiment(experiment))


def validate_form(form: DesignForm, filename: str = "dashboard.yaml") -> tuple[str, Validated]:
    """The form's YAML and its validation, with the table-only problems added."""
    data, extra = data_from_form(form)
    text = dump(data)
    result = validate_text(text, filename)
    if extra:
        result = replace(result, experiment=None, problems=[*extra, *result.problems])
    return text, result


# --- where a problem belongs on the page ------------------------------------------

SECTIONS = ("general", "ethics", "design", "business_hours", "targets", "channels", "personas",
            "variants", "coding", "publication", "yaml")
_CHANNEL_PATH = re.compile(r"^targets\[(\d+)\]\.channels(?:\[(\d+)\])?")
_VARIANT_PATH = re.compile(r"^variants\[(\d+)\]")


def section_of(path: str) -> str:
    """The part of the Design page a problem path belongs to.

    >>> section_of("targets[2].channels[0].url"), section_of("variants[1].body"), section_of("mailbox")
    ('channels', 'variants', 'general')
    """
    if path.startswith("channels (row"):
        return "channels"
    if _CHANNEL_PATH.match(path):
        return "channels"
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    if head in ("id", "title", "hypothesis", "mailbox", "response_window_days", "(top)"):
        return "general"
    if head in SECTIONS:
        return head
    return "yaml"


def variant_index(path: str) -> int | None:
    match = _VARIANT_PATH.match(path)
    return int(match[1]) if match else None


def channel_row(form: DesignForm, path: str) -> int | None:
    """The 1-based row of the channels table a ``targets[i].channels[j]`` path points at."""
    match = _CHANNEL_PATH.match(path)
    if not match or match[2] is None:
        return None
    ti, ci = int(match[1]), int(match[2])
    targets = [_cell(r.get("id")) for r in _rows(form.targets)]
    if ti >= len(targets):
        return None
    seen = -1
    for index, row in enumerate(_rows(form.channels)):
        if _cell(row.get("target")) == targets[ti]:
            seen += 1
            if seen == ci:
                return index + 1
    return None


def problem_text(problem: Problem, form: DesignForm | None = None) -> str:
    """``targets[1].timezone: 'Europe/Lodnon' is not ...`` plus the table row where that helps."""
    where = problem.path
    match = re.match(r"^(targets|personas|coding)\[(\d+)\]", where)
    hint = ""
    if form is not None and _CHANNEL_PATH.match(where):
        row = channel_row(form, where)
        hint = f" (channels table, row {row})" if row else ""
    elif match:
        hint = f" ({match[1]} table, row {int(match[2]) + 1})"
    return f"{where}: {problem.message}{hint}"


def problems_by_section(problems: list[Problem]) -> dict[str, list[Problem]]:
    out: dict[str, list[Problem]] = {}
    for problem in problems:
        out.setdefault(section_of(problem.path), []).append(problem)
    return out
