import pytest

from dinghuo.accounts.roles import Role
from dinghuo.catalog import errors
from dinghuo.catalog.models import Attribute, Category
from dinghuo.catalog.services import attribute_define, category_create, category_move, product_set_attributes
from dinghuo.core.errors import PermissionDenied, ValidationError
from dinghuo.core.models import AuditEntry
from tests.catalog_admin.factories import make_category, make_product


def test_create_keeps_path_and_depth_and_writes_an_audit_row(in_alpha, admin_actor):
    # given a root category
    root = category_create(actor=admin_actor, code="01", name="饮料")
    # when a child and a grandchild are created
    child = category_create(actor=admin_actor, code="0101", name="矿泉水", parent=root)
    grandchild = category_create(actor=admin_actor, code="010101", name="小瓶装", parent=child.pk)
    # then each path is its chain of ids and depth counts its ancestors
    assert root.path == f"/{root.pk}/" and root.depth == 0
    assert child.path == f"/{root.pk}/{child.pk}/" and child.depth == 1
    assert grandchild.path == f"{child.path}{grandchild.pk}/" and grandchild.depth == 2
    entry = AuditEntry.objects.get(action="category.created", object_id=str(grandchild.pk))
    assert entry.after["code"] == "010101" and entry.actor_id == admin_actor.user_id


def test_a_duplicate_or_blank_code_is_refused_and_nothing_is_saved(in_alpha, admin_actor):
    category_create(actor=admin_actor, code="01", name="饮料")
    count = Category.objects.count()
    with pytest.raises(errors.CategoryCodeTaken) as info:
        category_create(actor=admin_actor, code="01", name="另一个")
    assert info.value.detail == {"code": "01"}
    with pytest.raises(ValidationError) as info:
        category_create(actor=admin_actor, code="  ", name="x")
    assert "code" in info.value.detail
    with pytest.raises(errors.CodeInvalid):
        category_create(actor=admin_actor, code="0 1", name="x")
    assert Category.objects.count() == count


def test_move_rewrites_the_subtree_paths_and_depths(in_alpha, admin_actor):
    # given 01 > 0101 > 010101 and a second root 02
    a = category_create(actor=admin_actor, code="01", name="饮料")
    b = category_create(actor=admin_actor, code="0101", name="水", parent=a)
    c = category_create(actor=admin_actor, code="010101", name="小瓶", parent=b)
    other = category_create(actor=admin_actor, code="02", name="零食")
    # when 0101 moves under 02
    category_move(actor=admin_actor, category=b, parent=other)
    # then its subtree follows
    b.refresh_from_db()
    c.refresh_from_db()
    assert b.parent_id == other.pk and b.path == f"/{other.pk}/{b.pk}/" and b.depth == 1
    assert c.path == f"/{other.pk}/{b.pk}/{c.pk}/" and c.depth == 2
    # and moving it to the top makes it a root
    category_move(actor=admin_actor, category=b, parent=None)
    c.refresh_from_db()
    assert c.path == f"/{b.pk}/{c.pk}/" and c.depth == 1
    assert AuditEntry.objects.filter(action="category.moved", object_id=str(b.pk)).count() == 2


def test_cycles_are_refused(in_alpha, admin_actor):
    a = category_create(actor=admin_actor, code="01", name="饮料")
    b = category_create(actor=admin_actor, code="0101", name="水", parent=a)
    c = category_create(actor=admin_actor, code="010101", name="小瓶", parent=b)
    with pytest.raises(errors.CategoryCycle):
        category_move(actor=admin_actor, category=a, parent=c)
    with pytest.raises(errors.CategoryCycle):
        category_move(actor=admin_actor, category=a, parent=a)
    a.refresh_from_db()
    assert a.parent_id is None and a.path == f"/{a.pk}/"


def test_a_move_that_would_orphan_attribute_values_is_refused(in_alpha, admin_actor):
    # given 直径 defined on 01, used by a product in 01 > 0101
    a = category_create(actor=admin_actor, code="01", name="轴承")
    b = category_create(actor=admin_actor, code="0101", name="深沟球轴承", parent=a)
    other = category_create(actor=admin_actor, code="02", name="紧固件")
    attribute_define(actor=admin_actor, code="dia", name="直径", kind=Attribute.Kind.NUMBER, unit="mm", category=a)
    product = make_product(in_alpha.tenant, category=b)
    product_set_attributes(actor=admin_actor, product=product, values={"dia": 50})
    # when 0101 moves under 02, where 直径 does not apply
    with pytest.raises(errors.AttributesWouldBeLost) as info:
        category_move(actor=admin_actor, category=b, parent=other)
    # then it is refused, naming the attribute
    assert "dia" in info.value.message
    b.refresh_from_db()
    assert b.parent_id == a.pk


def test_another_tenants_category_is_not_found(world, world_b):
    theirs = make_category(world_b.tenant, code="99")
    from dinghuo.core.tenancy import tenant_context

    with tenant_context(world.tenant):
        actor = world.actor(Role.ADMIN)
        with pytest.raises(errors.CategoryNotFound) as info:
            category_create(actor=actor, code="01", name="x", parent=theirs)
        assert info.value.detail == {"parent": str(theirs.pk)}
        with pytest.raises(errors.CategoryNotFound):
            category_move(actor=actor, category=theirs.pk, parent=None)
        assert not Category.objects.filter(code="01").exists()


def test_roles_without_catalog_manage_cannot_write(in_alpha):
    with pytest.raises(PermissionDenied):
        category_create(actor=in_alpha.actor(Role.SALES_REP), code="01", name="饮料")
    with pytest.raises(PermissionDenied):
        category_create(actor=in_alpha.actor(Role.BUYER), code="01", name="饮料")


def test_subtree_queries_find_products_after_a_move(in_alpha, admin_actor):
    # given a product in 01, and a root 02
    from dinghuo.catalog.models import Product

    a = category_create(actor=admin_actor, code="01", name="饮料")
    product = make_product(in_alpha.tenant, category=a)
    other = category_create(actor=admin_actor, code="02", name="零食")
    # when 01 moves under 02
    category_move(actor=admin_actor, category=a, parent=other)
    # then a subtree query of 02 finds the product
    other.refresh_from_db()
    assert list(Product.objects.filter(category__path__startswith=other.path)) == [product]
