import getpass

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dinghuo.accounts.roles import Role
from dinghuo.accounts.services import staff_create
from dinghuo.core.errors import DomainError
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.tenancy.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant (a brand owner) and its first owner account."

    def add_arguments(self, parser):
        parser.add_argument("code", help="short code, e.g. acme-drinks")
        parser.add_argument("name", help="display name, e.g. 阿克米饮料")
        parser.add_argument("--owner", required=True, help="username of the tenant's owner")
        parser.add_argument("--password", help="owner's password (asked for when omitted)")
        parser.add_argument("--email", default="")

    def handle(self, *args, code, name, owner, password, email, **options):
        from django.db import transaction

        if not password:
            password = getpass.getpass(f"Password for {owner}: ")
        if not password:
            raise CommandError(_("The owner needs a password (--password, or type one when asked)."))
        try:
            with transaction.atomic():
                tenant = tenant_create(code=code, name=name)
                with tenant_context(tenant):
                    staff_create(
                        actor=Actor.system(tenant.pk, "createtenant"),
                        username=owner,
                        role=Role.OWNER,
                        password=password,
                        email=email,
                    )
        except DomainError as exc:
            # A generic "some fields are not valid" needs its fields; specific errors name theirs.
            raise CommandError(exc.message + (_describe(exc.detail) if exc.code == "invalid" else ""))
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.code} “{tenant.name}” with owner {owner}."))


def _describe(detail) -> str:
    """``{"password": ["too short", "too common"]}`` → `` password: too short; too common``."""
    if not isinstance(detail, dict) or not detail:
        return ""
    parts = []
    for field, value in detail.items():
        values = value if isinstance(value, list | tuple) else [value]
        parts.append(f"{field}: {'; '.join(str(v) for v in values)}")
    return " " + " / ".join(parts)
