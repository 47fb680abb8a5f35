"""The demo's catalog step: what it creates for 清泉饮料 and 精工工业配件, and that it is sound.

The two tenants and their catalogs are built once for the module (inside a transaction rolled
back at the end); each test reads them in its own savepoint.
"""

import datetime as dt
import itertools
import random
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image

from dinghuo.catalog.models import (
    Attribute,
    AttributeValue,
    Category,
    Product,
    ProductImage,
    RelatedProduct,
    Sku,
    SkuUnit,
)
from dinghuo.core.audit import audit_verify
from dinghuo.core.models import AuditEntry
from dinghuo.core.tenancy import all_tenants, tenant_context
from dinghuo.dealers.models import Dealer
from dinghuo.demo.catalog import is_valid_gtin, load_catalog
from dinghuo.demo.people import build_bev, build_parts
from dinghuo.pricing.models import PriceList, PriceListItem, Promotion
from dinghuo.pricing.prices import DealerKey, resolve_prices

CENT = Decimal("0.01")
# Every test is marked, so that pytest-django sets up the test database even when a selection
# (-k …) picks only tests that would not otherwise ask for it: the module fixture writes to it.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("demo-media")
    said: list[str] = []
    name = str(connection.settings_dict["NAME"])
    assert "mode=memory" in name or name.rsplit("/", 1)[-1].startswith("test"), f"not a test database: {name}"
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        rng = random.Random(20261122)
        bev, parts = build_bev(rng), build_parts(rng)
        load_catalog(bev, parts, rng, said.append)
        yield SimpleNamespace(bev=bev, parts=parts, media=media, said=said)
        transaction.set_rollback(True)


@pytest.fixture
def bev(demo, db):
    with tenant_context(demo.bev.tenant):
        yield demo.bev


@pytest.fixture
def parts(demo, db):
    with tenant_context(demo.parts.tenant):
        yield demo.parts


@pytest.fixture(params=["bev", "parts"])
def each(request, demo, db):
    tenant = getattr(demo, request.param)
    with tenant_context(tenant.tenant):
        yield tenant


def test_the_step_reports_what_it_made(demo):
    assert len(demo.said) == 2
    assert demo.said[0].startswith("清泉饮料: ") and demo.said[1].startswith("精工工业配件: ")


def test_bev_has_hundreds_of_skus_in_a_category_tree(bev):
    assert Sku.objects.count() >= 300
    assert Product.objects.count() >= 100
    drinks = Category.objects.get(code="drinks")
    children = set(Category.objects.filter(parent=drinks).values_list("name", flat=True))
    assert {"碳酸饮料", "果汁", "茶饮料", "包装水", "功能饮料", "乳饮料"} <= children
    for category in Category.objects.select_related("parent"):
        expected = (category.parent.path if category.parent else "/") + f"{category.pk}/"
        assert category.path == expected
        assert category.depth == expected.count("/") - 2
    assert Product.objects.filter(name="清泉 无糖可乐").exists()
    assert Sku.objects.filter(product__name="清泉 无糖可乐", name="500ml×24瓶").exists()


def test_bev_attributes_are_typed(bev):
    kinds = dict(Attribute.objects.values_list("name", "kind").filter(code__in=["volume", "package", "sugar_free"]))
    assert kinds == {"容量": "number", "包装": "choice", "无糖": "boolean"}
    assert Attribute.objects.get(code="volume").unit == "ml"
    can = Sku.objects.get(product__name="清泉 可乐", code__endswith="-330C24")
    values = {v.attribute.code: v for v in AttributeValue.objects.filter(sku=can).select_related("attribute")}
    assert values["volume"].value_number == 330
    assert values["package"].value_text == "罐"
    sugar_free = AttributeValue.objects.get(product__name="清泉 无糖可乐", sku=None, attribute__code="sugar_free")
    assert sugar_free.value_bool is True


