"""Finding a form's fields: by a recipe's locators, or by reading the page like a person.

Detection (no recipe) collects every visible control and button in one
``evaluate`` call, describes each by its label, placeholder, aria-label,
name/id, autocomplete token and type, and scores it against each semantic
field (``experiments.model.SEMANTIC_FIELDS``) with multilingual-ish
synonyms. The best-scoring pairs win, one control per field and one field
per control, within the form that matched best. Only fields the job has a
value for are filled; consent boxes are ticked, marketing boxes are not.

    >>> _normalise("E-Mail-Adresse *")
    'e mail adresse'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# -- what the page offers ------------------------------------------------------

CONTROL_SELECTOR = (
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])"
    ":not([type=image]):not([type=password]):not([type=search]), textarea, select"
)
BUTTON_SELECTOR = "button, input[type=submit], input[type=image], input[type=button], [role=button]"

# Can a person see this control? Not when it is hidden, and not when it is a honeypot: a text box
# pushed off the page, transparent itself, or shut in a box too small to see, there to catch robots
# (a site that finds it filled drops the message, and a non-delivery would pass for a non-response).
# Tick boxes, drop-downs and file inputs are exempt: styled ones lay a transparent or hidden native
# control under their label. A whole section still fading in (opacity 0 on an ancestor) is no honeypot.
SHOWN_JS = """(el) => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  if (!((r.width > 0 || r.height > 0) && s.visibility !== 'hidden' && s.display !== 'none'
        && !el.closest('[hidden], [aria-hidden="true"]'))) return false;
  const type = (el.type || '').toLowerCase();
  if (el.tagName === 'SELECT' || ['checkbox', 'radio', 'file'].includes(type)) return true;
  if (r.right + window.scrollX <= 0 || r.bottom + window.scrollY <= 0) return false;
  if (parseFloat(s.opacity) === 0) return false;
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    if (getComputedStyle(a).overflow !== 'visible') {
      const box = a.getBoundingClientRect();
      if (box.width < 2 || box.height < 2) return false;
    }
  }
  return true;
}"""

# The same rule as a Playwright selector engine (registered by runners.browser.launch_chromium), so
# a locator can be narrowed to controls a person can see: ``locator.and_(page.locator(SHOWN_SELECTOR))``.
SHOWN_ENGINE = "shown-control"
SHOWN_SELECTOR = f"{SHOWN_ENGINE}=any"
SHOWN_ENGINE_JS = """({
  query(root, selector) { return this.queryAll(root, selector)[0] || null; },
  queryAll(root, selector) {
    const shown = %s;
    return Array.from(root.querySelectorAll('input, textarea, select, [contenteditable]')).filter(shown);
  },
})""" % SHOWN_JS

_COLLECT_JS = """
([controlSel, buttonSel]) => {
  const forms = Array.from(document.forms);
  const text = (el) => (el ? (el.innerText || el.textContent || '') : '').replace(/\\s+/g, ' ').trim();
  const visible = __SHOWN__;
  const formOf = (el) => el.form ? forms.indexOf(el.form) : forms.indexOf(el.closest('form'));
  const labelOf = (el) => {
    const parts = [];
    if (el.labels) for (const l of el.labels) parts.push(text(l));
    const by = el.getAttribute('aria-labelledby');
    if (by) for (const id of by.split(/\\s+/)) parts.push(text(document.getElementById(id)));
    return parts.filter(Boolean).join(' ');
  };
  const nearby = (el) => {
    // unlabelled controls: the text just before them (a <p>, <span> or <div>)
    let node = el.previousElementSibling;
    for (let i = 0; node && i < 2; i++, node = node.previousElementSibling) {
      const t = text(node);
      if (t && t.length < 120 && !node.querySelector('input,textarea,select')) return t;
    }
    const parent = el.parentElement;
    if (parent && parent.querySelectorAll('input,textarea,select').length === 1) {
      const t = text(parent);
      if (t.length < 120) return t;
    }
    return '';
  };
  const controls = Array.from(document.querySelectorAll(controlSel)).map((el, index) => ({
    index,
    tag: el.tagName.toLowerCase(),
    type: (el.getAttribute('type')
           || ({TEXTAREA: 'textarea', SELECT: 'select'}[el.tagName] || 'text')).toLowerCase(),
    name: el.getAttribute('name') || '',
    id: el.id || '',
    autocomplete: (el.getAttribute('autocomplete') || '').toLowerCase(),
    placeholder: el.getAttribute('placeholder') || '',
    aria: el.getAttribute('aria-label') || '',
    label: labelOf(el),
    nearby: nearby(el),
    required: !!(el.required || el.getAttribute('aria-required') === 'true'),
    visible: visible(el) || (el.type === 'file' && !el.disabled),
    disabled: !!el.disabled || el.readOnly === true,
    form: formOf(el),
    options: el.tagName === 'SELECT'
      ? Array.from(el.options).map(o => ({value: o.value, text: text(o), disabled: o.disabled})) : [],
  }));
  const buttons = Array.from(document.querySelectorAll(buttonSel)).map((el, index) => ({
    index,
    tag: el.tagName.toLowerCase(),
    type: (el.getAttribute('type') || (el.tagName === 'BUTTON' ? 'submit' : '')).toLowerCase(),
    text: (text(el) || el.value || el.getAttribute('aria-label') || el.getAttribute('title') || '').slice(0, 80),
    visible: visible(el),
    disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
    form: formOf(el),
  }));
  return {controls, buttons, forms: forms.length};
}
""".replace("__SHOWN__", SHOWN_JS)


@dataclass(frozen=True)
class Control:
    index: int
    tag: str
    type: str
    name: str
    id: str
    autocomplete: str
    placeholder: str
    aria: str
    label: str
    nearby: str
    required: bool
    visible: bool
    disabled: bool
    form: int
    options: tuple

    @property
    def kind(self) -> str:
        """text | email | tel | textarea | select | checkbox | radio | file | other."""
        if self.tag in ("textarea", "select"):
            return self.tag
        if self.type in ("", "text", "email", "tel", "number", "url"):
            return {"email": "email", "tel": "tel"}.get(self.type, "text")
        if self.type in ("checkbox", "radio", "file"):
            return self.type
        return "other"

    def describe(self) -> str:
        """How a person would name it: ``label 'Your name'`` (for matched_fields and messages)."""
        for source, value in (("label", self.label), ("placeholder", self.placeholder),
                              ("aria-label", self.aria), ("name", self.name), ("id", self.id)):
            if value:
                return f"{source} {_short(value)!r}"
        return f"{self.kind} #{self.index}"


@dataclass(frozen=True)
class Button:
    index: int
    tag: str
    type: str
    text: str
    visible: bool
    disabled: bool
    form: int

    def describe(self) -> str:
        return f"button {_short(self.text) or '(no text)'!r}"


def collect(page) -> tuple[list[Control], list[Button]]:
    """Every candidate control and button of the page's main frame, in document order."""
    data = page.evaluate(_COLLECT_JS, [CONTROL_SELECTOR, BUTTON_SELECTOR])
    controls = [Control(**{**c, "options": tuple((o["value"], o["text"], o["disabled"]) for o in c["options"])})
                for c in data["controls"]]
    return controls, [Button(**b) for b in data["buttons"]]


