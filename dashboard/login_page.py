"""Sign in: a password (its hash configured) or single sign-on (OIDC via st.login)."""

import time

import streamlit as st

from dashboard import auth, ui

st.title("Knock", anchor=False)
st.caption("Do companies answer the people who knock on their doors? Sign in to see experiments, replies "
           "and evidence.")
config = ui.auth_settings()
if not config.configured:
    st.error("No login is configured, so no researcher page is served.", icon=":material/lock:")
    for text, code, language in auth.SETUP_STEPS:
        st.markdown(text)
        st.code(code, language=language)
    st.stop()

left, _ = st.columns([2, 3])
with left:
    if config.password_hash:
        with st.form("sign_in"):
            password = st.text_input("Password", type="password", key="password")
            if st.form_submit_button("Sign in", type="primary", icon=":material/login:"):
                if ui.sign_in_with_password(password):
                    st.rerun()
                time.sleep(0.5)  # slow down guessing
                st.error("That password is not right.")
    if config.oidc:
        providers = config.providers or (None,)
        for provider in providers:
            label = f"Sign in with {provider.capitalize()}" if provider else "Sign in with single sign-on"
            if st.button(label, key=f"oidc-{provider}", icon=":material/badge:"):
                st.login(provider) if provider else st.login()
        if ui._oidc_user() and not ui.signed_in():
            st.error(f"{ui._oidc_user()} is not on this dashboard's list of allowed emails.")
            if st.button("Sign out of single sign-on"):
                st.logout()
