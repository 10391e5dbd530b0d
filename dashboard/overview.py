"""The Experiments page's work: the list with progress, creating, and the lifecycle.

Plain functions over a ``Store``; no streamlit.

    >>> describe_reach(Reach(3, {"acme.example": 2, "bluefin.example": 1}))
    'Going live makes 3 real contacts to 2 domains.'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from experiments import lifecycle
from experiments.safety import Reach, live_reach
from experiments.store import LoadResult
from experiments.validation import Validated, validate_text

EXAMPLES = Path(__file__).resolve().parent.parent / "experiments" / "examples"
OPEN_STATES = ("planned", "queued", "claimed", "submitting")
ACTIONS = {"armed": "Arm", "live": "Go live", "closed": "Close"}


def experiment_rows(store) -> list[dict]:
    """Every experiment with status, counts by state and progress (share of contacts settled)."""
    rows = []
    for row in store.experiments():
        counts = store.state_counts(row["id"])
        total = sum(counts.values())
        settled = total - sum(counts.get(s, 0) for s in OPEN_STATES)
        rows.append({
            "id": row["id"], "title": row["title"], "kind": row["kind"], "status": row["status"],
            "paused": bool(row["paused"]), "contacts": total, "planned": counts.get("planned", 0),
            "sent": counts.get("submitted", 0), "uncertain": counts.get("uncertain", 0),
            "blocked": counts.get("blocked", 0), "failed": counts.get("failed", 0),
            "progress": settled / total if total else 0.0, "created_at": row["created_at"],
            "armed_at": row["armed_at"]})
    return rows


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    title: str
    experiment_id: str
    summary: str


def templates(directory: Path = EXAMPLES) -> list[Template]:
    """The shipped examples, to start an experiment from."""
    out = []
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            continue
        comment = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("#").strip())
        comment = " ".join(c for c in comment if c)
        out.append(Template(path.name, path, str(data.get("title", path.stem)), str(data.get("id", path.stem)),
                            comment))
    return out


def free_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is not taken yet.

    >>> free_id("inquiry-demo", {"inquiry-demo"})
    'inquiry-demo-2'
    """
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


_ID_LINE = re.compile(r"^id:[ \t]*\S.*$", re.MULTILINE)


def with_id(text: str, new_id: str) -> str:
    """The same YAML with another top-level id (comments and layout kept).

    >>> with_id("# study\\nid: old\\ntitle: T\\n", "new-1")
    '# study\\nid: new-1\\ntitle: T\\n'
    """
    if not new_id:
        return text
    if _ID_LINE.search(text):
        return _ID_LINE.sub(f"id: {new_id}", text, count=1)
    return f"id: {new_id}\n{text}"


@dataclass(frozen=True)
class Created:
    validated: Validated
    loaded: LoadResult | None

    @property
    def ok(self) -> bool:
        return self.loaded is not None


def create_from_text(store, text: str, filename: str, new_id: str | None = None) -> Created:
    """Validate a definition and store it only when it has no problem (like ``knock experiment load``)."""
    if new_id:
        text = with_id(text, new_id.strip())
    validated = validate_text(text, filename)
    if not validated.ok:
        return Created(validated, None)
    return Created(validated, store.load(validated.experiment, text, filename))


def load_verb(result: LoadResult) -> str:
    """The CLI's words for what loading did."""
    return {"created": "Loaded", "unchanged": "Unchanged", "replanned": "Re-planned draft",
            "updated": "Updated (design unchanged)"}.get(result.action, result.action)


def next_statuses(status: str) -> list[str]:
    """Where an experiment may go from here, in lifecycle order."""
    order = ("armed", "live", "closed")
    return [s for s in order if lifecycle.allowed(status, s)]


def reach(store, experiment_id: str) -> Reach:
    return live_reach(store, experiment_id)


def describe_reach(reach: Reach) -> str:
    """The confirmation sentence, with the CLI's numbers."""
    if not reach.total:
        return "Going live makes no real contacts: every contact left goes to the sandbox (127.0.0.1)."
    domains = len(reach.domains)
    return (f"Going live makes {reach.total} real contact{'s' if reach.total != 1 else ''} to "
            f"{domains} domain{'s' if domains != 1 else ''}.")
