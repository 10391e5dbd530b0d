"""The facts of the methods page: registration, design, dates, counts, classification, exclusions, ethics.

Facts come from the store's experiment row and definition and from the
published table; text written by researchers passes the scrubber first
(persona identities, email addresses, and company names when pseudonymised).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from analysis.config import ResultsConfig
from analysis.schema import NOT_SENT

from .anonymise import Scrubber
from .pages import Table

CHANNEL_WORDS = {
    "web_form": "web contact form", "job_application": "job application form (with a résumé)",
    "email": "email", "phone": "phone (logged by hand)", "social": "social media (logged by hand)",
    "chat": "chat (logged by hand)",
}
MATCHING = (
    "Every inquiry carried its own reply token in the reply address. Replies were read from the research "
    "mailbox and matched to their inquiry by that token, by the Message-ID they answered, by a quoted token, "
    "or by the sender's domain; a match that was only probable counts once a researcher confirmed it."
)
CLASSIFICATION = (
    ("Bounce", "a delivery-status report (multipart/report or a message/delivery-status part), a failed-recipients "
               "header, or a bounce subject from a mailer-daemon or postmaster address. The inquiry counts as "
               "not delivered."),
    ("Automatic reply (headers)", "an Auto-Submitted header other than 'no' (RFC 3834), an X-Autoreply or "
                                  "X-Autorespond header, Precedence: auto_reply, or a read receipt."),
    ("Automatic reply (subject)", "a subject that starts with an auto-reply or acknowledgement phrase "
                                  "('Automatic reply:', 'Request received:', and the same in German, French, "
                                  "Spanish, Dutch and Italian)."),
    ("Automatic reply (text)", "an unambiguous phrase in the reply's own text (quoted lines and signatures "
                               "removed first): 'this is an automated message', 'ticket #123 has been created', "
                               "'this mailbox is not monitored', an out-of-office notice with a return date."),
    ("Automatic reply (weak signals)", "an acknowledgement, a promise to get back, or an out-of-office phrase "
                                       "together with another weak sign (a ticket number, a no-reply sender, "
                                       "bulk-mail headers); such replies were flagged for a researcher to check."),
    ("Human reply", "everything else. Researchers could correct any classification by hand; every correction "
                    "is logged."),
)
METHOD_WORDS = {
    "rate_ci": "Response rates: Wilson score intervals.",
    "rate_diff_ci": "Differences between rates: Newcombe's hybrid score interval.",
    "rate_ratio_ci": "Rate ratios: Katz log interval (Miettinen–Nurminen score interval when a count is 0 or n).",
    "two_group_test": None,
    "multiple_comparisons": None,
    "survival": "Time to the first human reply: Kaplan–Meier estimates (Greenwood variance, log-log band); "
                "median intervals by Brookmeyer–Crowley. Non-replies are censored at the end of the window.",
    "time_test": "Times to reply compared with the log-rank test.",
}


@dataclass
class Methods:
    imported: bool
    hypothesis: str = ""
    prereg_hash: str | None = None
    armed_at: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)      # (term, description)
    design: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    classification: list[tuple[str, str]] = field(default_factory=list)
    matching: str = ""
    counting: str = ""
    ethics: list[tuple[str, str]] = field(default_factory=list)
    statistics: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)


def when(value) -> str:
    """A stored time for readers: '1 Dec 2026, 09:41 UTC'."""
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return "—"
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def day(value) -> str:
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return "—"
    moment = pd.Timestamp(value)
    return f"{moment.day} {moment:%b %Y}"


def span(first, last) -> str:
    """'4 Mar 2030', '4 – 9 Mar 2030' or '28 Feb – 3 Mar 2030'; 'not started' without dates."""
    if not first:
        return "not started"
    a, b = pd.Timestamp(first), pd.Timestamp(last or first)
    if a == b:
        return day(a)
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day} – {day(b)}"
    if a.year == b.year:
        return f"{a.day} {a:%b} – {day(b)}"
    return f"{day(a)} – {day(b)}"


def fieldwork(published: pd.DataFrame) -> tuple[str | None, str | None]:
    dates = published["sent_date"].dropna()
    dates = dates[dates != ""]
    return (dates.min(), dates.max()) if len(dates) else (None, None)


def counts_table(published: pd.DataFrame, column: str, label: str, words: dict | None = None) -> Table:
    rows = []
    for value, part in published.groupby(column, sort=True):
        delivered = int(part["delivered"].sum())
        rows.append([(words or {}).get(value, str(value)), f"{len(part):,}", f"{delivered:,}",
                     f"{int(part['responded_human'].sum()):,}"])
    return Table(f"Contacts by {label.lower()}", [label, "Contacts", "Delivered", "Answered by a person"], rows,
                 frozenset({1, 2, 3}))


def exclusions_table(published: pd.DataFrame) -> Table:
    reasons = published["exclusion"].dropna()
    reasons = reasons[reasons != ""].value_counts()
    rows = [[str(reason), f"{int(n):,}"] for reason, n in reasons.items()]
    rows.append(["delivered (counted in the rates)", f"{int(published['delivered'].sum()):,}"])
    note = "Contacts not delivered are excluded from the rates for the reason given."
    if NOT_SENT in reasons.index:
        note += f" Those '{NOT_SENT}' were planned but had not been made when the data were taken."
    return Table("Where every contact stands", ["Contact", "Number"], rows, frozenset({1}), note, text=frozenset({0}))


def build_methods(row: dict, definition, published: pd.DataFrame, result: dict, scrub: Scrubber,
                  withheld: dict[str, str], pseudonymised: bool) -> Methods:
    """Everything the methods page says (``definition``: the Experiment, or None for an imported study)."""
    m = Methods(imported=definition is None)
    first, last = fieldwork(published)
    n_companies = published["company"].nunique()
    stored = json.loads(row["definition"])
    window = float(stored.get("response_window_days", 14))
    m.facts = [
        ("Companies", f"{n_companies:,}"),
        ("Contacts (inquiries planned or made)", f"{len(published):,}"),
        ("Delivered", f"{int(published['delivered'].sum()):,}"),
        ("Inquiries sent", span(first, last) if first else "none yet"),
        ("Response window", f"{window:g} days after each inquiry"),
        ("Company names", "replaced by pseudonyms (Company A, Company B, …)" if pseudonymised else "shown"),
    ]
    if definition is not None:
        m.hypothesis = scrub(definition.hypothesis)
        m.prereg_hash, m.armed_at = row.get("prereg_hash"), row.get("armed_at")
        m.facts[1:1] = [("Status", row["status"]), ("Armed (design locked)", when(row.get("armed_at"))),
                        ("Went live", when(row.get("live_at"))), ("Closed", when(row.get("closed_at")))]
        d, hours = definition.design, definition.business_hours
        m.design = [
            ("Unit of randomisation", d.unit),
            ("Arms", "within companies: every company received every variant, in random order"
             if d.arms == "within" else "between companies: each company received one variant"
             + (f", balanced within each {d.block_by}" if d.block_by else "")),
            ("Randomisation seed", str(d.seed)),
            ("Schedule", f"from {day(d.start)} over {d.days} days, at least {d.spacing_hours:g} hours between two "
                         "inquiries to the same company"),
            ("Business hours", f"{', '.join(hours.days)} {hours.start:%H:%M}–{hours.end:%H:%M}, in each company's "
                               "own timezone"),
            ("Channels", ", ".join(CHANNEL_WORDS.get(c, c)
                                   for c in (d.channels or sorted(published["channel"].unique())))),
            ("Personas", f"{len(definition.personas)} fictitious senders (identities withheld)"),
        ]
        variants = pd.DataFrame([{"variant": v.id, "description": scrub(v.description)} for v in definition.variants])
        counts = published.groupby("variant").size()
        m.tables.append(Table("Variants (the arms)", ["Variant", "What distinguishes it", "Contacts"],
                              [[r.variant, r.description or "—", f"{int(counts.get(r.variant, 0)):,}"]
                               for r in variants.itertuples()], frozenset({2}), text=frozenset({1})))
        m.matching = MATCHING
        m.classification = list(CLASSIFICATION)
        e = definition.ethics
        m.ethics = [("Ethics approval", scrub(e.approval)),
                    ("Cap", f"at most {e.max_contacts_per_company} contacts per company"),
                    ("Opt-out list", f"{len(e.opt_out)} entries (never contacted; not published)")]
    else:
        m.design = [("Origin", "Imported from a table of outcomes of a study run elsewhere. It has no design file "
                               "in Knock: no pre-registration hash, no randomisation record, no classification of "
                               "replies by Knock."),
                    ("Strata", ", ".join(stored.get("strata") or []) or "none")]
        m.matching = ("Whether (and when) each inquiry was answered comes from the imported table; Knock did not "
                      "see the replies.")
    m.tables.append(counts_table(published, "channel", "Channel", CHANNEL_WORDS))
    m.tables.append(exclusions_table(published))
    auto = int((published["delivered"] & published["hours_to_auto"].notna()).sum())
    m.counting = (f"A contact counts as answered by a person when a human reply arrived within {window:g} days of "
                  "the inquiry; automatic replies do not count (they are reported as 'any reply'). Contacts not "
                  "answered are censored at the end of their window, or at the time the data were taken if the "
                  f"window was still open. {auto:,} delivered contacts got an automatic reply.")
    methods = result.get("methods", {})
    for key, words in METHOD_WORDS.items():
        if key == "two_group_test":
            m.statistics.append("Two groups compared with Pearson's chi-square test without continuity correction, "
                                "as in the published audit-study literature (Fisher's exact test when an expected "
                                f"count is below {ResultsConfig().fisher_below_expected:g}).")
        elif key == "multiple_comparisons":
            correction = methods.get("multiple_comparisons", "holm")
            m.statistics.append("p-values of pairwise comparisons adjusted with the "
                                + {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg"}.get(correction, correction)
                                + " method.")
        elif words:
            m.statistics.append(words)
    m.statistics.append(f"Every interval is {100 * (1 - result['config']['alpha']):g}%; tests are two-sided.")
    m.withheld = [f"Stratum '{name}': {why}." for name, why in withheld.items()]
    return m
