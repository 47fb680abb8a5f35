"""Statements (对账单): derived from the ledger and its documents by their timestamps, never from
current balances — so the same dealer and period always give the same lines and totals.

The account balance is what the dealer owes net: receivables less prepaid money. Its opening is
the sum of the dealer's receivable and prepaid ledger entries before the period; each line is one
document's effect in the period (the entries referencing it, summed per category):

    shipment     goods shipped on credit                       owes more   (receivable +)
    order        an order paid from the prepaid balance        owes more   (prepaid −)
    order_return a cancelled order's prepaid money given back  owes less   (prepaid +)
    payment      a payment or top-up received                  owes less   (receivable −, prepaid +)
    credit_note  a credit note (returned goods, allowances)    owes less
    refund       prepaid money paid back to the bank           owes more   (prepaid −)
    adjustment   anything else (opening balances, corrections)

Rebates have their own section and balance: accruals raise it, orders paid with rebates lower it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.accounts.permissions import require
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.money import ZERO
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.dealers.models import Dealer
from dinghuo.finance.errors import PeriodInvalid, StatementNotFound, StatementStateInvalid
from dinghuo.finance.locks import lock_statement
from dinghuo.finance.models import LedgerEntry, Payment, Statement, StatementLine
from dinghuo.finance.notices import notify_dealer
from dinghuo.finance.numbering import next_number
from dinghuo.finance.periods import parse_period, parse_range
from dinghuo.finance.services import cents

Bucket, EKind, S = LedgerEntry.Bucket, LedgerEntry.Kind, Statement.Status

CATEGORIES = {
    "order": gettext_lazy("Order paid from prepaid"),
    "shipment": gettext_lazy("Goods shipped on credit"),
    "order_return": gettext_lazy("Cancelled order, prepaid returned"),
    "payment": gettext_lazy("Payment received"),
    "credit_note": gettext_lazy("Credit note"),
    "refund": gettext_lazy("Refund to bank"),
    "adjustment": gettext_lazy("Adjustment"),
    "rebate": gettext_lazy("Rebate accrued"),
    "rebate_spent": gettext_lazy("Rebate used on an order"),
    "rebate_return": gettext_lazy("Rebate returned (order cancelled)"),
}
DOC_TYPES = {  # what a line's document is, in words (the .xlsx export's "document type" column)
    "order": gettext_lazy("Sales order"),
    "shipment": gettext_lazy("Delivery note"),
    "payment": gettext_lazy("Payment slip"),
    "rebate_accrual": gettext_lazy("Rebate accrual"),
    "entry": gettext_lazy("Ledger entry"),
}
TOTAL_GROUPS = [  # the summary the dealer confirms: label, categories
    ("orders", gettext_lazy("Orders (paid from prepaid)"), ["order"]),
    ("shipments", gettext_lazy("Shipments on credit"), ["shipment"]),
    ("returns", gettext_lazy("Returns and credit notes"), ["order_return", "credit_note"]),
    ("payments", gettext_lazy("Payments"), ["payment"]),
    ("refunds", gettext_lazy("Refunds to bank"), ["refund"]),
    ("adjustments", gettext_lazy("Adjustments"), ["adjustment"]),
    ("rebates", gettext_lazy("Rebates"), ["rebate", "rebate_spent", "rebate_return"]),
]


def category_of(bucket: str, kind: str, ref_type: str) -> str:
    if bucket == Bucket.REBATE:
        if kind == EKind.REBATE_ACCRUAL:
            return "rebate"
        return "rebate_spent" if kind == EKind.ORDER_SPEND else "rebate_return" if kind == EKind.REFUND else "rebate"
    if bucket == Bucket.RECEIVABLE:
        return {EKind.SHIPPED: "shipment", EKind.PAYMENT: "payment", EKind.CREDIT_NOTE: "credit_note"}.get(
            kind, "adjustment"
        )
    # prepaid
    if kind == EKind.ORDER_SPEND:
        return "order"
    if kind == EKind.REFUND:
        return "order_return" if ref_type == "order" else "refund"
    if kind in (EKind.PAYMENT, EKind.TOPUP):
        return "payment"
    if kind == EKind.CREDIT_NOTE:
        return "credit_note"
    return "adjustment"


@dataclass
class Line:
    seq: int
    section: str
    date: dt.date
    category: str
    doc_type: str
    doc_id: str
    doc_number: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = ZERO
    entry_ids: list[int] = field(default_factory=list)

    def key(self) -> list:
        return [self.seq, self.section, self.date.isoformat(), self.category, self.doc_type, self.doc_id,
                self.doc_number, self.description, str(self.debit), str(self.credit), str(self.balance)]  # fmt: skip


@dataclass
class Computed:
    opening: Decimal
    closing: Decimal
    rebate_opening: Decimal
    rebate_closing: Decimal
    lines: list[Line]
    totals: dict

    @property
    def digest(self) -> str:
        blob = json.dumps(
            [str(self.opening), str(self.closing), str(self.rebate_opening), str(self.rebate_closing),
             [line.key() for line in self.lines]],
            separators=(",", ":"), ensure_ascii=False,
        )  # fmt: skip
        return hashlib.sha256(blob.encode()).hexdigest()


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def compute(dealer_id: int, start: dt.date, end: dt.date) -> Computed:
    """The statement of ``dealer_id`` for ``start``..``end`` (inclusive), from ledger entries by time."""
    since, until = _bounds(start, end)
    buckets = [Bucket.RECEIVABLE, Bucket.PREPAID, Bucket.REBATE]
    base = LedgerEntry.objects.filter(account__dealer_id=dealer_id, bucket__in=buckets)
    before = {
        r["bucket"]: cents(r["s"]) for r in base.filter(created_at__lt=since).values("bucket").annotate(s=Sum("amount"))
    }
    opening = (before.get(Bucket.RECEIVABLE) or ZERO) - (before.get(Bucket.PREPAID) or ZERO)
    rebate_opening = before.get(Bucket.REBATE) or ZERO
    entries = list(
        base.filter(created_at__gte=since, created_at__lt=until)
        .order_by("created_at", "id")
        .values_list("id", "bucket", "kind", "amount", "ref_type", "ref_id", "memo", "created_at")
    )
    groups: dict[tuple, Line] = {}
    order: list[tuple] = []
    for entry_id, bucket, kind, amount, ref_type, ref_id, memo, at in entries:
        category = category_of(bucket, kind, ref_type)
        section = StatementLine.Section.REBATE if bucket == Bucket.REBATE else StatementLine.Section.ACCOUNT
        key = (section, category, ref_type, ref_id) if ref_type and ref_id else (section, category, "entry", entry_id)
        if section == StatementLine.Section.ACCOUNT:
            effect = amount if bucket == Bucket.RECEIVABLE else -amount  # what the dealer owes
        else:
            effect = -amount  # rebate: debit = spent, credit = earned
        line = groups.get(key)
        if line is None:
            line = groups[key] = Line(
                seq=0, section=section, date=timezone.localtime(at).date(), category=category,
                doc_type=ref_type or "entry", doc_id=str(ref_id or entry_id), doc_number="",
                description=memo[:200] if not ref_type else "", debit=ZERO, credit=ZERO,
            )  # fmt: skip
            order.append(key)
        line.debit += effect  # net effect for now; split into debit/credit below
        line.entry_ids.append(entry_id)
    lines = [groups[k] for k in order]
    _describe(lines)
    balance, rebate_balance = opening, rebate_opening
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"debit": ZERO, "credit": ZERO})
    kept: list[Line] = []
    for line in lines:
        net = line.debit
        if net == 0:
            continue  # entries of one document that cancel out within the period show nothing
        line.debit, line.credit = (net, ZERO) if net > 0 else (ZERO, -net)
        if line.section == StatementLine.Section.ACCOUNT:
            balance += net
            line.balance = balance
        else:
            rebate_balance -= net
            line.balance = rebate_balance
        totals[line.category]["debit"] += line.debit
        totals[line.category]["credit"] += line.credit
        kept.append(line)
    # account lines first, then the rebate section; numbered in that order
    kept.sort(key=lambda ln: ln.section != StatementLine.Section.ACCOUNT)  # stable: time order kept
    for seq, line in enumerate(kept, start=1):
        line.seq = seq
    return Computed(
        opening=opening,
        closing=balance,
        rebate_opening=rebate_opening,
        rebate_closing=rebate_balance,
        lines=kept,
        totals={k: {"debit": str(v["debit"]), "credit": str(v["credit"])} for k, v in sorted(totals.items())},
    )


def _describe(lines: list[Line]) -> None:
    """Document numbers and a short description for every line, in one query per document type."""
    from dinghuo.finance.models import RebateAccrual
    from dinghuo.orders.models import Order, Shipment

    ids: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        if line.doc_type in ("order", "shipment", "payment", "rebate_accrual") and line.doc_id.isdigit():
            ids[line.doc_type].add(int(line.doc_id))
    orders = dict(Order.objects.filter(pk__in=ids["order"]).values_list("pk", "number"))
    shipments = {
        pk: (number, order_number)
        for pk, number, order_number in Shipment.objects.filter(pk__in=ids["shipment"]).values_list(
            "pk", "number", "order__number"
        )
    }
    payments = {
        pk: (number, method, bank_ref, note)
        for pk, number, method, bank_ref, note in Payment.objects.filter(pk__in=ids["payment"]).values_list(
            "pk", "number", "method", "bank_ref", "note"
        )
    }
    accruals = {
        pk: (number, period, name)
        for pk, number, period, name in RebateAccrual.objects.filter(pk__in=ids["rebate_accrual"]).values_list(
            "pk", "number", "period", "programme__name"
        )
    }
    for line in lines:
        key = int(line.doc_id) if line.doc_id.isdigit() else None
        if line.doc_type == "order":
            line.doc_number = orders.get(key, "")
        elif line.doc_type == "shipment":
            line.doc_number, line.description = shipments.get(key, ("", ""))
        elif line.doc_type == "payment":
            number, method, bank_ref, note = payments.get(key, ("", "", "", ""))
            line.doc_number = number
            label = _method_label(method)
            line.description = " ".join(x for x in (label, bank_ref, note[:80]) if x)[:200]
        elif line.doc_type == "rebate_accrual":
            number, period, name = accruals.get(key, ("", "", ""))
            line.doc_number, line.description = number, f"{name} {period}"[:200]


def _method_label(method: str) -> str:
    """A payment method in words, in the deployment's language whoever generates the statement (the stored
    description is part of the statement's fingerprint, so it must not depend on the reader's language)."""
    from django.conf import settings
    from django.utils import translation

    if method not in Payment.Method.values:
        return method
    with translation.override(settings.LANGUAGE_CODE):
        return str(Payment.Method(method).label)


def category_label(category: str) -> str:
    return str(CATEGORIES.get(category, category))


def doc_type_label(doc_type: str) -> str:
    return str(DOC_TYPES.get(doc_type, doc_type))


def summary(statement: Statement) -> list[dict]:
    """The totals by group (orders, shipments, returns, payments, refunds, adjustments, rebates)."""
    out = []
    for key, label, categories in TOTAL_GROUPS:
        debit = sum((Decimal(statement.totals.get(c, {}).get("debit", "0")) for c in categories), ZERO)
        credit = sum((Decimal(statement.totals.get(c, {}).get("credit", "0")) for c in categories), ZERO)
        out.append({"key": key, "label": label, "debit": debit, "credit": credit})
    return out


# --- writes -------------------------------------------------------------------------------------


def statement_generate(*, actor: Actor, dealer_id: int, start: dt.date, end: dt.date) -> Statement:
    """Issue (or, while unconfirmed, refresh) the statement of one dealer for one period."""
    require(actor, "finance.manage")
    start, end = parse_range(start, end)
    if end > timezone.localdate():
        raise PeriodInvalid(reason=_("the period has not ended yet"), detail={"period_end": end.isoformat()})
    if not Dealer.objects.filter(pk=dealer_id).exists():
        raise StatementNotFound()
    data = compute(dealer_id, start, end)
    with transaction.atomic():
        existing = Statement.objects.filter(dealer_id=dealer_id, period_start=start, period_end=end).first()
        if existing is not None:
            existing = lock_statement(statement_id=existing.pk)
            if existing.status != S.ISSUED or existing.digest == data.digest:
                return existing
            StatementLine.objects.filter(statement=existing).delete()
            statement = existing
            action = "statement.refreshed"
        else:
            statement = Statement(
                number=next_number("statement"), dealer_id=dealer_id, period_start=start, period_end=end
            )
            action = "statement.issued"
        statement.opening_balance, statement.closing_balance = data.opening, data.closing
        statement.rebate_opening, statement.rebate_closing = data.rebate_opening, data.rebate_closing
        statement.totals, statement.line_count, statement.digest = data.totals, len(data.lines), data.digest
        statement.generated_by_id = actor.user_id
        statement.generated_at = timezone.now()
        try:
            with transaction.atomic():
                statement.save()
        except IntegrityError:  # another run issued it a moment ago
            return Statement.objects.get(dealer_id=dealer_id, period_start=start, period_end=end)
        StatementLine.objects.bulk_create(
            stamp_tenant(
                [
                    StatementLine(statement=statement, seq=ln.seq, section=ln.section, date=ln.date,
                                  category=ln.category, doc_type=ln.doc_type[:20], doc_id=ln.doc_id[:64],
                                  doc_number=ln.doc_number[:40], description=ln.description[:200], debit=ln.debit,
                                  credit=ln.credit, balance=ln.balance, entry_ids=ln.entry_ids)
                    for ln in data.lines
                ]
            ),
            batch_size=1000,
        )  # fmt: skip
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    action,
                    statement,
                    after={
                        "dealer": dealer_id,
                        "from": start,
                        "to": end,
                        "opening": data.opening,
                        "closing": data.closing,
                        "lines": len(data.lines),
                        "digest": data.digest,
                    },
                )
            ],
        )
        if action == "statement.issued":
            notify_dealer(
                dealer_id=dealer_id,
                title=_("Statement %(number)s for %(start)s – %(end)s is ready")
                % {"number": statement.number, "start": start, "end": end},
                body=_("Please check and confirm it, or tell us what is wrong."),
                link=f"/portal/finance/statements/{statement.pk}/",
            )
    return statement


def statements_generate_period(*, actor: Actor, period: str, dealer_ids: list[int] | None = None) -> list[Statement]:
    """Statements for every active dealer (or ``dealer_ids``) that had any entry up to the period's end."""
    p = parse_period(period)
    if p.kind != "month":
        raise PeriodInvalid(reason=_("statements are monthly: write 2026-10"), detail={"period": period})
    dealers = Dealer.objects.filter(status=Dealer.Status.ACTIVE).order_by("pk")
    if dealer_ids is not None:
        dealers = dealers.filter(pk__in=dealer_ids)
    _since, until = _bounds(p.start, p.end)
    with_entries = set(
        LedgerEntry.objects.filter(created_at__lt=until).values_list("account__dealer_id", flat=True).distinct()
    )
    return [
        statement_generate(actor=actor, dealer_id=pk, start=p.start, end=p.end)
        for pk in dealers.values_list("pk", flat=True)
        if pk in with_entries
    ]


