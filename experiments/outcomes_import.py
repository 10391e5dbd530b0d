"""Read a study run elsewhere from CSV, all rows or none.

Columns: ``company, channel, variant, sent_at`` and either ``responded``
(0/1) or ``responded_at`` (empty = no response); any other column becomes a
stratum. Every problem is reported with its line in the file
(``outcomes.csv:14: sent_at: ...``) before anything is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from experiments.errors import ImportRefused

REQUIRED = ("company", "channel", "variant", "sent_at")
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"0", "false", "no", "n", "f", ""}


@dataclass(frozen=True)
class OutcomeRow:
    line: int
    company: str
    channel: str
    variant: str
    sent_at: dt.datetime
    responded: bool
    responded_at: dt.datetime | None
    strata: dict[str, str] = field(default_factory=dict)


def parse_time(text: str, default_tz: dt.tzinfo) -> dt.datetime:
    """ISO 8601 date-time; a time without offset is read in ``default_tz``."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(dt.timezone.utc)


def read_outcomes(path: Path | str, default_tz: dt.tzinfo = dt.timezone.utc) -> list[OutcomeRow]:
    """Parse the CSV; raise ``ImportRefused`` listing every problem."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ImportRefused([f"{name}: cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ImportRefused([f"{name}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"]) from None
    return parse_outcomes(text, name, default_tz)


def parse_outcomes(text: str, name: str = "<csv>", default_tz: dt.tzinfo = dt.timezone.utc) -> list[OutcomeRow]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ImportRefused([f"{name}:1: the file is empty; expected a header row: {', '.join(REQUIRED)}, responded"])
    columns = [h.strip().lower() for h in header]
    problems = _header_problems(columns, name)
    if problems:
        raise ImportRefused(problems)
    rows: list[OutcomeRow] = []
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(columns):
            problems.append(f"{name}:{start}: has {len(values)} fields, the header has {len(columns)}")
            continue
        row, row_problems = _parse_row(dict(zip(columns, values)), start, name, default_tz)
        problems.extend(row_problems)
        if row:
            rows.append(row)
    if not rows and not problems:
        problems.append(f"{name}: no data rows after the header")
    if problems:
        raise ImportRefused(problems)
    return rows


def _header_problems(columns: list[str], name: str) -> list[str]:
    problems = [f"{name}:1: missing column '{c}' (columns are: {', '.join(columns)})" for c in REQUIRED if c not in columns]
    if "responded" not in columns and "responded_at" not in columns:
        problems.append(f"{name}:1: needs a 'responded' (0/1) or a 'responded_at' column")
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    problems += [f"{name}:1: column '{c}' appears twice" for c in duplicates]
    problems += [f"{name}:1: column {i + 1} has no name" for i, c in enumerate(columns) if not c]
    return problems


def _parse_row(values: dict[str, str], line: int, name: str, tz) -> tuple[OutcomeRow | None, list[str]]:
    problems: list[str] = []
    where = f"{name}:{line}"
    for column in ("company", "channel", "variant"):
        if not values[column].strip():
            problems.append(f"{where}: {column}: is empty")
    sent_at = responded_at = None
    try:
        sent_at = parse_time(values["sent_at"], tz)
    except ValueError:
        problems.append(f"{where}: sent_at: {values['sent_at']!r} is not a date-time (ISO 8601, like 2024-03-01T09:30:00Z)")
    raw_at = values.get("responded_at", "").strip()
    if raw_at:
        try:
            responded_at = parse_time(raw_at, tz)
        except ValueError:
            problems.append(f"{where}: responded_at: {raw_at!r} is not a date-time (ISO 8601) or empty")
    responded = responded_at is not None
    if "responded" in values:
        flag = values["responded"].strip().lower()
        if flag not in TRUE | FALSE:
            problems.append(f"{where}: responded: {values['responded']!r} is not 0 or 1")
        elif flag in FALSE and responded_at is not None:
            problems.append(f"{where}: responded is 0 but responded_at is given")
        else:
            responded = flag in TRUE or responded_at is not None
    if sent_at and responded_at and responded_at < sent_at:
        problems.append(f"{where}: responded_at: {raw_at} is before sent_at")
    if problems:
        return None, problems
    strata = {k: v.strip() for k, v in values.items() if k not in (*REQUIRED, "responded", "responded_at")}
    return OutcomeRow(line, values["company"].strip(), values["channel"].strip(), values["variant"].strip(),
                      sent_at, responded, responded_at, strata), []
