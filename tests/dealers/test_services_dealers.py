import pytest
from django.utils import translation

from dinghuo.accounts.roles import Role
from dinghuo.core import regions
from dinghuo.core.errors import PermissionDenied, ValidationError
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import tenant_context
from dinghuo.dealers.errors import DealerCodeTaken, ParentInvalid, RegionInvalid, SalesRepInvalid
from dinghuo.dealers.models import Address, Dealer, DealerRegion
from dinghuo.dealers.services import address_create, dealer_create, dealer_set_regions, dealer_update


def test_create_dealer_writes_regions_and_an_audit_row(world):
    with tenant_context(world.tenant):
        actor = world.actor(Role.ADMIN)
        tier = world.dealer.tier
        dealer = dealer_create(
            actor=actor,
            code="NEW1",
            name="新店",
            tier=tier,
            region_code="510107",
            authorised_regions=["510100", "510107"],
        )
        assert set(DealerRegion.objects.filter(dealer=dealer).values_list("region_code", flat=True)) == {
            "510100",
            "510107",
        }
        entry = AuditEntry.objects.filter(action="dealer.created", object_id=str(dealer.pk)).get()
        assert entry.after["code"] == "NEW1" and entry.actor_id == actor.user_id


def test_duplicate_code_unknown_region_and_bad_rep_are_refused_and_nothing_is_saved(world):
    with tenant_context(world.tenant):
        actor = world.actor(Role.ADMIN)
        tier = world.dealer.tier
        count = Dealer.objects.count()
        with pytest.raises(DealerCodeTaken):
            dealer_create(actor=actor, code=world.dealer.code, name="x", tier=tier, region_code="440300")
        with pytest.raises(RegionInvalid) as info:
            dealer_create(actor=actor, code="R1", name="x", tier=tier, region_code="999999")
        assert info.value.detail == {"region_code": "999999"}
        with pytest.raises(RegionInvalid):
            dealer_create(
                actor=actor, code="R2", name="x", tier=tier, region_code="440300", authorised_regions=["440300", "12"]
            )
        with pytest.raises(SalesRepInvalid):
            dealer_create(
                actor=actor, code="R3", name="x", tier=tier, region_code="440300", sales_rep=world.user(Role.FINANCE)
            )
        assert Dealer.objects.count() == count


def test_same_code_is_fine_in_another_tenant(world, world_b):
    with tenant_context(world_b.tenant):
        d = dealer_create(
            actor=world_b.actor(Role.ADMIN),
            code=world.dealer.code,
            name="x",
            tier=world_b.dealer.tier,
            region_code="440300",
        )
        assert d.code == world.dealer.code


def test_roles_without_dealers_manage_cannot_create(world):
    with tenant_context(world.tenant), pytest.raises(PermissionDenied):
        dealer_create(
            actor=world.actor(Role.SALES_REP), code="X", name="x", tier=world.dealer.tier, region_code="440300"
        )


def test_parent_cycles_are_refused(world):
    with tenant_context(world.tenant), pytest.raises(ParentInvalid):
        dealer_update(actor=world.actor(Role.ADMIN), dealer=world.dealer, parent=world.other_dealer)


def test_update_audits_only_what_changed(world):
    with tenant_context(world.tenant):
        dealer_update(actor=world.actor(Role.ADMIN), dealer=world.dealer, name="改名后", contact_phone="020-1234")
        entry = AuditEntry.objects.filter(action="dealer.updated").latest("id")
        assert entry.after == {"name": "改名后", "contact_phone": "020-1234"}
        assert set(entry.before) == {"name", "contact_phone"}


def test_regions_replace_and_validate(world):
    with tenant_context(world.tenant):
        codes = dealer_set_regions(
            actor=world.actor(Role.ADMIN), dealer=world.dealer, region_codes=["440100", "440300"]
        )
        assert sorted(DealerRegion.objects.filter(dealer=world.dealer).values_list("region_code", flat=True)) == codes
        with pytest.raises(ValidationError):
            dealer_set_regions(actor=world.actor(Role.ADMIN), dealer=world.dealer, region_codes=[])


def test_address_from_free_text_and_malformed_text(world):
    with tenant_context(world.tenant):
        actor = world.actor(Role.ADMIN)
        a = address_create(
            actor=actor, dealer=world.dealer, receiver="李四", phone="13900000000", text="杭州市西湖区文三路90号"
        )
        assert (a.province_code, a.city_code, a.district_code, a.detail) == ("330000", "330100", "330106", "文三路90号")
        before = Address.objects.count()
        with pytest.raises(regions.AddressError):
            address_create(actor=actor, dealer=world.dealer, receiver="李四", phone="1", text="月球背面")
        assert Address.objects.count() == before


def test_a_dealer_user_can_add_its_own_address_but_not_another_dealers(world):
    with tenant_context(world.tenant):
        mine = world.actor(Role.DEALER_ADMIN)
        address_create(actor=mine, dealer=world.dealer, receiver="王五", phone="1", text="深圳市南山区科苑路1号")
        with pytest.raises(PermissionDenied):
            address_create(
                actor=mine, dealer=world.other_dealer, receiver="王五", phone="1", text="深圳市南山区科苑路1号"
            )


def test_an_address_without_a_street_names_what_is_missing(world):
    # given an address that stops at the district
    with tenant_context(world.tenant), translation.override("en"):
        before = Address.objects.count()
        # when it is added
        with pytest.raises(regions.AddressError) as info:
            address_create(
                actor=world.actor(Role.ADMIN),
                dealer=world.dealer,
                receiver="李四",
                phone="1",
                text="广东省深圳市南山区",
            )
        # then the message says the street is missing (not "some fields are not valid") and nothing is saved
        assert "street address is missing" in info.value.message
        assert info.value.detail == {"address": "广东省深圳市南山区"}
        assert Address.objects.count() == before


def test_a_refused_parent_says_why_in_the_users_language(world):
    with tenant_context(world.tenant), translation.override("zh-hans"), pytest.raises(ParentInvalid) as info:
        dealer_update(actor=world.actor(Role.ADMIN), dealer=world.dealer, parent=world.other_dealer)
    assert info.value.message == "上级经销商无效：该经销商将成为自己的上级"
