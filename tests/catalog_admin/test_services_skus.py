from decimal import Decimal

import pytest

from dinghuo.catalog import errors
from dinghuo.catalog.models import Sku, SkuUnit
from dinghuo.catalog.services import UnitSpec, gtin_check_digit, sku_create, sku_set_units, sku_update
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import tenant_context
from tests.catalog_admin.factories import make_category, make_product, make_sku


@pytest.fixture
def product(in_alpha):
    return make_product(in_alpha.tenant, category=make_category(in_alpha.tenant), code="QS-500")


def units_of(sku):
    return [(u.name, u.factor, u.is_default) for u in SkuUnit.objects.filter(sku=sku).order_by("factor")]


def test_create_a_sku_with_its_base_unit(product, admin_actor):
    sku = sku_create(
        actor=admin_actor,
        product=product,
        code="QS-500-24",
        name="500ml×24瓶",
        list_price=Decimal("2.50"),
        barcode="6901234567892",
        base_unit="瓶",
        moq=Decimal(24),
        order_multiple=Decimal(6),
        vat_rate=Decimal("0.13"),
    )
    assert units_of(sku) == [("瓶", Decimal(1), True)]
    entry = AuditEntry.objects.get(action="sku.created", object_id=str(sku.pk))
    assert entry.after["list_price"] == "2.50" and entry.after["default_unit"] == "瓶"


def test_codes_are_unique_per_tenant_only(world, world_b):
    mine = make_product(world.tenant, category=make_category(world.tenant))
    theirs = make_product(world_b.tenant, category=make_category(world_b.tenant))
    make_sku(mine, code="A-1")
    make_sku(theirs, code="A-1")  # fine in another tenant
    with tenant_context(world.tenant), pytest.raises(errors.SkuCodeTaken) as info:
        sku_create(actor=world.actor("admin"), product=mine, code="A-1", list_price=Decimal(1))
    assert info.value.detail == {"code": "A-1"}


def test_the_barcode_check_digit_is_checked_when_it_looks_like_ean_or_upc(product, admin_actor):
    assert gtin_check_digit("690123456789") == 2
    for good in ("6901234567892", "036000291452", "96385074", "", "INT-0001"):
        make_sku(product, barcode=good)
    for bad in ("6901234567891", "036000291453", "96385075"):
        with pytest.raises(errors.BarcodeInvalid) as info:
            sku_create(actor=admin_actor, product=product, code=f"X{bad}", list_price=Decimal(1), barcode=bad)
        assert info.value.detail == {"barcode": bad}
    with pytest.raises(errors.BarcodeTooLong):
        sku_create(actor=admin_actor, product=product, code="Y", list_price=Decimal(1), barcode="69 01")
    assert not Sku.objects.filter(code__startswith="X").exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("list_price", Decimal("-0.01"), errors.PriceInvalid),
        ("list_price", Decimal("1.005"), errors.PriceInvalid),
        ("list_price", 2.5, errors.PriceInvalid),  # floats are refused
        ("vat_rate", Decimal("0.17"), errors.VatRateInvalid),
        ("vat_rate", Decimal("13"), errors.VatRateInvalid),
        ("moq", Decimal("-1"), errors.QuantityInvalid),
        ("order_multiple", Decimal(0), errors.QuantityInvalid),
        ("base_unit", "2箱", errors.UnitNameInvalid),
    ],
)
def test_bad_fields_are_refused_naming_the_field_and_nothing_is_saved(product, admin_actor, field, value, error):
    kwargs = {"list_price": Decimal("2.50"), field: value}
    with pytest.raises(error) as info:
        sku_create(actor=admin_actor, product=product, code="BAD", **kwargs)
    assert field in info.value.detail
    assert not Sku.objects.filter(code="BAD").exists()