def test_every_sku_has_its_base_unit_and_a_pack_unit(each):
    skus = Sku.objects.annotate(
        base=Count("units", filter=Q(units__factor=1, units__name=F("base_unit"))),
        packs=Count("units", filter=Q(units__factor__gt=1)),
        defaults=Count("units", filter=Q(units__is_default=True)),
    )
    assert skus.exists()
    assert not skus.exclude(base=1).exists()
    assert not skus.filter(packs=0).exists()
    assert not skus.exclude(defaults=1).exists()
    for sku in skus.filter(order_multiple__gt=1):
        assert sku.moq % sku.order_multiple == 0


def test_bev_orders_by_the_case(bev):
    defaults = set(SkuUnit.objects.filter(is_default=True).values_list("name", flat=True))
    assert defaults == {"箱"}
    factors = set(SkuUnit.objects.filter(name="箱").values_list("factor", flat=True))
    assert {Decimal(24), Decimal(12), Decimal(6)} <= factors
    assert SkuUnit.objects.filter(name="提", factor=6).exists()
    assert Sku.objects.filter(moq__gt=1).exists() and Sku.objects.filter(order_multiple__gt=1).exists()


def test_barcodes_are_valid_and_unique(each):
    barcodes = list(Sku.objects.values_list("barcode", flat=True))
    assert len(set(barcodes)) == len(barcodes)
    assert all(is_valid_gtin(b, 13) and b.startswith("69") for b in barcodes)
    for unit in SkuUnit.objects.select_related("sku"):
        if unit.factor == 1:
            assert unit.barcode == unit.sku.barcode
        else:
            assert is_valid_gtin(unit.barcode, 14)


def test_prices_are_decimal_cents_and_not_negative(each):
    prices = list(Sku.objects.values_list("list_price", flat=True))
    prices += list(PriceListItem.objects.values_list("price", flat=True))
    assert len(prices) > 1000
    for price in prices:
        assert isinstance(price, Decimal)
        assert price == price.quantize(CENT) and price >= 0
    assert Sku.objects.filter(list_price=0).count() == 0


def test_bev_prices_are_realistic(bev):
    bottle = Sku.objects.get(product__name="清泉 无糖可乐", code__endswith="-500B24")
    assert Decimal("2") <= bottle.list_price <= Decimal("8")
    assert set(Sku.objects.values_list("vat_rate", flat=True)) == {Decimal("0.13"), Decimal("0.09")}
    assert not Product.objects.filter(Q(shelf_life_days__lt=90) | Q(shelf_life_days__gt=540)).exists()
    assert Product.objects.filter(category__code="dairy").exclude(expiry_sensitive=True).count() == 0
    assert Product.objects.filter(category__code="juice").exclude(expiry_sensitive=True).count() == 0


def test_volume_tiers_get_cheaper(each):
    tiers: dict[tuple[int, int], list[tuple[Decimal, Decimal]]] = {}
    for row in PriceListItem.objects.order_by("price_list_id", "sku_id", "min_qty"):
        tiers.setdefault((row.price_list_id, row.sku_id), []).append((row.min_qty, row.price))
    stepped = [t for t in tiers.values() if len(t) > 1]
    assert len(stepped) > 50
    for steps in tiers.values():
        assert steps[0][0] == 1
        assert all(b[1] < a[1] for a, b in itertools.pairwise(steps))


def test_price_lists_of_every_kind_and_one_expired(each):
    now = timezone.now()
    assert set(PriceList.objects.values_list("kind", flat=True)) == set(PriceList.Kind.values)
    expired = PriceList.objects.filter(valid_to__lte=now)
    assert expired.count() == 1
    current = PriceList.objects.exclude(pk__in=expired).filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
    assert current.count() == PriceList.objects.count() - 1


def test_bev_regional_group_and_contract_lists(bev):
    assert set(PriceList.objects.filter(kind="region").values_list("region_code", flat=True)) == {"440100", "330000"}
    assert PriceList.objects.get(kind="contract").dealer.code == "GD01"
    groups = set(PriceList.objects.filter(kind="group").values_list("price_group__code", flat=True))
    assert groups == {"ka", "horeca"}
    for code in groups:
        assert Dealer.objects.filter(price_group__code=code).exists()


