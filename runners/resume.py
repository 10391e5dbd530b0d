"""The résumé PDF a job application uploads: one clean page, byte-stable.

A correspondence study compares résumés that differ in one respect only
(a career gap, a name, a degree), so the PDF must not differ anywhere
else: the creation date and every metadata field are fixed, fonts are
embedded the same way every time, and the same input gives the same bytes.

    >>> pdf = resume_pdf(Resume(headline="Data analyst"), persona, "jobs+k7f2@lab.example")
    >>> pdf[:5]
    b'%PDF-'

DejaVu Sans (Debian's fonts-dejavu-core) carries "Résumé", "Zoë" and
"Łódź"; without it the PDF falls back to the core Helvetica font and
characters outside Latin-1 are replaced by their closest ASCII form (a
warning is logged, since that changes what the employer reads).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import unicodedata
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from experiments.model import Persona, Resume

log = logging.getLogger(__name__)

FONT_DIR = Path(os.environ.get("KNOCK_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
# Fixed so two variants' PDFs differ only where their résumés differ.
CREATION_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
PRODUCER = "Knock"

INK = (33, 37, 41)
MUTED = (96, 104, 112)
RULE = (200, 204, 208)
MARGIN_MM = 18


def resume_pdf(resume: Resume, persona: Persona, reply_to: str) -> bytes:
    """A one-page CV: name, contact (reply address, phone), headline, experience, education, skills."""
    pdf, family, unicode_ok = _document()
    text = (lambda s: s) if unicode_ok else _latin1
    name = text(persona.name)
    pdf.set_title(text(f"Résumé – {persona.name}"))
    pdf.set_author(name)
    pdf.set_subject(text("Résumé"))
    pdf.add_page()

    pdf.set_text_color(*INK)
    pdf.set_font(family, "B", 22)
    pdf.cell(0, 10, name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    contact = [reply_to] + ([persona.phone] if persona.phone else [])
    location = persona.extra.get("city") or persona.extra.get("location")
    if location:
        contact.append(location)
    pdf.set_font(family, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 6, text("  ·  ".join(contact)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(family, "I", 12)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 6, text(resume.headline), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for title, lines in (("Experience", resume.experience), ("Education", resume.education)):
        if lines:
            _section(pdf, family, title)
            for line in lines:
                _bullet(pdf, family, text(line), unicode_ok)
    if resume.skills:
        _section(pdf, family, "Skills")
        pdf.set_font(family, "", 10.5)
        pdf.multi_cell(0, 5.5, text(", ".join(resume.skills)), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _document() -> tuple[FPDF, str, bool]:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(CREATION_DATE)
    pdf.set_producer(PRODUCER)
    pdf.set_creator(PRODUCER)
    pdf.set_lang("en")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    paths = {style: FONT_DIR / name for style, name in FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        log.warning("résumé PDF: DejaVu fonts missing (%s); falling back to Helvetica, accents outside "
                    "Latin-1 are transliterated. Install fonts-dejavu-core.", ", ".join(missing))
        return pdf, "helvetica", False
    for style, path in paths.items():
        pdf.add_font("DejaVu", style, str(path))
    return pdf, "DejaVu", True


def _section(pdf: FPDF, family: str, title: str) -> None:
    pdf.ln(4)
    pdf.set_font(family, "B", 12)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y()
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.ln(2)


def _bullet(pdf: FPDF, family: str, line: str, unicode_ok: bool) -> None:
    pdf.set_font(family, "", 10.5)
    pdf.cell(5, 5.5, "•" if unicode_ok else "-")
    pdf.multi_cell(0, 5.5, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


_NO_DECOMPOSITION = {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe",
                     "ı": "i", "Ŧ": "T", "ŧ": "t", "Ħ": "H", "ħ": "h"}


def _latin1(text: str) -> str:
    """Helvetica fallback: keep Latin-1 (é, ü), decompose the rest (Ł -> L, č -> c)."""
    out = []
    for ch in text.replace("–", "-").replace("—", "-"):
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = _NO_DECOMPOSITION.get(ch) or unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(base or "?")
    return "".join(out)
