"""Experiments: the list with progress, a new experiment from a template or a file, the lifecycle."""

import pandas as pd
import streamlit as st

from dashboard import overview, ui


def confirm_status(experiment_id: str, what: str, status: str, verb: str, pledge: str, success: str) -> None:
    """The second step of an irreversible change (go live, close): tick the pledge, then confirm or cancel.

    ``what`` names the step's widgets and its flag in the session (``confirm_live``, ``cancel_close``...).
    """
    sure = st.checkbox(pledge, key=f"confirm_{what}_box")
    go, cancel = st.columns([1, 4])
    if go.button(f"Confirm: {verb}", type="primary", disabled=not sure, key=f"confirm_{what}_button"):
        st.session_state.pop(f"confirm_{what}", None)
        ui.act(lambda s: s.set_status(experiment_id, status), success=success)
    if cancel.button("Cancel", key=f"cancel_{what}"):
        st.session_state.pop(f"confirm_{what}", None)
        st.rerun()


ui.guard()
st.title("Experiments", anchor=False)
ui.show_flash()
rows = ui.experiments(ui.db_path())

if not rows:
    st.info("No experiments yet: load an example below (they all run against the built-in sandbox of "
            "fictitious companies, so nothing real is contacted).", icon=":material/science:")
else:
    table = pd.DataFrame(rows)
    table["status"] = [f"{r['status']} · paused" if r["paused"] else r["status"] for r in rows]
    st.dataframe(
        table[["id", "title", "status", "contacts", "sent", "uncertain", "progress"]],
        hide_index=True, width="stretch",
        column_config={
            "id": st.column_config.TextColumn("Id"), "title": st.column_config.TextColumn("Title", width="medium"),
            "status": st.column_config.TextColumn("Status", width="small"),
            "contacts": st.column_config.NumberColumn("Contacts", format="localized", width="small"),
            "sent": st.column_config.NumberColumn("Made", format="localized", width="small",
                                                  help="Contacts whose inquiry went out"),
            "uncertain": st.column_config.NumberColumn("Uncertain", width="small", help="May have gone out: decide on Runs"),
            "blocked": st.column_config.NumberColumn("Blocked", width="small", help="CAPTCHA, login wall or no form"),
            "progress": st.column_config.ProgressColumn("Progress", format="percent", min_value=0, max_value=1,
                                                        help="Share of contacts settled (made or not)"),
        })

    st.subheader("Steer an experiment", anchor=False)
    chosen = ui.pick_experiment("experiments")
    row = ui.experiment_row(ui.db_path(), chosen["id"])
    st.markdown(f"**{row['title']}** &nbsp; {ui.status_badge(row['status'], chosen['paused'])}"
                + (f" &nbsp; pre-registered {ui.when(row['armed_at'])}: `{row['prereg_hash'][:19]}…`"
                   if row["prereg_hash"] else ""))
    if row["kind"] != "designed":
        st.caption("Imported outcomes (`knock import-outcomes`): there is no design or lifecycle to steer; "
                   "see Results.")
    else:
        statuses = overview.next_statuses(row["status"])
        bar = st.container(horizontal=True)
        cols = [bar, bar, bar]
        if "armed" in statuses and cols[0].button("Arm", icon=":material/lock:", key="arm",
                                                  help="Lock the pre-registration: design, hypothesis, seed and plan"):
            ui.act(lambda s: s.set_status(row["id"], "armed"),
                   success=f"{row['id']} is armed: its pre-registration is locked.")
        if "live" in statuses and cols[0].button("Go live…", icon=":material/public:", key="go_live"):
            st.session_state["confirm_live"] = row["id"]
        if row["status"] != "closed":
            paused = chosen["paused"]
            if cols[1].button("Resume" if paused else "Pause", key="pause_switch",
                              icon=":material/play_arrow:" if paused else ":material/pause:",
                              help="Runners stop claiming and submitting within seconds"):
                ui.act(lambda s: s.set_paused(row["id"], not paused),
                       success=f"{row['id']} is {'running again' if paused else 'paused'}.")
        if "closed" in statuses and cols[2].button("Close…", icon=":material/block:", key="close"):
            st.session_state["confirm_close"] = row["id"]

        if st.session_state.get("confirm_live") == row["id"] and "live" in statuses:
            with st.container(border=True):
                reach = ui.query(overview.reach, row["id"])
                if reach is not None:
                    st.warning(overview.describe_reach(reach), icon=":material/warning:")
                    if reach.domains:
                        st.dataframe(pd.DataFrame({"domain": list(reach.domains), "contacts": list(reach.domains.values())}),
                                     hide_index=True)
                    st.caption("Contacts to 127.0.0.1 (the sandbox) are not counted: they are allowed in any status.")
                    approval = ui.definition(ui.db_path(), row["id"]).ethics.approval
                    confirm_status(row["id"], "live", "live", "go live", f"I confirm: ethics approval “{approval}” "
                                   f"covers these {reach.total} contacts.", f"{row['id']} is live.")

        if st.session_state.get("confirm_close") == row["id"] and "closed" in statuses:
            with st.container(border=True):
                st.warning(f"Closing {row['id']} is final: nothing more is submitted, and it cannot be reopened.",
                           icon=":material/warning:")
                confirm_status(row["id"], "close", "closed", "close", "I want to close it for good.",
                               f"{row['id']} is closed.")

