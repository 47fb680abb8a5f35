"""`dinghuo demo` step: a realistic catalog, price lists and promotions for each demo tenant.

清泉饮料 gets a beverage catalog (categories, brands, typed attributes, a few hundred SKUs with pack
units, barcodes, shelf lives, tags, related products, regional products and pictures); 精工工业配件
gets bearings with their real dimensions, fasteners and seals. Both get list, tier, regional,
contract and price-group price lists (with volume tiers and one expired list) and promotions of
every kind. Everything is written with bulk inserts and derived from the loader's seeded ``rng``,
so the step takes seconds and the demo is the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from dinghuo.catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    ProductImage,
    RelatedProduct,
    Sku,
    SkuUnit,
    Tag,
)
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.money import quantize
from dinghuo.core.tenancy import stamp_tenant, tenant_context
from dinghuo.dealers.models import DealerTier, PriceGroup
from dinghuo.dealers.services import dealer_update, price_group_create
from dinghuo.demo import images
from dinghuo.demo.data import beverages as bevdata
from dinghuo.demo.data import parts as partsdata
from dinghuo.demo.data.specs import HUNDRED, ONE, ProductSpec
from dinghuo.demo.people import DemoTenant
from dinghuo.pricing.models import PriceList, PriceListItem, Promotion

Say = Callable[[str], None]
# GS1 company prefixes (China's 690–699 range) of the two demo brands.
BEV_GS1_PREFIX = "6923017"
PARTS_GS1_PREFIX = "6971543"


# ---------------------------------------------------------------------------------------------
# Barcodes and numbers


def gs1_check_digit(digits: str) -> int:
    """The GS1 check digit of ``digits`` (EAN-13 without its last digit, GTIN-14 likewise)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str, length: int = 13) -> bool:
    return len(code) == length and code.isdigit() and gs1_check_digit(code[:-1]) == int(code[-1])


class _Barcodes:
    """EAN-13 numbers of one company prefix; pack units get GTIN-14s with an indicator digit."""

    def __init__(self, company_prefix: str) -> None:
        self.prefix = company_prefix
        self.next_item = 1

    def ean13(self) -> str:
        body = f"{self.prefix}{self.next_item:0{12 - len(self.prefix)}d}"
        self.next_item += 1
        return body + str(gs1_check_digit(body))

    @staticmethod
    def gtin14(ean13: str, indicator: int) -> str:
        body = f"{indicator}{ean13[:12]}"
        return body + str(gs1_check_digit(body))


def _pct_off(price: Decimal, pct: Decimal | int | str) -> Decimal:
    """``price`` less ``pct`` percent, rounded half up to the cent."""
    return quantize(price * (HUNDRED - Decimal(pct)) / HUNDRED)


# ---------------------------------------------------------------------------------------------
# Writing the catalog: a handful of bulk inserts per tenant


@dataclass
class Written:
    """The rows one tenant's catalog step created, by code."""

    categories: dict[str, Category] = field(default_factory=dict)
    brands: dict[str, Brand] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    skus: dict[str, Sku] = field(default_factory=dict)
    specs: dict[str, ProductSpec] = field(default_factory=dict)
    pack_of: dict[str, int] = field(default_factory=dict)  # SKU code → base units in its default order unit
    product_of: dict[str, str] = field(default_factory=dict)  # SKU code → product code
    by_name: dict[str, str] = field(default_factory=dict)  # product name → product code
    counts: dict[str, int] = field(default_factory=dict)

    def skus_of(self, product_codes: Iterable[str]) -> list[Sku]:
        return [self.skus[s.code] for code in product_codes for s in self.specs[code].skus]

    def skus_in(self, *category_codes: str) -> list[Sku]:
        return self.skus_of(c for c, p in self.specs.items() if p.category in category_codes)

    def status_of(self, sku: Sku) -> str:
        return self.specs[self.product_of[sku.code]].status

    def on_sale(self, skus: Iterable[Sku]) -> list[Sku]:
        return [s for s in skus if self.status_of(s) == Product.Status.ON_SALE]

    def sku(self, product_name: str, suffix: str = "") -> Sku:
        """A SKU by its product's name, and the SKU code's suffix after the product code."""
        code = self.by_name[product_name]
        return self.skus[f"{code}{suffix}"]


