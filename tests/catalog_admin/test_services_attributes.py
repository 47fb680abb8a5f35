from decimal import Decimal

import pytest

from dinghuo.catalog import errors
from dinghuo.catalog.models import Attribute, AttributeValue
from dinghuo.catalog.services import attribute_define, product_set_attributes, product_update
from dinghuo.core.errors import ValidationError
from dinghuo.core.models import AuditEntry
from tests.catalog_admin.factories import make_attribute, make_category, make_product, make_sku

K = Attribute.Kind


@pytest.fixture
def bearings(in_alpha):
    """轴承 > 深沟球轴承, with 直径 (number, mm) on 轴承, 材质 (choice) on 深沟球轴承, 密封 (yes/no) everywhere."""
    t = in_alpha.tenant
    root = make_category(t, code="01", name="轴承")
    leaf = make_category(t, code="0101", name="深沟球轴承", parent=root)
    other = make_category(t, code="02", name="紧固件")
    make_attribute(t, "dia", "直径", K.NUMBER, category=root, unit="mm")
    make_attribute(t, "material", "材质", K.CHOICE, category=leaf, choices=["不锈钢", "轴承钢"])
    make_attribute(t, "sealed", "密封", K.BOOLEAN)
    make_attribute(t, "thread", "螺纹", K.TEXT, category=other)
    product = make_product(t, category=leaf, code="6204")
    return product


def test_define_checks_kind_unit_and_choices(in_alpha, admin_actor):
    with pytest.raises(errors.AttributeKindInvalid):
        attribute_define(actor=admin_actor, code="x", name="x", kind="colour")
    with pytest.raises(errors.AttributeChoicesInvalid):
        attribute_define(actor=admin_actor, code="x", name="x", kind=K.CHOICE, choices=[])
    with pytest.raises(errors.AttributeChoicesInvalid):
        attribute_define(actor=admin_actor, code="x", name="x", kind=K.CHOICE, choices=["红", "红"])
    with pytest.raises(errors.AttributeChoicesInvalid):
        attribute_define(actor=admin_actor, code="x", name="x", kind=K.TEXT, choices=["红"])
    with pytest.raises(ValidationError) as info:
        attribute_define(actor=admin_actor, code="x", name="x", kind=K.TEXT, unit="mm")
    assert "unit" in info.value.detail
    assert not Attribute.objects.exists()
    attribute = attribute_define(actor=admin_actor, code="vol", name="容量", kind=K.NUMBER, unit="ml")
    assert AuditEntry.objects.filter(action="attribute.defined", object_id=str(attribute.pk)).exists()
    with pytest.raises(errors.AttributeCodeTaken):
        attribute_define(actor=admin_actor, code="vol", name="容量2", kind=K.NUMBER)


def test_typed_values_are_stored_including_inherited_attributes(bearings, admin_actor):
    # when the product gets values of its own category's, an ancestor's and a global attribute
    product_set_attributes(
        actor=admin_actor, product=bearings, values={"dia": Decimal("47.5"), "material": "轴承钢", "sealed": True}
    )
    # then each is stored in its typed column
    values = {v.attribute.code: v for v in AttributeValue.objects.filter(product=bearings).select_related("attribute")}
    assert values["dia"].value_number == Decimal("47.5")
    assert values["material"].value_text == "轴承钢"
    assert values["sealed"].value_bool is True
    entry = AuditEntry.objects.get(action="product.attributes_changed", object_id=str(bearings.pk))
    assert entry.after == {"sku": None, "dia": "47.5", "material": "轴承钢", "sealed": "是"}


def test_none_removes_a_value_and_an_unchanged_value_writes_nothing(bearings, admin_actor):
    product_set_attributes(actor=admin_actor, product=bearings, values={"dia": 50})
    product_set_attributes(actor=admin_actor, product=bearings, values={"dia": Decimal("50.000")})
    assert AuditEntry.objects.filter(action="product.attributes_changed").count() == 1
    product_set_attributes(actor=admin_actor, product=bearings, values={"dia": None})
    assert not AttributeValue.objects.filter(product=bearings).exists()


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("dia", 47.5),  # a float, never
        ("dia", "47.5"),  # text for a number
        ("dia", True),
        ("dia", Decimal("1.23456")),  # more places than stored
        ("material", "塑料"),  # not one of the choices
        ("sealed", "yes"),  # text for a boolean
        ("sealed", 1),
    ],
)
def test_a_value_not_matching_its_kind_is_refused_and_nothing_is_saved(bearings, admin_actor, code, value):
    with pytest.raises(errors.AttributeValueInvalid) as info:
        product_set_attributes(actor=admin_actor, product=bearings, values={"material": "不锈钢", code: value})
    assert info.value.detail["attribute"] == code
    assert not AttributeValue.objects.filter(product=bearings).exists()


def test_an_attribute_of_another_category_is_unknown_by_name(bearings, admin_actor):
    with pytest.raises(errors.UnknownAttribute) as info:
        product_set_attributes(actor=admin_actor, product=bearings, values={"dia": 10, "thread": "M8"})
    assert info.value.detail == {"attribute": "thread"}
    assert "thread" in info.value.message
    with pytest.raises(errors.UnknownAttribute):
        product_set_attributes(actor=admin_actor, product=bearings, values={"nonexistent": 1})
    assert not AttributeValue.objects.filter(product=bearings).exists()


def test_sku_level_values_belong_to_a_sku_of_the_product(bearings, admin_actor, in_alpha):
    sku = make_sku(bearings, code="6204-2RS")
    product_set_attributes(actor=admin_actor, product=bearings, sku=sku, values={"sealed": True})
    assert AttributeValue.objects.get(product=bearings, sku=sku).value_bool is True
    other = make_sku(make_product(in_alpha.tenant, category=bearings.category))
    with pytest.raises(errors.SkuNotFound):
        product_set_attributes(actor=admin_actor, product=bearings, sku=other, values={"sealed": False})


def test_moving_a_product_to_a_category_without_its_attributes_is_refused(bearings, admin_actor):
    product_set_attributes(actor=admin_actor, product=bearings, values={"dia": 20})
    other = bearings.category.__class__.objects.get(code="02")
    with pytest.raises(errors.AttributesWouldBeLost) as info:
        product_update(actor=admin_actor, product=bearings, category=other)
    assert "dia" in info.value.message
    bearings.refresh_from_db()
    assert bearings.category.code == "0101"