def _get_for(actor: Actor, statement_id: int) -> Statement:
    statement = lock_statement(statement_id=statement_id)
    if statement is None or (actor.is_dealer and statement.dealer_id != actor.dealer_id):
        raise StatementNotFound()
    return statement


def statement_confirm(*, actor: Actor, statement_id: int) -> Statement:
    require(actor, "statements.confirm")
    with transaction.atomic():
        statement = _get_for(actor, statement_id)
        if statement.status not in (S.ISSUED, S.RESOLVED):
            raise StatementStateInvalid(
                number=statement.number, status=statement.get_status_display(), reason=_("it cannot be confirmed now")
            )
        before = statement.status
        statement.status, statement.confirmed_at, statement.confirmed_by_id = S.CONFIRMED, timezone.now(), actor.user_id
        statement.save(update_fields=["status", "confirmed_at", "confirmed_by"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of(
                    "statement.confirmed", statement, before={"status": before}, after={"status": S.CONFIRMED}
                )
            ],
        )
    return statement


def statement_dispute(*, actor: Actor, statement_id: int, reason: str, line_seqs: list[int]) -> Statement:
    require(actor, "statements.confirm")
    reason = (reason or "").strip()
    with transaction.atomic():
        statement = _get_for(actor, statement_id)
        if statement.status not in (S.ISSUED, S.RESOLVED):
            raise StatementStateInvalid(
                number=statement.number, status=statement.get_status_display(), reason=_("it cannot be disputed now")
            )
        if not reason:
            raise StatementStateInvalid(
                number=statement.number, status=statement.get_status_display(), reason=_("say what is wrong"),
                detail={"reason": ""},
            )  # fmt: skip
        valid = set(statement.lines.values_list("seq", flat=True))
        seqs = sorted({int(s) for s in line_seqs if str(s).isdigit() and int(s) in valid})
        before = statement.status
        statement.status, statement.dispute_reason, statement.disputed_lines = S.DISPUTED, reason[:500], seqs
        statement.disputed_at, statement.disputed_by_id = timezone.now(), actor.user_id
        statement.save(update_fields=["status", "dispute_reason", "disputed_lines", "disputed_at", "disputed_by"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of("statement.disputed", statement, before={"status": before},
                              after={"status": S.DISPUTED, "lines": seqs}, reason=reason)
            ],
        )  # fmt: skip
        from dinghuo.notify.outbox import outbox_add

        outbox_add(
            topic="statement.disputed",
            aggregate=("statement", statement.pk),
            payload={"statement_id": statement.pk, "number": statement.number, "dealer_id": statement.dealer_id,
                     "reason": reason, "lines": seqs},
        )  # fmt: skip
    return statement