def _write_taxonomy(
    w: Written,
    categories: list[tuple[str, str, str | None]],
    brands: list[tuple[str, str]],
    tags: list[tuple[str, str, str]],
    attributes: list[tuple[str, str, str, str, str | None, list[str], bool]],
) -> None:
    # Parents before children: one insert per tree level, then the id paths.
    level: list[tuple[int, tuple[str, str, str | None]]] = [(i, c) for i, c in enumerate(categories) if c[2] is None]
    while level:
        objs = [
            Category(code=code, name=name, parent=w.categories.get(parent) if parent else None, sort=i * 10)
            for i, (code, name, parent) in level
        ]
        for obj in Category.objects.bulk_create(stamp_tenant(objs)):
            w.categories[obj.code] = obj
        done = {c[0] for _i, c in level}
        level = [(i, c) for i, c in enumerate(categories) if c[2] in done]
    for obj in w.categories.values():
        chain, node = [], obj
        while node is not None:
            chain.append(node.pk)
            node = w.categories.get(node.parent.code) if node.parent_id else None
        obj.path = "/" + "/".join(str(pk) for pk in reversed(chain)) + "/"
        obj.depth = len(chain) - 1
    Category.objects.bulk_update(list(w.categories.values()), ["path", "depth"])
    for obj in Brand.objects.bulk_create(stamp_tenant([Brand(code=c, name=n) for c, n in brands])):
        w.brands[obj.code] = obj
    for obj in Tag.objects.bulk_create(stamp_tenant([Tag(code=c, name=n, color=col) for c, n, col in tags])):
        w.tags[obj.code] = obj
    objs = [
        Attribute(
            code=code,
            name=name,
            kind=kind,
            unit=unit,
            category=w.categories[cat] if cat else None,
            choices=list(choices),
            is_spec=is_spec,
            sort=i * 10,
        )
        for i, (code, name, kind, unit, cat, choices, is_spec) in enumerate(attributes)
    ]
    for obj in Attribute.objects.bulk_create(stamp_tenant(objs)):
        w.attributes[obj.code] = obj


def _value(attribute: Attribute, product: Product, sku: Sku | None, value: Any) -> AttributeValue:
    row = AttributeValue(product=product, sku=sku, attribute=attribute)
    if attribute.kind == Attribute.Kind.NUMBER:
        row.value_number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    elif attribute.kind == Attribute.Kind.BOOLEAN:
        row.value_bool = bool(value)
    else:
        text = str(value)
        if attribute.kind == Attribute.Kind.CHOICE and text not in attribute.choices:
            raise ValueError(f"{text!r} is not a choice of attribute {attribute.code}")
        row.value_text = text
    return row


