"""Finance's pages. config/urls.py includes them as

path("bo/finance/", include((finance_urls.backoffice, "finance_bo"))),
path("portal/finance/", include((finance_urls.portal, "finance_portal"))),
"""

from django.urls import path

from dinghuo.finance.views import backoffice as bo
from dinghuo.finance.views import portal as po

backoffice = [
    path("", bo.workbench, name="workbench"),
    path("payments/", bo.payment_list, name="payments"),
    path("payments/new/", bo.payment_new, name="payment_new"),
    path("payments/<int:pk>/", bo.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/confirm/", bo.payment_confirm, name="payment_confirm"),
    path("payments/<int:pk>/reject/", bo.payment_reject, name="payment_reject"),
    path("payments/<int:pk>/voucher/", bo.payment_voucher, name="payment_voucher"),
    path("refunds/new/", bo.refund_new, name="refund_new"),
    path("receivables/", bo.receivables, name="receivables"),
    path("receivables/remind/", bo.reminders_run, name="reminders_run"),
    path("credit/", bo.credit_list, name="credit"),
    path("dealers/<int:pk>/", bo.dealer_account, name="dealer_account"),
    path("dealers/<int:pk>/credit/", bo.dealer_credit, name="dealer_credit"),
    path("dealers/<int:pk>/offset/", bo.prepaid_offset, name="prepaid_offset"),
    path("statements/", bo.statement_list, name="statement_list"),
    path("statements/<int:pk>/", bo.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/resolve/", bo.statement_resolve, name="statement_resolve"),
    path("statements/<int:pk>/file.<str:fmt_>", bo.statement_file, name="statement_file"),
    path("invoices/", bo.invoice_list, name="invoice_list"),
    path("invoices/new/", bo.invoice_new, name="invoice_new"),
    path("invoices/<int:pk>/", bo.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", bo.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/<str:action>/", bo.invoice_action, name="invoice_action"),
    path("rebates/", bo.rebate_list, name="rebate_list"),
    path("rebates/new/", bo.programme_edit, name="programme_new"),
    path("rebates/<int:pk>/edit/", bo.programme_edit, name="programme_edit"),
    path("rebates/accruals/<int:pk>/", bo.accrual_detail, name="accrual_detail"),
    path("settings/", bo.settings_edit, name="settings"),
    path("seller/", bo.seller_edit, name="seller"),
]

portal = [
    path("", po.home, name="home"),
    path("pay/", po.pay, name="pay"),
    path("pay/sandbox/<str:number>/", po.sandbox_pay, name="sandbox_pay"),
    path("pay/notify/<str:provider>/", po.notify, name="notify"),
    path("payments/", po.payment_list, name="payments"),
    path("payments/<int:pk>/", po.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/voucher/", po.payment_voucher, name="payment_voucher"),
    path("payments/<int:pk>/cancel/", po.payment_cancel, name="payment_cancel"),
    path("ledger/", po.ledger, name="ledger"),
    path("statements/", po.statement_list, name="statement_list"),
    path("statements/<int:pk>/", po.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/confirm/", po.statement_confirm, name="statement_confirm"),
    path("statements/<int:pk>/dispute/", po.statement_dispute, name="statement_dispute"),
    path("statements/<int:pk>/file.<str:fmt_>", po.statement_file, name="statement_file"),
    path("invoices/", po.invoice_list, name="invoice_list"),
    path("invoices/new/", po.invoice_new, name="invoice_new"),
    path("invoices/<int:pk>/", po.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", po.invoice_pdf, name="invoice_pdf"),
    path("rebates/", po.rebate_list, name="rebate_list"),
    path("rebates/<int:pk>/", po.accrual_detail, name="accrual_detail"),
]
