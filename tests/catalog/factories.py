"""Catalog test data, written straight with the ORM inside the tenant's context, then indexed.

``build_catalog(tenant)`` makes a small catalog of beverages and bearings that the search, matching
and API tests share; the builders below make single rows for tests that need their own.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from dinghuo.catalog.models import (
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    RelatedProduct,
    Sku,
    SkuUnit,
    Tag,
)
from dinghuo.catalog.search import reindex_products
from dinghuo.core.tenancy import tenant_context
from dinghuo.dealers.models import Dealer, DealerTier
from dinghuo.inventory.models import Stock, Warehouse
from dinghuo.orders.models import Order, OrderLine
from dinghuo.pricing.models import PriceList, PriceListItem
from dinghuo.tenancy.models import Tenant
from tests.factories import make_dealer, make_tier

_seq = itertools.count(1)


def make_category(code: str, name: str, parent: Category | None = None, sort: int = 0) -> Category:
    category = Category.objects.create(code=code, name=name, parent=parent, sort=sort)
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.depth = parent.depth + 1 if parent else 0
    category.save(update_fields=["path", "depth"])
    return category


def make_attribute(
    code: str, name: str, kind: str, *, unit: str = "", choices: list[str] | None = None, **fields
) -> Attribute:
    return Attribute.objects.create(code=code, name=name, kind=kind, unit=unit, choices=choices or [], **fields)


def set_values(product: Product, values: dict[Attribute, object], sku: Sku | None = None) -> None:
    for attribute, value in values.items():
        row = AttributeValue(product=product, sku=sku, attribute=attribute)
        if attribute.kind == Attribute.Kind.NUMBER:
            row.value_number = Decimal(str(value))
        elif attribute.kind == Attribute.Kind.BOOLEAN:
            row.value_bool = bool(value)
        else:
            row.value_text = str(value)
        row.save()


def make_product(
    code: str,
    name: str,
    category: Category,
    *,
    brand: Brand | None = None,
    status: str = Product.Status.ON_SALE,
    tags: list[Tag] = (),
    values: dict[Attribute, object] | None = None,
    **fields,
) -> Product:
    product = Product.objects.create(code=code, name=name, category=category, brand=brand, status=status, **fields)
    product.tags.set(tags)
    set_values(product, values or {})
    return product


def make_sku(
    product: Product,
    code: str,
    name: str,
    list_price: str,
    *,
    base_unit: str = "件",
    units: dict[str, int] | None = None,
    values: dict[Attribute, object] | None = None,
    **fields,
) -> Sku:
    sku = Sku.objects.create(
        product=product, code=code, name=name, list_price=Decimal(list_price), base_unit=base_unit, **fields
    )
    SkuUnit.objects.create(sku=sku, name=base_unit, factor=Decimal(1), is_default=not units)
    for unit, factor in (units or {}).items():
        barcode = fields.get("barcode") and f"1{fields['barcode'][:-1]}{factor % 10}"
        SkuUnit.objects.create(sku=sku, name=unit, factor=Decimal(factor), is_default=True, barcode=barcode or "")
    set_values(product, values or {}, sku=sku)
    return sku


def make_price_list(code: str, kind: str, prices: dict[Sku, str], **target) -> PriceList:
    price_list = PriceList.objects.create(code=code, name=code, kind=kind, **target)
    for sku, price in prices.items():
        PriceListItem.objects.create(price_list=price_list, sku=sku, price=Decimal(price))
    return price_list


def make_stock(warehouse: Warehouse, sku: Sku, on_hand: str, reserved: str = "0") -> Stock:
    return Stock.objects.create(warehouse=warehouse, sku=sku, on_hand=Decimal(on_hand), reserved=Decimal(reserved))


def make_sale(dealer: Dealer, sku: Sku, qty: str, *, region: str, days_ago: int = 10, status: str = "approved") -> None:
    """An order of ``qty`` base units of ``sku`` shipped to ``region`` ``days_ago`` days ago."""
    n = next(_seq)
    order = Order.objects.create(
        number=f"SO-T-{n:06d}",
        dealer=dealer,
        status=status,
        ship_to_name="张三",
        ship_to_phone="13800000000",
        ship_to_region=region,
        ship_to_address="测试路1号",
        subtotal=Decimal(0),
        total=Decimal(0),
    )
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    OrderLine.objects.create(
        order=order,
        line_no=1,
        sku=sku,
        sku_code=sku.code,
        name=sku.name,
        unit=sku.base_unit,
        unit_factor=Decimal(1),
        qty=Decimal(qty),
        qty_base=Decimal(qty),
        unit_price=sku.list_price,
        list_price=sku.list_price,
        amount=sku.list_price * Decimal(qty),
        tax_rate=sku.vat_rate,
    )


@dataclass
class Catalog:
    tenant: Tenant
    categories: dict[str, Category] = field(default_factory=dict)
    brands: dict[str, Brand] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    attributes: dict[str, Attribute] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    skus: dict[str, Sku] = field(default_factory=dict)
    gold_tier: DealerTier | None = None
    gold_dealer: Dealer | None = None  # 金牌, Shenzhen: a tier price list
    std_dealer: Dealer | None = None  # 普通, Shenzhen Nanshan: list prices
    sh_dealer: Dealer | None = None  # 普通, Shanghai

    def sku_ids(self, *codes: str) -> set[int]:
        return {self.skus[c].pk for c in codes}


def build_catalog(tenant: Tenant) -> Catalog:
    """Beverages (可口可乐, 百事可乐, 农夫山泉) and bearings (6205 …), prices, stock and regional sales.

    Dealers: a 金牌 dealer in Shenzhen with a tier price list, a 普通 dealer in Shenzhen's Nanshan
    district and a 普通 dealer in Shanghai. A Shanghai-only product, a draft product and an inactive
    SKU must never show in Guangdong.
    """
    c = Catalog(tenant=tenant)
    c.gold_tier = make_tier(tenant, code="gold", name="金牌", rank=3)
    std = make_tier(tenant, code=f"std{next(_seq)}", name="普通", rank=1)
    c.gold_dealer = make_dealer(tenant, tier=c.gold_tier, region="440300", name="深圳金牌商贸")
    c.std_dealer = make_dealer(tenant, tier=std, region="440305", name="南山便利店")
    c.sh_dealer = make_dealer(tenant, tier=std, region="310104", name="上海徐汇商行")
    with tenant_context(tenant):
        cat = c.categories
        cat["BEV"] = make_category("BEV", "饮料", sort=1)
        cat["SODA"] = make_category("SODA", "碳酸饮料", cat["BEV"])
        cat["WATER"] = make_category("WATER", "饮用水", cat["BEV"])
        cat["PARTS"] = make_category("PARTS", "工业配件", sort=2)
        cat["BEARING"] = make_category("BEARING", "轴承", cat["PARTS"])
        cat["DGBB"] = make_category("DGBB", "深沟球轴承", cat["BEARING"])
        for code, name in (("KO", "可口可乐"), ("PEPSI", "百事"), ("NFSQ", "农夫山泉"), ("JG", "精工")):
            c.brands[code] = Brand.objects.create(code=code, name=name)
        c.tags["HOT"] = Tag.objects.create(code="HOT", name="热销")
        c.tags["NEW"] = Tag.objects.create(code="NEW", name="新品")
        a = c.attributes
        a["volume"] = make_attribute("volume", "容量", "number", unit="ml", category=cat["BEV"], is_spec=True)
        a["sugar"] = make_attribute("sugar", "含糖", "choice", choices=["无糖", "低糖", "含糖"], category=cat["BEV"])
        a["inner"] = make_attribute("inner_d", "内径", "number", unit="mm", category=cat["BEARING"], sort=1)
        a["outer"] = make_attribute("outer_d", "外径", "number", unit="mm", category=cat["BEARING"], sort=2)
        a["width"] = make_attribute("width", "宽度", "number", unit="mm", category=cat["BEARING"], sort=3)
        a["material"] = make_attribute(
            "material", "材质", "choice", choices=["轴承钢", "不锈钢", "陶瓷"], category=cat["BEARING"], sort=4
        )
        a["seal"] = make_attribute("seal", "密封", "choice", choices=["2RS", "ZZ", "开式"], category=cat["BEARING"])
        _beverages(c)
        _bearings(c)
        _prices_stock_sales(c)
        reindex_products()
    return c


def _beverages(c: Catalog) -> None:
    cat, a, p, s = c.categories, c.attributes, c.products, c.skus
    p["COKE"] = make_product(
        "P-COKE", "可口可乐", cat["SODA"], brand=c.brands["KO"], tags=[c.tags["HOT"]], shelf_life_days=365
    )
    s["COKE-500-24"] = make_sku(
        p["COKE"], "COKE-500-24", "500ml×24瓶", "60.00", base_unit="瓶", units={"箱": 24},
        barcode="6901234567892", values={a["volume"]: 500, a["sugar"]: "含糖"},
    )  # fmt: skip
    s["COKE-330-24"] = make_sku(
        p["COKE"], "COKE-330-24", "330ml×24罐", "48.00", base_unit="罐", units={"箱": 24},
        values={a["volume"]: 330, a["sugar"]: "含糖"},
    )  # fmt: skip
    p["ZERO"] = make_product(
        "P-ZERO", "可口可乐零度", cat["SODA"], brand=c.brands["KO"], subtitle="无糖 零卡", tags=[c.tags["NEW"]],
        shelf_life_days=270,
    )  # fmt: skip
    s["ZERO-500-24"] = make_sku(
        p["ZERO"], "ZERO-500-24", "无糖 500ml×24瓶", "62.00", base_unit="瓶", units={"箱": 24},
        values={a["volume"]: 500, a["sugar"]: "无糖"},
    )  # fmt: skip
    s["ZERO-500-12"] = make_sku(
        p["ZERO"], "ZERO-500-12", "无糖 500ml×12瓶", "33.00", base_unit="瓶", units={"箱": 12},
        values={a["volume"]: 500, a["sugar"]: "无糖"}, allow_backorder=True,
    )  # fmt: skip
    p["PEPSI"] = make_product("P-PEPSI", "百事可乐", cat["SODA"], brand=c.brands["PEPSI"], shelf_life_days=180)
    s["PEPSI-500-24"] = make_sku(
        p["PEPSI"], "PEPSI-500-24", "500ml×24瓶", "55.00", base_unit="瓶", units={"箱": 24},
        values={a["volume"]: 500, a["sugar"]: "含糖"},
    )  # fmt: skip
    p["WATER"] = make_product(
        "P-WATER", "农夫山泉饮用天然水", cat["WATER"], brand=c.brands["NFSQ"], shelf_life_days=540
    )
    s["WATER-550-24"] = make_sku(
        p["WATER"], "WATER-550-24", "550ml×24瓶", "30.00", base_unit="瓶", units={"箱": 24},
        values={a["volume"]: 550},
    )  # fmt: skip
    p["SH-ONLY"] = make_product(
        "P-SH", "可口可乐 上海限定", cat["SODA"], brand=c.brands["KO"], sale_regions=["310000"], shelf_life_days=365
    )
    s["SH-500"] = make_sku(p["SH-ONLY"], "SH-500", "500ml", "70.00", base_unit="瓶")
    p["DRAFT"] = make_product("P-DRAFT", "可口可乐 新口味", cat["SODA"], brand=c.brands["KO"], status="draft")
    s["DRAFT-500"] = make_sku(p["DRAFT"], "DRAFT-500", "500ml", "50.00", base_unit="瓶")
    s["COKE-OLD"] = make_sku(p["COKE"], "COKE-OLD", "旧包装 1.25L", "9.00", base_unit="瓶", is_active=False)


def _bearings(c: Catalog) -> None:
    cat, a, p, s = c.categories, c.attributes, c.products, c.skus

    def bearing(code: str, name: str, inner: int, outer: int, width: int, material: str) -> Product:
        values = {a["inner"]: inner, a["outer"]: outer, a["width"]: width, a["material"]: material}
        return make_product(f"P-{code}", name, cat["DGBB"], brand=c.brands["JG"], values=values)

    p["6205"] = bearing("6205", "深沟球轴承 6205", 25, 52, 15, "轴承钢")
    s["6205-2RS"] = make_sku(p["6205"], "6205-2RS", "双面胶封", "12.00", base_unit="个", values={a["seal"]: "2RS"})
    s["6205-ZZ"] = make_sku(p["6205"], "6205-ZZ", "双面铁封", "11.00", base_unit="个", values={a["seal"]: "ZZ"})
    p["S6205"] = bearing("S6205", "不锈钢深沟球轴承 S6205", 25, 52, 15, "不锈钢")
    s["S6205-2RS"] = make_sku(p["S6205"], "S6205-2RS", "双面胶封", "38.00", base_unit="个", values={a["seal"]: "2RS"})
    p["6305"] = bearing("6305", "深沟球轴承 6305", 25, 62, 17, "轴承钢")
    s["6305-2RS"] = make_sku(p["6305"], "6305-2RS", "双面胶封", "20.00", base_unit="个", values={a["seal"]: "2RS"})
    p["6210"] = bearing("6210", "深沟球轴承 6210", 50, 90, 20, "轴承钢")
    s["6210-2RS"] = make_sku(p["6210"], "6210-2RS", "双面胶封", "45.00", base_unit="个", values={a["seal"]: "2RS"})
    p["S6010"] = bearing("S6010", "不锈钢深沟球轴承 S6010", 50, 80, 16, "不锈钢")
    s["S6010-2RS"] = make_sku(p["S6010"], "S6010-2RS", "双面胶封", "88.00", base_unit="个", values={a["seal"]: "2RS"})
    RelatedProduct.objects.create(product=p["6205"], related=p["S6205"], kind=RelatedProduct.Kind.SUBSTITUTE)


def _prices_stock_sales(c: Catalog) -> None:
    s = c.skus
    make_price_list(
        "TIER-GOLD", PriceList.Kind.TIER, {s["COKE-500-24"]: "45.00", s["ZERO-500-24"]: "48.00"}, tier=c.gold_tier
    )
    main = Warehouse.objects.create(code=f"WH{next(_seq)}", name="广州总仓", region_code="440100")
    old = Warehouse.objects.create(code=f"WH{next(_seq)}", name="旧仓", region_code="440100", is_active=False)
    make_stock(main, s["COKE-500-24"], "100")
    make_stock(main, s["ZERO-500-24"], "5", reserved="5")
    make_stock(old, s["COKE-330-24"], "100")
    make_stock(main, s["WATER-550-24"], "50")
    make_stock(main, s["6205-2RS"], "200")
    # Guangdong sales in the window; a bigger Shanghai sale, an old one and a cancelled one do not count.
    make_sale(c.std_dealer, s["ZERO-500-12"], "500", region="440305")
    make_sale(c.gold_dealer, s["COKE-330-24"], "100", region="440300", days_ago=60)
    make_sale(c.sh_dealer, s["COKE-500-24"], "10000", region="310104")
    make_sale(c.gold_dealer, s["WATER-550-24"], "9999", region="440300", days_ago=200)
    make_sale(c.gold_dealer, s["PEPSI-500-24"], "9999", region="440300", status="cancelled")