def _write_products(w: Written, specs: list[ProductSpec], barcodes: _Barcodes) -> None:
    """Products, SKUs, units, attribute values, tags and pictures: a handful of bulk inserts."""
    products = [
        Product(
            code=s.code,
            name=s.name,
            subtitle=s.subtitle,
            description=s.description,
            category=w.categories[s.category],
            brand=w.brands[s.brand],
            status=s.status,
            shelf_life_days=s.shelf_life_days,
            expiry_sensitive=s.expiry_sensitive,
            sale_regions=list(s.sale_regions),
            sort=i * 10,
        )
        for i, s in enumerate(specs)
    ]
    for obj, spec in zip(Product.objects.bulk_create(stamp_tenant(products)), specs, strict=True):
        w.products[obj.code] = obj
        w.specs[obj.code] = spec
        w.by_name[spec.name] = spec.code
        for s in spec.skus:
            w.product_of[s.code] = spec.code
    Through = Product.tags.through
    Through.objects.bulk_create(
        [Through(product_id=w.products[s.code].pk, tag_id=w.tags[t].pk) for s in specs for t in s.tags]
    )
    skus = []
    for spec in specs:
        for i, s in enumerate(spec.skus):
            skus.append(
                Sku(
                    product=w.products[spec.code],
                    code=s.code,
                    barcode=barcodes.ean13(),
                    name=s.name,
                    spec=s.spec,
                    base_unit=s.base_unit,
                    moq=Decimal(s.moq),
                    order_multiple=Decimal(s.multiple),
                    list_price=s.list_price,
                    vat_rate=s.vat_rate,
                    is_active=s.is_active,
                    weight_kg=s.weight_kg,
                    sort=i * 10,
                )
            )
    for obj in Sku.objects.bulk_create(stamp_tenant(skus)):
        w.skus[obj.code] = obj
    units, values = [], []
    for spec in specs:
        product = w.products[spec.code]
        for code, value in spec.values.items():
            values.append(_value(w.attributes[code], product, None, value))
        for s in spec.skus:
            sku = w.skus[s.code]
            has_default = any(default for _n, _f, default in s.packs)
            units.append(
                SkuUnit(sku=sku, name=s.base_unit, factor=ONE, barcode=sku.barcode, is_default=not has_default)
            )
            for indicator, (name, factor, default) in enumerate(s.packs, start=1):
                gtin = _Barcodes.gtin14(sku.barcode, indicator)
                units.append(SkuUnit(sku=sku, name=name, factor=Decimal(factor), barcode=gtin, is_default=default))
                if default:
                    w.pack_of[s.code] = factor
            w.pack_of.setdefault(s.code, 1)
            for code, value in s.values.items():
                values.append(_value(w.attributes[code], product, sku, value))
    SkuUnit.objects.bulk_create(stamp_tenant(units))
    AttributeValue.objects.bulk_create(stamp_tenant(values))
    pictures = []
    for spec in specs:
        product = w.products[spec.code]
        picture = ProductImage(tenant_id=product.tenant_id, product=product, alt=spec.name, sort=0)
        _store_picture(picture, spec.code, *images.render(spec.picture))
        pictures.append(picture)
    ProductImage.objects.bulk_create(pictures)
    w.counts.update(
        products=len(products), skus=len(skus), units=len(units), attribute_values=len(values), images=len(pictures)
    )


def _store_picture(picture: ProductImage, code: str, full: bytes, thumb: bytes) -> None:
    """Save the picture and its thumbnail through the storage API under the fields' upload path.

    After ``dinghuo demo --reset`` the same tenant and product ids come back, so files of the
    earlier load may sit at the same paths: they are replaced, not kept beside new ones.
    """
    storage = picture.image.storage
    names = [
        (picture.image, picture.image.field.generate_filename(picture, f"{code}.jpg"), full),
        (picture.thumbnail, picture.thumbnail.field.generate_filename(picture, f"{code}-thumb.jpg"), thumb),
    ]
    folder = names[0][1].rsplit("/", 1)[0]
    stale = storage.exists(folder)
    for file, name, content in names:
        if stale and storage.exists(name):
            storage.delete(name)
        file.name = storage.save(name, ContentFile(content), max_length=file.field.max_length)


def _write_related(w: Written, pairs: Iterable[tuple[str, str, str]]) -> None:
    seen, rows = set(), []
    for a, b, kind in pairs:
        if a == b or (a, b, kind) in seen:
            continue
        seen.add((a, b, kind))
        rows.append(RelatedProduct(product=w.products[a], related=w.products[b], kind=kind, sort=len(rows)))
    RelatedProduct.objects.bulk_create(stamp_tenant(rows))
    w.counts["related"] = len(rows)


# ---------------------------------------------------------------------------------------------
# Price lists and promotions