def control_locator(page, control: Control):
    return page.locator(CONTROL_SELECTOR).nth(control.index)


def button_locator(page, button: Button):
    return page.locator(BUTTON_SELECTOR).nth(button.index)


# -- words ----------------------------------------------------------------------
# Normalised (lower case, accents stripped, punctuation -> space). Phrases of
# five letters or more also match as a word prefix ("telefon" in
# "telefonnummer"); shorter ones only as whole words ("mail" is not "mailing").

SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "given name", "forename", "firstname", "fname", "vorname", "prenom",
                   "nombre de pila", "voornaam"),
    "last_name": ("last name", "surname", "family name", "lastname", "lname", "nachname", "nom de famille",
                  "apellido", "apellidos", "cognome", "achternaam"),
    "name": ("full name", "your name", "name", "fullname", "nom", "nombre", "nome", "naam", "guest name",
             "contact name", "applicant name", "vollstandiger name", "nom complet", "ihr name"),
    "email": ("email", "e mail", "mail", "courriel", "correo", "emailadres", "mailadres"),
    "phone": ("phone", "telephone", "tel", "mobile", "cell", "telefon", "telefono", "handy", "portable",
              "contact number", "phonenumber", "numero de telephone"),
    "company": ("company", "organisation", "organization", "business name", "firma", "unternehmen", "societe",
                "empresa", "entreprise", "employer", "bedrijf"),
    "subject": ("subject", "topic", "regarding", "betreff", "sujet", "asunto", "oggetto", "onderwerp",
                "thema", "re"),
    "message": ("message", "enquiry", "inquiry", "how can we help", "how we can help", "help", "comments",
                "comment", "cover letter", "coverletter", "details", "question", "nachricht", "anfrage",
                "mitteilung", "anliegen", "mensaje", "messaggio", "bericht", "vraag", "request", "motivation",
                "tell us", "body", "msg"),
    "consent": ("consent", "agree", "privacy", "accept", "terms", "gdpr", "einverstanden", "datenschutz",
                "zustimmen", "akzeptiere", "accepte", "acepto", "j accepte", "dsgvo"),
    "resume": ("resume", "cv", "curriculum", "lebenslauf", "attach", "upload", "attachment"),
    "topic": ("topic", "reason", "department", "category", "position", "role", "vacancy", "job", "type",
              "enquiry type", "inquiry type", "subject", "betreff", "sujet"),
}
# A "name" label that is really another field.
NOT_A_FULL_NAME = ("first", "last", "given", "family", "middle", "company", "business", "user", "file", "organi",
                   "firm")
