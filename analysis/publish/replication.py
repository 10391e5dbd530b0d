"""The replication package of one experiment: data, codebook, design file, and the script.

    ID/replication/
      analysis-table.csv   one row per contact, anonymised (see anonymise.py)
      codebook.md          every column, its type and meaning
      design.yaml          the design as registered, identities redacted (designed studies only)
      replicate.py         recomputes results.json from the CSV with Knock's own calls
      README.md            what is here, the pre-registration hash and time, how to run it
"""

from __future__ import annotations

import pprint
from pathlib import Path

from .anonymise import PUBLISHED_COLUMNS

SCRIPT = Path(__file__).with_name("replicate_script.py")
SETTINGS_LINE = "SETTINGS = {"

CODEBOOK = {
    "row": ("integer", "Row number (1, 2, ...): one row per contact, i.e. one planned or made inquiry."),
    "experiment_id": ("text", "The experiment's id."),
    "company": ("text", "The company contacted: its name, or its pseudonym (Company A, ...) when names are withheld."),
    "channel": ("text", "How the company was contacted: web_form, job_application, email, phone, social, chat."),
    "variant": ("text", "The message variant (the arm of the experiment)."),
    "persona": ("text", "The fictitious sender, as a pseudonym (persona-1, ...); empty for imported studies."),
    "sent_date": ("date", "The day (UTC) the inquiry went out; empty if it never did. Clock times are withheld."),
    "delivered": ("0/1", "1 if the inquiry went out and did not bounce: the contacts that count for rates."),
    "exclusion": ("text", "Why a contact does not count (not sent yet, blocked, failed, uncertain, skipped, "
                          "bounced); empty when delivered."),
    "responded_human": ("0/1", "1 if a person replied within the response window (delivered contacts only)."),
    "responded_any": ("0/1", "1 if any reply arrived within the window, automatic replies included."),
    "hours_to_human": ("hours", "Hours from the inquiry to the first human reply, if one came within the window."),
    "hours_to_auto": ("hours", "Hours from the inquiry to the first automatic reply, if any."),
    "hours_to_bounce": ("hours", "Hours from the inquiry to the first bounce, if any."),
    "followup_hours": ("hours", "How long the contact was followed: to the first human reply, else to the end of "
                                "its window (or to the time the data were taken, if earlier): the survival time."),
    "window_hours": ("hours", "Hours from the inquiry to the end of its observation (window end or data time)."),
}
STRATUM_MEANING = "A stratum (a label of the company or contact, used for balance and subgroup analysis)."


def codebook_rows(columns) -> list[tuple[str, str, str]]:
    rows = []
    for column in columns:
        if column in CODEBOOK:
            rows.append((column, *CODEBOOK[column]))
        elif column.startswith("stratum_"):
            rows.append((column, "text", STRATUM_MEANING))
    return rows


def codebook_markdown(experiment_id: str, columns, n_rows: int, extra: list[str]) -> str:
    lines = [f"# Codebook: analysis-table.csv ({experiment_id})", "",
             f"{n_rows:,} rows, one per contact. Booleans are 0/1; an empty cell is a missing value. A text cell "
             "that would start a spreadsheet formula (=, +, -, @) is written with a leading apostrophe, which "
             "replicate.py removes.", "", "| column | type | meaning |", "|---|---|---|"]
    lines += [f"| {c} | {t} | {m} |" for c, t, m in codebook_rows(columns)]
    if extra:
        lines += ["", "## Withheld", "", *(f"- {e}" for e in extra)]
    return "\n".join(lines) + "\n"


def script_text(settings: dict) -> str:
    """replicate.py with this experiment's settings filled in."""
    lines = SCRIPT.read_text(encoding="utf-8").splitlines(keepends=True)
    out = []
    for line in lines:
        if line.startswith(SETTINGS_LINE):
            text = pprint.pformat(settings, width=100, sort_dicts=True)
            line = "SETTINGS = " + text.replace("\n", "\n" + " " * len("SETTINGS = ")) + "\n"
        out.append(line)
    return "".join(out)


def readme(experiment_id: str, title: str, prereg_hash: str | None, armed_at: str | None, has_design: bool,
           data_as_of: str, simulated: bool) -> str:
    lines = [f"# Replication package: {title} ({experiment_id})", "",
             f"Data as of {data_as_of}" + (" (simulated clock: the times come from a simulated clock, not real "
                                            "fieldwork)." if simulated else "."), "",
             "- `analysis-table.csv`: one row per contact, anonymised (see `codebook.md`).",
             "- `codebook.md`: every column, its type and its meaning."]
    if has_design:
        lines += ["- `design.yaml`: the experiment's design file, with persona identities, mailboxes and every "
                  "email address redacted and form recipes removed.", "",
                  "## Pre-registration", "",
                  f"- hash: `{prereg_hash or 'none (the design was not armed)'}`",
                  f"- locked at: {armed_at or 'never'}", "",
                  "The hash covers the unredacted design and the contact plan as they were when the experiment was "
                  "armed: the researchers can show the original to a reviewer, who can recompute it with Knock "
                  "(`experiments.lifecycle.prereg_hash`). It cannot be recomputed from the redacted copy here."]
    else:
        lines += ["", "This study was imported from a table of outcomes collected elsewhere: it has no design file "
                  "and no pre-registration in Knock."]
    lines += ["", "## Recompute the published numbers", "",
              "From a checkout of Knock with its requirements installed:", "",
              "```sh", "python replicate.py --knock /path/to/knock > recomputed.json", "```", "",
              "It reads `analysis-table.csv`, rebuilds the analysis table and calls "
              "`analysis.results.compute_results` for each grouping with the settings at the top of the script, "
              "and prints the `results` part of `../results.json`: the site was computed from this same file with "
              "these same calls."]
    return "\n".join(lines) + "\n"


def columns_in_order(columns) -> list[str]:
    return [c for c in PUBLISHED_COLUMNS if c in columns] + [c for c in columns if c.startswith("stratum_")]