@dataclass
class _ListSpec:
    code: str
    name: str
    kind: str
    rows: list[tuple[Sku, Decimal, Decimal]]  # (SKU, from base quantity, price per base unit)
    target: dict[str, Any] = field(default_factory=dict)
    valid_from: dt.datetime | None = None
    valid_to: dt.datetime | None = None


def _priced(
    skus: Iterable[Sku], pct: int | str, volume: dict[str, list[tuple[int, int | str]]] | None = None
) -> list[tuple[Sku, Decimal, Decimal]]:
    """Each SKU at its list price less ``pct`` %, plus the volume tiers (from base quantity, a
    further % off) given for it; a tier that rounds to no saving is left out."""
    rows, seen = [], set()
    for sku in skus:
        if sku.code in seen:
            continue
        seen.add(sku.code)
        price = _pct_off(sku.list_price, pct)
        rows.append((sku, ONE, price))
        last = price
        for min_qty, extra in (volume or {}).get(sku.code, []):
            tier = _pct_off(sku.list_price, Decimal(pct) + Decimal(extra))
            if tier < last and min_qty > 1:
                rows.append((sku, Decimal(min_qty), tier))
                last = tier
    return rows


def _write_price_lists(specs: list[_ListSpec]) -> list[AuditEvent]:
    lists = [
        PriceList(code=s.code, name=s.name, kind=s.kind, valid_from=s.valid_from, valid_to=s.valid_to, **s.target)
        for s in specs
    ]
    PriceList.objects.bulk_create(stamp_tenant(lists))
    items = [
        PriceListItem(price_list=pl, sku=sku, min_qty=min_qty, price=price)
        for pl, s in zip(lists, specs, strict=True)
        for sku, min_qty, price in s.rows
    ]
    PriceListItem.objects.bulk_create(stamp_tenant(items), batch_size=2000)
    return [
        AuditEvent.of(
            "price_list.created",
            pl,
            after={
                "code": pl.code,
                "kind": pl.kind,
                "valid_from": pl.valid_from,
                "valid_to": pl.valid_to,
                "items": len(s.rows),
            },
            reason="demo data",
        )
        for pl, s in zip(lists, specs, strict=True)
    ]


def _write_promotions(promotions: list[Promotion]) -> list[AuditEvent]:
    Promotion.objects.bulk_create(stamp_tenant(promotions))
    return [
        AuditEvent.of(
            "promotion.created",
            p,
            after={"code": p.code, "kind": p.kind, "rules": p.rules, "scope": p.scope, "tiers": p.tiers},
            reason="demo data",
        )
        for p in promotions
    ]


def _promotion(code: str, name: str, kind: str, rules: dict, starts: dt.datetime, ends: dt.datetime, **kw) -> Promotion:
    return Promotion(code=code, name=name, kind=kind, rules=rules, valid_from=starts, valid_to=ends, **kw)


def _assign_groups(demo: DemoTenant, assignments: dict[str, list[str]]) -> None:
    """Put dealers (by code) into price groups (by code), through the audited service."""
    groups = {g.code: g for g in PriceGroup.objects.filter(code__in=list(assignments))}
    by_code = {d.code: d for d in demo.dealers}
    for group_code, dealer_codes in assignments.items():
        for code in dealer_codes:
            dealer_update(actor=demo.actor, dealer=by_code[code], price_group=groups[group_code])


