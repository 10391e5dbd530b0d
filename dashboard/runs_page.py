"""Runs: progress and schedule, contacts and their attempts, evidence, uncertain contacts, pause, a dry run."""

import streamlit as st

from analysis import charts
from dashboard import runs_view, ui

ui.guard()
st.title("Runs", anchor=False)
ui.show_flash()
chosen = ui.require_experiment("runs", "nothing to run", designed_only=True)

db, eid = ui.db_path(), chosen["id"]
row = ui.experiment_row(db, eid)
contacts = ui.contacts(db, eid)
counts = ui.state_counts(db, eid)
totals = runs_view.progress(counts)

head, switch = st.columns([4, 1], vertical_alignment="center")
head.markdown(f"{ui.status_badge(row['status'], bool(row['paused']))} &nbsp; "
              f"{totals['made']:,} of {totals['total']:,} contacts made · {totals['open']:,} still open")
if row["status"] != "closed":
    paused = switch.toggle("Paused", value=bool(row["paused"]), key=f"runs.pause.{eid}.{bool(row['paused'])}",
                           help="The pause switch: runners and workers stop claiming and submitting within seconds")
    if paused != bool(row["paused"]):
        ui.act(lambda s: s.set_paused(eid, paused),
               success=f"{eid} is paused: nothing more is claimed or submitted." if paused
               else f"{eid} runs again.")
st.progress(totals["settled_share"], text=f"{100 * totals['settled_share']:.0f}% settled (made or not made)")
metrics = st.columns(5)
metrics[0].metric("Made", f"{totals['made']:,}")
metrics[1].metric("Open", f"{totals['open']:,}")
metrics[2].metric("Uncertain", f"{totals['uncertain']:,}", help=runs_view.STATE_HELP["uncertain"])
metrics[3].metric("Not delivered", f"{totals['not_delivered']:,}", help="failed, blocked or skipped")
metrics[4].metric("Paused", "yes" if row["paused"] else "no")

if contacts.empty:
    st.info("This experiment has no contacts planned.", icon=":material/info:")
    st.stop()

timeline = runs_view.timeline_source(contacts)
title = "Schedule and progress"
st.altair_chart(charts.timeline_chart(timeline, title, now=ui.now(),
                                      subtitle="Planned time, or when it was made; dashed line: now"),
                alt=charts.describe_timeline(timeline, title), key="runs.timeline")

uncertain = contacts.loc[contacts["state"] == "uncertain"]
if not uncertain.empty:
    st.subheader(f"Uncertain contacts ({len(uncertain)})", anchor=False)
    st.caption("The submit began but its result was lost: it may have gone out. Knock never retries these; "
               "decide from the evidence (a confirmation email, the company's reply, the screenshots under "
               "Evidence below).")
    for item in uncertain.to_dict(orient="records"):
        with st.container(border=True):
            st.markdown(f"**#{item['id']} {item['company']}** · {item['channel_key']} · {item['variant_id']} — "
                        f"{item['last_error'] or 'no error recorded'}")
            note = st.text_input("How do you know?", key=f"runs.note.{item['id']}",
                                 placeholder="e.g. the confirmation email arrived")
            went, never, _ = st.columns([1, 1, 3])
            if went.button("It went out", key=f"runs.sent.{item['id']}", icon=":material/done:"):
                ui.act(runs_view.resolve, item["id"], True, note, success=f"Contact {item['id']} counts as made.")
            if never.button("It did not go out", key=f"runs.notsent.{item['id']}", icon=":material/close:"):
                ui.act(runs_view.resolve, item["id"], False, note,
                       success=f"Contact {item['id']} counts as not delivered (never retried).")

st.subheader("Contacts", anchor=False)
states = [s for s in runs_view.STATE_ORDER if s in counts]
shown_states = st.multiselect("States", states, key="runs.states", placeholder="all states",
                              format_func=lambda s: f"{s} ({counts.get(s, 0)})")
