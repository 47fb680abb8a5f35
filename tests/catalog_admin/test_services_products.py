import pytest

from dinghuo.accounts.roles import Role
from dinghuo.catalog import errors
from dinghuo.catalog.models import Product
from dinghuo.catalog.services import product_create, product_set_status, product_update
from dinghuo.core.errors import PermissionDenied, ValidationError
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import tenant_context
from tests.catalog_admin.factories import make_brand, make_category, make_product, make_tag

S = Product.Status


def test_create_a_product_with_brand_and_tags_writes_an_audit_row(in_alpha, admin_actor):
    # given a category, a brand and a tag
    category = make_category(in_alpha.tenant, code="01")
    brand = make_brand(in_alpha.tenant, code="QQ")
    tag = make_tag(in_alpha.tenant, code="new")
    # when a product is created
    product = product_create(
        actor=admin_actor,
        code="QS-500",
        name=" 清泉矿泉水 ",
        category=category,
        brand=brand,
        tags=[tag],
        shelf_life_days=365,
    )
    # then it is a draft with its tags, and the audit row holds what was created
    product.refresh_from_db()
    assert product.status == S.DRAFT and product.name == "清泉矿泉水" and list(product.tags.all()) == [tag]
    entry = AuditEntry.objects.get(action="product.created", object_id=str(product.pk))
    assert entry.after["code"] == "QS-500" and entry.after["tags"] == ["new"] and entry.after["brand"] == brand.pk


def test_duplicate_code_is_refused_and_nothing_is_saved(in_alpha, admin_actor):
    category = make_category(in_alpha.tenant)
    make_product(in_alpha.tenant, category=category, code="QS-500")
    with pytest.raises(errors.ProductCodeTaken) as info:
        product_create(actor=admin_actor, code="QS-500", name="x", category=category)
    assert info.value.detail == {"code": "QS-500"}
    assert Product.objects.filter(code="QS-500").count() == 1


def test_another_tenants_category_brand_or_tag_is_not_found(world, world_b):
    # given tenant B's category, brand and tag
    their_category = make_category(world_b.tenant, code="01")
    their_brand = make_brand(world_b.tenant, code="QQ")
    their_tag = make_tag(world_b.tenant, code="hot")
    mine = make_category(world.tenant, code="01")
    with tenant_context(world.tenant):
        actor = world.actor(Role.ADMIN)
        # when tenant A points at them, by object or by id, then they are not found
        with pytest.raises(errors.CategoryNotFound) as info:
            product_create(actor=actor, code="P1", name="x", category=their_category)
        assert info.value.detail == {"category": str(their_category.pk)}
        with pytest.raises(errors.CategoryNotFound):
            product_create(actor=actor, code="P1", name="x", category=their_category.pk)
        with pytest.raises(errors.BrandNotFound) as info:
            product_create(actor=actor, code="P1", name="x", category=mine, brand=their_brand.pk)
        assert info.value.detail == {"brand": str(their_brand.pk)}
        with pytest.raises(errors.TagNotFound):
            product_create(actor=actor, code="P1", name="x", category=mine, tags=[their_tag])
        # and nothing was saved
        assert not Product.objects.filter(code="P1").exists()


def test_another_tenants_product_cannot_be_updated(world, world_b):
    theirs = make_product(world_b.tenant, category=make_category(world_b.tenant))
    with tenant_context(world.tenant), pytest.raises(errors.ProductNotFound):
        product_update(actor=world.actor(Role.ADMIN), product=theirs, name="hijacked")
    with tenant_context(world_b.tenant):
        theirs.refresh_from_db()
        assert theirs.name != "hijacked"


def test_update_audits_only_what_changed(in_alpha, admin_actor):
    category = make_category(in_alpha.tenant)
    product = make_product(in_alpha.tenant, category=category, name="旧名", subtitle="副")
    tag = make_tag(in_alpha.tenant, code="hot")
    product_update(actor=admin_actor, product=product, name="新名", tags=[tag.pk])
    entry = AuditEntry.objects.get(action="product.updated", object_id=str(product.pk))
    assert entry.before == {"name": "旧名", "tags": []} and entry.after == {"name": "新名", "tags": ["hot"]}


def test_update_refuses_status_and_unknown_fields(in_alpha, admin_actor):
    product = make_product(in_alpha.tenant, category=make_category(in_alpha.tenant))
    with pytest.raises(ValidationError) as info:
        product_update(actor=admin_actor, product=product, status=S.ON_SALE, colour="red")
    assert set(info.value.detail) == {"status", "colour"}


def test_status_moves_draft_on_sale_discontinued_and_back_on_sale(in_alpha, admin_actor):
    product = make_product(in_alpha.tenant, category=make_category(in_alpha.tenant))
    product_set_status(actor=admin_actor, product=product, status=S.ON_SALE)
    product_set_status(actor=admin_actor, product=product, status=S.DISCONTINUED, reason="换包装")
    product_set_status(actor=admin_actor, product=product, status=S.ON_SALE)
    product.refresh_from_db()
    assert product.status == S.ON_SALE
    rows = AuditEntry.objects.filter(action="product.status_changed", object_id=str(product.pk)).order_by(
        "created_at", "seq"
    )
    assert [r.after["status"] for r in rows] == ["on_sale", "discontinued", "on_sale"]
    assert {r.reason for r in rows} == {"", "换包装"}


@pytest.mark.parametrize(
    ("path", "wanted"), [([], S.DISCONTINUED), ([S.ON_SALE], S.DRAFT), ([S.ON_SALE, S.DISCONTINUED], S.DRAFT)]
)
def test_other_status_moves_are_refused(in_alpha, admin_actor, path, wanted):
    product = make_product(in_alpha.tenant, category=make_category(in_alpha.tenant))
    for status in path:
        product_set_status(actor=admin_actor, product=product, status=status)
    before = product.status
    with pytest.raises(errors.StatusTransitionInvalid) as info:
        product_set_status(actor=admin_actor, product=product, status=wanted)
    assert info.value.detail == {"status": wanted}
    product.refresh_from_db()
    assert product.status == before


def test_an_unknown_status_is_refused(in_alpha, admin_actor):
    product = make_product(in_alpha.tenant, category=make_category(in_alpha.tenant))
    with pytest.raises(errors.StatusInvalid):
        product_set_status(actor=admin_actor, product=product, status="sold_out")


def test_only_catalog_managers_write_products(in_alpha):
    category = make_category(in_alpha.tenant)
    for role in (Role.SALES_REP, Role.WAREHOUSE, Role.FINANCE, Role.DEALER_ADMIN):
        with pytest.raises(PermissionDenied):
            product_create(actor=in_alpha.actor(role), code="P1", name="x", category=category)


def test_bad_shelf_life_and_regions_are_refused(in_alpha, admin_actor):
    category = make_category(in_alpha.tenant)
    with pytest.raises(errors.QuantityInvalid) as info:
        product_create(actor=admin_actor, code="P1", name="x", category=category, shelf_life_days=-1)
    assert "shelf_life_days" in info.value.detail
    with pytest.raises(ValidationError) as info:
        product_create(actor=admin_actor, code="P1", name="x", category=category, sale_regions=["999999"])
    assert info.value.detail == {"sale_regions": "999999"}
    product = product_create(actor=admin_actor, code="P1", name="x", category=category, sale_regions=["440000"])
    assert product.sale_regions == ["440000"] and product.shelf_life_days is None
