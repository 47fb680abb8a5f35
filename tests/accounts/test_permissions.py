import pytest

from dinghuo.accounts.permissions import PERMISSIONS, can, require, scope_dealers
from dinghuo.accounts.roles import DEALER_ROLES, STAFF_ROLES, Role
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.dealers.models import Dealer


def actor(role, dealer_id=None):
    kind = "dealer" if role in DEALER_ROLES else "staff"
    return Actor(tenant_id=1, user_id=1, role=role, kind=kind, dealer_id=dealer_id)


# The promises of the matrix that matter most, as (permission, allowed roles).
EXPECTED = {
    "orders.review": {Role.OWNER, Role.ADMIN, Role.REVIEWER},
    "orders.fulfil": {Role.OWNER, Role.ADMIN, Role.WAREHOUSE},
    "dealers.credit.manage": {Role.OWNER, Role.FINANCE},
    "finance.manage": {Role.OWNER, Role.FINANCE},
    "staff.manage": {Role.OWNER, Role.ADMIN},
    "dealer_users.manage": {Role.OWNER, Role.ADMIN, Role.DEALER_ADMIN},
    "orders.place": {Role.OWNER, Role.ADMIN, Role.SALES_REP, Role.DEALER_ADMIN, Role.BUYER},
    "orders.place_on_behalf": {Role.OWNER, Role.ADMIN, Role.SALES_REP},
    "invoices.request": {Role.DEALER_ADMIN, Role.DEALER_FINANCE},
    "audit.verify": {Role.OWNER, Role.ADMIN},
}


@pytest.mark.parametrize("perm", sorted(EXPECTED))
@pytest.mark.parametrize("role", sorted(STAFF_ROLES | DEALER_ROLES))
def test_role_matrix(perm, role):
    assert can(actor(role), perm) is (role in EXPECTED[perm])


def test_no_dealer_role_holds_a_staff_only_permission():
    staff_only = [
        "dealers.view",
        "dealers.manage",
        "prices.view_all",
        "inventory.manage",
        "orders.review",
        "orders.fulfil",
        "finance.manage",
        "audit.view",
        "staff.manage",
        "reports.view",
    ]
    for perm in staff_only:
        assert not PERMISSIONS[perm] & DEALER_ROLES, perm


def test_require_raises_a_typed_error_and_unknown_permissions_are_bugs():
    with pytest.raises(PermissionDenied) as info:
        require(actor(Role.BUYER), "orders.review")
    assert info.value.code == "forbidden" and info.value.status == 403
    with pytest.raises(KeyError):
        can(actor(Role.OWNER), "orders.teleport")
    assert not can(None, "orders.view")


def test_api_key_scopes_narrow_a_role():
    keyed = Actor(tenant_id=1, user_id=1, role=Role.OWNER, kind="staff", api_key_id=5, scopes=frozenset({"catalog"}))
    assert can(keyed, "catalog.view")
    assert not can(keyed, "orders.place")


def test_data_scope_confines_dealer_users_and_sales_reps(world):
    with tenant_context(world.tenant):
        dealer_admin = world.actor(Role.DEALER_ADMIN)
        assert list(scope_dealers(dealer_admin, Dealer.objects.all())) == [world.dealer]
        assert set(scope_dealers(dealer_admin, Dealer.objects.all(), include_children=True)) == {
            world.dealer,
            world.other_dealer,
        }
        other = Actor.for_membership(world.other_dealer_user)
        assert list(scope_dealers(other, Dealer.objects.all(), include_children=True)) == [world.other_dealer]
        rep = world.actor(Role.SALES_REP)
        assert list(scope_dealers(rep, Dealer.objects.all())) == [world.dealer]
        assert scope_dealers(world.actor(Role.OWNER), Dealer.objects.all()).count() == 2
