"""The résumé PDF: readable text, one page, byte-stable, and variants that differ only where they should.

No PDF library is installed, so ``pdf_lines`` reads the PDF the simple
way: inflate the streams, map each font's glyph codes back to Unicode
through its ToUnicode CMap, and collect the strings shown with ``Tj``.
"""

from __future__ import annotations

import logging
import re
import zlib

import pytest

from experiments.model import Persona, Resume
from runners import resume as resume_module
from runners.resume import resume_pdf

PERSONA = Persona(id="zoe", first_name="Zoë", last_name="Łukasiewicz", phone="+44 20 7946 0987",
                  extra={"city": "Leeds"})
CONTINUOUS = Resume(
    headline="Data analyst with six years of experience in reporting and analytics",
    experience=["2020-2026 Senior Analyst, Northwind Retail", "2017-2020 Analyst, Fabrikam Logistics"],
    education=["BSc Economics, University of Leeds"],
    skills=["SQL", "Python", "Tableau"],
)
CAREER_GAP = Resume(
    headline=CONTINUOUS.headline,
    experience=["2022-2026 Senior Analyst, Northwind Retail", "2020-2022 Career break (family caregiving)",
                "2016-2020 Analyst, Fabrikam Logistics"],
    education=CONTINUOUS.education,
    skills=CONTINUOUS.skills,
)
REPLY_TO = "applicants+k7f2q9@lab.example"


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\n(.*?)\nendobj", pdf, re.S)}


def _stream(obj: bytes) -> bytes:
    data = re.search(rb"stream\n(.*)\nendstream", obj, re.S).group(1)
    return zlib.decompress(data) if b"/FlateDecode" in obj else data


def _literal(raw: bytes) -> bytes:
    """Undo PDF literal-string escapes."""
    out, i = bytearray(), 0
    simple = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while i < len(raw):
        ch = raw[i:i + 1]
        if ch == b"\\":
            nxt = raw[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(0), 8))
                i += 1 + len(octal.group(0))
                continue
            out += simple.get(nxt, nxt)
            i += 2
            continue
        out += ch
        i += 1
    return bytes(out)


def pdf_lines(pdf: bytes) -> list[str]:
    """The text of every ``Tj`` / ``TJ`` in page order, decoded through the fonts' ToUnicode maps."""
    objects = _objects(pdf)
    fonts = {}
    for name, num in re.findall(rb"/(F\d+) (\d+) 0 R", pdf):
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(num)])
        cmap = {}
        if to_unicode:
            cmap_text = _stream(objects[int(to_unicode.group(1))])
            for code, uni in re.findall(rb"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]+)>", cmap_text):
                cmap[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
        fonts[name] = cmap
    lines: list[str] = []
    for num in sorted(objects):
        obj = objects[num]
        if b"/Type /Page\n" not in obj:
            continue
        for content in re.findall(rb"/Contents (\d+) 0 R", obj):
            font: dict = {}
            text = _stream(objects[int(content)])
            for tf, shown, array in re.findall(
                    rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj|\[(.*?)\] TJ", text, re.S):
                if tf:
                    font = fonts[tf]
                    continue
                strings = [shown] if not array else re.findall(rb"\(((?:\\.|[^\\)])*)\)", array, re.S)
                raw = b"".join(_literal(s) for s in strings)
                lines.append("".join(font.get(int.from_bytes(raw[i:i + 2], "big"), "?")
                                     for i in range(0, len(raw), 2)))
    return lines


@pytest.fixture(scope="module")
def continuous_pdf() -> bytes:
    return resume_pdf(CONTINUOUS, PERSONA, REPLY_TO)


def test_the_pdf_is_a_pdf_with_the_cv_text(continuous_pdf):
    pdf = continuous_pdf

    text = "\n".join(pdf_lines(pdf))

    assert pdf.startswith(b"%PDF")
    for expected in ("Zoë Łukasiewicz", REPLY_TO, "+44 20 7946 0987", "Leeds", CONTINUOUS.headline,
                     "Experience", "2020-2026 Senior Analyst, Northwind Retail", "Education",
                     "BSc Economics, University of Leeds", "Skills", "SQL, Python, Tableau"):
        assert expected in text
    assert 1 == pdf.count(b"/Type /Page\n")
    title = "Résumé – Zoë Łukasiewicz".encode("utf-16-be").hex().upper()
    assert f"/Title <FEFF{title}>".lower().encode() in pdf.lower()  # document info, UTF-16


def test_same_input_gives_the_same_bytes(continuous_pdf):
    assert continuous_pdf == resume_pdf(CONTINUOUS, PERSONA, REPLY_TO)


def test_two_variants_differ_only_where_the_resumes_differ(continuous_pdf):
    # (bullets are drawn apart from their line: one more line, one more "•")
    a = [line for line in pdf_lines(continuous_pdf) if line != "•"]
    b = [line for line in pdf_lines(resume_pdf(CAREER_GAP, PERSONA, REPLY_TO)) if line != "•"]

    only_a = [line for line in a if line not in b]
    only_b = [line for line in b if line not in a]

    assert set(CONTINUOUS.experience) - set(CAREER_GAP.experience) == set(only_a)
    assert set(CAREER_GAP.experience) - set(CONTINUOUS.experience) == set(only_b)
    assert [line for line in a if line in b] == [line for line in b if line in a]  # same order elsewhere


def test_the_reply_address_is_the_only_difference_between_two_contacts(continuous_pdf):
    a = pdf_lines(continuous_pdf)
    b = pdf_lines(resume_pdf(CONTINUOUS, PERSONA, "applicants+bbbb@lab.example"))

    assert [(x, y) for x, y in zip(a, b) if x != y] == [
        (f"{REPLY_TO}  ·  +44 20 7946 0987  ·  Leeds",
         "applicants+bbbb@lab.example  ·  +44 20 7946 0987  ·  Leeds")]


def test_without_dejavu_it_falls_back_to_helvetica_and_says_so(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(resume_module, "FONT_DIR", tmp_path)  # no fonts here

    with caplog.at_level(logging.WARNING, logger="runners.resume"):
        pdf = resume_pdf(CONTINUOUS, PERSONA, REPLY_TO)

    assert pdf.startswith(b"%PDF")
    assert b"/BaseFont /Helvetica" in pdf
    assert b"Zo\xeb Lukasiewicz" in zlib.decompress(re.search(rb"stream\n(.*?)\nendstream", pdf, re.S).group(1))
    assert "DejaVu fonts missing" in caplog.text


def test_a_long_line_wraps_and_a_sparse_resume_still_renders():
    pdf = resume_pdf(Resume(headline="Only a headline", skills=["word " * 60]), PERSONA, REPLY_TO)

    lines = pdf_lines(pdf)

    assert "Only a headline" in lines
    assert 1 < sum("word" in line for line in lines)  # wrapped onto several lines
    assert "Experience" not in lines
