"""Reads shared by finance's pages: each a bounded query with its relations joined, never a query per row."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from dinghuo.accounts.permissions import scope_dealers
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.models import Dealer
from dinghuo.finance.models import (
    DealerAccount,
    Invoice,
    LedgerEntry,
    Payment,
    RebateAccrual,
    RebateProgramme,
    Receivable,
    Statement,
)
from dinghuo.finance.services import account_for, cents, overdue_amount


def dealers_for(actor: Actor) -> QuerySet:
    return scope_dealers(actor, Dealer.objects.all()).order_by("code")


def dealer_get(actor: Actor, pk: int) -> Dealer | None:
    return scope_dealers(actor, Dealer.objects.select_related("tier")).filter(pk=pk).first()


def account_summary(dealer: Dealer) -> dict:
    account = account_for(dealer)
    pending = Payment.objects.filter(dealer=dealer, status=Payment.Status.PENDING, direction="in").aggregate(
        n=Count("id"), s=Sum("amount")
    )
    return {
        "account": account,
        "overdue": overdue_amount(dealer.pk),
        "pending_count": pending["n"] or 0,
        "pending_amount": cents(pending["s"]),
        "today": timezone.localdate(),
    }


def open_receivables(dealer_id: int, limit: int = 200) -> list[Receivable]:
    return list(
        Receivable.objects.filter(dealer_id=dealer_id, status=Receivable.Status.OPEN)
        .select_related("order", "shipment")
        .order_by("due_date", "pk")[:limit]
    )


def payments(
    actor: Actor, *, status: str = "", method: str = "", q: str = "", dealer_id: int | None = None
) -> QuerySet:
    qs = scope_dealers(actor, Payment.objects.select_related("dealer"), "dealer")
    if status in Payment.Status.values:
        qs = qs.filter(status=status)
    if method in Payment.Method.values:
        qs = qs.filter(method=method)
    if dealer_id:
        qs = qs.filter(dealer_id=dealer_id)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(dealer__name__icontains=q) | Q(dealer__code__icontains=q)
                       | Q(bank_ref__icontains=q) | Q(bill_number__icontains=q))  # fmt: skip
    return qs.order_by("-created_at", "-id")


def payment_get(actor: Actor, pk: int) -> Payment | None:
    return (
        scope_dealers(actor, Payment.objects.select_related("dealer", "created_by", "confirmed_by"), "dealer")
        .filter(pk=pk)
        .first()
    )


def payment_applications(payment: Payment) -> list:
    return list(payment.applications.select_related("receivable__order").order_by("id"))


def ledger(dealer_id: int, bucket: str = "") -> QuerySet:
    qs = LedgerEntry.objects.filter(account__dealer_id=dealer_id)
    if bucket in LedgerEntry.Bucket.values:
        qs = qs.filter(bucket=bucket)
    return qs.order_by("-created_at", "-id")


def credit_accounts(actor: Actor, q: str = "", overdue_only: bool = False) -> QuerySet:
    qs = scope_dealers(actor, DealerAccount.objects.select_related("dealer", "dealer__tier"), "dealer").annotate(
        exposure_sum=F("receivable") + F("credit_hold")
    )
    if q:
        qs = qs.filter(Q(dealer__name__icontains=q) | Q(dealer__code__icontains=q))
    if overdue_only:
        qs = qs.filter(oldest_due_date__lt=timezone.localdate())
    return qs.order_by("dealer__code")


def statements(actor: Actor, *, status: str = "", q: str = "", dealer_id: int | None = None) -> QuerySet:
    qs = scope_dealers(actor, Statement.objects.select_related("dealer"), "dealer")
    if status in Statement.Status.values:
        qs = qs.filter(status=status)
    if dealer_id:
        qs = qs.filter(dealer_id=dealer_id)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(dealer__name__icontains=q) | Q(dealer__code__icontains=q))
    return qs.order_by("-period_end", "dealer__code", "-id")


def statement_get(actor: Actor, pk: int) -> Statement | None:
    return scope_dealers(actor, Statement.objects.select_related("dealer"), "dealer").filter(pk=pk).first()


def invoices(actor: Actor, *, status: str = "", q: str = "", dealer_id: int | None = None) -> QuerySet:
    qs = scope_dealers(actor, Invoice.objects.select_related("dealer"), "dealer")
    if status in Invoice.Status.values:
        qs = qs.filter(status=status)
    if dealer_id:
        qs = qs.filter(dealer_id=dealer_id)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(invoice_no__icontains=q) | Q(dealer__name__icontains=q))
    return qs.order_by("-requested_at", "-id")


def invoice_get(actor: Actor, pk: int) -> Invoice | None:
    return scope_dealers(actor, Invoice.objects.select_related("dealer", "reversal_of"), "dealer").filter(pk=pk).first()


def programmes() -> QuerySet:
    return RebateProgramme.objects.select_related("category", "dealer_tier").annotate(n=Count("accruals"))


def accruals(actor: Actor, *, dealer_id: int | None = None, programme_id: int | None = None) -> QuerySet:
    qs = scope_dealers(actor, RebateAccrual.objects.select_related("dealer", "programme"), "dealer")
    if dealer_id:
        qs = qs.filter(dealer_id=dealer_id)
    if programme_id:
        qs = qs.filter(programme_id=programme_id)
    return qs.order_by("-period_start", "-id")


def accrual_get(actor: Actor, pk: int) -> RebateAccrual | None:
    return (
        scope_dealers(actor, RebateAccrual.objects.select_related("dealer", "programme"), "dealer")
        .filter(pk=pk)
        .first()
    )


def workbench(actor: Actor) -> dict:
    from dinghuo.finance.receivables import ageing

    waiting = scope_dealers(actor, Payment.objects.filter(status=Payment.Status.PENDING, direction="in"), "dealer")
    waiting = waiting.exclude(method=Payment.Method.ONLINE)
    _rows, totals = ageing(actor=actor)
    return {
        "waiting": {
            k: cents(v) if k == "s" else v for k, v in waiting.aggregate(n=Count("id"), s=Sum("amount")).items()
        },
        "disputes": statements(actor, status=Statement.Status.DISPUTED).count(),
        "invoice_requests": invoices(actor, status=Invoice.Status.REQUESTED).count(),
        "ageing": totals,
        "overdue_dealers": credit_accounts(actor, overdue_only=True).count(),
        "recent_payments": list(payments(actor, status="pending").exclude(method="online")[:8]),
    }


def statement_lines(statement: Statement, *, side: str) -> list:
    """A statement's lines, each with ``link``: the page of the document it traces to (the order of a
    shipment, the payment, the rebate accrual) on the back office (``side="bo"``) or the portal."""
    from django.urls import reverse

    from dinghuo.orders.models import Shipment

    lines = list(statement.lines.all())
    shipment_ids = {int(ln.doc_id) for ln in lines if ln.doc_type == "shipment" and ln.doc_id.isdigit()}
    order_of = dict(Shipment.objects.filter(pk__in=shipment_ids).values_list("pk", "order_id")) if shipment_ids else {}
    names = {
        "bo": {"order": "backoffice:order_detail", "payment": "finance_bo:payment_detail",
               "rebate_accrual": "finance_bo:accrual_detail"},
        "portal": {"order": "portal:order", "payment": "finance_portal:payment_detail",
                   "rebate_accrual": "finance_portal:accrual_detail"},
    }[side]  # fmt: skip
    for ln in lines:
        doc_id = int(ln.doc_id) if ln.doc_id.isdigit() else None
        kind = ln.doc_type
        if kind == "shipment":
            kind, doc_id = "order", order_of.get(doc_id)
        ln.link = reverse(names[kind], args=[doc_id]) if kind in names and doc_id else ""
    return lines