view = contacts if not shown_states else contacts.loc[contacts["state"].isin(shown_states)]
st.dataframe(
    view.assign(when=[ui.short_when(m or p) for m, p in zip(view["submitted_at"], view["planned_at"])],
                last_error=view["last_error"].fillna(""))[
        ["id", "company", "channel_key", "variant_id", "persona_id", "when", "state", "attempts", "messages",
         "last_error"]],
    hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)),
    column_config={"id": st.column_config.NumberColumn("#", format="%d", width=40), "company": "Company",
                   "channel_key": "Channel", "variant_id": "Variant", "persona_id": "Persona",
                   "when": st.column_config.TextColumn("When (UTC)", help="When it was made, or is planned"),
                   "state": "State", "attempts": st.column_config.NumberColumn("Tries", width=50),
                   "messages": st.column_config.NumberColumn("Replies", width=60,
                                                             help="Messages matched to the contact"),
                   "last_error": st.column_config.TextColumn("Last note", width="medium")})

st.subheader("Evidence", anchor=False)
records = {r["id"]: r for r in contacts.to_dict(orient="records")}
# Start with something worth looking at: a web form that was tried, the odd ones first.
tried = [cid for cid, r in records.items() if r["channel_type"] in ("web_form", "job_application")
         and (r["attempts"] or r["state"] not in ("planned", "queued"))]
tried.sort(key=lambda cid: records[cid]["state"] not in ("uncertain", "blocked"))
default = tried[0] if tried else next(iter(records))
if st.session_state.get("runs.focus") in records:  # after a dry run: show its evidence
    st.session_state["runs.contact"] = st.session_state.pop("runs.focus")
picked = st.selectbox("Contact", list(records), index=list(records).index(default), key="runs.contact",
                      format_func=lambda cid: runs_view.contact_label(records[cid]))
attempts = ui.attempts(db, picked)
if not attempts:
    st.info("No attempt yet for this contact: a dry run below fills its form without sending.",
            icon=":material/photo_camera:")
for attempt in attempts:
    label = (f"{ui.when(attempt['started_at'])} · {attempt['outcome']}"
             + (" · dry run" if attempt["dry_run"] else "") + (" · submit reached" if attempt["submit_reached"] else ""))
    with st.expander(label, expanded=attempt is attempts[0]):
        if attempt["error"]:
            st.caption(attempt["error"].splitlines()[0])
        if attempt["page_messages"]:
            st.markdown("**What the page said:** " + " · ".join(f"“{m}”" for m in attempt["page_messages"]))
        if attempt["images"]:
            columns = st.columns(min(3, len(attempt["images"])))
            for index, (kind, path) in enumerate(attempt["images"]):
                columns[index % len(columns)].image(path, caption=f"{kind} ({'filled form' if kind.startswith('before') else 'after submit' if kind == 'after' else kind})")
        elif not attempt["missing"]:
            st.caption("No screenshots were kept for this attempt (evidence off, or an email).")
        for kind, path in attempt["files"]:
            with open(path, "rb") as handle:
                st.download_button(f"Download {kind}", handle.read(), file_name=path.rsplit("/", 1)[-1],
                                   key=f"runs.file.{attempt['id']}.{kind}", icon=":material/download:")
        if attempt["missing"]:
            st.caption("Evidence no longer on disk (or outside the evidence folder): " + ", ".join(attempt["missing"]))

st.subheader("Dry run of one contact", anchor=False)
candidates = runs_view.dry_run_candidates(contacts)
if candidates.empty:
    st.caption("No contact left to try: dry runs fill web forms and compose emails of contacts that have not "
               "gone out.")
else:
    st.caption("Fills the form (or composes the email) and keeps screenshots, but never clicks submit or sends. "
               "Safe in any status.")
    options = candidates["id"].tolist()
    one = st.selectbox("Contact to try", options, key="runs.dry_contact",
                       format_func=lambda cid: runs_view.contact_label(records[cid]))
    if st.button("Dry-run this contact", icon=":material/play_circle:", key="runs.dry_run"):
        with st.spinner("Filling the form in Chromium…"):
            summary = ui.act(runs_view.dry_run, eid, one, ui.evidence_root(), rerun=False)
        if summary is not None:
            st.session_state["runs.focus"] = one
            ui.flash(runs_view.dry_run_text(one, summary))
            st.rerun()
