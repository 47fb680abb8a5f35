"""Finance models, by sub-domain: balances and the ledger, payments, rebates, statements, invoices."""

from dinghuo.finance.models.accounts import CreditOverride, DealerAccount, LedgerEntry, Receivable, ReminderLog
from dinghuo.finance.models.invoices import Invoice, InvoiceLine, OrderLineInvoicing
from dinghuo.finance.models.payments import Payment, PaymentApplication, PaymentProvider
from dinghuo.finance.models.rebates import RebateAccrual, RebateBasisLine, RebateProgramme
from dinghuo.finance.models.statements import Statement, StatementLine

__all__ = [
    "CreditOverride",
    "DealerAccount",
    "Invoice",
    "InvoiceLine",
    "LedgerEntry",
    "OrderLineInvoicing",
    "Payment",
    "PaymentApplication",
    "PaymentProvider",
    "RebateAccrual",
    "RebateBasisLine",
    "RebateProgramme",
    "Receivable",
    "ReminderLog",
    "Statement",
    "StatementLine",
]
