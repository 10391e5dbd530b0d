"""Design: edit an experiment without writing YAML; problems shown where they belong; Save loads it.

Widgets hold the working copy (keys ``dz<version>.*``); loading an
experiment bumps the version so every widget starts fresh. Tables are
``st.data_editor``s over a base frame that never changes within a version
(feeding an editor's output back as its input loses edits). The form is
also kept under ``design.form`` so a visit to another page loses nothing.
"""

import datetime as dt

import streamlit as st

from analysis import charts
from dashboard import design_view, overview, ui
from experiments import design_io
from experiments.model import WEEKDAYS

ui.guard()
ss = st.session_state
CHANNEL_TYPES = ["web_form", "job_application", "email", "phone", "social", "chat"]


def prefix() -> str:
    return f"dz{ss.get('design.ver', 0)}."


def init_widgets(form: design_io.DesignForm, source: dict) -> None:
    """Start a fresh set of widgets from ``form`` (callbacks and first visits only)."""
    ss["design.ver"] = ss.get("design.ver", 0) + 1
    ss["design.base"] = form
    ss["design.source"] = source
    p = prefix()
    g, e, d, h = form.general, form.ethics, form.design, form.hours
    values = {
        "id": g["id"], "title": g["title"], "hypothesis": g["hypothesis"], "mailbox": g["mailbox"],
        "window": float(g["response_window_days"]), "company_names": g["company_names"],
        "approval": e["approval"], "cap": int(e["max_contacts_per_company"]), "opt_out": "\n".join(e["opt_out"]),
        "arms": d["arms"], "block_by": d["block_by"] or "", "seed": int(d["seed"]), "start": d["start"],
        "days": int(d["days"]), "spacing": float(d["spacing_hours"]), "design_channels": list(d["channels"] or []),
        "hours_days": list(h["days"]), "hours_start": h["start"], "hours_end": h["end"],
    }
    for key, value in values.items():
        ss[p + key] = value
    ss[p + "slots"] = []
    ss[p + "next_slot"] = 0
    for variant in form.variants:
        add_variant(variant)


def add_variant(variant: dict | None = None) -> None:
    p = prefix()
    slot = ss[p + "next_slot"]
    ss[p + "next_slot"] = slot + 1
    n = len(ss[p + "slots"]) + 1
    variant = variant or {"id": f"variant-{n}", "description": "", "subject": "", "body": design_view.NEW_VARIANT_BODY}
    resume = variant.get("resume") or {}
    q = f"{p}v{slot}."
    ss[q + "id"] = variant.get("id") or ""
    ss[q + "description"] = variant.get("description") or ""
    ss[q + "subject"] = variant.get("subject") or ""
    ss[q + "body"] = variant.get("body") or ""
    ss[q + "channels"] = list(variant.get("channels") or [])
    ss[q + "persona"] = variant.get("persona") or ""
    ss[q + "has_resume"] = bool(variant.get("resume"))
    ss[q + "headline"] = resume.get("headline", "")
    ss[q + "experience"] = "\n".join(resume.get("experience", []))
    ss[q + "education"] = "\n".join(resume.get("education", []))
    ss[q + "skills"] = design_io.flow_text(resume.get("skills", []))
    ss[p + "slots"] = [*ss[p + "slots"], slot]


def remove_variant(slot: int) -> None:
    p = prefix()
    ss[p + "slots"] = [s for s in ss[p + "slots"] if s != slot]


def open_stored(experiment_id: str) -> None:
    with ui.store() as s:
        row = s.experiment_row(experiment_id)
        experiment = s.definition(experiment_id)
    init_widgets(design_io.form_from_experiment(experiment),
                 {"kind": "stored", "id": experiment_id, "status": row["status"]})


def open_template(name: str) -> None:
    from experiments.validation import validate_file

    template = {t.name: t for t in overview.templates()}[name]
    experiment = validate_file(template.path).experiment
    form = design_io.form_from_experiment(experiment)
    taken = {r["id"] for r in ui.experiments(ui.db_path())}
    base, n = form.general["id"], 2
    while form.general["id"] in taken:
        form.general["id"], n = f"{base}-{n}", n + 1
    init_widgets(form, {"kind": "template", "id": None, "name": name, "status": "new"})


def on_open() -> None:
    choice = ss.get("design.open_choice", "")
    if choice.startswith("stored:"):
        open_stored(choice.removeprefix("stored:"))
    elif choice.startswith("template:"):
        open_template(choice.removeprefix("template:"))


# --- which experiment is in the editor -------------------------------------------------------

