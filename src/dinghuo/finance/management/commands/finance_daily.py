"""`dinghuo finance_daily`: finance's scheduled work in one command, safe to run every day (one cron line:
``15 1 * * * dinghuo finance_daily``). Each step is idempotent, so a missed or repeated day changes nothing:

- overdue reminders (each stage once per receivable);
- rebate accrual for each active programme's last ended period (once per programme, dealer and period);
- last month's statements (issued once; an issued, unconfirmed one is refreshed only if its lines changed).

One tenant's failure is reported and does not stop the others; the command exits non-zero if any failed.
"""

from django.core.management.base import BaseCommand, CommandError

from dinghuo.core.errors import DomainError
from dinghuo.finance.jobs import last_month, run_accrue_rebates, run_remind_overdue, run_statements, tenants


class Command(BaseCommand):
    help = "Run finance's daily jobs for every tenant: overdue reminders, rebate accrual, last month's statements."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant code")

    def handle(self, *args, tenant=None, **options):
        month, failed, found = last_month(), [], False
        for t in tenants(tenant):
            found = True
            try:
                reminders = run_remind_overdue(t)
                accrued = run_accrue_rebates(t)
                issued = run_statements(t, month)
            except DomainError as exc:
                failed.append(t.code)
                self.stderr.write(f"failed  {t.code}: {exc.message}")
                continue
            self.stdout.write(
                self.style.SUCCESS(
                    f"ok      {t.code}: {reminders['reminders']} reminder(s), {accrued} rebate accrual(s), "
                    f"{issued} statement(s) for {month}"
                )
            )
        if tenant and not found:
            raise CommandError(f"no active tenant with code {tenant!r}")
        if failed:
            raise CommandError(f"failed for {', '.join(failed)}")
