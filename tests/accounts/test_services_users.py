import pytest

from dinghuo.accounts.models import User
from dinghuo.accounts.roles import Role
from dinghuo.accounts.services import staff_create
from dinghuo.core.errors import ValidationError
from dinghuo.core.tenancy import tenant_context


@pytest.mark.parametrize("username", ["bad user", "x!y", "a" * 151])
def test_a_username_that_cannot_sign_in_is_refused(world, username):
    # given an admin creating a staff account
    with tenant_context(world.tenant):
        before = User.objects.count()
        # when the username has characters (or a length) the sign-in form would never accept
        with pytest.raises(ValidationError) as info:
            staff_create(
                actor=world.actor(Role.ADMIN), username=username, role=Role.WAREHOUSE, password="Long-pass-123"
            )
        # then the username field is named and nobody is created
        assert set(info.value.detail) == {"username"}
        assert User.objects.count() == before


def test_ordinary_usernames_are_accepted(world):
    with tenant_context(world.tenant):
        membership = staff_create(
            actor=world.actor(Role.ADMIN), username="zhang.san@bev-1", role=Role.WAREHOUSE, password="Long-pass-123"
        )
    assert membership.user.username == "zhang.san@bev-1"
