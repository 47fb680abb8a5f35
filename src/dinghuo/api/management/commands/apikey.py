"""``dinghuo apikey``: make, list and revoke API keys from the command line (operators, scripts, the demo).

dinghuo apikey create --tenant bev --user bev-owner --scopes orders,catalog --name "ERP"
dinghuo apikey list --tenant bev
dinghuo apikey revoke --tenant bev dh_live_1a2b3c4d
"""

from django.core.management.base import BaseCommand, CommandError

from dinghuo.accounts.models import Membership
from dinghuo.api.models import ApiKey
from dinghuo.api.scopes import scopes_for_role
from dinghuo.api.services import api_key_create, api_key_revoke
from dinghuo.core.errors import DomainError
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Make, list or revoke API keys (the secret of a new key is printed once)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a key acting as a user of the tenant")
        create.add_argument("--tenant", required=True, help="tenant code")
        create.add_argument("--user", required=True, help="username the key acts as")
        create.add_argument("--scopes", default="", help="comma-separated scopes (default: all the role may use)")
        create.add_argument("--name", default="API key")
        listing = sub.add_parser("list", help="list a tenant's keys")
        listing.add_argument("--tenant", required=True)
        revoke = sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("--tenant", required=True)
        revoke.add_argument("prefix")

    def handle(self, *args, action, tenant, **options):
        found = Tenant.objects.filter(code=tenant).first()
        if found is None:
            raise CommandError(f"no tenant {tenant!r}")
        actor = Actor.system(found.pk, "apikey command")
        with tenant_context(found, actor):
            try:
                getattr(self, f"_{action}")(actor, **options)
            except DomainError as exc:
                detail = f" ({exc.detail})" if exc.detail else ""
                raise CommandError(f"{exc.message}{detail}")

    def _create(self, actor, *, user, scopes, name, **_options):
        membership = Membership.objects.select_related("user").filter(user__username=user).first()
        if membership is None:
            raise CommandError(f"{user!r} is not a user of this tenant")
        wanted = [s.strip() for s in scopes.split(",") if s.strip()] or scopes_for_role(membership.role)
        new = api_key_create(actor=actor, name=name, membership=membership, scopes=wanted)
        self.stderr.write(f"key {new.key.prefix}… acts as {user} ({membership.role}) with scopes {','.join(wanted)}")
        self.stdout.write(new.secret)

    def _list(self, actor, **_options):
        for key in ApiKey.objects.select_related("user").order_by("id"):
            state = "revoked" if key.revoked_at else "active"
            self.stdout.write(f"{key.prefix}  {state:8} {key.user.username:16} {','.join(key.scopes):40} {key.name}")

    def _revoke(self, actor, *, prefix, **_options):
        key = ApiKey.objects.filter(prefix=prefix.rstrip("…").strip()[:24]).first()
        if key is None:
            raise CommandError(f"no key {prefix!r}")
        api_key_revoke(actor=actor, key_id=key.pk, reason="revoked from the command line")
        self.stdout.write(f"revoked {key.prefix}")
