"""Recompute the published results from the published data.

    python replicate.py [--knock PATH_TO_KNOCK] [--out results.json]

Reads ``analysis-table.csv`` beside this file, rebuilds the analysis table
(one row per contact) with its column types, and calls Knock's
``analysis.results.compute_results`` for each grouping the site shows,
with the settings below. It prints the same JSON as the site's
``results.json`` ("results" part): the numbers on the site were computed
from exactly this file, with exactly these calls.

Times: the published file has the day each inquiry was sent and every
other time as hours after sending; here each send time is set to midnight
UTC of its day and the other times are rebuilt from the hours. Results
depend only on the hours, never on the clock time.

Needs Knock's ``analysis`` package (a checkout of Knock with its
requirements installed): run from the checkout, set PYTHONPATH, or pass
``--knock``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# The experiment, the groupings and each grouping's ResultsConfig arguments (written by knock publish).
SETTINGS = {"experiment": None, "by": ["variant", "channel", "company"], "config": {}}

HERE = Path(__file__).resolve().parent
BOOLEAN = ("delivered", "responded_human", "responded_any")
HOURS = ("hours_to_human", "hours_to_auto", "hours_to_bounce", "followup_hours", "window_hours")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _undo_apostrophe(value: str) -> str:
    """Text cells that would start a spreadsheet formula were written with a leading apostrophe."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def read_table(path):
    """The analysis table (analysis/schema.py's contract) from the published CSV."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    text = [c for c in frame.columns if c not in (*BOOLEAN, *HOURS, "row", "sent_date")]
    table = pd.DataFrame({"contact_id": frame["row"].astype(int)})
    for column in text:
        table[column] = frame[column].map(_undo_apostrophe)
    for column in ["exclusion", *(c for c in text if c.startswith("stratum_"))]:
        table[column] = table[column].where(table[column] != "", None)  # empty = missing
    for column in BOOLEAN:
        table[column] = frame[column].astype(int).astype(bool)
    for column in HOURS:
        table[column] = pd.to_numeric(frame[column].replace("", None), errors="raise").astype(float)
    sent = pd.to_datetime(frame["sent_date"].replace("", None), utc=True, format="%Y-%m-%d")

    def later(hours):
        return sent + pd.to_timedelta(table[hours], unit="h")

    table["sent_at"] = sent
    table["window_end"] = later("window_hours")
    table["first_human_at"] = later("hours_to_human")
    table["first_auto_at"] = later("hours_to_auto")
    table["bounced_at"] = later("hours_to_bounce")
    table["first_any_at"] = pd.concat([table["first_human_at"], table["first_auto_at"]], axis=1).min(axis=1)
    return table.drop(columns=["window_hours", "hours_to_auto", "hours_to_bounce"])


def compute(table, settings=SETTINGS) -> dict:
    """grouping -> Results.to_dict(), as on the site."""
    from analysis.config import ResultsConfig
    from analysis.results import compute_results

    return {by: compute_results(table, by=by, config=ResultsConfig(**settings["config"].get(by, {})),
                                experiment=settings["experiment"]).to_dict()
            for by in settings["by"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Recompute the published results from analysis-table.csv.")
    parser.add_argument("--knock", help="path to a Knock checkout (if `analysis` is not importable)")
    parser.add_argument("--csv", default=str(HERE / "analysis-table.csv"), help="the published analysis table")
    parser.add_argument("--out", help="write the JSON here instead of printing it")
    args = parser.parse_args(argv)
    if args.knock:
        sys.path.insert(0, str(Path(args.knock).resolve()))
    try:
        import analysis.results  # noqa: F401
    except ImportError:
        print("Knock's analysis package is not importable: run from a Knock checkout, set PYTHONPATH, "
              "or pass --knock PATH", file=sys.stderr)
        return 2
    text = json.dumps(compute(read_table(args.csv)), indent=2, sort_keys=True, allow_nan=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
