"""The certificates as PDF documents (A4, in Portuguese), typeset with ReportLab; the QR code is drawn by
segno's module matrix as vector squares, so it stays sharp at any print size.

Only the PDF base-14 fonts are used (Times and Helvetica, WinAnsi encoding: every Portuguese letter), so
nothing has to be shipped or installed, and the text can be extracted as typed.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from io import BytesIO
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mutiroes.certificates.codes import code_display
from mutiroes.certificates.models import Certificate
from mutiroes.core import clock

PLATFORM = "Mutirões"
TAGLINE = "Voluntariado ambiental comunitário"
GREEN = colors.HexColor("#1f6f43")
MONTHS = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
          "novembro", "dezembro")  # fmt: skip

_body = ParagraphStyle("body", fontName="Times-Roman", fontSize=15, leading=23, alignment=TA_JUSTIFY)
_centre = ParagraphStyle("centre", parent=_body, fontSize=11, leading=15, alignment=TA_CENTER)
_title = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=24, leading=30, alignment=TA_CENTER,
                        textColor=GREEN)  # fmt: skip
_title_small = ParagraphStyle("title_small", parent=_title, fontSize=18, leading=24)
_small = ParagraphStyle("small", fontName="Helvetica", fontSize=8.5, leading=11, alignment=TA_CENTER)
_cell = ParagraphStyle("cell", fontName="Times-Roman", fontSize=9.5, leading=12)


def verification_url(code: str) -> str:
    """The public page that shows a certificate's facts; the same base URL as the e-mails' links."""
    return f"{settings.PUBLIC_WEB_URL}/certificados/{code_display(code)}"


def _number(hours: Decimal) -> str:
    return f"{hours.normalize():f}".replace(".", ",")


def hours_text(hours: Decimal) -> str:
    """3 horas, 1 hora, 2,5 horas: as written in Portuguese."""
    return f"{_number(hours)} hora" if hours == 1 else f"{_number(hours)} horas"


def long_date(day: date) -> str:
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


def _local(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def when_text(start: datetime, end: datetime) -> str:
    first, last = _local(start), _local(end)
    return f"em {first:%d/%m/%Y}" if first == last else f"de {first:%d/%m/%Y} a {last:%d/%m/%Y}"


class _QrCode(Flowable):
    def __init__(self, content: str, size: float) -> None:
        super().__init__()
        self.qr = segno.make(content, error="m", micro=False)
        self.width = self.height = size

    def draw(self) -> None:
        matrix = self.qr.matrix
        module = self.width / (len(matrix) + 8)  # the 4-module quiet zone on every side decoders need
        self.canv.setFillColor(colors.black)
        for y, row in enumerate(matrix):
            for x, dark in enumerate(row):
                if dark:
                    top = self.height - (y + 4 + 1) * module
                    self.canv.rect((x + 4) * module, top, module, module, stroke=0, fill=1)


def _frame(canvas: Canvas, doc: SimpleDocTemplate, *, numbered: bool) -> None:
    width, height = doc.pagesize
    canvas.saveState()
    canvas.setStrokeColor(GREEN)
    canvas.setLineWidth(3)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.setFillColor(GREEN)
    canvas.drawCentredString(width / 2, height - 27 * mm, PLATFORM)
    canvas.setFont("Helvetica", 9)
    canvas.setFillColor(colors.black)
    canvas.drawCentredString(width / 2, height - 32 * mm, TAGLINE)
    if numbered:
        canvas.drawCentredString(width / 2, 16 * mm, f"Página {doc.page}")
    canvas.restoreState()


def _render(story: list[Flowable], *, pagesize: tuple[float, float], title: str, margin: float) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=40 * mm, bottomMargin=22 * mm,
        title=title, author=PLATFORM, subject=title, creator=PLATFORM, lang="pt-BR",
    )  # fmt: skip
    frame = partial(_frame, numbered=pagesize == A4)  # the yearly statement may run over pages
    doc.build(story, onFirstPage=frame, onLaterPages=frame)
    return buffer.getvalue()


def _b(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def event_certificate_pdf(certificate: Certificate) -> bytes:
    url = verification_url(certificate.code)
    statement = (
        f"Certificamos que {_b(certificate.holder_name)} participou, como pessoa voluntária, do mutirão "
        f"{_b(certificate.event_title)}, realizado {when_text(certificate.event_start, certificate.event_end)} em "
        f"{escape(certificate.city)}/{certificate.state}, sob a organização de {_b(certificate.organizer_name)}, "
        f"com carga horária de {_b(hours_text(certificate.hours))}, conforme o registro de presença (check-in) "
        "do evento."
    )
    verify = Table(
        [[
            _QrCode(url, 34 * mm),
            [
                Paragraph(f"Emitido em {long_date(_local(certificate.issued_at))}.", _cell),
                Spacer(1, 3 * mm),
                Paragraph(f"Código de verificação: <b>{code_display(certificate.code)}</b>", _cell),
                Paragraph(f"Verifique a autenticidade em: {escape(url)}", _cell),
            ],
        ]],
        colWidths=[40 * mm, None],
    )  # fmt: skip
    verify.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story = [
        Paragraph("CERTIFICADO DE VOLUNTARIADO", _title),
        Spacer(1, 10 * mm),
        Paragraph(statement, _body),
        Spacer(1, 10 * mm),
        verify,
        Spacer(1, 4 * mm),
        Paragraph(
            f"Documento emitido eletronicamente pela plataforma {PLATFORM}; dispensa assinatura. A autenticidade "
            "e os dados podem ser conferidos a qualquer momento pelo código acima.",
            _small,
        ),
    ]
    return _render(story, pagesize=landscape(A4), title="Certificado de voluntariado", margin=30 * mm)


def yearly_certificate_pdf(*, holder_name: str, year: int, certificates: Sequence[Certificate]) -> bytes:
    total = sum((c.hours for c in certificates), Decimal(0))
    header = ["Data", "Evento e código de verificação", "Local", "Organização", "Horas"]
    rows = [
        [
            Paragraph(f"{_local(c.event_start):%d/%m/%Y}", _cell),
            Paragraph(f"{escape(c.event_title)}<br/><font face='Courier' size='7.5'>{code_display(c.code)}</font>",
                      _cell),
            Paragraph(f"{escape(c.city)}/{c.state}", _cell),
            Paragraph(escape(c.organizer_name), _cell),
            Paragraph(_number(c.hours), _cell),
        ]
        for c in certificates
    ]  # fmt: skip
    total_row = ["", Paragraph("<b>Total de horas no ano</b>", _cell), "", "", Paragraph(_b(_number(total)), _cell)]
    table = Table([header, *rows, total_row], colWidths=[20 * mm, 78 * mm, 28 * mm, 30 * mm, None], repeatRows=1)
    table.setStyle(
        TableStyle([
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("BACKGROUND", (0, 0), (-1, 0), GREEN),
            ("LINEBELOW", (0, 0), (-1, -2), 0.4, colors.grey),
            ("LINEABOVE", (0, -1), (-1, -1), 1, GREEN),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ])
    )  # fmt: skip
    base = f"{settings.PUBLIC_WEB_URL}/certificados/"
    story = [
        Paragraph(f"DECLARAÇÃO ANUAL DE HORAS DE VOLUNTARIADO — {year}", _title_small),
        Spacer(1, 8 * mm),
        Paragraph(
            f"Declaramos que {_b(holder_name)} realizou, no ano de {year}, {_b(hours_text(total))} de trabalho "
            f"voluntário nos mutirões abaixo, registrados por check-in na plataforma {PLATFORM}.",
            _body,
        ),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            f"Cada linha corresponde a um certificado que pode ser verificado em {escape(base)}&lt;código&gt;. "
            f"Datas no horário de Brasília. Emitido em {long_date(_local(clock.now()))}.",
            _small,
        ),
    ]
    return _render(story, pagesize=A4, title=f"Declaração anual de horas de voluntariado {year}", margin=20 * mm)
