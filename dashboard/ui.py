"""The Streamlit edge shared by every page: login, the store, cached queries, messages.

Pages stay a handful of statements: they call the cached queries here and
the plain modules (``dashboard.overview``, ``dashboard.runs_view``,
``dashboard.inbox_view``, ``dashboard.results_view``, ``experiments.design_io``)
for everything else. This is the only module besides the pages that imports
streamlit.

- ``st.cache_resource`` holds one ``Store`` per database file (and a lock:
  Streamlit serves every browser session from its own thread, the store has
  one connection, and a write transaction must not interleave with another
  session's queries);
- ``st.cache_data(ttl=...)`` holds query results, keyed by the database
  path, and ``invalidate()`` clears them after every write;
- ``act()`` runs a write and turns a ``KnockError`` (anything a researcher
  can cause) into ``st.error``, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from dashboard import auth
from experiments.errors import KnockError

USER_KEY = "knock_user"
FLASH_KEY = "knock_flash"
CURRENT = "knock_experiment"
STATUS_COLOURS = {"draft": "gray", "armed": "orange", "live": "green", "closed": "blue"}


# --- where things are ---------------------------------------------------------------

def db_path() -> str:
    """The database: ``KNOCK_DB`` or ``data/knock.db`` (as the CLI)."""
    return os.environ.get("KNOCK_DB") or "data/knock.db"


def db_label() -> str:
    """The database for the sidebar: its last two path parts (``data/knock.db``)."""
    parts = Path(db_path()).parts
    return "/".join(parts[-2:]) if len(parts) > 1 else db_path()


def evidence_root() -> Path:
    """Evidence lives beside the database, as ``knock run`` keeps it."""
    return Path(db_path()).parent / "evidence"


@st.cache_resource(show_spinner=False)
def _resources(path: str):
    from experiments.store import Store

    return Store(path), threading.RLock()


@contextmanager
def store() -> Iterator[Any]:
    """The shared store, held for the duration of the block."""
    s, lock = _resources(db_path())
    with lock:
        yield s


# --- login ----------------------------------------------------------------------------

def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml: nothing configured there
        return {}


def auth_settings() -> auth.AuthConfig:
    return auth.auth_config(os.environ, _secrets())


def _oidc_user() -> str | None:
    try:
        if st.user.is_logged_in:
            return str(st.user.get("email") or st.user.get("name") or "signed-in user")
    except Exception:  # st.user unavailable (no [auth] configured)
        return None
    return None


def signed_in() -> bool:
    """Whether this session may see researcher pages."""
    config = auth_settings()
    if config.password_hash and st.session_state.get(USER_KEY):
        return True
    if config.oidc:
        user = _oidc_user()
        return bool(user) and auth.email_allowed(user, config.allowed_emails)
    return False


def current_user() -> str:
    if st.session_state.get(USER_KEY):
        return st.session_state[USER_KEY]
    return _oidc_user() or "researcher"


def sign_in_with_password(password: str) -> bool:
    config = auth_settings()
    if not config.password_hash:
        return False
    try:
        ok = auth.verify_password(password, config.password_hash)
    except auth.BadHash as exc:
        st.error(f"The configured password hash ({config.password_source}) is not usable: {exc}")
        return False
    if ok:
        st.session_state[USER_KEY] = "researcher"
    return ok


def sign_out() -> None:
    st.session_state.pop(USER_KEY, None)
    if _oidc_user():
        st.logout()


def guard() -> None:
    """Stop a page that is run without a login (defence in depth: app.py routes only signed-in sessions)."""
    if not signed_in():
        st.error("Please sign in first.")
        st.stop()


# --- messages -----------------------------------------------------------------------

def flash(message: str) -> None:
    """A success message shown once, after the rerun that follows a write."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
    return str(exc)


def act(fn: Callable, *args, success: str | None = None, rerun: bool = True, **kwargs) -> Any:
    """Run a write against the store; researcher errors become ``st.error``. Clears cached queries."""
    try:
        with store() as s:
            result = fn(s, *args, **kwargs)
    except (KnockError, ValueError, ValidationError) as exc:
        st.error(error_text(exc), icon=":material/error:")
        return None
    invalidate()
    if success:
        flash(success)
    if rerun:
        st.rerun()
    return result


def query(fn: Callable, *args, **kwargs) -> Any:
    """Run an uncached read against the store; researcher errors become ``st.error`` (None returned)."""
    try:
        with store() as s:
            return fn(s, *args, **kwargs)
    except (KnockError, ValueError, ValidationError) as exc:
        st.error(error_text(exc), icon=":material/error:")
        return None


def invalidate() -> None:
    """Forget every cached query (after a write)."""
    for fn in (experiments, experiment_row, definition, state_counts, contacts, analysis_table,
               results_options, results_view, inbox, message, codings, replied_contacts, contact_messages, attempts):
        fn.clear()


# --- cached queries (keyed by the database path) ----------------------------------------

@st.cache_data(ttl=15, show_spinner=False)
def experiments(db: str) -> list[dict]:
    from dashboard.overview import experiment_rows

    with store() as s:
        return experiment_rows(s)


@st.cache_data(ttl=15, show_spinner=False)
def experiment_row(db: str, experiment_id: str) -> dict:
    with store() as s:
        return s.experiment_row(experiment_id)


@st.cache_data(ttl=60, show_spinner=False)
def definition(db: str, experiment_id: str):
    with store() as s:
        return s.definition(experiment_id)


