"""Scheduled finance work, per tenant: rebate accrual, overdue reminders, monthly statements.

Each runs from a management command (``dinghuo accrue_rebates``, ``dinghuo remind_overdue``,
``dinghuo statements``) that a scheduler (cron, systemd timer) calls, or as a Django task
(``finance/tasks.py``) enqueued by the same code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.tenancy.models import Tenant


def tenants(code: str | None = None) -> Iterator[Tenant]:
    qs = Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("pk")
    if code:
        qs = qs.filter(code=code)
    yield from qs


def run_accrue_rebates(tenant: Tenant, period: str | None = None) -> int:
    from dinghuo.finance.rebates import accrue_rebates

    actor = Actor.system(tenant.pk, "rebate accrual")
    with tenant_context(tenant, actor):
        return len(accrue_rebates(actor=actor, period=period))


def run_remind_overdue(tenant: Tenant) -> dict:
    from dinghuo.finance.receivables import remind_overdue

    actor = Actor.system(tenant.pk, "overdue reminders")
    with tenant_context(tenant, actor):
        return remind_overdue(actor=actor, as_of=timezone.localdate())


def run_statements(tenant: Tenant, month: str) -> int:
    from dinghuo.finance.statements import statements_generate_period

    actor = Actor.system(tenant.pk, "statements")
    with tenant_context(tenant, actor):
        return len(statements_generate_period(actor=actor, period=month))


def last_month() -> str:
    first = timezone.localdate().replace(day=1)
    prev = first - dt.timedelta(days=1)
    return f"{prev.year}-{prev.month:02d}"
