"""The Inbox page's work: message lists, one message's reasons, coding and agreement.

Plain functions; no streamlit.
"""

from __future__ import annotations

import json

import pandas as pd

from analysis.agreement import kappa_by_dimension

VIEWS = {
    "all": "All messages",
    "unmatched": "Unmatched (no contact yet)",
    "probable": "Probable matches to confirm",
    "matched": "Matched",
}
KIND_LABELS = {"human": "human reply", "auto_reply": "auto-reply", "bounce": "bounce"}
RULE_LABELS = {
    "token_address": "reply token in the address",
    "in_reply_to": "answers the inquiry's Message-ID",
    "token_in_text": "reply token quoted in the text",
    "probable": "probable: sender's domain (confirm by hand)",
    "manual": "assigned by hand",
    "import": "imported",
}
RULE_SHORT = {"token_address": "token", "in_reply_to": "Message-ID", "token_in_text": "token in text",
              "probable": "probable: confirm", "manual": "by hand", "import": "imported"}
AGREEMENT_COLUMNS = ["Dimension", "Coders", "Coded by both", "Agreement", "Kappa", "95% CI"]
INBOX_COLUMNS = ["id", "received_at", "from_addr", "subject", "classification", "match_rule", "match_confidence",
                 "contact_id", "experiment_id", "target_id"]


def inbox_frame(store, experiment_id: str | None, view: str = "all", limit: int = 500) -> pd.DataFrame:
    """Messages for one view; unmatched messages belong to no experiment, so they show in every one."""
    if view == "unmatched":
        rows = store.inbox(None, unmatched=True, limit=limit)
    elif view == "probable":
        rows = store.inbox(experiment_id, probable=True, limit=limit)
    else:
        rows = store.inbox(experiment_id, limit=limit)
        if view == "matched":
            rows = [r for r in rows if r["contact_id"] is not None]
        elif experiment_id:  # the experiment's messages plus those no contact claims yet
            rows = rows + store.inbox(None, unmatched=True, limit=limit)
            rows.sort(key=lambda r: (r["received_at"] or "", r["id"]), reverse=True)
    return pd.DataFrame(rows, columns=INBOX_COLUMNS)


def _json_list(text) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except (TypeError, json.JSONDecodeError):
        return [str(text)]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def message_detail(store, message_pk: int) -> dict:
    """One message with its classification and match reasons as lists."""
    message = dict(store.message(message_pk))
    message["reasons"] = _json_list(message.get("reasons"))
    message["match_reasons"] = _json_list(message.get("match_reasons"))
    message["to_addrs"] = ", ".join(_json_list(message.get("to_addrs"))) if message.get("to_addrs") else ""
    if message.get("contact_id"):
        contact = store.contact(message["contact_id"])
        message["contact"] = {k: contact[k] for k in ("id", "experiment_id", "target_id", "channel_type",
                                                      "variant_id", "state", "submitted_at")}
    else:
        message["contact"] = None
    return message


def message_label(row: dict) -> str:
    who = row.get("from_addr") or "phone / social log"
    subject = row.get("subject") or "(no subject)"
    kind = KIND_LABELS.get(row.get("classification") or "", "unclassified")
    return f"#{row['id']}  {who} — {subject[:60]}  [{kind}]"


def match_text(rule: str | None, confidence) -> str:
    if not rule:
        return "unmatched"
    label = RULE_LABELS.get(rule, rule)
    return f"{label} ({100 * confidence:.0f}% confidence)" if confidence is not None else label


def assignable(contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts a reply can belong to: those that were made (or may have been)."""
    if contacts.empty:
        return contacts
    return contacts.loc[contacts["state"].isin(["submitted", "uncertain"])]


def coder_pair(codings: pd.DataFrame, dimension: str) -> list[str]:
    """The two coders with the most codes in a dimension (Cohen's kappa compares two)."""
    part = codings.loc[codings["dimension"] == dimension]
    counts = part.groupby("coder").size().sort_values(ascending=False, kind="stable")
    return list(counts.index[:2])


def agreement(codings: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Cohen's kappa per dimension between its two main coders, and notes for people.

    ``codings``: columns contact_id, coder, dimension, level.
    """
    notes: list[str] = []
    rows = []
    if codings.empty:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS), ["No codings yet."]
    for dimension in sorted(codings["dimension"].unique()):
        pair = coder_pair(codings, dimension)
        if len(pair) < 2:
            notes.append(f"{dimension}: only {pair[0]} has coded; kappa needs a second coder.")
            continue
        others = sorted(set(codings.loc[codings["dimension"] == dimension, "coder"]) - set(pair))
        if others:
            notes.append(f"{dimension}: kappa compares {pair[0]} and {pair[1]} (most codes); "
                         f"also coded by {', '.join(others)}.")
        part = codings.loc[(codings["dimension"] == dimension) & codings["coder"].isin(pair)]
        long = pd.DataFrame({"item": part["contact_id"], "dimension": part["dimension"], "coder": part["coder"],
                             "label": part["level"]})
        k = kappa_by_dimension(long)[0]
        rows.append(dict(zip(AGREEMENT_COLUMNS, [
            dimension, f"{pair[0]} & {pair[1]}", k.n,
            "n/a" if k.observed_agreement is None else f"{100 * k.observed_agreement:.1f}%",
            "n/a" if k.kappa is None else f"{k.kappa:.2f}",
            "n/a" if k.ci_low is None else f"{k.ci_low:.2f} to {k.ci_high:.2f}"])))
        notes.extend(f"{dimension}: {n.message}" for n in k.notes)
        if k.n_dropped:
            notes.append(f"{dimension}: {k.n_dropped} replies coded by only one of the two so far.")
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS), notes


def my_codes(codings: pd.DataFrame, contact_id: int, coder: str) -> dict[str, str]:
    """This coder's earlier levels for one contact (dimension -> level)."""
    if codings.empty:
        return {}
    part = codings.loc[(codings["contact_id"] == contact_id) & (codings["coder"] == coder)]
    return dict(zip(part["dimension"], part["level"]))