@st.cache_data(ttl=15, show_spinner=False)
def state_counts(db: str, experiment_id: str) -> dict[str, int]:
    with store() as s:
        return s.state_counts(experiment_id)


@st.cache_data(ttl=15, show_spinner=False)
def contacts(db: str, experiment_id: str) -> pd.DataFrame:
    from experiments.dashboard_queries import contacts_overview

    with store() as s:
        return pd.DataFrame(contacts_overview(s, experiment_id))


@st.cache_data(ttl=15, show_spinner=False)
def attempts(db: str, contact_id: int) -> list[dict]:
    from dashboard.runs_view import attempt_rows

    with store() as s:
        return attempt_rows(s, contact_id, evidence_root())


@st.cache_data(ttl=120, show_spinner=False, max_entries=8)
def analysis_table(db: str, experiment_id: str) -> pd.DataFrame:
    from analysis.table import analysis_table as build

    with store() as s:
        return build(s, experiment_id)


@st.cache_data(ttl=120, show_spinner=False, max_entries=8)
def results_options(db: str, experiment_id: str) -> dict:
    from dashboard.results_view import filter_options

    return filter_options(analysis_table(db, experiment_id))


@st.cache_data(ttl=120, show_spinner="Computing results…", max_entries=64)
def results_view(db: str, experiment_id: str, by: str, filters, models: bool):
    from dashboard.results_view import build_view

    return build_view(analysis_table(db, experiment_id), by, filters, models, experiment_id)


@st.cache_data(ttl=15, show_spinner=False)
def inbox(db: str, experiment_id: str | None, view: str) -> pd.DataFrame:
    from dashboard.inbox_view import inbox_frame

    with store() as s:
        return inbox_frame(s, experiment_id, view)


@st.cache_data(ttl=15, show_spinner=False)
def message(db: str, message_pk: int) -> dict:
    from dashboard.inbox_view import message_detail

    with store() as s:
        return message_detail(s, message_pk)


@st.cache_data(ttl=15, show_spinner=False)
def codings(db: str, experiment_id: str) -> pd.DataFrame:
    from experiments.dashboard_queries import codings as rows

    with store() as s:
        return pd.DataFrame(rows(s, experiment_id), columns=["contact_id", "coder", "dimension", "level", "coded_at"])


@st.cache_data(ttl=15, show_spinner=False)
def replied_contacts(db: str, experiment_id: str) -> pd.DataFrame:
    from experiments.dashboard_queries import replied_contacts as rows

    with store() as s:
        return pd.DataFrame(rows(s, experiment_id))


@st.cache_data(ttl=15, show_spinner=False)
def contact_messages(db: str, contact_id: int) -> list[dict]:
    from experiments.dashboard_queries import contact_messages as rows

    with store() as s:
        return rows(s, contact_id)


# --- shared widgets ---------------------------------------------------------------------

def status_badge(status: str, paused: bool = False) -> str:
    badge = f":{STATUS_COLOURS.get(status, 'gray')}-badge[{status}]"
    return badge + (" :red-badge[paused]" if paused else "")


def pick_experiment(page: str, designed_only: bool = False, label: str = "Experiment") -> dict | None:
    """The experiment this page shows; the choice follows the researcher from page to page."""
    rows = [r for r in experiments(db_path()) if r["kind"] == "designed" or not designed_only]
    if not rows:
        return None
    ids = [r["id"] for r in rows]
    by_id = {r["id"]: r for r in rows}
    current = st.session_state.get(CURRENT)
    if current not in ids:  # the one with most contacts made, the newest among equals
        current = max(reversed(rows), key=lambda r: r.get("sent", 0))["id"]
    key = f"{page}.experiment"
    st.session_state[key] = current  # another page (or a load) may have changed it

    def chosen() -> None:
        st.session_state[CURRENT] = st.session_state[key]

    choice = st.selectbox(label, ids, key=key, on_change=chosen,
                          format_func=lambda i: f"{by_id[i]['title']}  ·  {i}  ·  {by_id[i]['status']}")
    st.session_state[CURRENT] = choice
    return by_id[choice]


def require_experiment(page: str, consequence: str, designed_only: bool = False) -> dict:
    """``pick_experiment``, or the "no experiments yet" hint and the end of the page."""
    chosen = pick_experiment(page, designed_only=designed_only)
    if chosen is None:
        no_experiments(consequence)
        st.stop()
    return chosen


def no_experiments(consequence: str = "") -> None:
    st.info(f"No experiments yet{', so ' + consequence if consequence else ''}: load an example on the "
            "**Experiments** page (or `knock experiment load experiments/examples/inquiry.yaml`).",
            icon=":material/science:")
    st.page_link("dashboard/experiments_page.py", label="Go to Experiments", icon=":material/arrow_forward:")


def when(value: Any) -> str:
    """A stored time for people: ``Tue 01 Dec 2026, 09:41 UTC``; blank for none."""
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return ""
    moment = pd.Timestamp(value)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return moment.tz_convert("UTC").strftime("%a %d %b %Y, %H:%M UTC")


def short_when(value: Any) -> str:
    """A stored time for tables: ``21 Oct 03:09`` (UTC)."""
    text = when(value)
    if not text:
        return ""
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment.strftime("%d %b %Y %H:%M")


def now() -> dt.datetime:
    with store() as s:
        return s.clock.now()
