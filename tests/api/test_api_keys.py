import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from dinghuo.accounts.roles import Role
from dinghuo.accounts.services import user_disable
from dinghuo.api.errors import ScopeInvalid
from dinghuo.api.models import ApiKey
from dinghuo.api.services import api_key_authenticate, api_key_create, api_key_revoke, api_key_touch
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.tenancy import tenant_context
from tests.api.conftest import make_key


def test_a_key_is_stored_only_as_a_hash_with_a_visible_prefix(world):
    # given a key made for the warehouse user
    secret = make_key(world.staff[Role.WAREHOUSE], ["inventory"])
    # then only the SHA-256 and the prefix are stored
    with tenant_context(world.tenant):
        key = ApiKey.objects.get()
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(key.prefix) and len(key.prefix) == 16 and len(secret) > 50


def test_a_key_acts_as_its_membership_narrowed_to_its_scopes(world):
    # given a buyer's key scoped to placing orders
    secret = make_key(world.dealer_users[Role.BUYER], ["orders.place"])
    # when it authenticates
    key, actor = api_key_authenticate(secret=secret)
    # then the actor is the buyer of that dealer, via the API, with the key's scopes
    assert (actor.tenant_id, actor.dealer_id, actor.role, actor.via) == (
        world.tenant.pk,
        world.dealer.pk,
        Role.BUYER,
        "api",
    )
    assert actor.api_key_id == key.pk and actor.scopes == frozenset({"orders.place"})
    from dinghuo.accounts.permissions import can

    assert can(actor, "orders.place") and not can(actor, "orders.view") and not can(actor, "catalog.view")


def test_scopes_the_role_cannot_use_are_refused(world):
    # given a buyer (who may not see finance)
    buyer = world.dealer_users[Role.BUYER]
    # when a key with the finance scope is asked for
    # then it is refused naming the scope
    with pytest.raises(ScopeInvalid) as refused:
        make_key(buyer, ["finance.view"])
    assert refused.value.detail == {"scopes": ["finance.view"]}
    with pytest.raises(ScopeInvalid):
        make_key(buyer, ["everything"])


def test_a_dealer_admin_cannot_make_keys_for_another_dealer(world):
    admin = world.actor(Role.DEALER_ADMIN)
    with tenant_context(world.tenant, admin), pytest.raises(PermissionDenied):
        api_key_create(actor=admin, name="x", membership=world.other_dealer_user, scopes=["orders"])


def test_disabling_the_user_revokes_its_keys(world):
    # given a key of the buyer and one of the dealer admin
    buyer_secret = make_key(world.dealer_users[Role.BUYER])
    admin_secret = make_key(world.dealer_users[Role.DEALER_ADMIN])
    # when the buyer is disabled
    with tenant_context(world.tenant):
        user_disable(actor=world.actor(Role.OWNER), membership=world.dealer_users[Role.BUYER])
    # then the buyer's key is revoked and the other still works
    with tenant_context(world.tenant):
        revoked = ApiKey.objects.get(user=world.user(Role.BUYER))
    assert revoked.revoked_at is not None and revoked.revoked_reason == "user disabled"
    from dinghuo.api.errors import ApiKeyRevoked

    with pytest.raises(ApiKeyRevoked):
        api_key_authenticate(secret=buyer_secret)
    assert api_key_authenticate(secret=admin_secret)[1].role == Role.DEALER_ADMIN


def test_an_expired_or_revoked_key_no_longer_authenticates(world):
    from dinghuo.api.errors import ApiKeyInvalid, ApiKeyRevoked

    soon = timezone.now() + dt.timedelta(minutes=1)
    secret = make_key(world.staff[Role.OWNER], ["orders"], expires_at=soon)
    assert api_key_authenticate(secret=secret)
    with pytest.raises(ApiKeyRevoked):
        api_key_authenticate(secret=secret, now=soon + dt.timedelta(seconds=1))
    key, _actor = api_key_authenticate(secret=secret)
    with tenant_context(world.tenant):
        api_key_revoke(actor=world.actor(Role.OWNER), key_id=key.pk, reason="leaked")
    with pytest.raises(ApiKeyRevoked):
        api_key_authenticate(secret=secret)
    with pytest.raises(ApiKeyInvalid):
        api_key_authenticate(secret=secret[:-2] + "xx")


def test_last_used_is_written_at_most_once_a_minute(world):
    # given a key never used
    key, _actor = api_key_authenticate(secret=make_key(world.staff[Role.OWNER]))
    now = timezone.now()
    # when it is used three times within a minute, then again later
    first = api_key_touch(key=key, now=now)
    key.refresh_from_db()
    second = api_key_touch(key=key, now=now + dt.timedelta(seconds=30))
    later = api_key_touch(key=key, now=now + dt.timedelta(seconds=61))
    # then only the first and the later use write
    assert (first, second, later) == (True, False, True)


def test_the_api_marks_a_key_used(api, world, db):
    secret = make_key(world.staff[Role.OWNER])
    assert api.get("/dealers", key=secret).status_code == 200
    with tenant_context(world.tenant):
        assert ApiKey.objects.get().last_used_at is not None


def test_a_key_of_a_suspended_tenant_is_refused(api, world, db):
    from dinghuo.tenancy.models import Tenant

    secret = make_key(world.staff[Role.OWNER])
    Tenant.objects.filter(pk=world.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    response = api.get("/dealers", key=secret)
    assert response.status_code == 401 and response.json()["code"] == "api_key_revoked"


def test_keys_cannot_make_keys(world):
    # the api_keys.manage permission is no scope: a key can never mint another key
    _key, actor = api_key_authenticate(secret=make_key(world.staff[Role.OWNER]))
    with tenant_context(world.tenant, actor), pytest.raises(PermissionDenied):
        api_key_create(actor=actor, name="x", membership=world.staff[Role.OWNER], scopes=["orders"])
