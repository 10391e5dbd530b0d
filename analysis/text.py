"""The terminal rendering of a Results object (`knock results --format table`)."""

from __future__ import annotations

from .config import fmt_hours
from .sentences import num, p_text, pct


# Short words for the group table's notes; JSON keeps the stable codes.
WORDS = {
    "no_delivered": "nothing delivered",
    "no_responses": "no replies",
    "all_responded": "all replied",
    "group_too_small": "too few for tests",
    "median_undefined": "under half replied: no median",
    "median_upper_unbounded": "median's upper bound open",
    "beyond_followup": "not watched long enough for some shares",
    "time_unknown_excluded": "some reply times unknown",
    "open_contacts": "some still inside their window",
}


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]


def render(res) -> str:
    cfg = res.config
    ci = f"{100 * cfg.confidence:g}% CI"
    out = [f"Experiment {res.experiment or '?'}: human response by {res.by}", ""]
    d = res.to_dict()
    rows = []
    for g in d["groups"]:
        rows.append([
            str(g["group"]), str(g["n"]), str(g["responded"]), pct(g["rate"]),
            f"{pct(g['ci_low'])}-{pct(g['ci_high'])}" if g["rate"] is not None else "n/a",
            pct(g["rate_any"]), pct(g.get("share_within_24h")),
            fmt_hours(g["median_hours"]) if g["median_hours"] is not None else "undefined",
            "; ".join(dict.fromkeys(WORDS.get(w, w.replace("_", " ")) for w in g["warnings"])),
        ])
    out += _table(["group", "n", "answered", "rate", ci, "any reply", "<=24h", "median", "notes"], rows)
    if d["excluded"]:
        out += ["", "Not delivered (excluded from rates): "
                + ", ".join(f"{k} {v}" for k, v in sorted(d["excluded"].items()))]
    if d["comparisons"]:
        out += ["", f"Comparisons ({ {'holm': 'Holm', 'fdr_bh': 'Benjamini-Hochberg'}[cfg.correction] }-adjusted):"]
        rows = []
        for c in d["comparisons"]:
            rows.append([
                f"{c['a']} vs {c['b']}",
                "n/a" if c["rate_diff"] is None else f"{100 * c['rate_diff']:+.1f} pts",
                "n/a" if c["rate_diff"] is None else f"{100 * c['diff_ci_low']:+.1f} to {100 * c['diff_ci_high']:+.1f}",
                num(c["rate_ratio"]), c["test"] or "-", p_text(c["p_value"]), p_text(c["p_adjusted"]),
                p_text(c["logrank_p_value"]),
            ])
        out += _table(["pair", "difference", ci, "ratio", "test", "p", "p adjusted", "log-rank p"], rows)
    if d["tests"]:
        out += ["", "Tests:"]
        for t in d["tests"]:
            stat = "" if t["statistic"] is None else f"statistic {num(t['statistic'], 3)}"
            if t["df"] is not None:
                stat += f", df {t['df']}"
            msg = f"  ({'; '.join(t['messages'])})" if t["messages"] else ""
            out.append(f"  {t['name']}: {stat or '-'}; {p_text(t['p_value'])}{msg}")
    for name in ("paired", "competing", "models", "design"):
        sec = d.get(name)
        if sec and sec.get("sentences"):
            out += ["", f"{name.capitalize()}:"] + [f"  {s}" for s in sec["sentences"]]
    if d["warnings"]:
        out += ["", "Warnings:"] + [f"  [{w['code']}] {w['message']}" for w in d["warnings"]]
    return "\n".join(out) + "\n"
