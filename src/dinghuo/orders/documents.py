"""An order on paper: the 订货单 PDF (ReportLab).

Chinese renders in any PDF reader without embedding a font file: the text uses ReportLab's
built-in CID font ``STSong-Light`` (Adobe's Asian font packs, present in every reader). The same
order gives the same bytes (``invariant``: no creation time or random id in the file).

    pdf: bytes = order_pdf(order)   # order from orders.selectors.order_detail (lines prefetched)
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.core import regions
from dinghuo.core.money import ZERO, fmt, quantize
from dinghuo.orders.models import Order

FONT = "STSong-Light"
INK = "#1f2328"
MUTED = "#6b7280"
LINE = "#c9ccd1"
HEAD_BG = "#f3f4f6"
ACCENT = "#c0392b"


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _qty(value: Decimal) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(rate: Decimal) -> str:
    return f"{_qty(Decimal(rate) * 100)}%"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_GROUPS = ["", "万", "亿", "万亿"]


def rmb_upper(amount: Decimal) -> str:
    """An amount in Chinese capital numerals, as cheques and invoices write it (大写金额):
    1585.17 → 壹仟伍佰捌拾伍元壹角柒分; 10001 → 壹万零壹元整; 100.05 → 壹佰元零伍分."""
    amount = quantize(amount)
    if amount < 0:
        return "负" + rmb_upper(-amount)
    cents = int((amount * 100).to_integral_value())
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "零元整"
    out = ""
    if yuan:
        groups = []  # four-digit groups, lowest first
        while yuan:
            groups.append(yuan % 10000)
            yuan //= 10000
        parts: list[str] = []
        gap = False  # a zero group (or leading zeros) lies between the last part and the next
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                gap = True
                continue
            text, zero = "", gap or (bool(parts) and group < 1000)
            for pos in (3, 2, 1, 0):
                digit = group // 10**pos % 10
                if digit == 0:
                    zero = zero or bool(text)
                    continue
                if zero and (text or parts):
                    text += "零"
                zero = False
                text += _DIGITS[digit] + _UNITS[pos]
            parts.append(text + _GROUPS[index])
            gap = False
        out = "".join(parts) + "元"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif fen and out:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return out if (jiao or fen) else out + "整"


def _styles() -> dict:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    font = _font()
    ink, muted = colors.HexColor(INK), colors.HexColor(MUTED)
    return {
        "brand": ParagraphStyle("brand", fontName=font, fontSize=15, leading=20, textColor=ink),
        "title": ParagraphStyle("title", fontName=font, fontSize=20, leading=26, textColor=colors.HexColor(ACCENT)),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=13, textColor=ink),
        "label": ParagraphStyle("label", fontName=font, fontSize=7.5, leading=10, textColor=muted),
        "small": ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10, textColor=muted),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10.5, textColor=ink),
        "cell_r": ParagraphStyle("cell_r", fontName=font, fontSize=8, leading=10.5, textColor=ink, alignment=TA_RIGHT),
        "center": ParagraphStyle("center", fontName=font, fontSize=8, leading=10.5, alignment=TA_CENTER),
        "right": ParagraphStyle("right", fontName=font, fontSize=9, leading=13, textColor=ink, alignment=TA_RIGHT),
        "total": ParagraphStyle(
            "total", fontName=font, fontSize=12, leading=16, alignment=TA_RIGHT, textColor=colors.HexColor(ACCENT)
        ),
    }


def _labelled(label: str, value: str, style):
    from reportlab.platypus import Paragraph

    return Paragraph(f"<font color='{MUTED}'>{_esc(label)}</font>  {_esc(value)}", style)


def _block(title: str, rows: list[tuple[str, str]], st: dict):
    """A labelled box: a small grey heading, then label: value lines."""
    from reportlab.platypus import Paragraph

    out = [Paragraph(_esc(title), st["label"])]
    for label, value in rows:
        if value:
            out.append(Paragraph(f"<font color='{MUTED}'>{_esc(label)}：</font>{_esc(value)}", st["body"]))
    return out


def order_pdf(order: Order) -> bytes:
    """The order as a printable 订货单 (A4): parties, ship-to, lines, totals with tax, promotions, payment."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    st = _styles()
    font = _font()
    buffer = io.BytesIO()
    width = A4[0] - 28 * mm
    tenant = order.tenant
    dealer = order.dealer
    supplier = order.supplier_dealer
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=" ".join([_("Purchase order"), order.number]),
        author=tenant.name,
        subject=dealer.name,
        invariant=1,
    )
    placed = timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M")

    # header: who sells, the document's name, its number
    head = Table(
        [
            [
                [
                    Paragraph(_esc(supplier.name if supplier else tenant.name), st["brand"]),
                    Paragraph(_esc(_("Purchase order")), st["title"]),
                ],
                [
                    _labelled(_("Order number"), order.number, st["right"]),
                    _labelled(_("Order date"), placed, st["right"]),
                    _labelled(_("Status"), order.get_status_display(), st["right"]),
                ],
            ]
        ],
        colWidths=[width * 0.58, width * 0.42],
    )
    head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.HexColor(ACCENT)),
            ]
        )
    )
    region = regions.display_name(order.ship_to_region) if regions.get(order.ship_to_region) else ""
    address = (
        order.ship_to_address
        if region and order.ship_to_address.startswith(region)
        else f"{region}{order.ship_to_address}"
    )
    parties = Table(
        [
            [
                _block(
                    _("Ordering party"),
                    [
                        (_("Dealer"), f"{dealer.name}"),
                        (_("Dealer code"), dealer.code),
                        (_("Contact"), " ".join(x for x in (dealer.contact_name, dealer.contact_phone) if x)),
                    ],
                    st,
                ),
                _block(
                    _("Ship to"),
                    [
                        (_("Receiver"), f"{order.ship_to_name} {order.ship_to_phone}".strip()),
                        (_("Address"), address),
                        (
                            _("Requested delivery date"),
                            order.requested_date.isoformat() if order.requested_date else "",
                        ),
                    ],
                    st,
                ),
            ]
        ],
        colWidths=[width / 2, width / 2],
    )
    parties.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (0, 0), 0.5, colors.HexColor(LINE)),
                ("BOX", (1, 0), (1, 0), 0.5, colors.HexColor(LINE)),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )

    # the lines
    rows = [
        [
            _("No."),
            _("SKU code"),
            _("Item name"),
            _("Unit"),
            _("Quantity"),
            _("Unit price"),
            _("Discount"),
            _("Amount"),
            _("VAT rate"),
        ]
    ]
    promotions = {p.get("id"): p.get("name", "") for p in order.promotions or []}
    gift_rows = []
    for line in order.lines.all():
        name = line.name
        if line.is_gift:
            name = "【" + _("Gift") + "】" + name
            gift_rows.append(len(rows))
            if line.promotion_id in promotions:
                name += "\n" + _("Gift: %(promotion)s") % {"promotion": promotions[line.promotion_id]}
        rows.append(
            [
                str(line.line_no),
                Paragraph(_esc(line.sku_code), st["cell"]),
                Paragraph(_esc(name).replace("\n", "<br/>"), st["cell"]),
                line.unit,
                _qty(line.qty),
                fmt(line.unit_price),
                fmt(line.discount) if line.discount else "",
                fmt(line.amount),
                _pct(line.tax_rate),
            ]
        )
    widths = [9, 27, 54, 11, 15, 20, 17, 22, 12]
    scale = width / (sum(widths) * mm)
    table = Table(rows, colWidths=[w * mm * scale for w in widths], repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEAD_BG)),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.HexColor(INK)),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.HexColor(INK)),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor(LINE)),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.HexColor(INK)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (4, 0), (-1, -1), "RIGHT"),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
        ("ALIGN", (3, 0), (3, -1), "CENTER"),
    ]
    for r in gift_rows:
        style.append(("TEXTCOLOR", (0, r), (-1, r), colors.HexColor("#17744a")))
    table.setStyle(TableStyle(style))

    # totals, with the amount in capitals as Chinese documents write it
    net = order.total - order.tax
    totals = [
        [_("Goods total"), fmt(order.subtotal)],
        [_("Promotion discount"), f"－{fmt(order.discount)}" if order.discount else fmt(ZERO)],
        [_("Order total (incl. VAT)"), fmt(order.total)],
        [_("of which VAT"), fmt(order.tax)],
        [_("Net of VAT"), fmt(net)],
    ]
    totals_table = Table(totals, colWidths=[40 * mm, 32 * mm])
    totals_table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor(MUTED)),
                ("FONT", (0, 2), (-1, 2), font, 11),
                ("TEXTCOLOR", (1, 2), (1, 2), colors.HexColor(ACCENT)),
                ("LINEABOVE", (0, 2), (-1, 2), 0.5, colors.HexColor(LINE)),
                ("LINEBELOW", (0, 2), (-1, 2), 0.5, colors.HexColor(LINE)),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    left = []
    if order.promotions:
        left.append(Paragraph(_esc(_("Promotions applied")), st["label"]))
        for p in order.promotions:
            amount = Decimal(str(p.get("amount") or "0"))
            gift = "  （" + _("gift") + "）" if p.get("gifts") else ""
            suffix = f"  －{fmt(amount)}" if amount else gift
            left.append(Paragraph(_esc(f"{p.get('name', '')}{suffix}"), st["body"]))
        left.append(Spacer(1, 2 * mm))
    pay = [
        (_("On credit"), order.pay_credit),
        (_("From prepaid balance"), order.pay_prepaid),
        (_("From rebate balance"), order.pay_rebate),
    ]
    left.append(Paragraph(_esc(_("Payment mix")), st["label"]))
    left.append(
        Paragraph(_esc("；".join(f"{label} {fmt(amount)}" for label, amount in pay if amount) or fmt(ZERO)), st["body"])
    )
    left.append(Spacer(1, 2 * mm))
    left.append(Paragraph(f"<font color='{MUTED}'>{_esc('大写')}：</font>{rmb_upper(order.total)}", st["body"]))
    if order.note:
        left.append(Spacer(1, 2 * mm))
        left.append(Paragraph(_esc(_("Note")), st["label"]))
        left.append(Paragraph(_esc(order.note), st["body"]))
    bottom = Table([[left, totals_table]], colWidths=[width - 76 * mm, 76 * mm])
    bottom.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )

    signatures = Table(
        [[_("Buyer (signature and seal)"), _("Supplier (signature and seal)"), _("Goods received by")]],
        colWidths=[width / 3] * 3,
        rowHeights=[16 * mm],
    )
    signatures.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor(MUTED)),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor(LINE)),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.HexColor(LINE)),
            ]
        )
    )

    story = [
        head,
        Spacer(1, 4 * mm),
        parties,
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 4 * mm),
        bottom,
        Spacer(1, 6 * mm),
        signatures,
        Spacer(1, 2 * mm),
        Paragraph(_esc(_("Prices include VAT. Amounts in CNY.")), st["small"]),
    ]
    footer_left = f"{order.number}  {dealer.name}"

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor(MUTED))
        canvas.drawString(14 * mm, 9 * mm, footer_left)
        canvas.drawRightString(A4[0] - 14 * mm, 9 * mm, _("Page %(page)s") % {"page": document.page})
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