def test_set_units_keeps_the_base_unit_and_one_default(product, admin_actor):
    # given a SKU counted in 瓶
    sku = make_sku(product, base_unit="瓶")
    # when pack units are set with 箱 as the default order unit
    sku_set_units(
        actor=admin_actor, sku=sku, units=[UnitSpec("箱", Decimal(24)), UnitSpec("提", Decimal(6))], default_unit="箱"
    )
    # then the base unit is still there at 1, and 箱 is the only default
    assert units_of(sku) == [("瓶", 1, False), ("提", 6, False), ("箱", 24, True)]
    entry = AuditEntry.objects.get(action="sku.units_changed", object_id=str(sku.pk))
    assert entry.after == {"units": "提=6;箱=24", "default_unit": "箱"}
    # and setting fewer units removes the others
    sku_set_units(actor=admin_actor, sku=sku, units={"箱": Decimal(12)})
    assert units_of(sku) == [("瓶", 1, True), ("箱", 12, False)]


@pytest.mark.parametrize(
    ("units", "default", "error", "named"),
    [
        ({"箱": None}, None, errors.UnitWithoutConversion, "箱"),
        ({"箱": Decimal(24)}, "盒", errors.UnitWithoutConversion, "盒"),
        ({"箱": Decimal(0)}, None, errors.UnitFactorInvalid, "箱"),
        ({"箱": Decimal(-24)}, None, errors.UnitFactorInvalid, "箱"),
        ({"瓶": Decimal(2)}, None, errors.BaseUnitFactor, "瓶"),
        ([UnitSpec("箱", Decimal(24)), UnitSpec("箱", Decimal(12))], None, errors.UnitDuplicate, "箱"),
    ],
)
def test_bad_units_are_refused_by_name_and_nothing_changes(product, admin_actor, units, default, error, named):
    sku = make_sku(product, base_unit="瓶")
    sku_set_units(actor=admin_actor, sku=sku, units={"提": Decimal(6)})
    before = units_of(sku)
    with pytest.raises(error) as info:
        sku_set_units(actor=admin_actor, sku=sku, units=units, default_unit=default)
    assert named in info.value.message and named in info.value.detail.values()
    assert units_of(sku) == before


def test_update_renames_the_base_unit_and_audits_the_price_change(product, admin_actor):
    sku = make_sku(product, base_unit="件", list_price=Decimal("2.50"))
    sku_set_units(actor=admin_actor, sku=sku, units={"箱": Decimal(24)})
    sku_update(actor=admin_actor, sku=sku, base_unit="瓶", list_price=Decimal("2.60"))
    assert units_of(sku) == [("瓶", 1, True), ("箱", 24, False)]
    entry = AuditEntry.objects.get(action="sku.updated", object_id=str(sku.pk))
    assert entry.before["list_price"] == "2.50" and entry.after["list_price"] == "2.60"
    assert entry.after["base_unit"] == "瓶"


def test_update_refuses_a_taken_code_and_unknown_fields(product, admin_actor):
    make_sku(product, code="A")
    b = make_sku(product, code="B")
    with pytest.raises(errors.SkuCodeTaken):
        sku_update(actor=admin_actor, sku=b, code="A")
    with pytest.raises(Exception) as info:
        sku_update(actor=admin_actor, sku=b, product=product)
    assert "product" in info.value.detail
    b.refresh_from_db()
    assert b.code == "B"


def test_another_tenants_sku_is_not_found(world, world_b):
    theirs = make_sku(make_product(world_b.tenant, category=make_category(world_b.tenant)))
    with tenant_context(world.tenant):
        with pytest.raises(errors.SkuNotFound):
            sku_update(actor=world.actor("admin"), sku=theirs, list_price=Decimal(0))
        with pytest.raises(errors.SkuNotFound):
            sku_set_units(actor=world.actor("admin"), sku=theirs, units={"箱": Decimal(2)})


def test_a_warehouse_user_cannot_change_prices(product, in_alpha):
    sku = make_sku(product)
    with pytest.raises(PermissionDenied):
        sku_update(actor=in_alpha.actor("warehouse"), sku=sku, list_price=Decimal(1))