rows = [r for r in ui.experiments(ui.db_path()) if r["kind"] == "designed"]
if "design.form" not in ss:
    current = ss.get(ui.CURRENT)
    if current in {r["id"] for r in rows}:
        open_stored(current)
    elif rows:
        open_stored(rows[-1]["id"])
    else:
        open_template(overview.templates()[0].name)
elif prefix() + "id" not in ss:  # back from another page: widgets were cleared, the form was kept
    init_widgets(ss["design.form"], ss["design.source"])

p = prefix()
source = ss["design.source"]
base: design_io.DesignForm = ss["design.base"]

st.title("Design", anchor=False)
ui.show_flash()
choices = [f"stored:{r['id']}" for r in rows] + [f"template:{t.name}" for t in overview.templates()]
titles = {f"stored:{r['id']}": f"{r['title']} · {r['id']} · {r['status']}" for r in rows}
titles.update({f"template:{t.name}": f"New from template: {t.title} ({t.name})" for t in overview.templates()})
pick, open_button, save_col = st.columns([5, 1, 1], vertical_alignment="bottom")
pick.selectbox("Open", choices, key="design.open_choice", format_func=titles.get,
               index=choices.index(f"stored:{source['id']}") if source["kind"] == "stored"
               and f"stored:{source['id']}" in choices else 0)
open_button.button("Open", on_click=on_open, key="design.open", icon=":material/folder_open:",
                   help="Load it into the editor (unsaved changes are dropped)")
save_clicked = save_col.button("Save", type="primary", key="design.save", icon=":material/save:",
                               help="Validate, then store the experiment and its plan")
if source["kind"] == "stored":
    status = source["status"]
    note = {"draft": "a draft: saving re-plans it (reply tokens of surviving contacts stay)",
            "armed": "armed: its pre-registration is locked. Titles, recipes, the opt-out list, coding and "
                     "publication may change; any other change is refused (save it under a new id instead)",
            "live": "live: only titles, recipes, the opt-out list, coding and publication may change",
            "closed": "closed: only titles, recipes, the opt-out list, coding and publication may change"}
    st.caption(f"Editing **{source['id']}**, {note.get(status, status)}.")
elif not rows:
    st.info(f"No experiments yet: this is the template {source['name']}. Adjust it (or pick another template), "
            "give it its own id, then Save.", icon=":material/science:")
else:
    st.caption(f"A new experiment from the template {source['name']}: give it its own id, then Save.")
summary = st.container()
slots: dict[str, st.delta_generator.DeltaGenerator] = {}

tabs = st.tabs(["Basics", "Targets & channels", "Personas", "Messages", "Schedule & ethics", "Coding",
                "Plan & power", "YAML"])

with tabs[0]:
    left, right = st.columns(2)
    left.text_input("Id", key=p + "id", help="Lower-case letters, digits, '-' and '_'; used on the command line")
    right.text_input("Researcher mailbox", key=p + "mailbox",
                     help="Replies come to its plus-addresses: research+TOKEN@lab.example")
    st.text_input("Title", key=p + "title")
    st.text_area("Hypothesis (pre-registration text)", key=p + "hypothesis", height=140,
                 help="Hypotheses and the primary outcome; locked when the experiment is armed")
    left, right = st.columns(2)
    left.number_input("Response window (days)", key=p + "window", min_value=0.5, step=1.0, format="%.1f",
                      help="Replies after it count as none; non-replies are censored here")
    right.radio("Published pages name companies", ["pseudonym", "show"], key=p + "company_names", horizontal=True,
                format_func={"pseudonym": "by pseudonym", "show": "by name"}.get)
    slots["general"] = st.container()
    slots["publication"] = st.container()