st.subheader("New experiment", anchor=False)
from_template, from_file = st.tabs(["From a template", "Upload a YAML file"])
with from_template:
    templates = overview.templates()
    by_name = {t.name: t for t in templates}
    name = st.selectbox("Template", list(by_name), key="template",
                        format_func=lambda n: f"{by_name[n].title}  ({n})")
    template = by_name[name]
    if template.summary:
        st.caption(template.summary)
    new_id = st.text_input("Experiment id", value=overview.free_id(template.experiment_id, {r["id"] for r in rows}),
                           key=f"template_id.{name}",
                           help="Lower-case letters, digits, '-' and '_'; used on the command line")
    if st.button("Create from template", type="primary", icon=":material/add:", key="create_template"):
        if new_id.strip() in {r["id"] for r in rows}:
            st.error(f"An experiment '{new_id.strip()}' already exists: choose another id (or edit it on Design).")
        else:
            created = ui.act(lambda s: overview.create_from_text(s, template.path.read_text(encoding="utf-8"),
                                                                  str(template.path), new_id), rerun=False)
            if created is not None and not created.ok:
                for problem in created.validated.problems:
                    st.error(str(problem))
            elif created is not None:
                st.session_state[ui.CURRENT] = created.loaded.experiment_id
                ui.flash(f"{overview.load_verb(created.loaded)}: {created.loaded.experiment_id} "
                         f"({created.loaded.contacts} contacts planned). Review it on Design, arm it here.")
                st.rerun()

with from_file:
    upload = st.file_uploader("Experiment file", type=["yaml", "yml"], key="upload",
                              help="The YAML format of `knock experiment validate` (see the README)")
    if upload is not None:
        try:
            text = upload.getvalue().decode("utf-8")
        except UnicodeDecodeError as exc:
            st.error(f"{upload.name}: not UTF-8 text (byte {exc.start}); save the file as UTF-8.")
            text = None
        if text is not None:
            from experiments.validation import validate_text

            validated = validate_text(text, upload.name)
            if not validated.ok:
                st.error(f"{upload.name}: {len(validated.problems)} problem(s); nothing was stored.",
                         icon=":material/error:")
                st.code("\n".join(str(p) for p in validated.problems), language="text")
            else:
                exp = validated.experiment
                st.success(f"{upload.name}: valid: {len(exp.targets)} targets, {len(exp.variants)} variants.")
                if st.button(f"Load {exp.id}", type="primary", icon=":material/upload:", key="load_upload"):
                    created = ui.act(lambda s: overview.create_from_text(s, text, upload.name), rerun=False)
                    if created is not None and created.ok:
                        st.session_state[ui.CURRENT] = created.loaded.experiment_id
                        ui.flash(f"{overview.load_verb(created.loaded)}: {created.loaded.experiment_id} "
                                 f"({created.loaded.contacts} contacts).")
                        st.rerun()
