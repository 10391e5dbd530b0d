"""The Runs page's work: progress, contacts with attempts, evidence, a dry run.

Plain functions; no streamlit. Evidence paths come from the database, so
each is checked to lie inside the evidence root before the page reads it:
a path planted elsewhere is never shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from runners.contact_job import AUTOMATED

STATE_ORDER = ("planned", "queued", "claimed", "submitting", "submitted", "uncertain", "failed", "blocked",
               "skipped")
STATE_HELP = {
    "planned": "waiting for its planned time",
    "queued": "due, waiting for a runner",
    "claimed": "a runner has it",
    "submitting": "being submitted right now",
    "submitted": "made: the inquiry went out",
    "uncertain": "may have gone out: a person must decide",
    "failed": "not delivered (retried only before the submit)",
    "blocked": "CAPTCHA, login wall or no form: never bypassed",
    "skipped": "not made (cap, opt-out or window)",
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def progress(counts: dict[str, int]) -> dict:
    """Totals for the progress bar: made, open, not delivered, share settled.

    >>> progress({"planned": 6, "submitted": 3, "blocked": 1})["settled_share"]
    0.4
    """
    total = sum(counts.values())
    open_ = sum(counts.get(s, 0) for s in ("planned", "queued", "claimed", "submitting"))
    return {"total": total, "made": counts.get("submitted", 0), "open": open_,
            "uncertain": counts.get("uncertain", 0),
            "not_delivered": sum(counts.get(s, 0) for s in ("failed", "blocked", "skipped")),
            "settled_share": (total - open_) / total if total else 0.0}


def timeline_source(contacts: pd.DataFrame) -> pd.DataFrame:
    """What the timeline chart needs: planned (or actual) time, company, channel, variant, state."""
    if contacts.empty:
        return pd.DataFrame(columns=["planned_at", "company", "channel", "variant", "state"])
    when = contacts["submitted_at"].where(contacts["submitted_at"].notna(), contacts["planned_at"])
    return pd.DataFrame({"planned_at": when, "company": contacts["company"], "channel": contacts["channel_type"],
                         "variant": contacts["variant_id"], "state": contacts["state"]})


def contact_label(row: dict) -> str:
    return f"#{row['id']}  {row['company']} · {row['channel_key']} · {row['variant_id']}  ({row['state']})"


def dry_run_candidates(contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts a dry run may fill in: automated channels that have not gone out."""
    if contacts.empty:
        return contacts
    mask = contacts["channel_type"].isin(sorted(AUTOMATED)) & contacts["state"].isin(["planned", "queued", "failed"])
    return contacts.loc[mask]


def inside(path: str | Path, root: Path) -> Path | None:
    """The evidence file if it exists inside ``root``; None otherwise."""
    try:
        resolved = Path(path).resolve()
        base = Path(root).resolve()
    except (OSError, RuntimeError):
        return None
    if base not in resolved.parents or not resolved.is_file():
        return None
    return resolved


def locate(path: str | Path, root: Path) -> Path | None:
    """An evidence file inside ``root``: as stored, or re-rooted when the database and its evidence
    folder were moved together (``<root>/<experiment>/<contact>/<file>``)."""
    found = inside(path, root)
    if found is None and len(Path(path).parts) >= 3:
        found = inside(Path(root).joinpath(*Path(path).parts[-3:]), root)
    return found


def attempt_rows(store, contact_id: int, root: Path) -> list[dict]:
    """A contact's attempts, newest first, with their evidence files (only those inside ``root``)."""
    out = []
    for attempt in reversed(store.attempts_of(contact_id)):
        try:
            evidence = json.loads(attempt.get("evidence") or "{}")
        except json.JSONDecodeError:
            evidence = {}
        try:
            page_messages = json.loads(attempt.get("page_messages") or "[]")
        except json.JSONDecodeError:
            page_messages = []
        files = {kind: locate(path, root) for kind, path in evidence.items()}
        images = [(kind, str(p)) for kind, p in sorted(files.items(), key=lambda kv: _image_order(kv[0]))
                  if p is not None and p.suffix.lower() in IMAGE_SUFFIXES]
        others = [(kind, str(p)) for kind, p in files.items()
                  if p is not None and p.suffix.lower() not in IMAGE_SUFFIXES]
        missing = sorted(kind for kind, p in files.items() if p is None)
        out.append({**attempt, "evidence": evidence, "page_messages": page_messages, "images": images,
                    "files": others, "missing": missing})
    return out


def _image_order(kind: str) -> tuple[int, str]:
    if kind.startswith("before"):
        return (0, kind)
    if kind == "after":
        return (2, kind)
    return (1, kind)


def dry_run(store, experiment_id: str, contact_id: int, evidence_root: Path):
    """Fill one contact's form (or compose its email) and keep the evidence; nothing is sent."""
    from runners.run import RunOptions, run_experiment

    options = RunOptions(experiment_id, dry_run=True, contact_ids=(contact_id,), evidence_root=Path(evidence_root))
    return run_experiment(store, options)


OUTCOME_WORDS = {
    "dry_run": "the form was filled and not submitted",
    "form_not_found": "no form was found on the page",
    "blocked_captcha": "a CAPTCHA guards the form (never solved)",
    "timeout": "the page did not answer in time",
    "http_error": "the site answered with an error",
    "validation_error": "the form refused the input",
    "offsite_redirect": "the form led to another site",
    "error": "the attempt failed",
}


def dry_run_text(contact_id: int, summary) -> str:
    """What a dry run did, in words, for the page's message."""
    if not summary.rows:
        reasons = [reason for _, reason in summary.skipped + summary.deferred]
        return f"Dry run of contact {contact_id}: nothing was done" + (f" ({reasons[0]})." if reasons else ".")
    row = summary.rows[0]
    words = OUTCOME_WORDS.get(row["outcome"], row["outcome"].replace("_", " "))
    detail = f" Runner's note: {row['message']}" if row.get("message") else ""
    return f"Dry run of contact {contact_id}: {words}.{detail} The evidence is below."


def resolve(store, contact_id: int, went_out: bool, note: str) -> bool:
    from experiments.errors import KnockError

    if not note.strip():
        raise KnockError("add a note saying how you know (e.g. 'confirmation email in the shared inbox')")
    if not store.resolve_uncertain(contact_id, went_out, note.strip()):
        raise KnockError(f"contact {contact_id} is no longer uncertain (someone decided already)")
    return True