def _bev_prices(demo: DemoTenant, w: Written, rng: random.Random, now: dt.datetime) -> list[AuditEvent]:
    tiers = {t.code: t for t in DealerTier.objects.all()}
    dealers = {d.code: d for d in demo.dealers}
    # A few dealers below the province agents supply supermarket chains (KA) or restaurants (HoReCa).
    candidates = sorted(d.code for d in demo.dealers if d.tier_id != tiers["gold"].pk)
    picked = rng.sample(candidates, k=min(5, len(candidates)))
    _assign_groups(demo, {"ka": picked[:3], "horeca": picked[3:]})
    groups = {g.code: g for g in PriceGroup.objects.all()}

    all_skus = list(w.skus.values())
    selling = w.on_sale(all_skus)
    hot = [code for code, p in w.specs.items() if "hot" in p.tags]  # best sellers: in every list
    volume = {}
    for sku in selling:
        if w.product_of[sku.code] in hot or rng.randrange(100) < 25:
            case = w.pack_of[sku.code]
            volume[sku.code] = [(10 * case, 3), (50 * case, 6)]
    glass_water = w.skus_of([w.by_name["山谷 玻璃瓶矿泉水（餐饮专供）"]])
    year_start = now.replace(month=1, day=1, hour=0, minute=0, second=0)
    specs = [
        _ListSpec("BV-LIST", "2026 标准出厂价", PriceList.Kind.LIST, _priced(all_skus, 0, volume)),
        _ListSpec(
            "BV-GOLD",
            "金牌经销商价",
            PriceList.Kind.TIER,
            _priced([s for s in selling if w.product_of[s.code] in hot or rng.randrange(100) >= 8], 12, volume),
            {"tier": tiers["gold"]},
        ),
        _ListSpec(
            "BV-SILVER",
            "银牌经销商价",
            PriceList.Kind.TIER,
            _priced([s for s in selling if w.product_of[s.code] in hot or rng.randrange(100) >= 8], 8, volume),
            {"tier": tiers["silver"]},
        ),
        _ListSpec(
            "BV-GZ",
            "广州市场价（碳酸饮料、包装水）",
            PriceList.Kind.REGION,
            _priced(w.on_sale(w.skus_in("soda", "water")), 10),
            {"region_code": "440100"},
        ),
        _ListSpec(
            "BV-ZJ",
            "浙江区域价（茶饮料、果汁）",
            PriceList.Kind.REGION,
            _priced(w.on_sale(w.skus_in("tea", "juice")), 13),
            {"region_code": "330000"},
        ),
        _ListSpec(
            "BV-C-GD01",
            f"{dealers['GD01'].short_name or 'GD01'} 年度合同价",
            PriceList.Kind.CONTRACT,
            _priced(
                w.on_sale(w.skus_of(hot) + w.skus_in("soda", "water")),
                15,
                {s.code: [(100 * w.pack_of[s.code], 2)] for s in selling},
            ),
            {"dealer": dealers["GD01"]},
            year_start,
            year_start.replace(year=year_start.year + 1),
        ),
        _ListSpec(
            "BV-KA",
            "连锁商超供货价",
            PriceList.Kind.GROUP,
            _priced(w.on_sale(w.skus_in("soda", "water", "tea", "biscuit", "chips", "nuts")), 10),
            {"price_group": groups["ka"]},
        ),
        _ListSpec(
            "BV-HORECA",
            "餐饮渠道供货价",
            PriceList.Kind.GROUP,
            _priced(w.on_sale(w.skus_in("soda", "juice", "plant") + glass_water), 9),
            {"price_group": groups["horeca"]},
        ),
        _ListSpec(
            "BV-CNY2025",
            "2025 春节备货价（已结束）",
            PriceList.Kind.TIER,
            _priced(w.on_sale(w.skus_in("soda", "juice", "dairy")), 15),
            {"tier": tiers["silver"]},
            now - dt.timedelta(days=420),
            now - dt.timedelta(days=360),
        ),
    ]
    return _write_price_lists(specs)


