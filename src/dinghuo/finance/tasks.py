"""Django tasks for finance's scheduled work (the worker runs them; see finance/jobs.py)."""

from django_tasks import task


@task(queue_name="reports")
def accrue_rebates_task(tenant_id: int, period: str | None = None) -> int:
    from dinghuo.finance.jobs import run_accrue_rebates
    from dinghuo.tenancy.models import Tenant

    return run_accrue_rebates(Tenant.objects.get(pk=tenant_id), period)


@task(queue_name="default")
def remind_overdue_task(tenant_id: int) -> dict:
    from dinghuo.finance.jobs import run_remind_overdue
    from dinghuo.tenancy.models import Tenant

    return run_remind_overdue(Tenant.objects.get(pk=tenant_id))


@task(queue_name="reports")
def statements_task(tenant_id: int, month: str) -> int:
    from dinghuo.finance.jobs import run_statements
    from dinghuo.tenancy.models import Tenant

    return run_statements(Tenant.objects.get(pk=tenant_id), month)
