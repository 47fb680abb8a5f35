"""The dealer's finance pages (/portal/finance/): balances, paying, statements, invoices, rebates."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.web import dealer_page, paginate
from dinghuo.dealers.models import Dealer
from dinghuo.finance import forms, invoices, payments, providers, selectors, statements
from dinghuo.finance.errors import NotificationRejected, ProviderUnavailable
from dinghuo.finance.models import Invoice, LedgerEntry, Payment
from dinghuo.finance.views.backoffice import invoice_download, picker_context, statement_download
from dinghuo.finance.views.common import found, int_list, int_param, voucher_response

log = logging.getLogger(__name__)


def _page(request, template: str, context: dict, tab: str) -> HttpResponse:
    return render(request, f"finance/portal/{template}", {"nav": "finance", "tab": tab, **context})


def _back(name: str, *args) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"finance_portal:{name}", args=args))


def _dealer(request: HttpRequest) -> Dealer:
    return Dealer.objects.select_related("tier").get(pk=request.actor.dealer_id)


@dealer_page("finance.view")
def home(request: HttpRequest) -> HttpResponse:
    dealer = _dealer(request)
    context = {
        "title": _("Finance"),
        "dealer": dealer,
        **selectors.account_summary(dealer),
        "receivables": selectors.open_receivables(dealer.pk, 50),
        "payments": list(selectors.payments(request.actor)[:5]),
        "statements": list(selectors.statements(request.actor, status="issued")[:3]),
    }
    return _page(request, "home.html", context, "home")


@dealer_page("finance.pay")
def pay(request: HttpRequest) -> HttpResponse:
    dealer = _dealer(request)
    available = providers.available(request.actor.tenant_id)
    summary = selectors.account_summary(dealer)
    initial = {"amount": summary["account"].receivable or None}
    form = forms.DealerPayForm(request.POST or None, request.FILES or None, providers=available, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        targets = int_list(request, "receivables") or None
        try:
            if d["way"] == "online":
                payment, checkout = payments.payment_start_online(
                    actor=request.actor, dealer_id=dealer.pk, provider=d["provider"], amount=d["amount"],
                    purpose=d["purpose"], receivable_ids=targets,
                    notify_url=request.build_absolute_uri(reverse("finance_portal:notify", args=[d["provider"]])),
                    return_url=request.build_absolute_uri(reverse("finance_portal:payments")),
                )  # fmt: skip
                if checkout.kind == "redirect":
                    return HttpResponseRedirect(checkout.url)
                return _page(request, "qr.html", {"title": _("Scan to pay"), "payment": payment, "checkout": checkout},
                             "pay")  # fmt: skip
            bill = (
                payments.Bill(number=d["bill_number"], due_date=d["bill_due_date"], issuer=d["bill_issuer"])
                if d["way"] == "bill"
                else None
            )
            payment = payments.payment_record(
                actor=request.actor, dealer_id=dealer.pk, method=d["way"], amount=d["amount"], purpose=d["purpose"],
                receivable_ids=targets, voucher=d["voucher"], bill=bill, payer_name=d["payer_name"],
                bank_ref=d["bank_ref"], paid_on=d["paid_on"], note=d["note"],
            )  # fmt: skip
        except ProviderUnavailable as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Payment %(number)s sent to finance for confirmation.") % {"number": payment.number}
            )
            return _back("payment_detail", payment.pk)
    context = {"title": _("Pay"), "form": form, "dealer": dealer, **summary,
               "receivables": selectors.open_receivables(dealer.pk, 100)}  # fmt: skip
    return _page(request, "pay.html", context, "pay")


@dealer_page("finance.pay")
def sandbox_pay(request: HttpRequest, number: str) -> HttpResponse:
    """The sandbox provider's cashier: pressing Pay sends a signed notification through the real path."""
    payment = Payment.objects.filter(number=number[:32], dealer_id=request.actor.dealer_id, provider="sandbox").first()
    if payment is None:
        raise Http404
    if request.method == "POST":
        from dinghuo.finance.providers.sandbox import SandboxProvider

        status = "TRADE_CLOSED" if request.POST.get("cancel") else "TRADE_SUCCESS"
        try:
            payments.payment_notify(
                provider="sandbox", params=SandboxProvider().notification(out_trade_no=payment.number,
                                                                          amount=payment.amount, status=status))  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if status == "TRADE_SUCCESS":
                messages.success(request, _("Paid. Payment %(number)s is confirmed.") % {"number": payment.number})
        return _back("payment_detail", payment.pk)
    return _page(request, "sandbox.html", {"title": _("Sandbox cashier"), "payment": payment}, "pay")