def _bev_promotions(w: Written, now: dt.datetime) -> list[AuditEvent]:
    cola = w.sku("清泉 可乐", "-330C24")  # the flash sale's (non-stackable: it closes the lines it prices)
    cola_bottle = w.sku("清泉 可乐", "-500B24")  # the 买10送1's, so that both show in one cart
    milk = w.sku("牧场 纯牛奶", "-250T24")
    flash_price = Decimal("1.65")  # 39.60 a case of 24
    assert flash_price < cola.list_price
    near_expiry = w.on_sale(w.skus_of(c for c, p in w.specs.items() if "near_expiry" in p.tags))
    week, month = dt.timedelta(days=7), dt.timedelta(days=30)
    promotions = [
        _promotion(
            "BV-MJ500",
            "全场满500减30（上不封顶）",
            Promotion.Kind.THRESHOLD,
            {"threshold": "500.00", "off": "30.00", "repeat": True},
            now - week,
            now + 2 * month,
            priority=10,
        ),
        _promotion(
            "BV-COLA10+1",
            "清泉可乐500ml 买10箱送1箱",
            Promotion.Kind.GIFT,
            {
                "buy_qty": "10",
                "buy_unit": "箱",
                "gift_sku": cola_bottle.pk,
                "gift_qty": "1",
                "gift_unit": "箱",
                "repeat": True,
            },
            now - week,
            now + month,
            scope={"skus": [cola_bottle.pk]},
            priority=20,
        ),
        _promotion(
            "BV-MZ1000",
            "满1000元赠纯牛奶1提",
            Promotion.Kind.GIFT,
            {"threshold": "1000.00", "gift_sku": milk.pk, "gift_qty": "1", "gift_unit": "提"},
            now - week,
            now + month,
            priority=15,
        ),
        _promotion(
            "BV-JUICE10",
            "果汁品类 9折",
            Promotion.Kind.PERCENT,
            {"percent": "10"},
            now - week,
            now + month,
            scope={"categories": [w.categories["juice"].pk]},
            priority=30,
        ),
        _promotion(
            "BV-CHAYU8",
            "茶语品牌周 全系92折",
            Promotion.Kind.PERCENT,
            {"percent": "8"},
            now - dt.timedelta(days=2),
            now + 12 * dt.timedelta(days=1),
            scope={"brands": [w.brands["chayu"].pk]},
            exclusive_group="tea-summer",
            priority=30,
        ),
        _promotion(
            "BV-GOLDTEA12",
            "金牌专享 茶饮料88折",
            Promotion.Kind.PERCENT,
            {"percent": "12"},
            now - dt.timedelta(days=2),
            now + month,
            scope={"categories": [w.categories["tea"].pk]},
            tiers=["gold"],
            exclusive_group="tea-summer",
            priority=35,
        ),
        _promotion(
            "BV-GD2000",
            "广东夏日冰饮 满2000减150",
            Promotion.Kind.THRESHOLD,
            {"threshold": "2000.00", "off": "150.00", "repeat": True},
            now - week,
            now + 2 * month,
            scope={"categories": [w.categories["soda"].pk, w.categories["tea"].pk, w.categories["water"].pk]},
            regions=["440000"],
            priority=12,
        ),
        _promotion(
            "BV-FLASH-COLA",
            "秒杀：清泉可乐330ml×24罐 39.6元/箱",
            Promotion.Kind.FLASH,
            {"sku": cola.pk, "price": str(flash_price)},
            now - dt.timedelta(hours=1),
            now + week,
            scope={"skus": [cola.pk]},
            total_cap=Decimal(100 * w.pack_of[cola.code]),
            per_dealer_cap=Decimal(5 * w.pack_of[cola.code]),
            stackable=False,
            priority=100,
        ),
        _promotion(
            "BV-NEAREXP30",
            "临期特惠 乳酸菌饮品7折（不与其他优惠同享）",
            Promotion.Kind.PERCENT,
            {"percent": "30"},
            now - week,
            now + month,
            scope={"skus": [s.pk for s in near_expiry]},
            stackable=False,
            priority=50,
        ),
        _promotion(
            "BV-NY2026",
            "元旦满800减60（已结束）",
            Promotion.Kind.THRESHOLD,
            {"threshold": "800.00", "off": "60.00", "repeat": False},
            now - dt.timedelta(days=120),
            now - dt.timedelta(days=100),
        ),
    ]
    return _write_promotions(promotions)


