from django.core.management.base import BaseCommand, CommandError

from dinghuo.core.audit import audit_verify
from dinghuo.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks every tenant's hash chains and names the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--tenant", help="only this tenant code")

    def handle(self, *args, action, tenant=None, **options):
        tenants = Tenant.objects.order_by("id")
        if tenant:
            tenants = tenants.filter(code=tenant)
            if not tenants.exists():
                raise CommandError(f"no tenant with code {tenant!r}")
        broken = 0
        for t in tenants:
            checked, problem = audit_verify(t.pk)
            if problem:
                broken += 1
                self.stdout.write(self.style.ERROR(f"BROKEN  {t.code}: {problem}"))
            else:
                self.stdout.write(self.style.SUCCESS(f"ok      {t.code}: {checked} entries, every chain intact"))
        if broken:
            raise CommandError(f"audit log broken in {broken} tenant(s)")