with tabs[1]:
    st.caption("One row per company. **strata**: labels like `industry: retail, size: small` (for blocking "
               "and analysis). **hours**: the company's own opening hours like `mon-fri 09:00-17:00`, blank for "
               "the experiment's.")
    targets = st.data_editor(
        base.targets, key=p + "targets", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "id": st.column_config.TextColumn("id", required=True),
            "name": st.column_config.TextColumn("name", required=True, width="medium"),
            "domain": st.column_config.TextColumn("domain", help="e.g. acme.example (lower case)"),
            "timezone": st.column_config.TextColumn("timezone", help="IANA, e.g. Europe/London"),
            "strata": st.column_config.TextColumn("strata", width="medium"),
            "hours": st.column_config.TextColumn("hours", help=design_io.HOURS_FORMAT)})
    slots["targets"] = st.container()
    st.caption("One row per channel: **target** is the company's id. Web forms need a **url**, email an "
               "**address**. A **recipe** locates fields when labels are not enough, e.g. "
               "`fields: {name: {placeholder: Full name}}, submit: {role: button, role_name: Send}`.")
    channels = st.data_editor(
        base.channels, key=p + "channels", num_rows="dynamic", hide_index=True, width="stretch",
        height=min(600, 38 + 35 * (len(base.channels) + 1)),
        column_config={
            "target": st.column_config.SelectboxColumn("target", options=design_view.ids(targets), required=True),
            "type": st.column_config.SelectboxColumn("type", options=CHANNEL_TYPES, required=True),
            "id": st.column_config.TextColumn("id", help="Only needed for two channels of one type"),
            "url": st.column_config.TextColumn("url", width="medium"),
            "address": st.column_config.TextColumn("address"),
            "handle": st.column_config.TextColumn("handle"),
            "recipe": st.column_config.TextColumn("recipe", width="large")})
    slots["channels"] = st.container()

with tabs[2]:
    st.caption("Fictitious but consistent senders. **extra**: further fields for templates, like "
               "`city: Leeds` (usable when every persona has them).")
    personas = st.data_editor(
        base.personas, key=p + "personas", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={"id": st.column_config.TextColumn("id", required=True),
                       "phone": st.column_config.TextColumn("phone", help="Use a fictitious range"),
                       "mailbox": st.column_config.TextColumn("mailbox", help="Default: the researcher mailbox")})
    slots["personas"] = st.container()

with tabs[3]:
    persona_ids, target_ids = design_view.ids(personas), design_view.ids(targets)
    left, right = st.columns(2)
    persona_names = {i: f"{(design_view.row_by_id(personas, i) or {}).get('first_name') or ''} "
                        f"{(design_view.row_by_id(personas, i) or {}).get('last_name') or ''} ({i})" for i in persona_ids}
    target_names = {i: f"{(design_view.row_by_id(targets, i) or {}).get('name') or i} ({i})" for i in target_ids}
    as_persona = left.selectbox("Preview as persona", persona_ids or ["(no persona yet)"], key="design.preview_persona",
                                format_func=lambda i: persona_names.get(i, i))
    to_target = right.selectbox("writing to", target_ids or ["(no target yet)"], key="design.preview_target",
                                format_func=lambda i: target_names.get(i, i))
    variants = []
    for position, slot in enumerate(ss[p + "slots"]):
        q = f"{p}v{slot}."
        with st.container(border=True):
            edit, show = st.columns(2)
            with edit:
                a, b = st.columns([1, 2])
                a.text_input("Variant id", key=q + "id")
                b.text_input("What distinguishes this arm", key=q + "description")
                st.text_input("Subject", key=q + "subject")
                st.text_area("Body", key=q + "body", height=220,
                             help="Jinja2: {{ persona.name }}, {{ target.name }}, {{ reply_to }}, ...")
                a, b = st.columns(2)
                a.multiselect("Only on channels", CHANNEL_TYPES, key=q + "channels", placeholder="any channel")
                b.selectbox("Bound to persona", [""] + persona_ids if ss[q + "persona"] in [""] + persona_ids
                            else ["", ss[q + "persona"]] + persona_ids, key=q + "persona",
                            format_func=lambda v: v or "any persona")
                if st.toggle("Attach a résumé (job applications)", key=q + "has_resume"):
                    st.text_input("Headline", key=q + "headline")
                    st.text_area("Experience (one per line)", key=q + "experience", height=90)
                    st.text_area("Education (one per line)", key=q + "education", height=68)
                    st.text_input("Skills (comma-separated)", key=q + "skills")
                st.button("Remove this variant", key=q + "remove", on_click=remove_variant, args=(slot,),
                          icon=":material/delete:", disabled=len(ss[p + "slots"]) <= 1)
            with show:
                shown = design_view.preview(ss[q + "subject"], ss[q + "body"],
                                            design_view.row_by_id(personas, as_persona),
                                            design_view.row_by_id(targets, to_target), ss[p + "title"],
                                            ss[p + "mailbox"])
                st.markdown(f"**Preview** · {as_persona} → {to_target}")
                if shown.error:
                    st.warning(shown.error, icon=":material/visibility_off:")
                else:
                    st.markdown(f"**Subject:** {shown.subject}")
                    st.code(shown.body, language=None, wrap_lines=True)
            slots[f"variants[{position}]"] = st.container()
        resume = None
        if ss[q + "has_resume"]:
            resume = {"headline": ss[q + "headline"],
                      "experience": [x.strip() for x in ss[q + "experience"].splitlines() if x.strip()],
                      "education": [x.strip() for x in ss[q + "education"].splitlines() if x.strip()],
                      "skills": design_io.parse_flow(ss[q + "skills"], list)}
        variants.append({"id": ss[q + "id"], "description": ss[q + "description"], "subject": ss[q + "subject"],
                         "body": ss[q + "body"], "channels": ss[q + "channels"] or None,
                         "persona": ss[q + "persona"] or None, "resume": resume})
    st.button("Add a variant", on_click=add_variant, key="design.add_variant", icon=":material/add:")
    slots["variants"] = st.container()

