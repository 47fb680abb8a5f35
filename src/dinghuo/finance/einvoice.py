"""The interface to a tax authority's e-invoice service (全电发票 / 税控), and the default adapter.

An adapter issues an invoice (returns its official code and number) and issues the red-letter
reversal of one. It is called outside any database transaction and must be idempotent on our
request number (``Invoice.number``), so a retry after a crash never issues twice. The default
``InternalAdapter`` talks to nobody: it numbers invoices internally and says so on every invoice.
A tenant names another adapter by its dotted path in ``Tenant.settings["einvoice_adapter"]``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Issued:
    code: str  # 发票代码 (empty for fully digital invoices)
    number: str  # 发票号码
    note: str = ""  # printed on the invoice


class EInvoiceAdapter(Protocol):
    code: str
    official: bool

    def issue(self, invoice) -> Issued: ...

    def reverse(self, original, red) -> Issued: ...


INTERNAL_NOTE = _("Internal record — not issued through the tax authority's e-invoice service")


class InternalAdapter:
    code = "internal"
    official = False

    def issue(self, invoice) -> Issued:
        return Issued(code="", number=f"NB{invoice.number[2:]}", note=str(INTERNAL_NOTE))

    def reverse(self, original, red) -> Issued:
        return Issued(code="", number=f"NBH{red.number[2:]}", note=str(INTERNAL_NOTE))


def adapter_for(tenant_settings: dict | None) -> EInvoiceAdapter:
    path = (tenant_settings or {}).get("einvoice_adapter")
    if not path:
        return InternalAdapter()
    module, _sep, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)()
