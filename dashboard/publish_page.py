"""Publish: write the static results site for readers (as `knock publish` does) and download it."""

from pathlib import Path

import streamlit as st

from analysis.publish import publish, zip_site
from dashboard import ui

ui.guard()
st.title("Publish", anchor=False)
st.caption("A static site for readers: results in words, charts and tables, methods, and the anonymised data "
           "with a replication package. It works offline and from any web host; no persona, email address, "
           "message or reply token is ever in it, and company names follow each experiment's "
           "`publication.company_names` setting.")
rows = ui.experiments(ui.db_path())
if not rows:
    ui.no_experiments("nothing to publish")
    st.stop()

by_id = {r["id"]: r for r in rows}
current = st.session_state.get(ui.CURRENT)
ids = st.multiselect("Experiments", list(by_id), default=[current] if current in by_id else list(by_id)[-1:],
                     format_func=lambda i: f"{by_id[i]['title']}  ·  {i}", key="publish.ids",
                     placeholder="choose one or more")
out = st.text_input("Folder", value=str(Path(ui.db_path()).parent / "site"), key="publish.out",
                    help="Created if needed. Publishing again updates the same site; a folder with other "
                         "files in it is refused, so nothing of yours is overwritten.")
models = st.toggle("Include regression models (slower)", key="publish.models")
if st.button("Publish", type="primary", icon=":material/public:", disabled=not ids, key="publish.go"):
    with st.spinner("Publishing…"):
        report = ui.query(publish, ids, out, models=models)
    if report is not None:
        st.session_state["publish.report"] = report

report = st.session_state.get("publish.report")
if report is not None:
    st.success(f"Published {len(report.experiments)} experiment(s) in {report.seconds:.1f} s, data as of "
               f"{ui.when(report.data_as_of)}. Open `{report.index}` in a browser, or upload the folder to any "
               "web host.", icon=":material/check_circle:")
    st.dataframe([{"experiment": e.experiment_id, "page": name, "size (KB)": round(size / 1024),
                   "company names": "pseudonyms" if e.pseudonymised else "shown"}
                  for e in report.experiments for name, size in e.page_bytes.items()],
                 hide_index=True, width="stretch")
    for e in report.experiments:
        for warning in e.warnings:
            st.warning(f"{e.experiment_id}: {warning}", icon=":material/info:")
    st.download_button("Download the site (zip)", lambda: zip_site(report.out_dir), icon=":material/download:",
                       file_name=f"{report.out_dir.name or 'site'}.zip", mime="application/zip",
                       key="publish.zip")
