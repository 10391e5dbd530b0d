"""Inbox: matched and unmatched replies with their reasons, triage, replies by phone, and coding with kappa."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import inbox_view, ui
from experiments.dashboard_queries import save_coding

ui.guard()
st.title("Inbox", anchor=False)
ui.show_flash()
chosen = ui.require_experiment("inbox", "no replies to triage", designed_only=True)
db, eid = ui.db_path(), chosen["id"]
contacts = ui.contacts(db, eid)
made = inbox_view.assignable(contacts)
labels = {r["id"]: f"#{r['id']}  {r['company']} · {r['channel_key']} · {r['variant_id']}"
          for r in contacts.to_dict(orient="records")} if not contacts.empty else {}

triage, by_hand, coding = st.tabs(["Messages", "Log a reply by hand", "Code replies"])

with triage:
    view = st.radio("Show", list(inbox_view.VIEWS), format_func=inbox_view.VIEWS.get, horizontal=True,
                    key="inbox.view")
    messages = ui.inbox(db, eid, view)
    if messages.empty:
        st.info({"unmatched": "No unmatched messages: every reply found its contact.",
                 "probable": "No probable matches waiting for a person."}.get(
            view, "No replies yet. Collect them with `knock collect` (Maildir or IMAP); replies by phone or "
                  "social media are logged in the next tab."), icon=":material/inbox:")
    else:
        table = messages.assign(
            received=messages["received_at"].map(ui.short_when),
            kind=messages["classification"].map(lambda k: inbox_view.KIND_LABELS.get(k, k or "")),
            match=messages["match_rule"].map(lambda r: inbox_view.RULE_SHORT.get(r, r) if r else "unmatched"),
            contact=messages["contact_id"].map(lambda c: f"#{int(c)}" if pd.notna(c) else "—"))
        st.dataframe(table[["id", "received", "from_addr", "subject", "kind", "match", "contact"]],
                     hide_index=True, width="stretch", height=min(360, 38 + 35 * len(table)),
                     column_config={"id": st.column_config.NumberColumn("#", format="%d"),
                                    "received": "Received (UTC)", "from_addr": "From",
                                    "subject": st.column_config.TextColumn("Subject", width="medium"),
                                    "kind": "Classified as", "match": "Matched by",
                                    "contact": st.column_config.TextColumn("Contact", width="small")})
        records = {r["id"]: r for r in messages.to_dict(orient="records")}
        pk = st.selectbox("Message", list(records), key="inbox.message",
                          format_func=lambda i: inbox_view.message_label(records[i]))
        message = ui.message(db, pk)
        left, right = st.columns([3, 2])
        with left:
            with st.container(border=True):
                st.markdown(f"**{message['subject'] or '(no subject)'}**")
                st.caption(f"From {message['from_addr'] or 'a log entry'} · to {message['to_addrs'] or '—'} · "
                           f"{ui.when(message['received_at'])} · source {message['source']}")
                st.text(message["body_text"] or message.get("note") or "(no text)")
        with right:
            st.markdown(f"**Classified as {inbox_view.KIND_LABELS.get(message['classification'], 'unclassified')}** "
                        f"(by {message['classified_by']})")
            for reason in message["reasons"]:
                st.markdown(f"- {reason}")
            st.markdown(f"**Match:** {inbox_view.match_text(message['match_rule'], message['match_confidence'])}")
            for reason in message["match_reasons"]:
                st.markdown(f"- {reason}")
            if message["contact"]:
                c = message["contact"]
                st.caption(f"Contact #{c['id']} · {c['target_id']} · {c['channel_type']} · {c['variant_id']} "
                           f"({c['state']})")
            with st.form(f"inbox.reclassify.{pk}", border=True):
                kinds = list(inbox_view.KIND_LABELS)
                kind = st.radio("Override the classification", kinds, format_func=inbox_view.KIND_LABELS.get,
                                index=kinds.index(message["classification"]) if message["classification"] in kinds
                                else 0, horizontal=True)
                note = st.text_input("Why", key=f"inbox.reclassify_note.{pk}")
                if st.form_submit_button("Save classification"):
                    ui.act(lambda s: s.reclassify_message(pk, kind, note),
                           success=f"Message {pk} is now classified as {inbox_view.KIND_LABELS[kind]}.")
            with st.container(border=True):
                if made.empty:
                    st.caption("No contact was made yet, so there is nothing to assign this message to.")
                else:
                    options = made["id"].tolist()
                    current = message["contact_id"] if message["contact_id"] in options else options[0]
                    target = st.selectbox("Assign to contact", options, index=options.index(current),
                                          key=f"inbox.assign_to.{pk}", format_func=lambda i: labels.get(i, str(i)))
                    note = st.text_input("Note", key=f"inbox.assign_note.{pk}")
                    a, b = st.columns(2)
                    verb = "Confirm match" if message["match_rule"] == "probable" and target == message["contact_id"] \
                        else "Assign"
                    if a.button(verb, key=f"inbox.assign.{pk}", icon=":material/link:"):
                        ui.act(lambda s: s.assign_message(pk, target, note),
                               success=f"Message {pk} is assigned to contact {target}.")
                    if message["contact_id"] is not None and b.button("Unassign", key=f"inbox.unassign.{pk}",
                                                                      icon=":material/link_off:"):
                        ui.act(lambda s: s.unassign_message(pk, note),
                               success=f"Message {pk} is unmatched again.")

with by_hand:
    st.caption("A reply that came by phone, social media or in person, for a contact that was made.")
    if made.empty:
        st.info("No contact was made yet.", icon=":material/call:")
    else:
        with st.form("inbox.log", border=True):
            options = made["id"].tolist()
            contact_id = st.selectbox("Contact", options, format_func=lambda i: labels.get(i, str(i)))
            a, b, c = st.columns(3)
            day = a.date_input("Day (UTC)", value=ui.now().date(), format="YYYY-MM-DD")
            at = b.time_input("Time (UTC)", value=dt.time(12, 0), step=dt.timedelta(minutes=5))
            channel = c.selectbox("Came by", ["phone", "social", "chat", "in_person", "email"])
            kind = st.radio("Reply", ["human", "auto_reply"], horizontal=True, format_func=inbox_view.KIND_LABELS.get)
            note = st.text_area("What was said", height=80)
            if st.form_submit_button("Log the reply", type="primary"):
                moment = dt.datetime.combine(day, at, tzinfo=dt.timezone.utc)
                ui.act(lambda s: s.log_response(contact_id, moment, kind, channel, note),
                       success=f"Logged a {inbox_view.KIND_LABELS[kind]} for contact {contact_id}.")

with coding:
    scheme = ui.definition(db, eid).coding
    replied = ui.replied_contacts(db, eid)
    codes = ui.codings(db, eid)
    if not scheme:
        st.info("This experiment has no coding scheme: add dimensions on Design → Coding.", icon=":material/rule:")
    elif replied.empty:
        st.info("No human replies to code yet.", icon=":material/rule:")
    else:
        coder = st.text_input("Coder", key="inbox.coder", value=st.session_state.get("inbox.coder_name", ""),
                              placeholder="your name or initials", help="Two coders code independently; kappa "
                              "compares them")
        st.session_state["inbox.coder_name"] = coder
        ids = replied["contact_id"].tolist()
        mine = set(codes.loc[codes["coder"] == coder.strip(), "contact_id"]) if coder.strip() and not codes.empty else set()
        if coder.strip():
            st.progress(len(mine & set(ids)) / len(ids),
                        text=f"{len(mine & set(ids))} of {len(ids)} replies coded by {coder.strip()}")
        else:
            st.caption(f"{len(ids)} replies answered by a person wait for coding: enter your name to start.")
        names = {r["contact_id"]: f"#{r['contact_id']}  {r['company']} · {r['channel']} · {r['variant']}"
                 + ("  ✓" if r["contact_id"] in mine else "") for r in replied.to_dict(orient="records")}
        contact_id = st.selectbox("Reply to code", ids, key="inbox.code_contact", format_func=names.get)
        left, right = st.columns([3, 2])
        with left:
            for m in ui.contact_messages(db, contact_id):
                if m["classification"] == "human" and m["match_rule"] != "probable":
                    with st.container(border=True):
                        st.caption(f"{ui.when(m['received_at'])} · {m['from_addr'] or m['source']}")
                        st.text(m["body_text"] or m["note"] or "(no text)")
        with right:
            earlier = inbox_view.my_codes(codes, contact_id, coder.strip())
            with st.form(f"inbox.code.{contact_id}.{coder.strip()}", border=True):
                chosen_levels = {}
                for dimension in scheme:
                    levels = list(dimension.levels)
                    chosen_levels[dimension.id] = st.radio(
                        dimension.question, levels, horizontal=True, key=f"inbox.level.{contact_id}.{dimension.id}",
                        index=levels.index(earlier[dimension.id]) if earlier.get(dimension.id) in levels else None)
                if st.form_submit_button("Save coding", type="primary"):
                    missing = [d for d, level in chosen_levels.items() if level is None]
                    if missing:
                        st.error(f"Pick a level for {', '.join(missing)}.")
                    else:
                        ui.act(lambda s: [save_coding(s, contact_id, coder, d, level)
                                          for d, level in chosen_levels.items()],
                               success=f"Coded contact {contact_id} as {coder.strip()}.")
    st.markdown("**Agreement between coders** (Cohen's kappa)")
    table, notes = inbox_view.agreement(codes)
    if not table.empty:
        st.dataframe(table, hide_index=True)
    for note in notes:
        st.caption(note)
