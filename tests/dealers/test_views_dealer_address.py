"""Bad input on the dealer page's address form: a clear message naming the problem, nothing saved."""

import pytest
from django.test import Client

from dinghuo.accounts.roles import Role
from dinghuo.core.tenancy import tenant_context
from dinghuo.dealers.models import Address


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("月球背面1号", "no province or city found at its start"),
        ("广东省杭州市西湖区文三路90号", "“杭州市” is not in 广东省"),
        ("广东省深圳市南山区", "the street address is missing"),
    ],
)
def test_a_malformed_address_is_shown_on_the_form_and_nothing_is_saved(world, login, text, says):
    # given an admin on a dealer's page
    client = login(world.user(Role.ADMIN), Client())
    with tenant_context(world.tenant):
        before = Address.objects.count()
    # when they add a malformed address
    response = client.post(
        f"/bo/dealers/{world.dealer.pk}/addresses/",
        {"receiver": "李四", "phone": "13900000000", "text": text},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    # then the page comes back with the reason, and no address was written
    assert response.status_code == 200
    assert says in response.content.decode()
    with tenant_context(world.tenant):
        assert Address.objects.count() == before
