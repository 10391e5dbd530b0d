"""Putting a value into one control, and turning a recipe locator into a Playwright locator.

Kept apart from the attempt's flow (``runners.webform``) so the rules for
each kind of control read in one place: text is typed, a consent box is
ticked, a drop-down gets the wanted option (or the first real one), a file
input gets the résumé from memory (never from a path on disk).
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError

from experiments.model import Locator
from runners.form_fields import SHOWN_JS, choose_option

_KIND_JS = """el => ({tag: el.tagName.toLowerCase(), type: (el.getAttribute('type') || '').toLowerCase(),
  name: el.getAttribute('name') || '', editable: el.isContentEditable,
  options: el.tagName === 'SELECT' ? Array.from(el.options).map(o => [o.value, o.text.trim(), o.disabled]) : []})"""

# Every match at once: one round trip instead of count(), is_visible() per match, then an inspection
# of the chosen one. "Visible" is form_fields.SHOWN_JS, so a hidden honeypot never counts.
# Where a click on the element would send its form (a button's formaction wins), for the host check.
FORM_ACTION_JS = """(el) => { const f = el.form || el.closest('form');
  return el.hasAttribute('formaction') ? el.formAction : f ? f.action : null; }"""

_MATCHES_JS = """els => els.map(el => Object.assign((%s)(el), {
  visible: (%s)(el) || (el.type === 'file' && !el.disabled), action: (%s)(el)}))""" % (
    _KIND_JS, SHOWN_JS, FORM_ACTION_JS)


class FillError(Exception):
    """A control could not be filled; the message names it."""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    mime_type: str = "application/pdf"


def describe_locator(loc: Locator) -> str:
    """``label 'Your name'``, ``role button 'Send'``, ``css '#msg'`` (for messages and matched_fields)."""
    if loc.role:
        return f"role {loc.role}" + (f" {loc.role_name!r}" if loc.role_name else "")
    for key in ("label", "placeholder", "name", "css"):
        value = getattr(loc, key)
        if value:
            return f"{key} {value!r}"
    return "empty locator"


def recipe_candidates(page, loc: Locator) -> list:
    """Playwright locators for a recipe locator, strictest first (exact text, then substring)."""
    if loc.label:
        return [page.get_by_label(loc.label, exact=True), page.get_by_label(loc.label)]
    if loc.placeholder:
        return [page.get_by_placeholder(loc.placeholder, exact=True), page.get_by_placeholder(loc.placeholder)]
    if loc.name:
        escaped = loc.name.replace("\\", "\\\\").replace('"', '\\"')
        return [page.locator(f'[name="{escaped}"]')]
    if loc.role:
        if loc.role_name:
            return [page.get_by_role(loc.role, name=loc.role_name, exact=True),
                    page.get_by_role(loc.role, name=loc.role_name)]
        return [page.get_by_role(loc.role)]
    return [page.locator(loc.css)]


def first_usable(locator) -> tuple[object, int, dict | None]:
    """The first match a person can see, how many matched, and what it is (``kind_of`` turns that
    into ``fill_control``'s ``known``). None when nothing matched or every match is hidden (a
    honeypot is never the answer: filling one gets the message dropped as spam)."""
    matches = locator.evaluate_all(_MATCHES_JS)
    index = next((i for i, m in enumerate(matches) if m["visible"]), None)
    if index is None:
        return locator.first, len(matches), None
    target = locator if len(matches) == 1 else locator.nth(index)
    return target, len(matches), matches[index]


def kind_of(info: dict) -> tuple[str, str, tuple]:
    tag, type_ = info["tag"], info["type"]
    kind = ("select" if tag == "select" else "textarea" if tag == "textarea"
            else type_ if type_ in ("checkbox", "radio", "file") else "text")
    return kind, info["name"], tuple(tuple(o) for o in info["options"])


def fill_control(locator, semantic: str, value: str | None, upload: Upload | None,
                 known: tuple[str, str, tuple] | None = None) -> tuple[str | None, str]:
    """Fill one control; returns (name attribute, note). Raises FillError with a reason.

    ``known`` is (kind, name, options) when detection has already read the
    control; otherwise the element is inspected first. An empty value
    leaves the control alone (the note says so).
    """
    if known is None:
        try:
            known = kind_of(locator.evaluate(_KIND_JS))
        except PlaywrightError as exc:
            raise FillError(f"cannot inspect it: {_first_line(exc)}") from None
    kind, name, options = known
    try:
        if kind == "file":
            if upload is None:
                return name, "no résumé to upload, left empty"
            locator.set_input_files({"name": upload.name, "mimeType": upload.mime_type, "buffer": upload.data})
            return name, f"uploaded {upload.name} ({len(upload.data)} bytes)"
        if kind in ("checkbox", "radio"):
            if semantic != "consent" and not value:
                return name, "no value, left unticked"
            _tick(locator)
            return name, "ticked"
        if kind == "select":
            option, note = choose_option(options, value)
            if option is None:
                raise FillError("the drop-down has no options")
            locator.select_option(value=option)
            return name, note
        if not value:
            return name, "no value, left empty"
        locator.fill(value)
        return name, ""
    except PlaywrightError as exc:
        raise FillError(_first_line(exc)) from None


def _tick(locator) -> None:
    """Tick a box; styled boxes hide the input behind a label, so fall back to a DOM click."""
    try:
        locator.check(timeout=3_000)
    except PlaywrightError:
        locator.evaluate("el => { if (!el.checked) el.click(); }")
        if not locator.is_checked():
            raise


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
