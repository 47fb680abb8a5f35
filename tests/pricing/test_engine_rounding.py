"""Property: for any cart, prices and promotions, the money adds up to the cent and is Decimal only.

The policy runs on in-memory SKUs, prices and promotions (its loaders swapped out), so hypothesis
can try hundreds of carts without a database.
"""

from dataclasses import fields
from decimal import Decimal

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from dinghuo.catalog.models import Category, Product, Sku
from dinghuo.core.money import quantize, split_tax
from dinghuo.dealers.models import Dealer
from dinghuo.pricing.engine import CartItem, Catalog, PricedCart, PricedLine, StandardPricing
from dinghuo.pricing.models import Promotion
from dinghuo.pricing.prices import ResolvedPrice
from dinghuo.pricing.promotions import Unit, allocate

CENT = Decimal("0.01")
RATES = [Decimal("0.13"), Decimal("0.09"), Decimal("0.06"), Decimal("0.00")]
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
small_money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("999.99"), places=2)


class InMemoryPricing(StandardPricing):
    def __init__(self, skus, units, prices, promotions):
        super().__init__({})
        self._skus, self._units, self._prices, self._promotions = skus, units, prices, promotions

    def load_promotions(self, ctx):
        return self._promotions

    def load_catalog(self, sku_ids):
        return Catalog(skus={i: self._skus[i] for i in sku_ids if i in self._skus}, units=self._units)

    def resolve(self, ctx, quantities, list_prices):
        out = {}
        for sku_id, qty in quantities.items():
            tiers = self._prices[sku_id]
            reached = [t for t in tiers if t[0] <= qty] or tiers[:1]
            out[sku_id] = ResolvedPrice(sku_id, reached[-1][1], "list", 1, "L", "L", reached[-1][0], [], tiers, qty)
        return out


@st.composite
def carts(draw):
    category = Category(pk=1, code="C", name="C", path="/1/")
    n_skus = draw(st.integers(1, 6))
    skus, units, prices = {}, {}, {}
    for i in range(1, n_skus + 1):
        product = Product(pk=i, code=f"P{i}", name=f"商品{i}", category=category)
        sku = Sku(
            pk=i,
            code=f"S{i}",
            name="规格",
            base_unit="瓶",
            list_price=draw(money),
            vat_rate=draw(st.sampled_from(RATES)),
            product=product,
        )
        skus[i] = sku
        factor = draw(st.sampled_from([Decimal(1), Decimal(6), Decimal(24), Decimal("2.5"), Decimal("0.125")]))
        whole = draw(st.booleans())
        units[i] = [
            Unit(name="瓶", factor=Decimal(1), is_whole=False),
            Unit(name="箱", factor=factor, is_whole=whole, is_default=draw(st.booleans())),
        ]
        first = draw(money)
        second = draw(st.decimals(min_value=Decimal("0.00"), max_value=first, places=2))
        prices[i] = [(Decimal(1), first), (Decimal(draw(st.integers(2, 200))), second)]
    items = []
    for _ in range(draw(st.integers(1, 12))):
        sku_id = draw(st.integers(1, n_skus))
        unit = draw(st.sampled_from([None, "瓶", "箱"]))
        if unit == "瓶":  # fractions in the base unit (not whole here); whole numbers of packs
            qty = draw(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(500), places=3))
        else:
            qty = Decimal(draw(st.integers(1, 500)))
        items.append(CartItem(sku_id=sku_id, qty=qty, unit=unit))
    promotions = []
    now = timezone.now()
    for n in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["percent", "threshold", "flash", "gift"]))
        scope = draw(st.sampled_from([{}, {"skus": [1]}, {"skus": list(range(1, n_skus + 1))}, {"categories": [1]}]))
        if kind == "percent":
            rules = {"percent": str(draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)))}
        elif kind == "threshold":
            rules = {"threshold": str(draw(money)), "off": str(draw(money)), "repeat": draw(st.booleans())}
        elif kind == "flash":
            rules = {"sku": draw(st.integers(1, n_skus)), "price": str(draw(small_money))}
        else:
            rules = {"buy_qty": str(draw(st.integers(1, 50))), "gift_qty": "1", "repeat": draw(st.booleans())}
        cap = draw(st.one_of(st.none(), st.integers(0, 100).map(Decimal)))
        promo = Promotion(
            pk=100 + n,
            code=f"PR{n}",
            name=f"促销{n}",
            kind=kind,
            rules=rules,
            scope=scope,
            priority=draw(st.integers(-2, 2)),
            stackable=draw(st.booleans()),
            exclusive_group=draw(st.sampled_from(["", "", "g"])),
            valid_from=now,
            valid_to=now,
            total_cap=cap if kind == "flash" else None,
            per_dealer_cap=draw(st.one_of(st.none(), st.integers(1, 50).map(Decimal))) if kind == "flash" else None,
            sold_qty=Decimal(draw(st.integers(0, 30))) if kind == "flash" else Decimal(0),
        )
        promo.dealer_used = Decimal(draw(st.integers(0, 10)))
        promotions.append(promo)
    return InMemoryPricing(skus, units, prices, promotions), items