def test_the_price_engine_picks_the_demo_lists(bev):
    now = timezone.now()
    cola = Sku.objects.get(product__name="清泉 可乐", code__endswith="-330C24")
    gd01 = Dealer.objects.get(code="GD01")
    silver = Dealer.objects.filter(tier__code="silver", price_group=None).exclude(region_code__startswith="4401")
    silver = silver.exclude(region_code__startswith="33").first()
    contract = resolve_prices(DealerKey.of(gd01), {cola.pk: Decimal(24)}, {cola.pk: cola.list_price}, now)[cola.pk]
    assert contract.source == "contract"
    assert contract.price < cola.list_price
    assert contract.tiers[-1][0] == 2400  # 阶梯价: from 100 cases of 24
    other = resolve_prices(DealerKey.of(silver), {cola.pk: Decimal(24)}, {cola.pk: cola.list_price}, now)[cola.pk]
    assert other.source == "tier"
    assert other.price_list_code == "BV-SILVER"  # not the expired 2025 list


def test_promotions_of_every_kind(each):
    now = timezone.now()
    assert set(Promotion.objects.values_list("kind", flat=True)) >= {"threshold", "percent"}
    for promotion in Promotion.objects.all():
        assert promotion.valid_from < promotion.valid_to
        ids = [*promotion.scope.get("skus", []), promotion.rules.get("gift_sku"), promotion.rules.get("sku")]
        ids = [i for i in ids if i is not None]
        assert Sku.objects.filter(pk__in=ids).count() == len(set(ids))
        for tier in promotion.tiers:
            assert Dealer.objects.filter(tier__code=tier).exists()
    live = Promotion.objects.filter(is_active=True, valid_from__lte=now, valid_to__gt=now)
    assert live.count() >= Promotion.objects.count() - 1


def test_bev_promotions(bev):
    now = timezone.now()
    assert set(Promotion.objects.values_list("kind", flat=True)) == set(Promotion.Kind.values)
    flash = Promotion.objects.get(kind="flash")
    assert flash.valid_from <= now < flash.valid_to
    assert flash.valid_to - now >= dt.timedelta(days=6)
    assert flash.total_cap > flash.per_dealer_cap > 0
    sku = Sku.objects.get(pk=flash.rules["sku"])
    assert Decimal(flash.rules["price"]) < sku.list_price
    gifts = Promotion.objects.filter(kind="gift")
    assert {"buy_qty" in g.rules for g in gifts} == {True, False}  # 买赠 and 满赠
    assert Promotion.objects.filter(stackable=False).exists()
    group = Promotion.objects.exclude(exclusive_group="").values("exclusive_group").annotate(n=Count("id"))
    assert any(g["n"] >= 2 for g in group)
    assert Promotion.objects.exclude(tiers=[]).exists() and Promotion.objects.exclude(regions=[]).exists()
    threshold = Promotion.objects.get(code="BV-MJ500")
    assert threshold.rules == {"threshold": "500.00", "off": "30.00", "repeat": True}


def test_the_6205_bearing_has_its_real_dimensions(parts):
    sku = Sku.objects.get(code="6205-2RS")
    values = {
        v.attribute.name: v.value_number
        for v in AttributeValue.objects.filter(product=sku.product, sku=None).select_related("attribute")
        if v.value_number is not None
    }
    assert values == {"内径": 25, "外径": 52, "宽度": 15}
    assert AttributeValue.objects.get(product=sku.product, attribute__code="seal_type").value_text == "2RS"
    assert AttributeValue.objects.get(sku=sku, attribute__code="clearance").value_text == "CN"
    stainless = Product.objects.get(code="S6205-2RS")
    assert AttributeValue.objects.get(product=stainless, attribute__code="material").value_text == "不锈钢"
    substitutes = set(
        RelatedProduct.objects.filter(product=sku.product, kind="substitute").values_list("related__code", flat=True)
    )
    assert {"6205-ZZ", "S6205-2RS"} <= substitutes
    for code, d, outer, width in [("6000", 10, 26, 8), ("6310", None, None, None), ("6308", 40, 90, 23)]:
        product = Product.objects.filter(code=code).first()
        if d is None:
            assert product is None
            continue
        numbers = dict(
            AttributeValue.objects.filter(product=product, sku=None, value_number__isnull=False).values_list(
                "attribute__code", "value_number"
            )
        )
        assert numbers == {"inner_d": d, "outer_d": outer, "width": width}


