from django.core.management.base import BaseCommand, CommandError

from dinghuo.core.errors import DomainError
from dinghuo.finance.jobs import run_accrue_rebates, tenants


class Command(BaseCommand):
    help = "Accrue rebate programmes for a period (default: each programme's last ended period) and credit them."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="2026-Q3, 2026-10 or 2026")
        parser.add_argument("--tenant", help="only this tenant code")
        parser.add_argument("--enqueue", action="store_true", help="run as background tasks on the worker")

    def handle(self, *args, period=None, tenant=None, enqueue=False, **options):
        found = False
        for t in tenants(tenant):
            found = True
            if enqueue:
                from dinghuo.finance.tasks import accrue_rebates_task

                accrue_rebates_task.enqueue(tenant_id=t.pk, period=period)
                self.stdout.write(f"queued  {t.code}")
                continue
            try:
                count = run_accrue_rebates(t, period)
            except DomainError as exc:
                raise CommandError(f"{t.code}: {exc.message}")
            self.stdout.write(self.style.SUCCESS(f"ok      {t.code}: {count} accrual(s)"))
        if tenant and not found:
            raise CommandError(f"no active tenant with code {tenant!r}")
