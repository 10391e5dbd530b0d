"""Who wrote a reply: a person, an auto-responder, or the mail system (a bounce).

Response time is the study's main measure, so both errors are costly: an
auto-reply taken for a person makes a company look fast; a person taken for
an auto-reply makes it look silent. Every rule that fires is recorded in
``reasons``; ``uncertain`` marks the close calls for a researcher to triage.

Precedence (first step that decides wins):

1. **Bounce** -- any of: ``multipart/report; report-type=delivery-status``;
   a ``message/delivery-status`` part; ``X-Failed-Recipients`` (Exim, Gmail);
   ``X-MS-Exchange-Message-Is-Ndr``; a bounce-like subject ("Undeliverable",
   "Mail delivery failed", ...) from ``mailer-daemon@`` / ``postmaster@`` /
   Exchange's ``MicrosoftExchange<hex>@`` or with a null ``Return-Path: <>``.
   A report whose recipients were only delayed/relayed/delivered is still a
   bounce-kind mail but is flagged uncertain (a warning, not a failure).
2. **Auto-reply by header** -- RFC 3834 ``Auto-Submitted`` other than ``no``;
   ``X-Autoreply`` / ``X-Autorespond`` / ``X-Autoresponder``;
   ``Precedence: auto_reply``; a read receipt (``report-type=
   disposition-notification``). Headers outrank any text.
3. **Auto-reply by subject** -- the subject *starts* with an auto-reply or
   acknowledgement phrase in English, German, French, Spanish, Dutch or
   Italian ("Automatic reply:", "Abwesenheitsnotiz:", "Réponse automatique",
   "Request received:", ...). "Re: Automatic reply: ..." is a person
   answering in that thread and does not count.
4. **Auto-reply by text** -- an unambiguous phrase ("this is an automated
   message", "ticket #123 has been created", "this mailbox is not
   monitored", an out-of-office statement *with* a return date: "I am out
   of the office until ...", "Ich bin bis zum 13.03. nicht im Büro") in the
   reply's *own* text: quoted lines (``>``), everything after "On ...
   wrote:", "-----Original Message-----", an Outlook "From:/Sent:" block
   (Von:/Gesendet:, De :/Envoyé :, ...) and the signature are removed first
   (:func:`strip_quoted`).
5. **Auto-reply by weak signals combined** -- each alone is something a
   person's mail can carry, so one alone never decides: an acknowledgement
   ("we have received your request", "Ihre Anfrage ist bei uns
   eingegangen"), a promise ("one of our team will get back to you"), an
   out-of-office phrase without a return date, a ticket/case number, a
   no-reply sender or "do not reply" text, and weak headers
   (``X-Auto-Response-Suppress``, ``Precedence: bulk|junk|list``,
   ``List-Unsubscribe``/``List-Id``, ``X-MS-Exchange-Inbox-Rules-Loop``).
   Auto-reply when acknowledgement, promise or out-of-office language
   comes with any other weak signal, or when two weak headers come
   together; flagged uncertain.
6. **Human** -- everything else ("no auto-reply or bounce signal"); a single
   weak signal is reported and flags the message uncertain.

``Auto-Submitted: no`` (the sender declares a person wrote it) vetoes steps
4-5, never 1-3. Some headers are weak on purpose, because they ride on mail
people write: ``X-Auto-Response-Suppress`` asks *others* not to auto-reply
(Exchange adds it to list mail, helpdesks to agent replies; Discourse and
osTicket dropped it as an auto-reply sign after false positives);
``Precedence: bulk`` is set by mailing lists and by Request Tracker on every
outgoing mail, agent answers included. Known limit the other way:
ServiceNow is reported to send ``Auto-Submitted: auto-generated`` even on
agent replies; RFC 3834 is followed here, and such mail shows up as
auto-replies, flagged uncertain when that header is their only sign.

    >>> from runners.mail_parse import parse_message
    >>> classify(parse_message(b"From: a@b.example\\r\\nAuto-Submitted: auto-replied\\r\\n\\r\\nAway\\r\\n")).kind
    'auto_reply'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from runners.mail_parse import ParsedMessage

HUMAN, AUTO_REPLY, BOUNCE = "human", "auto_reply", "bounce"
MAX_BODY_CHARS = 20_000  # of the reply's own text, enough for any auto-reply


@dataclass(frozen=True)
class Classification:
    kind: str  # "human" | "auto_reply" | "bounce"
    reasons: tuple[str, ...]
    uncertain: bool = False


def _fold(text: str) -> str:
    """Lower-case, accents removed, whitespace collapsed: patterns are written in this form."""
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("\u2019", "'"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def _rx(*alternatives: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


# --- quoted text ---------------------------------------------------------------

# "On <date>, <name> wrote:" (Gmail, Apple Mail, Thunderbird), possibly wrapped over two lines, and
# "Am ... schrieb <name>:", "Le ... a écrit :", "El ... escribió:", "Op ... schreef ...:", "Il ... ha scritto:".
_ATTRIBUTION = re.compile(
    r"^[ \t]*(?:on|am|le|el|op|il|den|em)\b[^\n]{0,300}(?:\n[^\n]{0,300})?"
    r"\b(?:wrote|schrieb|a\s+ecrit|a\s+écrit|escribió|escribio|schreef|ha\s+scritto|skrev|escreveu)\b"
    r"[^\n]{0,200}?\s*:[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^[ \t]*-{2,}[ \t]*(?:original message|ursprüngliche nachricht|ursprungliche nachricht|original-nachricht|"
    r"message d'origine|message d’origine|mensaje original|oorspronkelijk bericht|messaggio originale|"
    r"forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|doorgestuurd bericht|"
    r"messaggio inoltrato)[ \t]*-*[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_FROM_WORDS = r"(?:from|von|de|da|van|desde)"
_SENT_WORDS = (r"(?:sent|date|gesendet|datum|envoyé|envoye|date d'envoi|enviado el|enviado|fecha|verzonden|"
               r"verstuurd|inviato|data)")
_HEADER_BLOCK = re.compile(
    rf"^[ \t]*\*?{_FROM_WORDS}\*?[ \t]*:[^\n]*\n(?:[^\n]*\n){{0,2}}[ \t]*\*?{_SENT_WORDS}\*?[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)


def strip_quoted(text: str) -> str:
    """The reply's own text: quoted lines and the quoted original removed.

    Removes lines starting with ">" and cuts at the first "-----Original
    Message-----"-style separator or Outlook "From: ... Sent: ..." block
    (and their German, French, Spanish, Dutch and Italian forms). An "On
    ... wrote:" attribution is dropped; the text after it is cut too unless
    it is ">"-quoted (then inline answers between quotes are kept).

        >>> strip_quoted("Yes, in stock.\\n\\nOn Mon, 2 Mar 2026, Ann wrote:\\n> Is it in stock?")
        'Yes, in stock.'
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    cut = len(text)
    for pattern in (_ORIGINAL_MESSAGE, _HEADER_BLOCK):
        m = pattern.search(text)
        if m:
            cut = min(cut, m.start())
    text = text[:cut]
    out: list[str] = []
    pos = 0
    for m in _ATTRIBUTION.finditer(text):
        if not re.search(r"\d", m.group(0)):
            continue  # real attributions carry a date; "Am Montag schrieb ich:" is the reply's own text
        out.append(text[pos:m.start()])
        rest = text[m.end():].lstrip("\n")
        if not rest.lstrip(" \t").startswith(">"):
            pos = len(text)  # the original follows unquoted: nothing after it is the reply's
            break
        pos = m.end()
    out.append(text[pos:])
    lines = [line for line in "".join(out).split("\n") if not line.lstrip().startswith(">")]
    text = "\n".join(lines)
    # Outlook's separator line before the From:/Sent: block, left dangling by the cut.
    text = re.sub(r"\n[ \t]*_{10,}[ \t]*\s*$", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _own_text(text: str) -> str:
    text = strip_quoted(text)
    m = _SIGNATURE.search(text)
    return text[:m.start()] if m else text


# --- patterns (folded form: lower case, no accents) -----------------------------

DSN_SUBJECT = _rx(
    r"undeliverable", r"undelivered mail", r"undeliverable mail", r"delivery status notification",
    r"mail delivery (failed|failure|system)", r"returned mail", r"failure notice",
    r"delivery (failure|failed|has failed)",
    r"message not delivered", r"non[- ]?delivery", r"could not be delivered", r"mail system error",
    r"unzustellbar", r"nicht zustellbar", r"non remis", r"non distribuable", r"no se puede entregar",
    r"no entregado", r"onbestelbaar", r"kan niet worden bezorgd", r"non recapitabile", r"mancato recapito",
)
DAEMON_LOCAL = re.compile(r"^(mailer-daemon|mailer_daemon|mailerdaemon|postmaster|mail-daemon|"
                          r"microsoftexchange[0-9a-f]{32})$")

SUBJECT_PREFIX = re.compile(r"^(?:\s*\[[^\]]{0,40}\]\s*)*")  # "[#123] ", "[Acme Support] "
REPLY_PREFIX = re.compile(r"^(re|aw|antw|antwort|sv|vs|r|rif|ref|res|wg|fw|fwd|tr)\s*(\[\d+\])?\s*:", re.I)

AUTO_SUBJECT = _rx(
    # English (Outlook/Exchange, Gmail, helpdesks)
    r"automatic reply\b", r"auto(matic)?[- ]?(reply|response)\b", r"autoreply\b", r"out of (the )?office\b",
    r"out-of-office\b", r"ooo\b", r"away from (the )?office\b", r"on vacation\b", r"vacation (reply|response|notice)\b",
    r"request received\b", r"(support )?ticket (received|created|opened)\b", r"we('ve| have)? received your\b",
    r"your (request|message|enquiry|inquiry|ticket) (has been|was) received\b", r"autosvar\b",
    # German
    r"automatische antwort\b", r"abwesenheitsnotiz\b", r"abwesenheit\b", r"automatische ruckantwort\b",
    r"eingangsbestatigung\b", r"ausser haus\b", r"nicht im buro\b", r"ihre anfrage (ist )?(bei uns )?eingegangen\b",
    # French
    r"reponse automatique\b", r"absence du bureau\b", r"message d'absence\b", r"absent(e)? du bureau\b",
    r"accuse de reception\b",
    # Spanish
    r"respuesta automatica\b", r"fuera de (la )?oficina\b", r"acuse de recibo\b", r"respuesta de ausencia\b",
    # Dutch
    r"automatisch antwoord\b", r"afwezig\b", r"buiten kantoor\b", r"niet aanwezig\b", r"ontvangstbevestiging\b",
    # Italian
    r"risposta automatica\b", r"fuori (sede|ufficio)\b", r"conferma di ricezione\b",
)

AUTO_BODY = [
    ("automated-message notice", _rx(
        r"\bthis (is an? )?(automated|automatic|auto-generated|automatically generated|computer generated) "
        r"(message|response|reply|e-?mail|notification|confirmation|acknowledge?ment)",
        r"\b(this|the) (message|e-?mail|reply|response) (was|has been|is) (sent|generated|created) automatically\b",
        r"\bauto(matically)?[- ]generated (message|e-?mail|response|reply)\b",
        r"\bthis (mailbox|inbox|e-?mail address|address) is (not monitored|unmonitored|not attended)\b",
        r"\b(dies|das) ist eine automatisch(e|en|ierte)? (erstellte |generierte |versandte )?"
        r"(antwort|nachricht|e-?mail|benachrichtigung|bestatigung)",
        r"\bdiese (nachricht|e-?mail|antwort) wurde automatisch (erstellt|generiert|versendet|versandt|verschickt)",
        r"\bautomatisch (generierte|erstellte|versandte|versendete) (nachricht|e-?mail|antwort)",
        r"\bceci est un (message|e-?mail|courriel|mail) (automatique|genere automatiquement)",
        r"\b(message|reponse|courriel|e-?mail) (genere|generee|envoye|envoyee) automatiquement",
        r"\best(e|a) es un (mensaje|correo|e-?mail) (automatico|generado automaticamente)",
        r"\b(mensaje|respuesta|correo) (generad[oa] automaticamente|automatic[oa] generad[oa])",
        r"\bdit is een automatisch (gegenereerd |verzonden )?(bericht|antwoord|e-?mailbericht|mailbericht|e-?mail)",
        r"\bautomatisch (gegenereerd|verzonden) (bericht|e-?mail)",
        r"\bquesto e un (messaggio|e-?mail|risposta) (automatic[oa]|generat[oa] automaticamente)",
        r"\b(messaggio|risposta|e-?mail) generat[oa] automaticamente",
    )),
    ("ticket-created notice", _rx(
        # "ticket #123 has been created", "Ticket [#A-4821] wurde erstellt": an id with a digit in it.
        r"\b(ticket|case|request|incident|anfrage|vorgang)\s*(number|no\.?|nr\.?|id|nummer)?\s*[#:]?\s*\[?#?"
        r"[a-z-]*\d[a-z0-9-]{0,20}\]?\s+(has been|was|is|wurde|ist) (created|opened|logged|registered|angelegt|"
        r"erstellt|eroffnet)",
        r"\bticket\s*\[?#?[a-z-]*\d[a-z0-9-]{0,20}\]?\s+a ete (cree|ouvert|enregistre)",
        r"\bse ha (creado|abierto) (el|un|su) (ticket|caso)\s*\[?#?[a-z-]*\d",
        r"\bticket\s*\[?#?[a-z-]*\d[a-z0-9-]{0,20}\]?\s+is (aangemaakt|geopend)",
        r"\bticket\s*\[?#?[a-z-]*\d[a-z0-9-]{0,20}\]?\s+e stato (creato|aperto)",
    )),
]

# Out-of-office statements decide only with a return date or "back on/until" nearby; alone they
# are weak ("I'm not in the office tomorrow, so here is the answer today" is a person).
OUT_OF_OFFICE = _rx(
    r"\bi( am|'m| will be) (currently |now )?(out of (the )?office|away from (the |my )?(office|desk)|"
    r"on (annual |parental |maternity |paternity |sick )?leave|on (vacation|holiday)|out of the country)\b",
    r"\b(ich bin|bin ich|befinde ich mich)\b[^\n]{0,60}?\b(nicht im buro|abwesend|im urlaub|ausser haus|"
    r"nicht erreichbar|auf dienstreise)",
    r"\bje (suis|serai) (actuellement )?(absent|en conges?|en vacances|hors du bureau|en deplacement)",
    r"\b(estoy|me encuentro|estare) (actualmente )?(fuera de la oficina|de vacaciones|ausente)\b",
    r"\bik ben\b[^\n]{0,40}?\b(afwezig|niet aanwezig|niet op kantoor|met vakantie|op vakantie)",
    r"\b(sono|saro) (attualmente )?(fuori (ufficio|sede)|assente|in ferie)",
)
RETURN_INDICATOR = _rx(
    r"\b(until|till|through|returning|i will return|i return|back (on|in the office|at my desk|at the office))\b",
    r"\b(bis (zum|einschliesslich|am|\d)|ab dem \d|wieder (im buro|erreichbar|da)|zuruck)",
    r"\b(jusqu|de retour|retour le|je reviens)", r"\b(hasta el|hasta \d|regreso|volvere|estare de vuelta)",
    r"\b(tot en met|t/m|tot \d|terug op|weer aanwezig|vanaf \d)", r"\b(fino al|rientro|rientrero|tornero)",
)

WEAK_BODY = [
    ("acknowledgement", _rx(
        r"\bwe( have|'ve)? (successfully )?received your (message|request|e-?mail|enquiry|inquiry|query|question)",
        r"\byour (message|request|e-?mail|enquiry|inquiry|query) (\(#?\d+\) )?(has been|was) (successfully )?received",
        r"\bthis is to (confirm|acknowledge) (that we have received|receipt of)",
        r"\bihre (anfrage|nachricht|e-?mail|mail) ist (bei uns )?(eingegangen|angekommen)",
        r"\bwir haben ihre (anfrage|nachricht|e-?mail|mail) (erhalten|empfangen)",
        r"\bnous avons (bien )?recu votre (message|demande|e-?mail|courriel|requete)",
        r"\bvotre (message|demande|courriel) a (bien )?ete recu",
        r"\bhemos recibido (su|tu) (mensaje|solicitud|consulta|correo|peticion)",
        r"\b(we|wij) hebben (uw|je|jouw) (bericht|e-?mail|aanvraag|vraag) (in goede orde )?ontvangen",
        r"\b(uw|je|jouw) (bericht|aanvraag|vraag|e-?mail) is (in goede orde )?ontvangen",
        r"\babbiamo ricevuto (la sua|la tua|il suo|il tuo|la vostra|il vostro) (richiesta|messaggio|e-?mail)",
    )),
    ("promise to answer later", _rx(
        r"\b(we|one of our \w+|a member of our \w+( \w+)?|someone from our \w+|"
        r"our (\w+ )?(team|agents?|staff|advisors?))"
        r" will (get back to|respond to|reply to|contact|be in touch with|answer) you",
        r"\bwill (get back to you|respond|reply|be in touch)[^.]{0,40}(as soon as possible|shortly|soon|within \d+)",
        r"\bwir (melden uns|werden uns|setzen uns)[^.]{0,60}(so schnell wie moglich|schnellstmoglich|in kurze|"
        r"zeitnah|umgehend|bei ihnen)",
        r"\b(so schnell wie moglich|schnellstmoglich|zeitnah) (bearbeiten|beantworten|bei ihnen melden)",
        r"\bnous (vous )?(reviendrons|repondrons|recontacterons|contacterons)\b",
        r"\b(nos pondremos en contacto|le responderemos|te responderemos|nos comunicaremos|le contactaremos)",
        r"\b(we|wij) (nemen|zullen)[^.]{0,40}(contact|reageren|antwoorden)",
        r"\b(la|ti|vi|le) (contatteremo|risponderemo|ricontatteremo)\b",
    )),
    ("ticket number", _rx(
        r"\b(ticket|case|reference|request|incident) (number|no\.?|nr\.?|id|#)\s*(is\s+)?[:#]?\s*[a-z0-9-]*\d",
        r"\b(ticket|case) #?\s*\d{3,}\b",
        r"\b(ticket|vorgangs|referenz|bearbeitungs|anfrage|fall)nummer\b",
        r"\bnumero de (ticket|dossier|demande|reference|caso|solicitud|incidencia)\b",
        r"\bticketnummer\b|\breferentienummer\b|\bnumero (di )?(ticket|pratica|riferimento)\b",
    )),
    ("do-not-reply text", _rx(
        r"\b(please )?(do not|don't) reply (to|directly to) this (e-?mail|message|address)",
        r"\bantworten sie (bitte )?nicht (direkt )?auf diese", r"\bbitte antworten sie nicht\b",
        r"\b(merci de|veuillez) ne pas repondre\b", r"\bno (responda|conteste|respondas) (a )?este\b",
        r"\b(gelieve|graag) (niet )?(op )?(deze|dit) (e-?mail|bericht) niet te (beantwoorden|reageren)",
        r"\bdeze (e-?mail|mail|bericht) (niet|kunt u niet) beantwoorden\b", r"\bnon rispondere (a )?questa\b",
    )),
]
GENERATED_ONLY = "header Auto-Submitted: auto-generated (RFC 3834)"
LANGUAGE_SIGNALS = ("acknowledgement", "promise to answer later", "out-of-office phrase")
NO_REPLY_LOCAL = re.compile(r"^(no-?reply|do-?not-?reply|donotreply|noreply|auto-?reply|auto-?responder|"
                            r"autoresponse|notifications?|mailer)([+.-].*)?$")
TICKET_IN_SUBJECT = re.compile(r"(\[#?[a-z]*-?\d{3,}\]|#\d{3,}\b|\b(ticket|case|request)\s*(#|no\.?|id)\s*\d+)", re.I)


def classify(msg: ParsedMessage) -> Classification:
    """Classify one parsed message: bounce, auto_reply or human, with every rule that fired."""
    bounce = _bounce_reasons(msg)
    if bounce:
        statuses = [s for s in msg.delivery_status if s.action]
        if statuses and not any(s.action == "failed" for s in statuses):
            actions = ", ".join(sorted({s.action for s in statuses}))
            return Classification(BOUNCE, tuple(bounce + [f"delivery status {actions}, not failed: "
                                                          "a warning, not a final failure"]), True)
        return Classification(BOUNCE, tuple(bounce))

    reasons = _header_reasons(msg)
    subject = _subject_reason(msg.subject)
    if subject:
        reasons.append(subject)
    declared_human = (msg.header("auto-submitted") or "").strip().lower().startswith("no")
    own = _fold(_own_text(msg.text)[:MAX_BODY_CHARS])
    if not declared_human:
        for label, pattern in AUTO_BODY:
            m = pattern.search(own)
            if m:
                reasons.append(f"{label} in the reply's own text: {m.group(0)!r}")
        ooo, back = OUT_OF_OFFICE.search(own), RETURN_INDICATOR.search(own[:2000])
        if ooo and back:
            reasons.append(f"out-of-office text with a return date: {ooo.group(0)!r} ... {back.group(0)!r}")
    if reasons == [GENERATED_ONLY]:
        # The one strong signal ticket systems are known to put on agent replies (ServiceNow): decide, but flag.
        return Classification(AUTO_REPLY, (GENERATED_ONLY, "no other auto-reply sign: check that no person wrote it"),
                              True)
    if reasons:
        return Classification(AUTO_REPLY, tuple(reasons))

    weak = _weak_signals(msg, own)
    declared = ["Auto-Submitted: no (the sender declares a person wrote it)"] if declared_human else []
    language = [r for category, r in weak if category in LANGUAGE_SIGNALS]
    headers = [r for category, r in weak if category == "weak header"]
    if not declared_human and ((language and len(weak) >= 2) or len(headers) >= 2):
        return Classification(AUTO_REPLY, tuple(r for _, r in weak), True)
    if weak:
        return Classification(HUMAN, tuple(declared + [f"weak signal alone, not enough for auto-reply: {r}"
                                                       for _, r in weak]), True)
    return Classification(HUMAN, tuple(declared + ["no auto-reply or bounce signal"]))


def _local_part(addr: str | None) -> str:
    return (addr or "").split("@", 1)[0].lower()


def _bounce_reasons(msg: ParsedMessage) -> list[str]:
    reasons = []
    ctype_header = (msg.header("content-type") or "").lower()
    if msg.content_type == "multipart/report" and re.search(r"report-type\s*=\s*\"?delivery-status", ctype_header):
        reasons.append("Content-Type multipart/report; report-type=delivery-status")
    if any(t in ("message/delivery-status", "message/global-delivery-status") for t in msg.part_types):
        reasons.append("message/delivery-status part")
    if msg.header("x-failed-recipients"):
        reasons.append(f"header X-Failed-Recipients: {msg.header('x-failed-recipients')}")
    if "x-ms-exchange-message-is-ndr" in msg.headers:
        reasons.append("header X-MS-Exchange-Message-Is-Ndr")
    # Bounce subjects start with their phrase; an auto-reply quoting "returned mail" further on is no bounce.
    subject = DSN_SUBJECT.match(_fold(SUBJECT_PREFIX.sub("", msg.subject or "")))
    if subject:
        if DAEMON_LOCAL.match(_local_part(msg.from_addr)):
            reasons.append(f"From {msg.from_addr} with bounce subject {msg.subject!r}")
        if any(v.strip() == "<>" for v in msg.headers.get("return-path", [])):
            reasons.append(f"null Return-Path <> with bounce subject {msg.subject!r}")
    return reasons


def _header_reasons(msg: ParsedMessage) -> list[str]:
    reasons = []
    auto_submitted = (msg.header("auto-submitted") or "").strip()
    if auto_submitted and not auto_submitted.lower().startswith("no"):
        reasons.append(f"header Auto-Submitted: {auto_submitted} (RFC 3834)")
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if name in msg.headers:
            canonical = {"x-autoreply": "X-Autoreply", "x-autorespond": "X-Autorespond"}.get(name, "X-Autoresponder")
            reasons.append(f"header {canonical}: {msg.header(name)}".rstrip(": "))
    for name in ("precedence", "x-precedence"):
        if (msg.header(name) or "").strip().lower() == "auto_reply":
            reasons.append(f"header {name.title()}: auto_reply")
    report_type = (msg.header("content-type") or "").lower()
    if msg.content_type == "multipart/report" and "disposition-notification" in report_type:
        reasons.append("read receipt: multipart/report; report-type=disposition-notification")
    return reasons


def _subject_reason(subject: str) -> str | None:
    subject = SUBJECT_PREFIX.sub("", subject or "")
    if REPLY_PREFIX.match(subject.strip()):
        return None  # a person answering in an auto-reply's thread
    m = AUTO_SUBJECT.match(_fold(subject))
    return f"subject starts with {m.group(0)!r}" if m else None


def _weak_signals(msg: ParsedMessage, own: str) -> list[tuple[str, str]]:
    signals: list[tuple[str, str]] = []
    ooo = OUT_OF_OFFICE.search(own)
    if ooo:
        signals.append(("out-of-office phrase", f"out-of-office phrase without a return date: {ooo.group(0)!r}"))
    for label, pattern in WEAK_BODY:
        m = pattern.search(own)
        if m:
            signals.append((label, f"{label} in the reply's own text: {m.group(0)!r}"))
    subject = SUBJECT_PREFIX.sub("", msg.subject or "")
    if not REPLY_PREFIX.match(subject.strip()) and TICKET_IN_SUBJECT.search(msg.subject or ""):
        if not any(label == "ticket number" for label, _ in signals):
            signals.append(("ticket number", f"ticket number in a non-reply subject {msg.subject!r}"))
    if NO_REPLY_LOCAL.match(_local_part(msg.from_addr)):
        signals.append(("no-reply sender", f"no-reply sender {msg.from_addr}"))
    suppress = (msg.header("x-auto-response-suppress") or "").strip()
    if suppress and suppress.lower() != "none":
        signals.append(("weak header", f"header X-Auto-Response-Suppress: {suppress}"))
    for name in ("precedence", "x-precedence"):
        value = (msg.header(name) or "").strip().lower()
        if value in ("bulk", "junk", "list"):
            signals.append(("weak header", f"header {name.title()}: {value}"))
    if "list-unsubscribe" in msg.headers or "list-id" in msg.headers:
        signals.append(("weak header", "mailing-list header (List-Unsubscribe/List-Id)"))
    if "x-ms-exchange-inbox-rules-loop" in msg.headers:
        # Exchange stamps it on mail an inbox rule sent or forwarded: rule-driven, but not necessarily a reply.
        signals.append(("weak header", "header X-MS-Exchange-Inbox-Rules-Loop (sent by an Exchange inbox rule)"))
    return signals
