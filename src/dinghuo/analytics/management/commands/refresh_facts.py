from django.core.management.base import BaseCommand

from dinghuo.analytics.services import refresh_facts
from dinghuo.core.tenancy import tenant_context
from dinghuo.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Bring the reporting facts (sales by dealer × month × category) up to date."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild from scratch")
        parser.add_argument("--tenant", help="only this tenant code")

    def handle(self, *args, full=False, tenant=None, **options):
        tenants = Tenant.objects.order_by("id")
        if tenant:
            tenants = tenants.filter(code=tenant)
        for t in tenants:
            with tenant_context(t):
                n = refresh_facts(full=full)
            self.stdout.write(f"{t.code}: {n} fact cells recomputed")
