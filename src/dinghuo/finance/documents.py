"""Statements and invoices on paper: PDF (ReportLab, with the built-in CID font STSong-Light so Chinese
renders in any reader without embedding a font file) and .xlsx (core.xlsx, formula-safe).

Files are reproducible: the same statement gives the same bytes (``invariant`` PDFs carry no
creation time or random id).
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.core.money import fmt
from dinghuo.core.xlsx import Sheet, write_workbook
from dinghuo.finance.models import Invoice, Statement
from dinghuo.finance.statements import category_label, doc_type_label, summary

FONT = "STSong-Light"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles():
    from reportlab.lib.styles import ParagraphStyle

    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=6),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=13),
        "small": ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10),
    }


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows: list[list], widths: list[float], *, numeric_from: int | None = None, header: bool = True):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), _font(), 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0"))]
    if numeric_from is not None:
        style += [("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT")]
    table.setStyle(TableStyle(style))
    return table


def _doc(buffer: io.BytesIO, title: str):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                             bottomMargin=14 * mm, title=title, author="Dinghuo", invariant=1)  # fmt: skip


def statement_pdf(statement: Statement, lines: list, *, tenant_name: str) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    st = _styles()
    dealer = statement.dealer
    buffer = io.BytesIO()
    doc = _doc(buffer, f"{statement.number}")
    story = [
        Paragraph(_esc(_("Statement %(number)s") % {"number": statement.number}), st["title"]),
        Paragraph(_esc(f"{tenant_name} → {dealer.code} {dealer.name}"), st["body"]),
        Paragraph(
            _esc(
                _("Period %(start)s to %(end)s · status: %(status)s")
                % {
                    "start": statement.period_start,
                    "end": statement.period_end,
                    "status": statement.get_status_display(),
                }
            ),
            st["body"],
        ),
        Spacer(1, 4 * mm),
    ]
    summary_rows = [[_("Item"), _("Increase"), _("Decrease")]]
    summary_rows.append([_("Opening balance"), fmt(statement.opening_balance), ""])
    for row in summary(statement):
        summary_rows.append([str(row["label"]), fmt(row["debit"]), fmt(row["credit"])])
    summary_rows.append([_("Closing balance"), fmt(statement.closing_balance), ""])
    summary_rows.append([_("Rebate balance (opening → closing)"),
                         f"{fmt(statement.rebate_opening)} → {fmt(statement.rebate_closing)}", ""])  # fmt: skip
    story += [_table(summary_rows, [70 * mm, 55 * mm, 55 * mm], numeric_from=1), Spacer(1, 5 * mm)]
    rows = [["#", _("Date"), _("Item"), _("Document"), _("Details"), _("Increase"), _("Decrease"), _("Balance")]]
    for line in lines:
        rows.append([
            str(line.seq), line.date.isoformat(), Paragraph(_esc(category_label(line.category)), st["cell"]),
            line.doc_number, Paragraph(_esc(line.description), st["cell"]),
            fmt(line.debit) if line.debit else "", fmt(line.credit) if line.credit else "", fmt(line.balance),
        ])  # fmt: skip
    if len(rows) == 1:
        rows.append(["", "", _("No movements in this period."), "", "", "", "", ""])
    story.append(_table(rows, [8 * mm, 18 * mm, 28 * mm, 30 * mm, 34 * mm, 22 * mm, 22 * mm, 22 * mm], numeric_from=5))
    story += [
        Spacer(1, 4 * mm),
        Paragraph(
            _esc(_("Balance = receivables owed less prepaid money held. Each line sums the ledger entries of its "
                   "document; fingerprint %(digest)s.") % {"digest": statement.digest[:16]}), st["small"]),
    ]  # fmt: skip
    if statement.status == Statement.Status.DISPUTED:
        story.append(Paragraph(_esc(_("Disputed: %(reason)s") % {"reason": statement.dispute_reason}), st["body"]))
    doc.build(story)
    return buffer.getvalue()


def statement_xlsx(statement: Statement, lines: list) -> bytes:
    summary_rows = [[_("Opening balance"), statement.opening_balance, None]]
    summary_rows += [[str(r["label"]), r["debit"], r["credit"]] for r in summary(statement)]
    summary_rows += [
        [_("Closing balance"), statement.closing_balance, None],
        [_("Rebate opening balance"), statement.rebate_opening, None],
        [_("Rebate closing balance"), statement.rebate_closing, None],
    ]
    return write_workbook(
        [
            Sheet(
                title=statement.number,
                headers=[
                    "#",
                    _("Section"),
                    _("Date"),
                    _("Item"),
                    _("Document type"),
                    _("Document"),
                    _("Details"),
                    _("Increase"),
                    _("Decrease"),
                    _("Balance"),
                ],
                rows=[
                    [
                        ln.seq,
                        str(ln.get_section_display()),
                        ln.date,
                        category_label(ln.category),
                        doc_type_label(ln.doc_type),
                        ln.doc_number,
                        ln.description,
                        ln.debit,
                        ln.credit,
                        ln.balance,
                    ]
                    for ln in lines
                ],
                widths=[6, 10, 12, 24, 14, 20, 36, 14, 14, 14],
                notes=[
                    f"{statement.dealer.code} {statement.dealer.name} · {statement.period_start} – {statement.period_end}",
                    _("Balance = receivables owed less prepaid money held."),
                ],
            ),
            Sheet(
                title=_("Summary"),
                headers=[_("Item"), _("Increase"), _("Decrease")],
                rows=summary_rows,
                widths=[34, 16, 16],
            ),
        ]
    )


def invoice_pdf(invoice: Invoice, lines: list, *, seller) -> bytes:
    """The invoice on paper: purchaser and seller side by side (the four items of a Chinese VAT invoice),
    the lines, and the tax per rate. ``seller`` is a ``policy.Seller`` (``invoices.seller_of``)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    st = _styles()
    buffer = io.BytesIO()
    title = _("Red-letter invoice") if invoice.is_red else invoice.get_kind_display()
    doc = _doc(buffer, invoice.invoice_no or invoice.number)
    story = [
        Paragraph(_esc(title), st["title"]),
        Paragraph(
            _esc(
                _("Invoice number: %(no)s   Request: %(req)s   Status: %(status)s")
                % {"no": invoice.invoice_no or "—", "req": invoice.number, "status": invoice.get_status_display()}
            ),
            st["body"],
        ),
    ]
    if invoice.issued_at:
        story.append(Paragraph(_esc(_("Issued on %(date)s") % {"date": timezone.localtime(invoice.issued_at).date()}),
                               st["body"]))  # fmt: skip
    if invoice.reversal_of_id:
        story.append(Paragraph(_esc(_("Reverses invoice %(no)s") % {"no": invoice.reversal_of.invoice_no}), st["body"]))

    def cell(text: str):
        return Paragraph(_esc(text or "—"), st["cell"])

    story += [
        Spacer(1, 3 * mm),
        _table(
            [
                ["", _("Purchaser"), _("Seller")],
                [_("Name"), cell(invoice.title), cell(seller.name)],
                [_("Taxpayer id"), cell(invoice.tax_id), cell(seller.tax_id)],
                [_("Address and phone"), cell(invoice.address_phone), cell(seller.address_phone)],
                [_("Bank and account"), cell(invoice.bank_account), cell(seller.bank_account)],
            ],
            [28 * mm, 76 * mm, 76 * mm],
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [[_("Item"), _("Unit"), _("Quantity"), _("Amount excl. tax"), _("Rate"), _("Tax"), _("Amount incl. tax")]]
    for ln in lines:
        rows.append([
            Paragraph(_esc(f"{ln.name} ({ln.sku_code}) · {ln.shipment_number or ln.order_number}"), st["cell"]), ln.unit,
            f"{ln.qty.normalize():f}", fmt(ln.net), f"{(ln.tax_rate * 100).quantize(Decimal(1))}%", fmt(ln.tax),
            fmt(ln.gross),
        ])  # fmt: skip
    story.append(_table(rows, [62 * mm, 12 * mm, 18 * mm, 24 * mm, 12 * mm, 22 * mm, 28 * mm], numeric_from=2))
    rate_rows = [[_("Rate"), _("Amount excl. tax"), _("Tax"), _("Amount incl. tax")]]
    for r in invoice.tax_breakdown:
        rate_rows.append([f"{(Decimal(r['rate']) * 100).quantize(Decimal(1))}%", fmt(Decimal(r["net"])),
                          fmt(Decimal(r["tax"])), fmt(Decimal(r["gross"]))])  # fmt: skip
    rate_rows.append([_("Total"), fmt(invoice.net), fmt(invoice.tax), fmt(invoice.total)])
    story += [Spacer(1, 4 * mm), _table(rate_rows, [30 * mm, 45 * mm, 45 * mm, 45 * mm], numeric_from=1)]
    if invoice.adapter_note:
        story += [Spacer(1, 4 * mm), Paragraph(_esc(invoice.adapter_note), st["body"])]
    doc.build(story)
    return buffer.getvalue()


def ageing_xlsx(rows: list[dict], totals: dict, buckets, as_of) -> bytes:
    headers = [_("Dealer code"), _("Dealer"), *[str(label) for _k, label in buckets], _("Overdue"), _("Total")]
    data = [
        [r["dealer"].code if r["dealer"] else r["dealer_id"], r["dealer"].name if r["dealer"] else "",
         *[r[k] for k, _l in buckets], r["overdue"], r["total"]]
        for r in rows
    ]  # fmt: skip
    data.append([_("Total"), "", *[totals[k] for k, _l in buckets], totals["overdue"], totals["total"]])
    return write_workbook(
        [
            Sheet(
                title=_("Ageing"),
                headers=headers,
                rows=data,
                widths=[14, 30, 14, 14, 14, 14, 14, 14, 14],
                notes=[_("As of %(date)s") % {"date": as_of}],
            )
        ]
    )
