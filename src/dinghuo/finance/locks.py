"""Every row lock finance takes. One order everywhere: the document (payment, statement, invoice),
then the dealer's account, then its receivables by primary key — so two paths never wait on each
other in opposite orders. Invoices lock the invoice, then the orders they bill (by pk), then the
order lines' invoicing counters (by order line). (SQLite serialises writers anyway; these are
PostgreSQL's row locks.)"""

from __future__ import annotations

from collections.abc import Iterable

from dinghuo.finance.models import DealerAccount, Invoice, Payment, Receivable, Statement


def lock_payment(*, payment_id: int) -> Payment | None:
    return Payment.objects.select_for_update().filter(pk=payment_id).first()


def lock_statement(*, statement_id: int) -> Statement | None:
    return Statement.objects.select_for_update().filter(pk=statement_id).first()


def lock_invoice(*, invoice_id: int) -> Invoice | None:
    return Invoice.objects.select_for_update().filter(pk=invoice_id).first()


def lock_orders(*, order_ids: Iterable[int]) -> list:
    """Orders (of the orders app) locked in primary-key order: an invoice for paid orders checks they are
    still paid, and not being cancelled, while it claims their lines."""
    from dinghuo.orders.models import Order

    return list(Order.objects.select_for_update().filter(pk__in=sorted(set(order_ids))).order_by("pk"))


def lock_line_invoicing(*, order_line_ids: Iterable[int]) -> list:
    """The invoicing counters of these order lines (``OrderLineInvoicing``), locked in order-line order."""
    from dinghuo.finance.models import OrderLineInvoicing

    ids = sorted(set(order_line_ids))
    return list(OrderLineInvoicing.objects.select_for_update().filter(order_line_id__in=ids).order_by("order_line_id"))


def lock_account(*, dealer_id: int) -> DealerAccount:
    return DealerAccount.objects.select_for_update().get(dealer_id=dealer_id)


def lock_open_receivables(*, dealer_id: int, ids: Iterable[int] | None = None) -> list[Receivable]:
    """The dealer's open receivables (or those of ``ids`` among them), locked in primary-key order."""
    qs = Receivable.objects.select_for_update().filter(dealer_id=dealer_id, status=Receivable.Status.OPEN)
    if ids is not None:
        qs = qs.filter(pk__in=sorted(set(ids)))
    return list(qs.order_by("pk"))


def lock_tenant(*, tenant_id: int):
    from dinghuo.tenancy.models import Tenant

    return Tenant.objects.select_for_update().get(pk=tenant_id)
