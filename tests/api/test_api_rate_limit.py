import pytest

from dinghuo.accounts.roles import Role
from dinghuo.api.ratelimit import rate_limit_hit
from dinghuo.core.errors import RateLimited
from tests.api.conftest import make_key


def test_a_key_over_its_limit_gets_429_with_retry_after(api, world, settings):
    # given a limit of 3 requests a minute
    settings.API_RATE_LIMIT = 3
    settings.API_RATE_WINDOW = 60
    key = make_key(world.staff[Role.OWNER])
    # when the key makes 4 requests
    responses = [api.get("/dealers", key=key) for _ in range(4)]
    # then the first three pass, counting down, and the fourth is refused
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r["X-RateLimit-Remaining"] for r in responses[:3]] == ["2", "1", "0"]
    refused = responses[3]
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # and another key is counted on its own
    assert api.get("/dealers", key=make_key(world.staff[Role.ADMIN])).status_code == 200


def test_a_key_can_have_its_own_limit(api, world, settings):
    settings.API_RATE_LIMIT = 100
    key = make_key(world.staff[Role.OWNER], rate_limit=1)
    assert [api.get("/dealers", key=key).status_code for _ in range(2)] == [200, 429]


def test_the_window_starts_afresh(world, db):
    # given a bucket that used its 2 requests in one window
    start = 1_800_000_000 - 1_800_000_000 % 60
    for _ in range(2):
        rate_limit_hit(tenant_id=world.tenant.pk, bucket="key:1", limit=2, now=start + 5)
    with pytest.raises(RateLimited) as refused:
        rate_limit_hit(tenant_id=world.tenant.pk, bucket="key:1", limit=2, now=start + 50)
    assert refused.value.retry_after == 10
    # when the next window begins
    quota = rate_limit_hit(tenant_id=world.tenant.pk, bucket="key:1", limit=2, now=start + 61)
    # then it is allowed again, and the old window's row is gone
    assert quota.remaining == 1
    from dinghuo.api.models import RateCounter

    assert list(RateCounter.unscoped.values_list("window_start", flat=True)) == [start + 60]


def test_signed_in_browsers_are_limited_per_user(client, world, settings):
    settings.API_RATE_LIMIT = 2
    client.force_login(world.user(Role.OWNER))
    assert [client.get("/api/v1/dealers").status_code for _ in range(3)] == [200, 200, 429]
