"""Knock's dashboard: `streamlit run app.py`.

A router over st.navigation (file-based pages in dashboard/). Until the
session signs in, the only page is the sign-in page: no experiment data,
reply or evidence is reachable without a login (see dashboard/auth.py).
"""

import streamlit as st

from dashboard import ui

st.set_page_config(page_title="Knock", page_icon=":material/door_front:", layout="wide")

if ui.signed_in():
    pages = {
        "Study": [
            st.Page("dashboard/experiments_page.py", title="Experiments", icon=":material/science:",
                    url_path="experiments", default=True),
            st.Page("dashboard/design_page.py", title="Design", icon=":material/edit_note:", url_path="design"),
        ],
        "Fieldwork": [
            st.Page("dashboard/runs_page.py", title="Runs", icon=":material/send:", url_path="runs"),
            st.Page("dashboard/inbox_page.py", title="Inbox", icon=":material/inbox:", url_path="inbox"),
        ],
        "Analysis": [
            st.Page("dashboard/results_page.py", title="Results", icon=":material/insights:", url_path="results"),
            st.Page("dashboard/publish_page.py", title="Publish", icon=":material/public:", url_path="publish"),
        ],
    }
    with st.sidebar:
        st.caption(f"Signed in as **{ui.current_user()}** · database `{ui.db_label()}`")
        refresh, leave = st.columns(2)
        if refresh.button("Refresh", icon=":material/refresh:", key="refresh",
                          help="Read the database again (runners and the collector write to it all the time)"):
            ui.invalidate()
            st.rerun()
        if leave.button("Sign out", icon=":material/logout:", key="sign_out"):
            ui.sign_out()
            st.rerun()
else:
    pages = [st.Page("dashboard/login_page.py", title="Sign in", icon=":material/lock:", url_path="login")]

st.navigation(pages).run()