MARKETING = ("newsletter", "marketing", "offers", "promotion", "subscribe", "mailing list", "updates", "news")
AUTOCOMPLETE = {"name": "name", "given-name": "first_name", "family-name": "last_name", "email": "email",
                "tel": "phone", "tel-national": "phone", "organization": "company"}
# Which control kinds can hold which field.
KINDS: dict[str, frozenset[str]] = {
    "name": frozenset({"text"}), "first_name": frozenset({"text"}), "last_name": frozenset({"text"}),
    "email": frozenset({"text", "email"}), "phone": frozenset({"text", "tel"}), "company": frozenset({"text"}),
    "subject": frozenset({"text"}), "message": frozenset({"textarea", "text"}),
    "consent": frozenset({"checkbox"}), "resume": frozenset({"file"}), "topic": frozenset({"select"}),
}
SOURCE_WEIGHT = (("label", 60), ("aria", 55), ("placeholder", 50), ("name", 40), ("id", 35), ("nearby", 30))
MIN_SCORE = 30

NEXT_WORDS = ("next", "continue", "weiter", "suivant", "siguiente", "avanti", "volgende", "proceed", "next step")
SUBMIT_WORDS = ("send", "submit", "apply", "senden", "absenden", "abschicken", "envoyer", "enviar", "invia",
                "inviare", "verzenden", "versturen", "bewerben", "postuler", "get in touch", "contact us",
                "request", "book", "finish")
NOT_SUBMIT_WORDS = ("back", "previous", "zuruck", "retour", "cancel", "abbrechen", "reset", "clear", "search",
                    "suche", "log in", "login", "sign in", "subscribe", "menu", "close", "accept", "reject",
                    "cookie", "upload", "browse", "choose file", "remove", "delete")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # camelCase -> camel Case
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def has_phrase(text: str, phrases: tuple[str, ...]) -> str | None:
    """The first phrase found in ``text`` (normalised), as a word or word prefix."""
    words = f" {_normalise(text)} "
    for phrase in phrases:
        if len(phrase) >= 5:
            if re.search(rf"(?<![a-z0-9]){re.escape(phrase)}", words):
                return phrase
        elif f" {phrase} " in words:
            return phrase
    return None


