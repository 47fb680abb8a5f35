from django.core.management.base import BaseCommand, CommandError

from dinghuo.finance.jobs import run_remind_overdue, tenants


class Command(BaseCommand):
    help = "Remind dealers of receivables coming due and overdue (notifications + credit.overdue events)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant code")
        parser.add_argument("--enqueue", action="store_true", help="run as background tasks on the worker")

    def handle(self, *args, tenant=None, enqueue=False, **options):
        found = False
        for t in tenants(tenant):
            found = True
            if enqueue:
                from dinghuo.finance.tasks import remind_overdue_task

                remind_overdue_task.enqueue(tenant_id=t.pk)
                self.stdout.write(f"queued  {t.code}")
                continue
            result = run_remind_overdue(t)
            self.stdout.write(
                self.style.SUCCESS(
                    f"ok      {t.code}: {result['reminders']} reminder(s) to {result['dealers']} dealer(s) "
                    f"({result['overdue']} overdue, {result['due_soon']} due soon)"
                )
            )
        if tenant and not found:
            raise CommandError(f"no active tenant with code {tenant!r}")
