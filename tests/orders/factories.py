"""A small shop for ordering tests: a catalog, two warehouses with stock, a dealer with credit."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from dinghuo.accounts.roles import Role
from dinghuo.catalog.models import Category, Product, Sku, SkuUnit
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.finance.models import DealerAccount
from dinghuo.finance.services import account_for, balance_credit, credit_set_terms
from dinghuo.inventory.models import Warehouse
from dinghuo.inventory.services import stock_receive, warehouse_create
from dinghuo.pricing.engine import CartItem
from tests.factories import World

D = Decimal


@dataclass
class Shop:
    world: World
    skus: dict[str, Sku] = field(default_factory=dict)
    warehouses: dict[str, Warehouse] = field(default_factory=dict)

    @property
    def tenant(self):
        return self.world.tenant

    @property
    def dealer(self):
        return self.world.dealer

    def buyer(self) -> Actor:
        return self.world.actor(Role.BUYER)

    def staff(self, role: str = Role.OWNER) -> Actor:
        return self.world.actor(role)

    def item(self, code: str, qty, unit: str | None = None) -> CartItem:
        return CartItem(sku_id=self.skus[code].pk, qty=D(str(qty)), unit=unit)

    def account(self) -> DealerAccount:
        with tenant_context(self.tenant):
            return DealerAccount.objects.get(dealer=self.dealer)


def make_sku(product: Product, code: str, price: str, *, pack: int | None = 24, moq: int = 1, multiple: int = 1,
             backorder: bool = False, unit: str = "瓶") -> Sku:  # fmt: skip
    sku = Sku.objects.create(
        product=product,
        code=code,
        name=f"{code} 规格",
        base_unit=unit,
        list_price=D(price),
        moq=D(moq),
        order_multiple=D(multiple),
        allow_backorder=backorder,
    )
    SkuUnit.objects.create(sku=sku, name=unit, factor=D(1), is_default=pack is None)
    if pack:
        SkuUnit.objects.create(sku=sku, name="箱", factor=D(pack), is_default=True)
    return sku


def make_shop(world: World, *, stock: int = 1000, credit_limit: str = "100000.00", prepaid: str = "0",
              rebate: str = "0") -> Shop:  # fmt: skip
    shop = Shop(world=world)
    system = Actor.system(world.tenant.pk, "tests")
    with tenant_context(world.tenant, system):
        cat = Category.objects.create(code="drinks", name="饮料", path="/", depth=0)
        cola = Product.objects.create(code="P-COLA", name="清泉可乐", category=cat, status=Product.Status.ON_SALE)
        water = Product.objects.create(code="P-WATER", name="清泉矿泉水", category=cat, status=Product.Status.ON_SALE)
        old = Product.objects.create(code="P-OLD", name="停产汽水", category=cat, status=Product.Status.DISCONTINUED)
        local = Product.objects.create(
            code="P-LOCAL", name="浙江限定茶", category=cat, status=Product.Status.ON_SALE, sale_regions=["330000"]
        )
        shop.skus["COLA"] = make_sku(cola, "COLA", "3.00")
        shop.skus["WATER"] = make_sku(water, "WATER", "2.00", moq=48, multiple=24)
        shop.skus["PREORDER"] = make_sku(water, "PREORDER", "5.00", backorder=True)
        shop.skus["OLD"] = make_sku(old, "OLD", "1.00")
        shop.skus["LOCAL"] = make_sku(local, "LOCAL", "4.00")
        shop.warehouses["gz"] = warehouse_create(actor=system, code="GZ", name="广州仓", region_code="440106")
        shop.warehouses["hz"] = warehouse_create(actor=system, code="HZ", name="杭州仓", region_code="330106")
        for code in ("COLA", "WATER", "OLD", "LOCAL", "PREORDER"):
            for wh in shop.warehouses.values():
                stock_receive(actor=system, warehouse=wh, sku=shop.skus[code], qty=D(stock))
        for dealer in (world.dealer, world.other_dealer):
            account_for(dealer)
            credit_set_terms(actor=system, dealer=dealer, limit=D(credit_limit), terms_days=30)
            if D(prepaid):
                balance_credit(actor=system, dealer=dealer, bucket="prepaid", amount=D(prepaid), kind="topup")
            if D(rebate):
                balance_credit(actor=system, dealer=dealer, bucket="rebate", amount=D(rebate), kind="rebate_accrual")
    return shop