def _short(text: str, n: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- scoring ----------------------------------------------------------------------

def score(control: Control, semantic: str) -> tuple[int, str]:
    """How well ``control`` fits ``semantic`` (0 = not at all), and why."""
    kind = control.kind
    if kind not in KINDS[semantic]:
        return 0, ""
    best, why = 0, ""
    token = control.autocomplete.split()[-1] if control.autocomplete else ""
    if AUTOCOMPLETE.get(token) == semantic:
        best, why = 100, f"autocomplete {token!r}"
    for source, weight in SOURCE_WEIGHT:
        value = getattr(control, source)
        if not value or weight <= best:
            continue
        phrase = has_phrase(value, SYNONYMS[semantic])
        if not phrase:
            continue
        if semantic == "name" and has_phrase(value, NOT_A_FULL_NAME):
            continue
        best, why = weight, f"{'aria-label' if source == 'aria' else source} {_short(value)!r}"
    if semantic == "email" and kind == "email":
        best, why = max(best, 90), why or "type=email"
    elif semantic == "phone" and kind == "tel":
        best, why = max(best, 90), why or "type=tel"
    elif semantic == "resume" and kind == "file":
        best, why = max(best, 70), why or "file input"
    elif semantic == "message" and kind == "textarea":
        best, why = (best + 15, why) if best else (25, "the form's text area")
    elif semantic == "message" and best and best < 100:
        best -= 10  # a one-line input may hold a message, a text area more likely does
    elif semantic == "topic" and not best:
        best, why = 20, "a drop-down"
    if semantic == "consent" and best and has_phrase(control.label or control.aria or control.nearby, MARKETING):
        if not control.required:
            return 0, ""
    return best, why


@dataclass(frozen=True)
class Match:
    semantic: str
    control: Control
    score: int
    why: str


def assign(controls: list[Control], wanted: set[str]) -> dict[str, Match]:
    """Best control per semantic field, each control used once (greedy on score)."""
    pairs = []
    for control in controls:
        if not control.visible or control.disabled:
            continue
        for semantic in wanted:
            s, why = score(control, semantic)
            if s >= (20 if semantic in ("topic", "message") else MIN_SCORE):
                pairs.append(Match(semantic, control, s, why))
    pairs.sort(key=lambda m: (-m.score, m.control.index))
    chosen: dict[str, Match] = {}
    used: set[int] = set()
    for match in pairs:
        if match.semantic in chosen or match.control.index in used:
            continue
        if match.semantic == "topic" and match.score < MIN_SCORE and not match.control.required:
            continue  # an optional drop-down we cannot name: leave it alone
        chosen[match.semantic] = match
        used.add(match.control.index)
    if "name" in chosen and "first_name" in chosen and "last_name" in chosen and chosen["name"].score < 100:
        del chosen["name"]  # beside "First name" and "Last name", a "Name" box is something else
    return chosen


@dataclass(frozen=True)
class Detected:
    form: int  # index in document.forms, -1 for controls outside any form
    matches: dict[str, Match]
    buttons: list[Button]

    @property
    def is_contact_form(self) -> bool:
        """A message or résumé to send (not a newsletter, login or search box)."""
        return "message" in self.matches or "resume" in self.matches

    def submit_button(self) -> Button | None:
        return classify_buttons(self.buttons)[0]

    def next_button(self) -> Button | None:
        return classify_buttons(self.buttons)[1]


def detect(page, wanted: set[str]) -> Detected | None:
    """The best form on the page and its fields, or None when nothing fits."""
    controls, buttons = collect(page)
    best: Detected | None = None
    best_score = 0
    for form in sorted({c.form for c in controls}):
        matches = assign([c for c in controls if c.form == form], wanted)
        total = sum(m.score for m in matches.values())
        if matches and total > best_score:
            best_score = total
            best = Detected(form, matches, [b for b in buttons if b.form == form and b.visible and not b.disabled])
    return best


def submit_button_near(page, names: set[str]) -> Button | None:
    """The submit button of the form holding controls named ``names`` (for recipes without a submit)."""
    controls, buttons = collect(page)
    forms = {c.form for c in controls if c.name in names} or {c.form for c in controls}
    usable = [b for b in buttons if b.form in forms and b.visible and not b.disabled]
    return classify_buttons(usable)[0]


def classify_buttons(buttons: list[Button]) -> tuple[Button | None, Button | None]:
    """(submit, next): a button saying "Send"/"Submit" wins, else the form's submit-type button."""
    submit = nxt = fallback = None
    for b in buttons:
        words = b.text
        if has_phrase(words, NOT_SUBMIT_WORDS):
            continue
        if has_phrase(words, NEXT_WORDS):
            nxt = nxt or b
        elif has_phrase(words, SUBMIT_WORDS):
            submit = submit or b
        elif b.type == "submit" or (b.tag == "input" and b.type == "image"):
            fallback = fallback or b
    return submit or fallback, nxt


# -- choosing a value for a control ----------------------------------------------

def choose_option(options: tuple, wanted: str | None) -> tuple[str | None, str]:
    """The option to select: the one matching ``wanted`` (text or value), else the first real one."""
    real = [(v, t) for v, t, disabled in options if not disabled and v.strip()]
    if not real:
        real = [(v, t) for v, t, disabled in options if not disabled and (v.strip() or t.strip())]
    if wanted:
        low = _normalise(wanted)
        for v, t in real:
            if low in (_normalise(t), _normalise(v)):
                return v, f"option {t!r}"
        for v, t in real:
            if low and (low in _normalise(t) or _normalise(t) in low):
                return v, f"option {t!r} (closest to {wanted!r})"
    if not real:
        return None, "no options"
    v, t = real[0]
    note = f"first option {t!r}" + (f" (no option {wanted!r})" if wanted else "")
    return v, note