with tabs[4]:
    st.markdown("**Randomization and schedule**")
    a, b, c = st.columns(3)
    a.radio("Arms", ["within", "between"], key=p + "arms", horizontal=True,
            format_func={"within": "within companies", "between": "between companies"}.get,
            help="within: every company gets every variant; between: each company gets one")
    strata = design_view.strata_keys(targets)
    b.selectbox("Block by stratum", [""] + strata if ss[p + "block_by"] in [""] + strata
                else ["", ss[p + "block_by"]] + strata, key=p + "block_by", format_func=lambda v: v or "no blocking",
                help="between designs: balance arms within each value of this stratum")
    c.number_input("Seed", key=p + "seed", step=1, format="%d", help="Same file and seed, same plan")
    a, b, c = st.columns(3)
    a.date_input("First day", key=p + "start", format="YYYY-MM-DD")
    b.number_input("Days", key=p + "days", min_value=1, max_value=365, step=1)
    c.number_input("Hours between knocks on one company", key=p + "spacing", min_value=0.0, step=12.0, format="%.1f")
    st.multiselect("Use only these channel types", CHANNEL_TYPES, key=p + "design_channels", placeholder="all channels")
    slots["design"] = st.container()
    st.markdown("**Business hours** (each company's own timezone)")
    a, b, c = st.columns([3, 1, 1])
    a.multiselect("Days", list(WEEKDAYS), key=p + "hours_days")
    b.time_input("From", key=p + "hours_start", step=dt.timedelta(minutes=15))
    c.time_input("Until", key=p + "hours_end", step=dt.timedelta(minutes=15))
    slots["business_hours"] = st.container()
    st.markdown("**Ethics**")
    a, b = st.columns([3, 1])
    a.text_input("Ethics approval reference", key=p + "approval")
    b.number_input("Most contacts per company", key=p + "cap", min_value=1, step=1)
    st.text_area("Never contact (opt-out: one domain or email address per line)", key=p + "opt_out", height=80)
    slots["ethics"] = st.container()

with tabs[5]:
    st.caption("Dimensions for coding the quality of replies (two coders; agreement is reported on Inbox). "
               "**levels**: comma-separated, e.g. `no, partly, fully`.")
    coding = st.data_editor(base.coding, key=p + "coding", num_rows="dynamic", hide_index=True, width="stretch",
                            column_config={"question": st.column_config.TextColumn("question", width="large")})
    slots["coding"] = st.container()

form = design_io.DesignForm(
    general={"id": ss[p + "id"], "title": ss[p + "title"], "hypothesis": ss[p + "hypothesis"],
             "mailbox": ss[p + "mailbox"], "response_window_days": ss[p + "window"],
             "company_names": ss[p + "company_names"]},
    ethics={"approval": ss[p + "approval"], "max_contacts_per_company": ss[p + "cap"],
            "opt_out": ss[p + "opt_out"].splitlines()},
    design={"unit": base.design.get("unit", "company"), "arms": ss[p + "arms"], "block_by": ss[p + "block_by"] or None,
            "seed": ss[p + "seed"], "start": ss[p + "start"], "days": ss[p + "days"], "spacing_hours": ss[p + "spacing"],
            "channels": ss[p + "design_channels"] or None},
    hours={"days": ss[p + "hours_days"], "start": ss[p + "hours_start"] or dt.time(9),
           "end": ss[p + "hours_end"] or dt.time(17)},
    targets=targets, channels=channels, personas=personas, variants=variants, coding=coding)
ss["design.form"] = form
yaml_text, validated = design_io.validate_form(form, f"{form.general['id'] or 'experiment'}.yaml")

by_section = design_io.problems_by_section(validated.problems)
for section, problems in by_section.items():
    if section == "variants":
        for problem in problems:
            index = design_io.variant_index(problem.path)
            target = slots.get(f"variants[{index}]", slots["variants"])
            target.error(design_io.problem_text(problem, form), icon=":material/error:")
        continue
    box = slots.get(section, summary)
    for problem in problems:
        box.error(design_io.problem_text(problem, form), icon=":material/error:")

