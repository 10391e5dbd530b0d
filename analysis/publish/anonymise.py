"""What a published site may show: pseudonyms, the anonymised analysis table, text scrubbing.

Privacy by design: the published table is built from an explicit list of
columns (never "everything but ..."), so a column added to the analysis
table later stays private until someone decides to publish it.

Pseudonyms ("Company A", "Company B", ...) are assigned in the order of a
keyed hash, HMAC-SHA256(database secret, experiment id + target id):

- stable: the same database and the same set of companies give the same
  letters on every republish (a designed experiment's targets are locked
  when it is armed; re-importing a study with other companies may move
  letters);
- not guessable: without the database's secret nobody can recompute the
  order from a list of candidate companies, and the letters say nothing
  about alphabetical order (sorted target ids would: "Company A" would be
  the first name in the alphabet).

    >>> letters(0, 1), letters(25, 1), letters(27, 2)
    ('A', 'Z', 'BB')
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.schema import STRATUM_PREFIX

# The published columns, in order (strata follow). Nothing else leaves the database.
PUBLISHED_COLUMNS = (
    "row", "experiment_id", "company", "channel", "variant", "persona", "sent_date",
    "delivered", "exclusion", "responded_human", "responded_any",
    "hours_to_human", "hours_to_auto", "hours_to_bounce", "followup_hours", "window_hours",
)
TEXT_COLUMNS = ("experiment_id", "company", "channel", "variant", "persona", "exclusion")
# Broader than valid addresses on purpose (underscores in domains too): a false alarm costs little.
EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")
URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
DOMAIN_RE = re.compile(r"(?i)\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.[a-z]{2,24}\b")
# A cell a spreadsheet would run as a formula (CSV injection): written with a leading apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REDACTED = "[redacted]"


def letters(index: int, width: int) -> str:
    """0 -> A, 25 -> Z; fixed ``width`` so labels sort in order (AA, AB, ... with more than 26)."""
    out = []
    for _ in range(width):
        index, rem = divmod(index, 26)
        out.append(chr(ord("A") + rem))
    return "".join(reversed(out))


def keyed_order(ids, key: bytes, scope: str) -> list[str]:
    """``ids`` sorted by HMAC-SHA256(key, scope + id): stable, and unrelated to the ids' own order."""
    def digest(value: str) -> str:
        return hmac.new(key, f"{scope}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return sorted(set(ids), key=lambda i: (digest(i), i))


def company_pseudonyms(target_ids, key: bytes, experiment_id: str) -> dict[str, str]:
    """target id -> "Company A", ... (see the module docstring)."""
    order = keyed_order(target_ids, key, f"company:{experiment_id}")
    width = 1
    while 26 ** width < len(order):
        width += 1
    return {t: f"Company {letters(i, width)}" for i, t in enumerate(order)}


def persona_pseudonyms(persona_ids, key: bytes, experiment_id: str) -> dict[str, str]:
    """persona id -> "persona-1", ...; the empty id (imported studies) stays empty."""
    order = keyed_order([p for p in persona_ids if p], key, f"persona:{experiment_id}")
    out = {p: f"persona-{i + 1}" for i, p in enumerate(order)}
    out[""] = ""
    return out


@dataclass
class Scrubber:
    """Replaces identities in free text: persona names, phones, emails; company names when pseudonymised."""

    replacements: list[tuple[re.Pattern, str]] = field(default_factory=list)

    def add(self, text: str | None, replacement: str, min_length: int = 3) -> None:
        text = (text or "").strip()
        if len(text) < min_length:
            return
        self.replacements.append((re.compile(r"(?<![\w-])" + re.escape(text) + r"(?![\w-])", re.IGNORECASE),
                                  replacement))

    def __call__(self, text: str | None) -> str:
        if not text:
            return text or ""
        text = EMAIL_RE.sub("[redacted email address]", str(text))
        # Longest first, so "Acme Outdoor Supply" goes before "Acme".
        for pattern, replacement in sorted(self.replacements, key=lambda r: -len(r[0].pattern)):
            text = pattern.sub(replacement, text)
        return text


@dataclass(frozen=True)
class Anonymised:
    """The published table and what was withheld from it."""

    table: pd.DataFrame            # PUBLISHED_COLUMNS + kept stratum_* columns
    companies: dict[str, str]      # target id -> published label (name or pseudonym)
    personas: dict[str, str]       # persona id -> pseudonym
    withheld_strata: dict[str, str]  # stratum -> why it was withheld
    pseudonymised: bool


def _dates(moments: pd.Series) -> pd.Series:
    """UTC days as 'YYYY-MM-DD' (None when missing); numpy's day unit is ~20x faster than strftime."""
    utc = moments.dt.tz_convert("UTC").dt.tz_localize(None) if moments.dt.tz is not None else moments
    days = pd.Series(utc.to_numpy().astype("datetime64[D]").astype(str), index=moments.index, dtype=object)
    return days.where(moments.notna(), None)


def _hours(later: pd.Series, sent: pd.Series) -> pd.Series:
    return (later - sent).dt.total_seconds() / 3600.0


def anonymise(table: pd.DataFrame, key: bytes, experiment_id: str, show_names: bool,
              names: dict[str, str] | None = None, domains: dict[str, str] | None = None) -> Anonymised:
    """The analysis table as it is published: explicit columns, labels replaced, identifying strata withheld.

    ``names``/``domains``: target id -> name/domain, used to spot strata that
    would reveal a pseudonymised company.
    """
    ids = table["target_id"].astype(str) if "target_id" in table.columns else table["company"].astype(str)
    if show_names:
        companies = dict(zip(ids, table["company"].astype(str)))
    else:
        companies = company_pseudonyms(ids.unique(), key, experiment_id)
    personas = persona_pseudonyms(table["persona"].fillna("").astype(str).unique(), key, experiment_id)
    sent = table["sent_at"]
    out = pd.DataFrame({
        "row": np.arange(1, len(table) + 1),
        "experiment_id": table["experiment_id"].astype(str),
        "company": ids.map(companies),
        "channel": table["channel"].astype(str),
        "variant": table["variant"].astype(str),
        "persona": table["persona"].fillna("").astype(str).map(personas),
        "sent_date": _dates(sent),
        "delivered": table["delivered"].fillna(False).astype(bool),
        "exclusion": table["exclusion"].astype("object").where(table["exclusion"].notna(), None),
        "responded_human": table["responded_human"].fillna(False).astype(bool),
        "responded_any": table["responded_any"].fillna(False).astype(bool),
        "hours_to_human": table["hours_to_human"].astype(float),
        "hours_to_auto": _hours(table["first_auto_at"], sent),
        "hours_to_bounce": _hours(table["bounced_at"], sent),
        "followup_hours": table["followup_hours"].astype(float),
        "window_hours": _hours(table["window_end"], sent),
    })
    withheld: dict[str, str] = {}
    for column in [c for c in table.columns if c.startswith(STRATUM_PREFIX)]:
        name = column[len(STRATUM_PREFIX):]
        reason = _stratum_problem(table[column], ids, show_names, names or {}, domains or {})
        if reason:
            withheld[name] = reason
        else:
            out[column] = table[column].astype("object").where(table[column].notna(), None)
    return Anonymised(out, companies, personas, withheld, not show_names)


def _stratum_problem(values: pd.Series, ids: pd.Series, show_names: bool, names: dict, domains: dict) -> str | None:
    """Why a stratum must not be published (None: it may be)."""
    text = values.dropna().astype(str)
    distinct = pd.Series(text.unique())
    if distinct.map(lambda v: bool(EMAIL_RE.search(v))).any():
        return "it contains email addresses"
    if show_names:
        return None
    if distinct.map(lambda v: bool(URL_RE.search(v) or DOMAIN_RE.fullmatch(v.strip()))).any():
        return "it contains web addresses, which would name the companies"
    known = {v.lower() for v in [*names.values(), *domains.values(), *ids.unique()] if v}
    if distinct.map(lambda v: v.strip().lower() in known).any():
        return "it contains company names"
    per_company = text.groupby(ids.loc[text.index]).nunique()
    n_companies = ids.nunique()
    if n_companies > 2 and len(distinct) == n_companies and per_company.max() == 1:
        return "each company has its own value, which would identify it"
    return None


# --- CSV --------------------------------------------------------------------------------------

def csv_safe(value):
    """A text cell a spreadsheet would treat as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(published: pd.DataFrame) -> str:
    """The published table as CSV: booleans 0/1, floats round-trip exact, formulas defused."""
    frame = published.copy()
    for column in frame.columns:
        if column in TEXT_COLUMNS or column.startswith(STRATUM_PREFIX):
            values = frame[column].astype("object")
            risky = values.astype(str).str.startswith(FORMULA_START)  # None -> "None": never risky
            if risky.any():
                frame[column] = values.where(~risky, values[risky].map(csv_safe))
        elif frame[column].dtype == bool:
            frame[column] = frame[column].astype(int)
    return frame.to_csv(index=False, lineterminator="\n")
