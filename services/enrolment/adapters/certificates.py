"""Certificates of completion as PDF, in Russian or English.

fpdf2 (pure Python) draws the page; Cyrillic comes from DejaVu Sans, kept next to this file
(fonts/DejaVuSans.ttf, with its licence in fonts/LICENSE-DejaVu.txt) and embedded as a subset.
The document is deterministic for the same certificate, name and locale (fixed creation date).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from enrolment.domain.cohort_run import Certificate

FONT = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"

CertificateLocale = Literal["ru", "en"]


@dataclass(frozen=True)
class Wording:
    heading: str
    awarded_to: str
    for_completing: str
    hours: str
    quoted: str
    date: str
    number: str
    footer: str


WORDING: dict[str, Wording] = {
    "en": Wording(
        heading="Certificate of completion",
        awarded_to="This certifies that",
        for_completing="has completed the course",
        hours="Volume: {hours} hours",
        quoted="“{title}”",
        date="Date: {date}",
        number="Certificate No. {number}",
        footer="Owlery — peer learning at work",
    ),
    "ru": Wording(
        heading="Сертификат о прохождении курса",  # noqa: RUF001 (Russian)
        awarded_to="Настоящим удостоверяется, что",
        for_completing="успешно прошёл(ла) курс",
        hours="Объём: {hours} ч.",
        quoted="«{title}»",
        date="Дата выдачи: {date}",
        number="Сертификат № {number}",
        footer="Owlery — обучение у коллег",  # noqa: RUF001 (Russian)
    ),
}


def _hours(hours: float) -> str:
    return f"{hours:g}"


def _date(certificate: Certificate, locale: str) -> str:
    day = certificate.issued_on
    return day.strftime("%d.%m.%Y") if locale == "ru" else day.isoformat()


def render_certificate_pdf(certificate: Certificate, locale: str, display_name: str | None = None) -> bytes:
    """The certificate as a one-page A4 landscape PDF; the person's display name when known, else their id."""
    wording = WORDING.get(locale, WORDING["en"])
    from fpdf import FPDF  # here, not at start: fpdf2 brings Pillow and ~40 MB that only a certificate needs

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(datetime.combine(certificate.issued_on, datetime.min.time(), tzinfo=UTC))
    pdf.set_title(f"{wording.heading} {certificate.number}")
    pdf.set_author("Owlery")
    pdf.set_lang(locale)
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_draw_color(60, 70, 110)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    def line(text: str, size: float, height: float, gap: float = 0) -> None:
        pdf.set_font("DejaVu", size=size)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, height, text, align="C", new_x="LMARGIN", new_y="NEXT")
        if gap:
            pdf.ln(gap)

    pdf.set_y(32)
    line(wording.heading, 30, 14, 10)
    line(wording.awarded_to, 14, 8, 2)
    line(display_name or certificate.person_id, 26, 12, 4)
    line(wording.for_completing, 14, 8, 2)
    line(wording.quoted.format(title=certificate.course_title), 22, 11, 10)
    line(wording.hours.format(hours=_hours(certificate.hours)), 13, 7)
    line(wording.date.format(date=_date(certificate, locale)), 13, 7)
    line(wording.number.format(number=certificate.number), 13, 7)
    pdf.set_y(pdf.h - 32)
    line(wording.footer, 10, 6)
    return bytes(pdf.output())
