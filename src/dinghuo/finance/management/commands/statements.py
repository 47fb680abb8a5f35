from django.core.management.base import BaseCommand, CommandError

from dinghuo.core.errors import DomainError
from dinghuo.finance.jobs import last_month, run_statements, tenants


class Command(BaseCommand):
    help = "Issue monthly statements (对账单) for every dealer with account activity (default: last month)."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="2026-10 (default: the previous month)")
        parser.add_argument("--tenant", help="only this tenant code")
        parser.add_argument("--enqueue", action="store_true", help="run as background tasks on the worker")

    def handle(self, *args, month=None, tenant=None, enqueue=False, **options):
        month = month or last_month()
        found = False
        for t in tenants(tenant):
            found = True
            if enqueue:
                from dinghuo.finance.tasks import statements_task

                statements_task.enqueue(tenant_id=t.pk, month=month)
                self.stdout.write(f"queued  {t.code}")
                continue
            try:
                count = run_statements(t, month)
            except DomainError as exc:
                raise CommandError(f"{t.code}: {exc.message}")
            self.stdout.write(self.style.SUCCESS(f"ok      {t.code}: {count} statement(s) for {month}"))
        if tenant and not found:
            raise CommandError(f"no active tenant with code {tenant!r}")
