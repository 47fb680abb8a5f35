"""The finance workbench in the back office (/bo/finance/). Thin: parse, authorise, call one service, render."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dinghuo.accounts.permissions import can
from dinghuo.core.errors import DomainError
from dinghuo.core.forms import add_domain_error
from dinghuo.core.money import fmt
from dinghuo.core.web import paginate, staff_page
from dinghuo.finance import documents, forms, invoices, payments, rebates, selectors, statements
from dinghuo.finance.models import Invoice, LedgerEntry, Payment, RebateProgramme, Statement
from dinghuo.finance.policy import SELLER_FIELDS, finance_settings, finance_settings_update, seller_details_update
from dinghuo.finance.receivables import BUCKETS, ageing, remind_overdue
from dinghuo.finance.services import credit_set_terms
from dinghuo.finance.views.common import XLSX, download, found, int_list, int_param, voucher_response


def _page(request, template: str, context: dict, tab: str) -> HttpResponse:
    return render(request, f"finance/backoffice/{template}", {"nav": "finance", "tab": tab, **context})


def _back(name: str, *args) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"finance_bo:{name}", args=args))


@staff_page("finance.view")
def workbench(request: HttpRequest) -> HttpResponse:
    data = selectors.workbench(request.actor)
    return _page(request, "workbench.html", {"title": _("Finance"), **data, "buckets": BUCKETS}, "workbench")


# --- payments -----------------------------------------------------------------------------------


@staff_page("finance.view")
def payment_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = selectors.payments(request.actor, status=g.get("status", ""), method=g.get("method", ""),
                            q=g.get("q", "").strip()[:60], dealer_id=int_param(g.get("dealer")))  # fmt: skip
    context = {"title": _("Payments"), "page": paginate(request, qs), "filters": g,
               "statuses": Payment.Status.choices, "methods": Payment.Method.choices}  # fmt: skip
    return _page(request, "payment_list.html", context, "payments")


@staff_page("finance.manage")
def payment_new(request: HttpRequest) -> HttpResponse:
    dealers = selectors.dealers_for(request.actor)
    initial = {"dealer": int_param(request.GET.get("dealer")), "confirm": True}
    form = forms.StaffPaymentForm(request.POST or None, dealers=dealers, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        bill = (
            payments.Bill(number=d["bill_number"], due_date=d["bill_due_date"], issuer=d["bill_issuer"])
            if d["method"] == Payment.Method.BILL and d["bill_number"] and d["bill_due_date"]
            else None
        )
        try:
            payment = payments.payment_record(
                actor=request.actor, dealer_id=d["dealer"].pk, method=d["method"], purpose=d["purpose"],
                amount=d["amount"], bill=bill, payer_name=d["payer_name"], bank_ref=d["bank_ref"],
                paid_on=d["paid_on"], note=d["note"], confirm=d["confirm"],
            )  # fmt: skip
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Payment %(number)s recorded.") % {"number": payment.number})
            return _back("payment_detail", payment.pk)
    return _page(request, "form.html", {"title": _("Record a payment"), "form": form}, "payments")


@staff_page("finance.view")
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = found(selectors.payment_get(request.actor, pk))
    context = {
        "title": payment.number,
        "payment": payment,
        "applications": selectors.payment_applications(payment),
        "receivables": selectors.open_receivables(payment.dealer_id) if payment.is_pending else [],
        "summary": selectors.account_summary(payment.dealer),
        "reject_form": forms.RejectForm(),
    }
    return _page(request, "payment_detail.html", context, "payments")


@require_POST
@staff_page("finance.manage")
def payment_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    payment = found(selectors.payment_get(request.actor, pk))
    try:
        payments.payment_confirm(actor=request.actor, payment_id=payment.pk,
                                 receivable_ids=int_list(request, "receivables") or None)  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        payment.refresh_from_db()
        messages.success(
            request,
            _("Confirmed: %(applied)s applied to receivables, %(rest)s to prepaid.")
            % {"applied": fmt(payment.applied), "rest": fmt(payment.to_prepaid)},
        )
    return _back("payment_detail", payment.pk)


@require_POST
@staff_page("finance.manage")
def payment_reject(request: HttpRequest, pk: int) -> HttpResponse:
    payment = found(selectors.payment_get(request.actor, pk))
    try:
        payments.payment_reject(actor=request.actor, payment_id=payment.pk, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Payment %(number)s rejected.") % {"number": payment.number})
    return _back("payment_detail", payment.pk)


@staff_page("finance.view")
def payment_voucher(request: HttpRequest, pk: int) -> HttpResponse:
    return voucher_response(found(selectors.payment_get(request.actor, pk)))


@staff_page("finance.manage")
def refund_new(request: HttpRequest) -> HttpResponse:
    form = forms.RefundForm(request.POST or None, dealers=selectors.dealers_for(request.actor),
                            initial={"dealer": int_param(request.GET.get("dealer"))})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            refund = payments.refund_record(
                actor=request.actor, dealer_id=d["dealer"].pk, amount=d["amount"], payee_name=d["payee_name"],
                payee_account=d["payee_account"], bank_ref=d["bank_ref"], note=d["note"],
            )  # fmt: skip
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Refund %(number)s recorded.") % {"number": refund.number})
            return _back("payment_detail", refund.pk)
    return _page(request, "form.html", {"title": _("Refund prepaid money to the bank"), "form": form}, "payments")


# --- receivables and credit -----------------------------------------------------------------------


@staff_page("finance.view")
def receivables(request: HttpRequest) -> HttpResponse:
    as_of = timezone.localdate()
    rows, totals = ageing(actor=request.actor, as_of=as_of)
    if request.GET.get("format") == "xlsx":
        return download(documents.ageing_xlsx(rows, totals, BUCKETS, as_of), f"ageing-{as_of}.xlsx", XLSX)
    context = {"title": _("Receivables ageing"), "page": paginate(request, rows, 50), "totals": totals,
               "buckets": BUCKETS, "as_of": as_of}  # fmt: skip
    return _page(request, "receivables.html", context, "receivables")


@require_POST
@staff_page("finance.manage")
def reminders_run(request: HttpRequest) -> HttpResponse:
    result = remind_overdue(actor=request.actor)
    messages.success(request, _("%(n)s reminder(s) sent to %(d)s dealer(s).") % {"n": result["reminders"],
                                                                                  "d": result["dealers"]})  # fmt: skip
    return _back("receivables")


@staff_page("finance.view")
def credit_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = selectors.credit_accounts(request.actor, q=g.get("q", "").strip()[:60], overdue_only=g.get("overdue") == "1")
    context = {"title": _("Credit limits"), "page": paginate(request, qs), "filters": g, "today": timezone.localdate()}
    return _page(request, "credit_list.html", context, "credit")


@staff_page("finance.view")
def dealer_account(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = found(selectors.dealer_get(request.actor, pk))
    summary = selectors.account_summary(dealer)
    account = summary["account"]
    context = {
        "title": dealer.name,
        "dealer": dealer,
        **summary,
        "receivables": selectors.open_receivables(dealer.pk),
        "ledger": paginate(request, selectors.ledger(dealer.pk, request.GET.get("bucket", "")), 30),
        "buckets": [("", _("All")), *LedgerEntry.Bucket.choices],
        "bucket": request.GET.get("bucket", ""),
        "payments": list(selectors.payments(request.actor, dealer_id=dealer.pk)[:10]),
        "statements": list(selectors.statements(request.actor, dealer_id=dealer.pk)[:6]),
        "credit_form": forms.CreditTermsForm(
            initial={"credit_limit": account.credit_limit, "terms_days": account.terms_days}
        ),
    }
    return _page(request, "dealer_account.html", context, "credit")


@require_POST
@staff_page("dealers.credit.manage")
def dealer_credit(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = found(selectors.dealer_get(request.actor, pk))
    form = forms.CreditTermsForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            credit_set_terms(actor=request.actor, dealer=dealer, limit=d["credit_limit"], terms_days=d["terms_days"],
                             reason=d["reason"])  # fmt: skip
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Credit terms of %(dealer)s saved.") % {"dealer": dealer.name})
    else:
        messages.error(request, "; ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items()))
    return _back("dealer_account", dealer.pk)


@require_POST
@staff_page("finance.manage")
def prepaid_offset(request: HttpRequest, pk: int) -> HttpResponse:
    dealer = found(selectors.dealer_get(request.actor, pk))
    raw = request.POST.get("amount", "").strip().replace(",", "").replace("¥", "")
    try:
        amount = Decimal(raw) if raw else None
    except InvalidOperation:
        amount = Decimal("NaN")  # refused by the service with its translated message
    try:
        payment = payments.prepaid_offset(actor=request.actor, dealer_id=dealer.pk, amount=amount,
                                          receivable_ids=int_list(request, "receivables") or None)  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Prepaid %(amount)s set against receivables (%(number)s).")
                         % {"amount": fmt(payment.amount), "number": payment.number})  # fmt: skip
    return _back("dealer_account", dealer.pk)


# --- statements -----------------------------------------------------------------------------------


@staff_page("finance.view")
def statement_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    dealers = selectors.dealers_for(request.actor)
    form = forms.StatementGenerateForm(request.POST or None, dealers=dealers)
    if request.method == "POST":
        if not can(request.actor, "finance.manage"):
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                if d["dealer"] and not d["month"]:
                    made = [statements.statement_generate(actor=request.actor, dealer_id=d["dealer"].pk,
                                                          start=d["start"], end=d["end"])]  # fmt: skip
                elif d["dealer"]:
                    p = statements.parse_period(d["month"])
                    made = [statements.statement_generate(actor=request.actor, dealer_id=d["dealer"].pk,
                                                          start=p.start, end=p.end)]  # fmt: skip
                else:
                    made = statements.statements_generate_period(actor=request.actor, period=d["month"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("%(n)s statement(s) issued or refreshed.") % {"n": len(made)})
                if len(made) == 1:
                    return _back("statement_detail", made[0].pk)
                return _back("statement_list")
    qs = selectors.statements(request.actor, status=g.get("status", ""), q=g.get("q", "").strip()[:60])
    context = {"title": _("Statements"), "page": paginate(request, qs), "filters": g, "form": form,
               "statuses": Statement.Status.choices}  # fmt: skip
    return _page(request, "statement_list.html", context, "statements")


@staff_page("finance.view")
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = found(selectors.statement_get(request.actor, pk))
    context = {"title": statement.number, "statement": statement, "lines": selectors.statement_lines(statement, side="bo"),
               "summary": statements.summary(statement), "resolve_form": forms.ResolveForm()}  # fmt: skip
    return _page(request, "statement_detail.html", context, "statements")


@require_POST
@staff_page("finance.manage")
def statement_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    statement = found(selectors.statement_get(request.actor, pk))
    try:
        statements.statement_resolve(actor=request.actor, statement_id=statement.pk,
                                     resolution=request.POST.get("resolution", ""))  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Dispute answered; the dealer can confirm the statement now."))
    return _back("statement_detail", statement.pk)


@staff_page("finance.view")
def statement_file(request: HttpRequest, pk: int, fmt_: str) -> HttpResponse:
    statement = found(selectors.statement_get(request.actor, pk))
    return statement_download(request, statement, fmt_)


def statement_download(request: HttpRequest, statement: Statement, kind: str) -> HttpResponse:
    lines = list(statement.lines.all())
    name = f"{statement.number}-{statement.dealer.code}"
    if kind == "xlsx":
        return download(documents.statement_xlsx(statement, lines), f"{name}.xlsx", XLSX)
    if kind == "pdf":
        data = documents.statement_pdf(statement, lines, tenant_name=request.tenant.name if request.tenant else "")
        return download(data, f"{name}.pdf", "application/pdf")
    raise Http404


# --- invoices -------------------------------------------------------------------------------------


@staff_page("finance.view")
def invoice_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = selectors.invoices(request.actor, status=g.get("status", ""), q=g.get("q", "").strip()[:60])
    context = {"title": _("Invoices"), "page": paginate(request, qs), "filters": g, "statuses": Invoice.Status.choices}
    return _page(request, "invoice_list.html", context, "invoices")


@staff_page("invoices.issue")
def invoice_new(request: HttpRequest) -> HttpResponse:
    statement = selectors.statement_get(
        request.actor, int_param(request.POST.get("statement") or request.GET.get("statement")) or 0
    )
    dealer_id = statement.dealer_id if statement else int_param(request.GET.get("dealer"))
    dealer = selectors.dealer_get(request.actor, dealer_id or 0)
    form = forms.InvoiceRequestForm(request.POST or None)
    if request.method == "POST" and dealer is not None and form.is_valid():
        d = form.cleaned_data
        try:
            invoice = invoices.invoice_request(actor=request.actor, dealer_id=dealer.pk, kind=d["kind"],
                                               shipment_ids=int_list(request, "shipments"),
                                               order_ids=int_list(request, "orders"), email=d["email"],
                                               note=d["note"], statement_id=statement.pk if statement else None)  # fmt: skip
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if request.POST.get("issue") == "1":
                try:
                    invoice = invoices.invoice_issue(actor=request.actor, invoice_id=invoice.pk)
                except DomainError as exc:  # saved as requested; say why it was not issued
                    messages.error(request, exc.message)
                    return _back("invoice_detail", invoice.pk)
            messages.success(request, _("Invoice %(number)s saved.") % {"number": invoice.number})
            return _back("invoice_detail", invoice.pk)
    context = {"title": _("New invoice"), "form": form, "dealer": dealer, "statement": statement,
               "dealers": selectors.dealers_for(request.actor)[:500], **picker_context(dealer, statement)}  # fmt: skip
    return _page(request, "invoice_new.html", context, "invoices")


def picker_context(dealer, statement) -> dict:
    """What the invoice request form offers: shipments not invoiced, paid orders with lines not invoiced,
    and what a statement proposes (ticked)."""
    if dealer is None:
        return {"shipments": [], "orders": [], "preselected": set(), "preselected_orders": set()}
    shipments, orders = invoices.statement_targets(statement) if statement else ([], [])
    return {
        "shipments": _by_shipment(invoices.invoiceable_lines(dealer.pk, limit=500)),
        "orders": invoices.invoiceable_orders(dealer.pk, limit=200),
        "preselected": set(shipments),
        "preselected_orders": set(orders),
    }


def _by_shipment(lines) -> list[dict]:
    out: dict[int, dict] = {}
    for sl in lines:
        row = out.setdefault(sl.shipment_id, {"shipment": sl.shipment, "order": sl.shipment.order, "amount": 0,
                                              "lines": 0})  # fmt: skip
        row["amount"] += sl.amount
        row["lines"] += 1
    return list(out.values())


@staff_page("finance.view")
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = found(selectors.invoice_get(request.actor, pk))
    context = {"title": invoice.invoice_no or invoice.number, "invoice": invoice, "lines": list(invoice.lines.all()),
               "reversal": Invoice.objects.filter(reversal_of=invoice).first(), "seller": invoices.seller_of(invoice),
               "cancelled_orders": invoices.cancelled_orders(invoice)}  # fmt: skip
    return _page(request, "invoice_detail.html", context, "invoices")


@require_POST
@staff_page("invoices.issue")
def invoice_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    invoice = found(selectors.invoice_get(request.actor, pk))
    reason = request.POST.get("reason", "")
    try:
        if action == "issue":
            invoices.invoice_issue(actor=request.actor, invoice_id=invoice.pk)
        elif action == "sent":
            invoices.invoice_mark_sent(actor=request.actor, invoice_id=invoice.pk)
        elif action == "void":
            red = invoices.invoice_void(actor=request.actor, invoice_id=invoice.pk, reason=reason)
            messages.success(request, _("Voided; red-letter invoice %(no)s issued.") % {"no": red.invoice_no})
            return _back("invoice_detail", red.pk)
        elif action == "refuse":
            invoices.invoice_refuse(actor=request.actor, invoice_id=invoice.pk, reason=reason)
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invoice updated."))
    return _back("invoice_detail", invoice.pk)


@staff_page("finance.view")
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = found(selectors.invoice_get(request.actor, pk))
    return invoice_download(request, invoice)


def invoice_download(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    data = documents.invoice_pdf(invoice, list(invoice.lines.all()), seller=invoices.seller_of(invoice))
    return download(data, f"{invoice.invoice_no or invoice.number}.pdf", "application/pdf", inline=True)


# --- rebates and settings -------------------------------------------------------------------------


@staff_page("finance.view")
def rebate_list(request: HttpRequest) -> HttpResponse:
    form = forms.AccrueForm(request.POST or None)
    if request.method == "POST":
        if not can(request.actor, "finance.manage"):
            raise Http404
        if form.is_valid():
            try:
                made = rebates.accrue_rebates(actor=request.actor, period=form.cleaned_data["period"] or None)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("%(n)s accrual(s) credited.") % {"n": len(made)})
                return _back("rebate_list")
    context = {"title": _("Rebates"), "programmes": list(selectors.programmes()[:100]), "form": form,
               "page": paginate(request, selectors.accruals(request.actor)), "tiers_text": rebates.tiers_text}  # fmt: skip
    return _page(request, "rebate_list.html", context, "rebates")


@staff_page("finance.manage")
def programme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    programme = None
    initial = {"starts_on": timezone.localdate().replace(day=1), "active": True, "period": "quarter"}
    if pk is not None:
        programme = RebateProgramme.objects.filter(pk=pk).first()
        if programme is None:
            raise Http404
        initial = {"name": programme.name, "period": programme.period, "percent": programme.percent,
                   "tiers": rebates.tiers_text(programme.tiers), "category": programme.category_id,
                   "dealer_tier": programme.dealer_tier_id, "starts_on": programme.starts_on,
                   "ends_on": programme.ends_on, "active": programme.active}  # fmt: skip
    form = forms.ProgrammeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            programme = rebates.programme_save(
                actor=request.actor, programme=programme, name=d["name"], period=d["period"], percent=d["percent"],
                tiers=rebates.parse_tiers(d["tiers"]), category_id=d["category"].pk if d["category"] else None,
                dealer_tier_id=d["dealer_tier"].pk if d["dealer_tier"] else None, starts_on=d["starts_on"],
                ends_on=d["ends_on"], active=d["active"],
            )  # fmt: skip
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Rebate programme %(name)s saved.") % {"name": programme.name})
            return _back("rebate_list")
    title = _("Edit %(name)s") % {"name": programme.name} if programme else _("New rebate programme")
    return _page(request, "form.html", {"title": title, "form": form}, "rebates")


@staff_page("finance.view")
def accrual_detail(request: HttpRequest, pk: int) -> HttpResponse:
    accrual = found(selectors.accrual_get(request.actor, pk))
    context = {"title": accrual.number, "accrual": accrual, "lines": paginate(request, accrual.lines.all(), 100)}
    return _page(request, "accrual_detail.html", context, "rebates")


@staff_page("finance.manage")
def settings_edit(request: HttpRequest) -> HttpResponse:
    current = finance_settings(request.actor.tenant_id)
    form = forms.FinanceSettingsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            finance_settings_update(actor=request.actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Finance settings saved."))
            return _back("settings")
    return _page(request, "form.html", {"title": _("Finance settings"), "form": form}, "settings")


@staff_page("tenant.settings.manage")
def seller_edit(request: HttpRequest) -> HttpResponse:
    """The seller's tax details printed on invoices: the tenant admin's (owner, admin)."""
    tenant = request.tenant
    form = forms.SellerDetailsForm(request.POST or None, initial={k: getattr(tenant, k) for k in SELLER_FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            seller_details_update(actor=request.actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Seller details saved. Invoices issued from now on carry them."))
            return _back("seller")
    intro = _("Printed as the seller (销售方) on every invoice issued from now on; invoices already issued keep "
              "the details they were issued with. A VAT special invoice needs the taxpayer id.")  # fmt: skip
    return _page(request, "form.html", {"title": _("Seller details for invoices"), "form": form, "intro": intro},
                 "seller")  # fmt: skip