def _no_float(value, where="cart"):
    assert not isinstance(value, float), where
    if isinstance(value, dict):
        for k, v in value.items():
            _no_float(v, f"{where}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _no_float(v, f"{where}[{i}]")


def _is_cents(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value == value.quantize(CENT) and value.as_tuple().exponent == -2


@settings(max_examples=300, deadline=None)
@given(carts())
def test_any_cart_adds_up_to_the_cent_in_decimals_only(case):
    policy, items = case
    dealer = Dealer(pk=1, tier_id=1, region_code="440305")
    # when any cart is priced
    cart: PricedCart = policy.price_cart(dealer=dealer, items=items, at=timezone.now(), tier_code="std")
    # then lines come in input order, then gifts
    assert [line.sku_id for line in cart.lines[: len(items)]] == [item.sku_id for item in items]
    assert all(line.is_gift for line in cart.lines[len(items) :])
    # and every amount is a Decimal of whole cents, never negative
    for line in cart.lines:
        for f in fields(PricedLine):
            value = getattr(line, f.name)
            assert not isinstance(value, float), f.name
            if f.name in ("unit_price", "list_price", "discount", "amount", "tax"):
                assert _is_cents(value) and value >= 0, (f.name, value)
            if f.name in ("unit_factor", "qty", "qty_base", "tax_rate"):
                assert isinstance(value, Decimal), f.name
        _no_float(line.explanation, "explanation")
        # amount − tax == net and net + tax == amount, exactly
        net, tax = split_tax(line.amount, line.tax_rate)
        assert line.tax == tax and line.amount - line.tax == net and net + line.tax == line.amount
        if not line.is_gift:
            assert line.amount == quantize(line.qty * line.unit_price) - line.discount  # half up
            assert line.discount <= quantize(line.qty * line.unit_price)
    # and the cart is the sum of its lines
    for name in ("subtotal", "discount", "total", "tax"):
        assert _is_cents(getattr(cart, name)), name
    assert sum((line.amount for line in cart.lines), Decimal(0)) == cart.total
    assert sum((line.tax for line in cart.lines), Decimal(0)) == cart.tax
    assert sum((line.discount for line in cart.lines), Decimal(0)) == cart.discount
    assert cart.subtotal - cart.discount == cart.total
    assert sum((Decimal(p["amount"]) for p in cart.promotions), Decimal(0)) == cart.discount
    _no_float(cart.promotions, "promotions")
    for claim in cart.flash_claims:
        assert isinstance(claim.qty_base, Decimal) and claim.qty_base > 0


@settings(max_examples=500, deadline=None)
@given(
    st.decimals(min_value=Decimal("0.00"), max_value=Decimal("100000.00"), places=2),
    st.lists(st.decimals(min_value=Decimal("0.00"), max_value=Decimal("10000.00"), places=2), min_size=1, max_size=40),
)
def test_allocation_adds_up_and_keeps_every_share_within_its_line(total, weights):
    shares = allocate(total, dict(enumerate(weights)))
    assert sum(shares.values(), Decimal(0)) == min(total, sum(weights, Decimal(0)))
    for i, share in shares.items():
        assert _is_cents(share) and Decimal(0) < share <= weights[i]