def statement_resolve(*, actor: Actor, statement_id: int, resolution: str) -> Statement:
    """Finance answers a dispute; the dealer may then confirm (or dispute again)."""
    require(actor, "finance.manage")
    resolution = (resolution or "").strip()
    with transaction.atomic():
        statement = _get_for(actor, statement_id)
        if statement.status != S.DISPUTED:
            raise StatementStateInvalid(
                number=statement.number, status=statement.get_status_display(), reason=_("there is no open dispute")
            )
        if not resolution:
            raise StatementStateInvalid(
                number=statement.number, status=statement.get_status_display(),
                reason=_("write how the dispute was resolved"), detail={"resolution": ""},
            )  # fmt: skip
        statement.status, statement.resolution = S.RESOLVED, resolution[:500]
        statement.resolved_at, statement.resolved_by_id = timezone.now(), actor.user_id
        statement.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of("statement.resolved", statement, before={"status": S.DISPUTED},
                              after={"status": S.RESOLVED}, reason=resolution)
            ],
        )  # fmt: skip
        notify_dealer(
            dealer_id=statement.dealer_id,
            title=_("Your dispute of statement %(number)s was answered") % {"number": statement.number},
            body=resolution[:500],
            link=f"/portal/finance/statements/{statement.pk}/",
        )
    return statement