def _parts_prices(demo: DemoTenant, w: Written, rng: random.Random, now: dt.datetime) -> list[AuditEvent]:
    tiers = {t.code: t for t in DealerTier.objects.all()}
    dealers = {d.code: d for d in demo.dealers}
    price_group_create(actor=demo.actor, code="oem", name="主机厂配套")
    _assign_groups(demo, {"oem": [c for c in ("P06", "P09") if c in dealers]})
    oem = PriceGroup.objects.get(code="oem")
    all_skus = list(w.skus.values())
    bearings = w.skus_in("deep_groove", "tapered", "self_aligning")
    fasteners = w.skus_in("bolt", "nut", "washer")
    volume: dict[str, list[tuple[int, int | str]]] = {s.code: [(100, 5), (500, 8)] for s in bearings}
    volume.update({s.code: [(5000, 5), (20000, 10)] for s in fasteners})
    series_62_63 = [s for s in w.skus_in("deep_groove") if s.code[:2] in {"62", "63"}]
    year_start = now.replace(month=1, day=1, hour=0, minute=0, second=0)
    specs = [
        _ListSpec("JG-LIST", "2026 标准价", PriceList.Kind.LIST, _priced(all_skus, 0, volume)),
        _ListSpec(
            "JG-A",
            "A类经销商价",
            PriceList.Kind.TIER,
            _priced([s for s in all_skus if rng.randrange(100) >= 5], 15, volume),
            {"tier": tiers["a"]},
        ),
        _ListSpec(
            "JG-B",
            "B类经销商价",
            PriceList.Kind.TIER,
            _priced([s for s in all_skus if rng.randrange(100) >= 5], 7, volume),
            {"tier": tiers["b"]},
        ),
        _ListSpec(
            "JG-JS",
            "江苏区域价（紧固件）",
            PriceList.Kind.REGION,
            _priced(fasteners, 17, volume),
            {"region_code": "320000"},
        ),
        _ListSpec(
            "JG-NB",
            "宁波市场价（轴承）",
            PriceList.Kind.REGION,
            _priced(bearings, 10, volume),
            {"region_code": "330200"},
        ),
        _ListSpec(
            "JG-C-P01",
            f"{dealers['P01'].short_name or 'P01'} 年度合同价（62/63系列）",
            PriceList.Kind.CONTRACT,
            _priced(series_62_63, 20, {s.code: [(200, 3), (1000, 6)] for s in series_62_63}),
            {"dealer": dealers["P01"]},
            year_start,
            year_start.replace(year=year_start.year + 1),
        ),
        _ListSpec("JG-OEM", "主机厂配套价", PriceList.Kind.GROUP, _priced(bearings, 18, volume), {"price_group": oem}),
        _ListSpec(
            "JG-2025Q4",
            "2025年四季度促销价（已结束）",
            PriceList.Kind.TIER,
            _priced(bearings, 12),
            {"tier": tiers["b"]},
            now - dt.timedelta(days=200),
            now - dt.timedelta(days=110),
        ),
    ]
    return _write_price_lists(specs)


def _parts_promotions(w: Written, now: dt.datetime) -> list[AuditEvent]:
    bearing = w.sku("深沟球轴承 6205-2RS")
    month = dt.timedelta(days=30)
    promotions = [
        _promotion(
            "JG-HZ8",
            "华轴品牌月 全系92折",
            Promotion.Kind.PERCENT,
            {"percent": "8"},
            now - dt.timedelta(days=5),
            now + month,
            scope={"brands": [w.brands["huazhou"].pk]},
            priority=30,
        ),
        _promotion(
            "JG-MJ3000",
            "满3000减100（上不封顶）",
            Promotion.Kind.THRESHOLD,
            {"threshold": "3000.00", "off": "100.00", "repeat": True},
            now - dt.timedelta(days=5),
            now + 2 * month,
            priority=10,
        ),
        _promotion(
            "JG-6205-100+5",
            "6205-2RS 买100件送5件",
            Promotion.Kind.GIFT,
            {
                "buy_qty": "100",
                "buy_unit": "件",
                "gift_sku": bearing.pk,
                "gift_qty": "5",
                "gift_unit": "件",
                "repeat": True,
            },
            now - dt.timedelta(days=5),
            now + month,
            scope={"skus": [bearing.pk]},
            priority=20,
        ),
        _promotion(
            "JG-A-FASTENER5",
            "A类经销商 紧固件95折",
            Promotion.Kind.PERCENT,
            {"percent": "5"},
            now - dt.timedelta(days=5),
            now + month,
            scope={"categories": [w.categories["fastener"].pk]},
            tiers=["a"],
            priority=25,
        ),
    ]
    return _write_promotions(promotions)


