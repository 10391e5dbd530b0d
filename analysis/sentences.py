"""Plain-language sentences for estimates, shared by terminal, dashboard and site.

Wording is deliberate: a rate ratio says "as often", an odds ratio says
"times the odds", a hazard ratio says "as fast" -- never one for another.

    >>> ratio_sentence("customers", "prospects", 1.6, 1.2, 2.1, 0.95)
    'customers were answered 1.6 times as often as prospects (95% CI 1.2 to 2.1).'
"""

from __future__ import annotations

from .config import fmt_hours


def pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def num(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "n/a"
    if x != 0 and abs(x) < 10 ** -digits:
        return f"{x:.1g}"
    return f"{x:.{digits}g}" if abs(x) >= 10 else f"{x:.{digits}f}".rstrip("0").rstrip(".")


def p_text(p: float | None) -> str:
    if p is None:
        return "no test"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def level(confidence: float) -> str:
    return f"{100 * confidence:g}% CI"


def group_sentence(label: str, n: int, responded: int, rate, lo, hi, median, confidence=0.95) -> str:
    if not n:
        return f"{label}: no delivered contacts."
    s = (f"{label}: {responded} of {n} contacts answered by a person, {pct(rate)} "
         f"({level(confidence)} {pct(lo)} to {pct(hi)})")
    if median is not None:
        s += f"; half were answered within {fmt_hours(median)}"
    return s + "."


def ratio_sentence(a: str, b: str, ratio, lo, hi, confidence=0.95) -> str:
    """Rate ratio: 'a were answered R times as often as b'."""
    if ratio is None:
        return f"The ratio of {a} to {b} is undefined ({b} had no replies)."
    return (f"{a} were answered {num(ratio)} times as often as {b} "
            f"({level(confidence)} {num(lo)} to {num(hi)}).")


def diff_sentence(a: str, b: str, diff, lo, hi, p, p_adj, correction, confidence=0.95) -> str:
    if diff is None:
        return f"{a} and {b} cannot be compared (a group has no delivered contacts)."
    word = "more" if diff >= 0 else "less"
    adj = {"holm": "Holm", "fdr_bh": "Benjamini-Hochberg"}.get(correction, correction)
    s = (f"{a} was answered {abs(100 * diff):.1f} percentage points {word} often than {b} "
         f"({level(confidence)} {100 * lo:+.1f} to {100 * hi:+.1f} points; {p_text(p)}")
    if p_adj is not None:
        s += f", {adj}-adjusted {p_text(p_adj)}"
    return s + ")."


def odds_sentence(term: str, ref: str, ratio, lo, hi, confidence=0.95) -> str:
    return (f"{term} had {num(ratio)} times the odds of a human reply of {ref} "
            f"({level(confidence)} {num(lo)} to {num(hi)}).")


def hazard_sentence(term: str, ref: str, ratio, lo, hi, confidence=0.95) -> str:
    return (f"{term} were answered {num(ratio)} times as fast as {ref} at any moment "
            f"(hazard ratio, {level(confidence)} {num(lo)} to {num(hi)}).")