def test_parts_has_stainless_bearings_of_50mm_and_fasteners(parts):
    fifty = AttributeValue.objects.filter(attribute__code="inner_d", value_number=50).values("product")
    stainless = AttributeValue.objects.filter(attribute__code="material", value_text="不锈钢").values("product")
    assert Product.objects.filter(pk__in=fifty).filter(pk__in=stainless, category__parent__code="bearing").exists()
    bolt = Sku.objects.get(code="HB88-M8X30")
    assert bolt.name == "M8×30"
    assert AttributeValue.objects.get(sku=bolt, attribute__code="length").value_number == 30
    grade = AttributeValue.objects.get(product=bolt.product, attribute__code="grade")
    assert grade.value_text == "8.8"
    assert set(Attribute.objects.get(code="grade").choices) >= {"4.8", "8.8", "10.9"}
    assert SkuUnit.objects.filter(sku=bolt, name="盒", factor=100).exists()
    assert SkuUnit.objects.filter(sku__code="6205-2RS", name="盒", factor=10).exists()


def test_bev_catalog_details(bev):
    assert Product.objects.filter(sale_regions=["440000"]).exists()  # 广东限定
    assert Product.objects.filter(status="discontinued").exists()
    assert Product.objects.filter(status="draft").count() >= 2
    assert not Sku.objects.filter(product__status="discontinued", is_active=True).exists()
    assert set(Product.objects.values_list("tags__name", flat=True)) >= {"新品", "爆款", "促销", "临期"}
    kinds = set(RelatedProduct.objects.values_list("kind", flat=True))
    assert kinds == set(RelatedProduct.Kind.values)


def test_generated_rows_stay_in_their_tenant(demo, db):
    with all_tenants():
        for model, parent in [
            (Category, "parent__tenant_id"),
            (Sku, "product__tenant_id"),
            (SkuUnit, "sku__tenant_id"),
            (AttributeValue, "product__tenant_id"),
            (AttributeValue, "attribute__tenant_id"),
            (RelatedProduct, "related__tenant_id"),
            (ProductImage, "product__tenant_id"),
            (PriceListItem, "sku__tenant_id"),
            (PriceListItem, "price_list__tenant_id"),
        ]:
            assert not model.unscoped.exclude(**{parent: F("tenant_id")}).exclude(**{parent: None}).exists(), model
        assert not AttributeValue.unscoped.exclude(sku=None).exclude(sku__tenant_id=F("tenant_id")).exists()
    with tenant_context(demo.parts.tenant):
        assert not Product.objects.filter(code__startswith="BV").exists()
        parts_skus = set(Sku.objects.values_list("pk", flat=True))
        for promotion in Promotion.objects.all():
            assert set(promotion.scope.get("skus", [])) <= parts_skus
    with tenant_context(demo.bev.tenant):
        assert not Sku.objects.filter(code="6205-2RS").exists()
        assert not Sku.objects.filter(pk__in=parts_skus).exists()


def test_pictures_are_in_storage_and_open(each, demo, settings):
    settings.MEDIA_ROOT = demo.media
    pictures = list(ProductImage.objects.all())
    assert len(pictures) == Product.objects.count()
    for picture in pictures:
        assert picture.image.name.startswith(f"catalog/{picture.tenant_id}/{picture.product_id}/")
        assert default_storage.exists(picture.image.name) and default_storage.exists(picture.thumbnail.name)
    for picture in pictures[:: max(1, len(pictures) // 20)]:
        with picture.image.open("rb") as f, Image.open(f) as image:
            assert image.size == (480, 480)
        with picture.thumbnail.open("rb") as f, Image.open(f) as image:
            image.verify()
            assert image.size == (240, 240)


def test_the_audit_log_records_the_load_and_verifies(each):
    tenant_id = each.tenant.pk
    actions = set(AuditEntry.unscoped.filter(tenant_id=tenant_id).values_list("action", flat=True))
    assert {"catalog.demo_loaded", "price_list.created", "promotion.created", "dealer.updated"} <= actions
    checked, problem = audit_verify(tenant_id)
    assert problem is None and checked > 0