with summary:
    if validated.ok:
        exp = validated.experiment
        st.markdown(f":green[:material/check_circle: **Valid:** {len(exp.targets)} targets, {len(exp.variants)} "
                    f"variants, {len(exp.personas)} personas.] Save stores it and its plan.")
    else:
        names = {"general": "Basics", "publication": "Basics", "targets": "Targets & channels",
                 "channels": "Targets & channels", "personas": "Personas", "variants": "Messages",
                 "design": "Schedule & ethics", "business_hours": "Schedule & ethics", "ethics": "Schedule & ethics",
                 "coding": "Coding", "yaml": "YAML"}
        where = sorted({names.get(s, s) for s in by_section})
        st.error(f"{len(validated.problems)} problem(s) to fix before saving, on: {', '.join(where)}. "
                 "Each is shown next to its field.", icon=":material/error:")

with tabs[6]:
    if not validated.ok:
        st.info("Fix the problems above to preview the randomized plan.", icon=":material/info:")
    else:
        exp = validated.experiment
        planned = design_view.plan_frame(exp)
        sizes = design_view.arm_sizes(planned)
        cols = st.columns(4)
        cols[0].metric("Contacts planned", f"{len(planned):,}")
        cols[1].metric("Companies", f"{planned['target_id'].nunique():,}")
        cols[2].metric("Smallest arm", f"{min(sizes.values()):,}" if sizes else "0")
        cols[3].metric("Days", f"{exp.design.days}")
        title = "Planned contacts (preview: tokens differ from the stored plan)"
        st.altair_chart(charts.timeline_chart(planned, title, colour_by="variant"),
                        alt=charts.describe_timeline(planned, title), key="design.timeline")
        st.markdown("**Balance**: contacts per variant and channel, persona" + (" and block" if exp.design.block_by else ""))
        a, b = st.columns(2)
        a.dataframe(design_view.balance(planned, "channel"), hide_index=True)
        b.dataframe(design_view.balance(planned, "persona"), hide_index=True)
        if exp.design.block_by:
            st.dataframe(design_view.balance(planned, "block"), hide_index=True)
    st.divider()
    st.markdown("**Power**: how many contacts does a difference need?")
    a, b, c, d = st.columns(4)
    p1 = a.number_input("Rate in one arm", min_value=0.01, max_value=0.99, value=0.30, step=0.05, key="power.p1")
    p2 = b.number_input("Rate in the other", min_value=0.01, max_value=0.99, value=0.20, step=0.05, key="power.p2")
    alpha = c.selectbox("Alpha (two-sided)", [0.05, 0.01, 0.10], key="power.alpha")
    power = d.selectbox("Power", [0.8, 0.9, 0.95], key="power.power")
    try:
        st.write(design_view.power_sentence(p1, p2, alpha, power))
        if validated.ok and sizes:
            st.write(design_view.detectable_sentence(max(2, min(sizes.values())), p1, alpha, power))
    except ValueError as exc:
        st.error(str(exc))

with tabs[7]:
    st.caption("What Save stores; `knock experiment validate` accepts it. (Comments of an uploaded file are "
               "not kept once it is edited here.)")
    st.download_button("Download YAML", yaml_text, file_name=f"{form.general['id'] or 'experiment'}.yaml",
                       mime="application/x-yaml", key="design.download", icon=":material/download:")
    st.code(yaml_text, language="yaml")

if save_clicked:
    existing = {r["id"] for r in ui.experiments(ui.db_path())}
    new_id = (form.general["id"] or "").strip()
    if not validated.ok:
        summary.error("Nothing was saved: fix the problems first.", icon=":material/error:")
    elif new_id in existing and not (source["kind"] == "stored" and source["id"] == new_id):
        summary.error(f"An experiment '{new_id}' already exists: give this one another id, or open '{new_id}' "
                      "to edit it.", icon=":material/error:")
    else:
        with summary:
            loaded = ui.act(lambda s: s.load(validated.experiment, yaml_text, "dashboard"), rerun=False)
        if loaded is not None:
            ss[ui.CURRENT] = loaded.experiment_id
            ss["design.source"] = {"kind": "stored", "id": loaded.experiment_id,
                                   "status": ui.experiment_row(ui.db_path(), loaded.experiment_id)["status"]}
            ui.flash(f"{overview.load_verb(loaded)}: {loaded.experiment_id} ({loaded.contacts} contacts planned).")
            st.rerun()
