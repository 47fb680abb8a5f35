"""Test data built through the real services (so audit rows and invariants hold)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from dinghuo.accounts.models import Membership, User
from dinghuo.accounts.roles import DEALER_ROLES, STAFF_ROLES, Role
from dinghuo.accounts.services import dealer_user_create, staff_create
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.dealers.models import Address, Dealer, DealerTier
from dinghuo.dealers.services import address_create, dealer_create, dealer_tier_create
from dinghuo.tenancy.models import Tenant
from dinghuo.tenancy.services import tenant_create

# Nothing like a factory username ("beta-sales_rep-9687"): with shared digits Django's similarity
# validator refused "Test-pass-9876" for some sequence numbers, and a fixture failed by test order.
PASSWORD = "Qz!wR8#vLm-Kp2"
_seq = itertools.count(1)


def system(tenant: Tenant) -> Actor:
    return Actor.system(tenant.pk, "tests")


def make_tenant(code: str | None = None, name: str = "测试品牌") -> Tenant:
    return tenant_create(code=code or f"t{next(_seq)}", name=name)


def make_tier(tenant: Tenant, code: str = "std", name: str = "普通", rank: int = 1) -> DealerTier:
    with tenant_context(tenant):
        return dealer_tier_create(actor=system(tenant), code=code, name=name, rank=rank)


def make_dealer(
    tenant: Tenant,
    *,
    tier: DealerTier | None = None,
    code: str | None = None,
    region: str = "440305",
    regions: list[str] | None = None,
    **fields,
) -> Dealer:
    with tenant_context(tenant):
        tier = tier or DealerTier.objects.first() or dealer_tier_create(actor=system(tenant), code="std", name="普通")
        return dealer_create(
            actor=system(tenant),
            code=code or f"D{next(_seq):04d}",
            name=fields.pop("name", "测试商贸有限公司"),
            tier=tier,
            region_code=region,
            authorised_regions=regions,
            **fields,
        )


def make_address(dealer: Dealer, text: str = "广东省深圳市南山区科苑路15号") -> Address:
    with tenant_context(dealer.tenant_id):
        return address_create(
            actor=Actor.system(dealer.tenant_id), dealer=dealer, receiver="张三", phone="13800000000", text=text
        )


def make_staff(tenant: Tenant, role: str = Role.OWNER, username: str | None = None) -> Membership:
    with tenant_context(tenant):
        return staff_create(
            actor=system(tenant),
            username=username or f"{tenant.code}-{role}-{next(_seq)}",
            role=role,
            password=PASSWORD,
            display_name=f"{role}",
            email=f"{role}{next(_seq)}@example.com",
        )


def make_dealer_user(dealer: Dealer, role: str = Role.DEALER_ADMIN, username: str | None = None) -> Membership:
    with tenant_context(dealer.tenant_id):
        return dealer_user_create(
            actor=Actor.system(dealer.tenant_id),
            dealer=dealer,
            username=username or f"du-{next(_seq)}",
            role=role,
            password=PASSWORD,
            display_name="经销商用户",
        )


def actor_of(membership: Membership) -> Actor:
    return Actor.for_membership(membership)


@dataclass
class World:
    """A tenant with one staff member per role, two dealers (one a sub-dealer) and a user per dealer role."""

    tenant: Tenant
    staff: dict[str, Membership] = field(default_factory=dict)
    dealer: Dealer | None = None
    other_dealer: Dealer | None = None
    dealer_users: dict[str, Membership] = field(default_factory=dict)
    other_dealer_user: Membership | None = None

    def user(self, role: str) -> User:
        m = self.staff.get(role) or self.dealer_users[role]
        return m.user

    def actor(self, role: str) -> Actor:
        return actor_of(self.staff.get(role) or self.dealer_users[role])


def make_world(code: str | None = None) -> World:
    tenant = make_tenant(code)
    world = World(tenant=tenant)
    for role in sorted(STAFF_ROLES):
        world.staff[role] = make_staff(tenant, role)
    rep = world.staff[Role.SALES_REP].user
    world.dealer = make_dealer(tenant, sales_rep=rep, region="440300", regions=["440000"])
    make_address(world.dealer)
    world.other_dealer = make_dealer(tenant, region="330106", parent=world.dealer)
    make_address(world.other_dealer, "浙江省杭州市西湖区文三路100号")
    for role in sorted(DEALER_ROLES):
        world.dealer_users[role] = make_dealer_user(world.dealer, role)
    world.other_dealer_user = make_dealer_user(world.other_dealer, Role.DEALER_ADMIN)
    return world
