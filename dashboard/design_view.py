"""The Design page's work: template previews, the plan preview and its balance, power.

Plain functions; no streamlit. The YAML round trip itself lives in
``experiments.design_io``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pandas as pd
from jinja2 import TemplateError
from pydantic import ValidationError

from analysis.power import contacts_per_arm, detectable_difference
from experiments import design_io
from experiments.assignment import plan
from experiments.model import Experiment, Persona, Target

PREVIEW_TOKEN = "preview0token"
PREVIEW_KEY = b"knock-dashboard-preview"
NEW_VARIANT_BODY = "Hello {{ target.name }} team,\n\n\n\nKind regards,\n{{ persona.name }}\n"


@dataclass(frozen=True)
class Preview:
    subject: str
    body: str
    error: str = ""


def _persona(row: dict) -> Persona:
    return Persona.model_validate(design_io._persona(row))


def _target(row: dict) -> Target:
    data = {k: design_io._cell(row.get(k)) for k in ("id", "name", "domain", "timezone")}
    data["strata"] = design_io.parse_flow(row.get("strata"), dict) or {}
    # A preview needs no channel; one placeholder satisfies the model.
    data["channels"] = [{"type": "phone"}]
    return Target.model_validate({k: v for k, v in data.items() if v is not None})


def preview(subject: str, body: str, persona_row: dict | None, target_row: dict | None, title: str,
            mailbox: str) -> Preview:
    """The message one persona would send one target (with a placeholder reply token)."""
    from experiments.templates import render

    if persona_row is None or target_row is None:
        return Preview("", "", "add a persona and a target to see a preview")
    try:
        persona, target = _persona(persona_row), _target(target_row)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        return Preview("", "", f"fix this persona or target first ({'.'.join(map(str, first['loc']))}: {first['msg']})")
    experiment = SimpleNamespace(title=title or "", mailbox=mailbox or "research@lab.example")
    try:
        return Preview(render(subject or "", experiment, persona, target, PREVIEW_TOKEN),
                       render(body or "", experiment, persona, target, PREVIEW_TOKEN))
    except TemplateError as exc:
        return Preview("", "", f"template error: {exc}")
    except Exception as exc:  # a researcher's template code (e.g. {{ persona.name + 1 }}): show, never crash
        return Preview("", "", f"template error: {type(exc).__name__}: {exc}")


def plan_frame(experiment: Experiment) -> pd.DataFrame:
    """The randomized plan (with preview tokens), one row per contact."""
    names = {t.id: t.name for t in experiment.targets}
    rows = [{"planned_at": c.planned_at, "target_id": c.target_id, "company": names[c.target_id],
             "channel": c.channel_type, "channel_key": c.channel_key, "variant": c.variant_id,
             "persona": c.persona_id, "block": c.block or "(none)", "state": "planned"}
            for c in plan(experiment, PREVIEW_KEY)]
    return pd.DataFrame(rows, columns=["planned_at", "target_id", "company", "channel", "channel_key", "variant",
                                       "persona", "block", "state"])


def balance(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Contacts per variant and ``by`` (channel, persona, block), with totals: is the plan balanced?"""
    if frame.empty:
        return pd.DataFrame()
    table = pd.crosstab(frame["variant"], frame[by], margins=True, margins_name="total")
    table.index.name = "variant"
    table.columns.name = None
    return table.reset_index()


def arm_sizes(frame: pd.DataFrame) -> dict[str, int]:
    return frame["variant"].value_counts().sort_index().to_dict() if not frame.empty else {}


def power_sentence(p1: float, p2: float, alpha: float, power: float) -> str:
    return contacts_per_arm(p1, p2, alpha, power).sentence


def detectable_sentence(n_per_arm: int, p1: float, alpha: float, power: float) -> str:
    """What the planned size can detect, in words."""
    d = detectable_difference(n_per_arm, p1, alpha, power)
    lower = f"{100 * d.p2_lower:.1f}%" if d.p2_lower is not None else "nothing below"
    upper = f"{100 * d.p2_upper:.1f}%" if d.p2_upper is not None else "nothing above"
    return (f"With {n_per_arm} delivered contacts per arm and {100 * p1:.1f}% answered in one arm, the other arm "
            f"must be at most {lower} or at least {upper} to be detected with {100 * power:.0f}% power "
            f"(two-sided alpha {alpha:g}).")


def strata_keys(targets: pd.DataFrame) -> list[str]:
    keys: set[str] = set()
    for text in targets.get("strata", pd.Series(dtype=object)):
        value = design_io.parse_flow(text, dict)
        if isinstance(value, dict):
            keys |= set(value)
    return sorted(keys)


def ids(frame: pd.DataFrame) -> list[str]:
    if frame is None or frame.empty or "id" not in frame:
        return []
    return [str(v).strip() for v in frame["id"] if isinstance(v, str) and v.strip()]


def row_by_id(frame: pd.DataFrame, ident: str | None) -> dict | None:
    for row in design_io._rows(frame):
        if design_io._cell(row.get("id")) == ident:
            return row
    return None
