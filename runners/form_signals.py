"""What a page says about itself: a CAPTCHA, validation errors, a thank-you.

Read-only: nothing here clicks or types. The CAPTCHA check in particular
only looks: Knock never interacts with a CAPTCHA widget (a research robot
that meets one stops, and the contact is recorded as blocked).
"""

from __future__ import annotations

import re

from playwright.sync_api import Error as PlaywrightError

CAPTCHA_HOSTS = ("google.com/recaptcha", "recaptcha.net", "gstatic.com/recaptcha", "hcaptcha.com",
                 "challenges.cloudflare.com", "arkoselabs.com", "funcaptcha.com", "friendlycaptcha",
                 "captcha-delivery.com", "geetest.com")

_CAPTCHA_JS = """
(hosts) => {
  const found = [];
  const sel = ['.g-recaptcha', '.grecaptcha-badge', '.h-captcha', '.cf-turnstile', '.frc-captcha', '[data-sitekey]',
               '[name="g-recaptcha-response"]', '[name="h-captcha-response"]', '[name="cf-turnstile-response"]'];
  for (const s of sel) if (document.querySelector(s)) found.push(s);
  for (const el of document.querySelectorAll('iframe[src], script[src]')) {
    const src = (el.getAttribute('src') || '').toLowerCase();
    const host = hosts.find(h => src.includes(h));
    if (host) found.push(el.tagName.toLowerCase() + ' from ' + host);
  }
  for (const el of document.querySelectorAll('iframe[title]')) {
    if (/captcha|challenge/i.test(el.getAttribute('title'))) found.push('iframe titled ' + el.getAttribute('title'));
  }
  const body = document.body ? document.body.innerText : '';
  const text = body.match(
    /I['’]?m not a robot|I am not a robot|verify (?:that )?you are (?:a )?human|\\bcaptcha\\b/i);
  if (text) found.push('text "' + text[0] + '"');
  return found;
}
"""

_VALIDATION_JS = """
() => {
  const out = [];
  const errorSel = '[role=alert], .error, .errors, .field-error, .form-error, .invalid-feedback, .error-message, '
                 + '.errorlist, .wpcf7-not-valid-tip, .hs-error-msgs, .parsley-errors-list, .validation-error';
  const clean = (t) => (t || '').replace(/\\s+/g, ' ').trim();
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return (r.width > 0 || r.height > 0) && s.visibility !== 'hidden' && s.display !== 'none'
      && !el.closest('[hidden]');
  };
  const nameOf = (el) => {
    const l = el.labels && el.labels[0];
    return clean((l && l.innerText) || el.getAttribute('aria-label') || el.getAttribute('placeholder') || el.name);
  };
  for (const el of document.querySelectorAll('input, textarea, select')) {
    if (el.type === 'hidden' || !el.willValidate || el.validity.valid) continue;
    out.push({kind: 'invalid', field: nameOf(el), text: clean(el.validationMessage),
              blocking: !(el.form && el.form.noValidate)});
  }
  for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
    const ids = (el.getAttribute('aria-errormessage') || el.getAttribute('aria-describedby') || '').split(/\\s+/);
    let msg = ids.map(id => document.getElementById(id)).filter(e => e && visible(e))
                 .map(e => clean(e.innerText)).join(' ');
    if (!msg) {  // no aria link: the error shown in the field's own box
      const box = el.closest('.field, .form-group, .form-field, .form-row') || el.parentElement;
      const shown = box && Array.from(box.querySelectorAll(errorSel))
                              .find(e => e !== el && visible(e) && clean(e.innerText));
      if (shown) msg = clean(shown.innerText);
    }
    out.push({kind: 'aria-invalid', field: nameOf(el), text: msg, blocking: false});
  }
  for (const el of document.querySelectorAll(errorSel)) {
    if (!visible(el)) continue;
    const t = clean(el.innerText);
    if (t) out.push({kind: 'alert', field: '', text: t, blocking: false});
  }
  return out;
}
"""

SUCCESS_PHRASES = (
    "thank you", "thanks", "we have received", "has been received", "was received", "we received",
    "has been sent", "was sent", "been submitted", "was submitted", "message sent", "successfully",
    "we will be in touch", "we'll be in touch", "we will get back", "we'll get back", "application received",
    "vielen dank", "danke", "merci", "gracias", "grazie", "bedankt", "erfolgreich", "bien envoye", "enviado",
)
FAILURE_WORDS = re.compile(r"\b(?:not|could ?n[o']t|failed|unable|error|try again)\b", re.I)


def captcha_markers(page) -> list[str]:
    """What gives a CAPTCHA away on this page (empty when there is none)."""
    found: list[str] = []
    for frame in page.frames:
        url = (frame.url or "").lower()
        host = next((h for h in CAPTCHA_HOSTS if h in url), None)
        if host:
            found.append(f"frame from {host}")
    try:
        found += page.evaluate(_CAPTCHA_JS, list(CAPTCHA_HOSTS))
    except PlaywrightError:
        pass  # the page is navigating; the next look will tell
    return list(dict.fromkeys(found))


def validation_messages(page) -> list[dict]:
    """Validation problems shown on the page: ``{kind, field, text, blocking}`` each.

    ``blocking`` marks HTML5 constraint failures in a form without
    ``novalidate``: the browser itself refuses to send such a form.
    """
    try:
        return page.evaluate(_VALIDATION_JS)
    except PlaywrightError:
        return []


def text_and_messages(page) -> tuple[str, list[dict]]:
    """``page_text`` and ``validation_messages`` in one round trip to the browser (the state before a click)."""
    try:
        got = page.evaluate(f"() => ({{text: document.body ? document.body.innerText : '', "
                            f"problems: ({_VALIDATION_JS})()}})")
    except PlaywrightError:
        return page_text(page), validation_messages(page)
    return _tidy(got["text"]), got["problems"]


def describe_messages(problems: list[dict]) -> list[str]:
    """Unique, readable lines: ``Phone number: Please enter a valid phone number``."""
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    texts: set[str] = set()
    for p in problems:  # field messages come first, page-wide alerts after them
        field, text = p.get("field") or "", p.get("text") or ("invalid" if p["kind"] != "alert" else "")
        if not text or (field, text) in seen or (not field and text in texts):
            continue
        seen.add((field, text))
        texts.add(text)
        lines.append(f"{field}: {text}" if field else text)
    return lines


def page_text(page) -> str:
    """The page's visible text, one line per block, spaces collapsed within lines."""
    try:
        raw = page.inner_text("body", timeout=2_000)
    except PlaywrightError:
        return ""
    return _tidy(raw)


def _tidy(raw: str) -> str:
    return "\n".join(" ".join(line.split()) for line in raw.splitlines() if line.strip())


def success_phrase(text: str, before: str = "") -> str | None:
    """A thank-you phrase in ``text`` that was not on the page before the click.

    A sentence that also says "not", "failed", "error" or "try again" does
    not count ("your message could not be sent").
    """
    prior = before.lower()
    for sentence in re.split(r"[.!?\n]+", text.lower()):
        for phrase in SUCCESS_PHRASES:
            if phrase in sentence and phrase not in prior and not FAILURE_WORDS.search(sentence):
                return phrase
    return None


def contains_text(text: str, wanted: str) -> bool:
    """Case- and whitespace-insensitive containment (for a recipe's success text)."""
    return " ".join(wanted.lower().split()) in " ".join(text.lower().split())

