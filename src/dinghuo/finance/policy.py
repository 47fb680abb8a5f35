"""Finance's per-tenant knobs, kept in ``Tenant.settings`` (read by ordering too) and changed by finance.

``rebate_max_percent``: the most of an order's total that rebates may pay (orders/placement.py);
``payment_max_amount``: the largest single payment accepted; ``reminder_days_before``: how many
days before a due date the first reminder goes out; ``overdue_grace_days`` is ordering's (read-only here).
"""

from __future__ import annotations

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