# ---------------------------------------------------------------------------------------------
# The step


def _load_bev(demo: DemoTenant, rng: random.Random, now: dt.datetime) -> Written:
    w = Written()
    _write_taxonomy(w, bevdata.CATEGORIES, bevdata.BRANDS, bevdata.TAGS, bevdata.ATTRIBUTES)
    specs = bevdata.product_specs(rng)
    _write_products(w, specs, _Barcodes(BEV_GS1_PREFIX))
    _write_related(w, bevdata.related(specs))
    events = _bev_prices(demo, w, rng, now) + _bev_promotions(w, now)
    w.counts.update(price_lists=sum(e.action == "price_list.created" for e in events))
    w.counts.update(promotions=sum(e.action == "promotion.created" for e in events))
    return _finish(demo, w, events)


def _load_parts(demo: DemoTenant, rng: random.Random, now: dt.datetime) -> Written:
    w = Written()
    _write_taxonomy(w, partsdata.CATEGORIES, partsdata.BRANDS, partsdata.TAGS, partsdata.ATTRIBUTES)
    specs = partsdata.product_specs(rng)
    _write_products(w, specs, _Barcodes(PARTS_GS1_PREFIX))
    _write_related(w, partsdata.related(specs))
    events = _parts_prices(demo, w, rng, now) + _parts_promotions(w, now)
    w.counts.update(price_lists=sum(e.action == "price_list.created" for e in events))
    w.counts.update(promotions=sum(e.action == "promotion.created" for e in events))
    return _finish(demo, w, events)


def _finish(demo: DemoTenant, w: Written, events: list[AuditEvent]) -> Written:
    w.counts["prices"] = PriceListItem.objects.count()
    summary = AuditEvent(
        action="catalog.demo_loaded",
        obj_type="tenancy.tenant",
        obj_id=demo.tenant.pk,
        obj_repr=demo.tenant.name,
        after=dict(w.counts),
        reason="demo data",
    )
    audit_write(actor=demo.actor, events=[*events, summary])
    return w


def reindex_search() -> bool:
    """Rebuild the current tenant's search text with ``catalog.search.reindex_products`` when that
    module exists (it is optional for the demo); True when it ran."""
    try:
        search = importlib.import_module("dinghuo.catalog.search")
    except ModuleNotFoundError as exc:
        if exc.name != "dinghuo.catalog.search":
            raise
        return False
    reindex = getattr(search, "reindex_products", None)
    if reindex is None:
        return False
    reindex()
    return True


def load_catalog(bev: DemoTenant, parts: DemoTenant, rng: random.Random, say: Say) -> None:
    """The loader step: each tenant's catalog, prices and promotions in one transaction."""
    now = timezone.now().replace(microsecond=0)
    for demo, build in ((bev, _load_bev), (parts, _load_parts)):
        started = time.monotonic()
        with tenant_context(demo.tenant, demo.actor), transaction.atomic():
            w = build(demo, rng, now)
            indexed = reindex_search()
        c = w.counts
        say(
            f"{demo.tenant.name}: {c['products']} products, {c['skus']} SKUs, {c['images']} images, "
            f"{c['price_lists']} price lists ({c['prices']} prices), {c['promotions']} promotions"
            f"{'' if indexed else ', search index not built'} in {time.monotonic() - started:.1f}s"
        )