@csrf_exempt
@require_POST
def notify(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's asynchronous notification (no session: the signature is the authentication)."""
    if provider not in ("alipay", "sandbox"):
        raise Http404
    params = dict(request.POST.items())
    try:
        payments.payment_notify(provider=provider, params=params)
    except (NotificationRejected, ProviderUnavailable) as exc:
        log.warning("%s notification refused: %s", provider, exc)
        return HttpResponse("failure", content_type="text/plain", status=400)
    except DomainError as exc:  # e.g. a trade number already used by another payment
        log.warning("%s notification not applied: %s", provider, exc)
        return HttpResponse("failure", content_type="text/plain", status=409)
    return HttpResponse("success", content_type="text/plain")


@dealer_page("finance.view")
def payment_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.payments(request.actor, status=request.GET.get("status", ""))
    context = {"title": _("Payments"), "page": paginate(request, qs), "statuses": Payment.Status.choices,
               "filters": request.GET}  # fmt: skip
    return _page(request, "payment_list.html", context, "payments")


@dealer_page("finance.view")
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = found(selectors.payment_get(request.actor, pk))
    context = {"title": payment.number, "payment": payment, "applications": selectors.payment_applications(payment)}
    return _page(request, "payment_detail.html", context, "payments")


@dealer_page("finance.view")
def payment_voucher(request: HttpRequest, pk: int) -> HttpResponse:
    return voucher_response(found(selectors.payment_get(request.actor, pk)))


@require_POST
@dealer_page("finance.pay")
def payment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    payment = found(selectors.payment_get(request.actor, pk))
    try:
        payments.payment_cancel(actor=request.actor, payment_id=payment.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Payment %(number)s withdrawn.") % {"number": payment.number})
    return _back("payment_detail", payment.pk)


@dealer_page("finance.view")
def ledger(request: HttpRequest) -> HttpResponse:
    bucket = request.GET.get("bucket", "")
    context = {"title": _("Ledger"), "page": paginate(request, selectors.ledger(request.actor.dealer_id, bucket), 30),
               "bucket": bucket, "buckets": [("", _("All")), *LedgerEntry.Bucket.choices]}  # fmt: skip
    return _page(request, "ledger.html", context, "ledger")


@dealer_page("finance.view")
def statement_list(request: HttpRequest) -> HttpResponse:
    context = {"title": _("Statements"), "page": paginate(request, selectors.statements(request.actor))}
    return _page(request, "statement_list.html", context, "statements")


@dealer_page("finance.view")
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = found(selectors.statement_get(request.actor, pk))
    context = {"title": statement.number, "statement": statement, "lines": selectors.statement_lines(statement, side="portal"),
               "summary": statements.summary(statement), "dispute_form": forms.DisputeForm()}  # fmt: skip
    return _page(request, "statement_detail.html", context, "statements")


@require_POST
@dealer_page("statements.confirm")
def statement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    statement = found(selectors.statement_get(request.actor, pk))
    try:
        statements.statement_confirm(actor=request.actor, statement_id=statement.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Statement %(number)s confirmed. Thank you.") % {"number": statement.number})
    return _back("statement_detail", statement.pk)


@require_POST
@dealer_page("statements.confirm")
def statement_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    statement = found(selectors.statement_get(request.actor, pk))
    try:
        statements.statement_dispute(actor=request.actor, statement_id=statement.pk,
                                     reason=request.POST.get("reason", ""), line_seqs=int_list(request, "lines"))  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your dispute was sent to finance."))
    return _back("statement_detail", statement.pk)


@dealer_page("finance.view")
def statement_file(request: HttpRequest, pk: int, fmt_: str) -> HttpResponse:
    return statement_download(request, found(selectors.statement_get(request.actor, pk)), fmt_)


@dealer_page("finance.view")
def invoice_list(request: HttpRequest) -> HttpResponse:
    context = {"title": _("Invoices"), "page": paginate(request, selectors.invoices(request.actor))}
    return _page(request, "invoice_list.html", context, "invoices")


@dealer_page("invoices.request")
def invoice_new(request: HttpRequest) -> HttpResponse:
    dealer = _dealer(request)
    statement = selectors.statement_get(
        request.actor, int_param(request.POST.get("statement") or request.GET.get("statement")) or 0
    )
    form = forms.InvoiceRequestForm(
        request.POST or None, initial={"kind": Invoice.Kind.SPECIAL if dealer.tax_id else Invoice.Kind.ORDINARY}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            invoice = invoices.invoice_request(actor=request.actor, dealer_id=dealer.pk, kind=d["kind"],
                                               shipment_ids=int_list(request, "shipments"),
                                               order_ids=int_list(request, "orders"), email=d["email"],
                                               note=d["note"], statement_id=statement.pk if statement else None)  # fmt: skip
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Invoice request %(number)s sent.") % {"number": invoice.number})
            return _back("invoice_detail", invoice.pk)
    context = {"title": _("Request an invoice"), "form": form, "dealer": dealer, "statement": statement,
               "buyer": invoices.buyer_details(dealer), **picker_context(dealer, statement)}  # fmt: skip
    return _page(request, "invoice_new.html", context, "invoices")


@dealer_page("finance.view")
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = found(selectors.invoice_get(request.actor, pk))
    context = {"title": invoice.invoice_no or invoice.number, "invoice": invoice, "lines": list(invoice.lines.all()),
               "seller": invoices.seller_of(invoice)}  # fmt: skip
    return _page(request, "invoice_detail.html", context, "invoices")


@dealer_page("finance.view")
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = found(selectors.invoice_get(request.actor, pk))
    if invoice.status not in (Invoice.Status.ISSUED, Invoice.Status.SENT, Invoice.Status.VOIDED):
        raise Http404
    return invoice_download(request, invoice)


@dealer_page("finance.view")
def rebate_list(request: HttpRequest) -> HttpResponse:
    context = {"title": _("Rebates"), "page": paginate(request, selectors.accruals(request.actor)),
               **selectors.account_summary(_dealer(request))}  # fmt: skip
    return _page(request, "rebate_list.html", context, "rebates")


@dealer_page("finance.view")
def accrual_detail(request: HttpRequest, pk: int) -> HttpResponse:
    accrual = found(selectors.accrual_get(request.actor, pk))
    context = {"title": accrual.number, "accrual": accrual, "lines": paginate(request, accrual.lines.all(), 100)}
    return _page(request, "accrual_detail.html", context, "rebates")
