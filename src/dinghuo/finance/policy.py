"""Finance's per-tenant knobs, kept in ``Tenant.settings`` (read by ordering too) and changed by finance.

``rebate_max_percent``: the most of an order's total that rebates may pay (orders/placement.py);
``payment_max_amount``: the largest single payment accepted; ``reminder_days_before``: how many
days before a due date the first reminder goes out; ``overdue_grace_days`` is ordering's (read-only here).

The seller's tax details printed on invoices (legal name, taxpayer id, registered address and phone,
bank and account) are fields of the tenant, changed by the tenant admin (``tenant.settings.manage``)
through ``seller_details_update``, audited; each invoice keeps a copy from the day it is issued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.tenancy import Actor
from dinghuo.finance.errors import SettingInvalid

PAYMENT_MAX = Decimal("100000000.00")  # Alipay's documented ceiling for one trade, and ours for any payment
DEFAULTS = {"rebate_max_percent": "100", "payment_max_amount": str(PAYMENT_MAX), "reminder_days_before": 3}


def tenant_settings(tenant_id: int) -> dict:
    from dinghuo.tenancy.models import Tenant

    return Tenant.objects.values_list("settings", flat=True).get(pk=tenant_id) or {}


def finance_settings(tenant_id: int) -> dict:
    current = tenant_settings(tenant_id)
    return {key: current.get(key, default) for key, default in DEFAULTS.items()}


def payment_max(tenant_id: int) -> Decimal:
    try:
        return min(PAYMENT_MAX, Decimal(str(tenant_settings(tenant_id).get("payment_max_amount", PAYMENT_MAX))))
    except InvalidOperation:
        return PAYMENT_MAX


def finance_settings_update(
    *, actor: Actor, rebate_max_percent: Decimal, payment_max_amount: Decimal, reminder_days_before: int
) -> dict:
    """Change finance's settings (finance.manage), audited with the values before and after."""
    require(actor, "finance.manage")
    errors = {}
    if not isinstance(rebate_max_percent, Decimal) or not (0 <= rebate_max_percent <= 100):
        errors["rebate_max_percent"] = _("Enter a percentage from 0 to 100.")
    elif rebate_max_percent != rebate_max_percent.quantize(Decimal("0.01")):
        errors["rebate_max_percent"] = _("At most two decimal places.")
    if not isinstance(payment_max_amount, Decimal) or not (0 < payment_max_amount <= PAYMENT_MAX):
        errors["payment_max_amount"] = _("Enter an amount above 0 and at most 100,000,000.")
    if not isinstance(reminder_days_before, int) or not (0 <= reminder_days_before <= 30):
        errors["reminder_days_before"] = _("Enter a number of days from 0 to 30.")
    if errors:
        raise SettingInvalid(reason="; ".join(str(v) for v in errors.values()), detail=errors)
    from dinghuo.finance.locks import lock_tenant

    with transaction.atomic():
        tenant = lock_tenant(tenant_id=actor.tenant_id)
        before = {k: tenant.settings.get(k) for k in DEFAULTS}
        after = {
            "rebate_max_percent": str(rebate_max_percent.quantize(Decimal("0.01"))),
            "payment_max_amount": str(payment_max_amount),
            "reminder_days_before": reminder_days_before,
        }
        tenant.settings = {**(tenant.settings or {}), **after}
        tenant.save(update_fields=["settings"])
        audit_write(actor=actor, events=[AuditEvent.of("finance.settings_changed", tenant, before=before, after=after)])
    return after


# --- the seller's tax details (销售方信息) ----------------------------------------------------------------

SELLER_FIELDS = {"legal_name": 120, "tax_id": 30, "registered_address": 160, "phone": 30, "bank_name": 120,
                 "bank_account": 60}  # fmt: skip
# 统一社会信用代码: 18 digits or capital letters; older taxpayer ids have 15, 17 or 20.
TAX_ID = re.compile(r"^[0-9A-Z]{15,20}$")


@dataclass(frozen=True)
class Seller:
    """The seller as printed on an invoice: the same four items as the purchaser's."""

    name: str
    tax_id: str
    address_phone: str
    bank_account: str

    @classmethod
    def of_tenant(cls, tenant) -> Seller:
        return cls(
            name=(tenant.legal_name or tenant.name)[:120],
            tax_id=tenant.tax_id,
            address_phone=f"{tenant.registered_address} {tenant.phone}".strip()[:200],
            bank_account=f"{tenant.bank_name} {tenant.bank_account}".strip()[:200],
        )


def seller_details(tenant_id: int) -> Seller:
    from dinghuo.tenancy.models import Tenant

    return Seller.of_tenant(Tenant.objects.get(pk=tenant_id))


def seller_details_update(
    *, actor: Actor, legal_name: str, tax_id: str, registered_address: str, phone: str, bank_name: str,
    bank_account: str,
) -> dict:  # fmt: skip
    """Change the seller's tax details (the tenant admin), audited with the values before and after.
    Invoices already issued keep the details they were issued with."""
    require(actor, "tenant.settings.manage")
    after = {
        "legal_name": legal_name, "tax_id": re.sub(r"\s+", "", tax_id or "").upper(),
        "registered_address": registered_address, "phone": phone, "bank_name": bank_name, "bank_account": bank_account,
    }  # fmt: skip
    after = {k: " ".join(str(v or "").split()) for k, v in after.items()}
    errors = {k: _("At most %(n)s characters.") % {"n": n} for k, n in SELLER_FIELDS.items() if len(after[k]) > n}
    if after["tax_id"] and "tax_id" not in errors and not TAX_ID.match(after["tax_id"]):
        errors["tax_id"] = _("A taxpayer id is 15 to 20 digits or capital letters (the unified social credit code "
                             "has 18).")  # fmt: skip
    if errors:
        raise SettingInvalid(reason="; ".join(str(v) for v in errors.values()), detail=errors)
    from dinghuo.finance.locks import lock_tenant

    with transaction.atomic():
        tenant = lock_tenant(tenant_id=actor.tenant_id)
        before = {k: getattr(tenant, k) for k in SELLER_FIELDS}
        for key, value in after.items():
            setattr(tenant, key, value)
        tenant.save(update_fields=list(SELLER_FIELDS))
        audit_write(actor=actor, events=[AuditEvent.of("tenant.seller_details_changed", tenant, before=before,
                                                       after=after)])  # fmt: skip
    return after
