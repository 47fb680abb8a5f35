"""The dealer's persistent cart, quick order (typed or pasted codes) and reorder."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.catalog.models import Sku, SkuUnit
from dinghuo.core.errors import ValidationError
from dinghuo.core.tenancy import Actor
from dinghuo.core.xlsx import normalise_text
from dinghuo.orders.errors import OrderNotFound, QuickOrderInvalid
from dinghuo.orders.models import Cart, CartLine, Order
from dinghuo.pricing.engine import CartItem, PricedCart, price_cart

MAX_CART_LINES = 500


def _dealer_id(actor: Actor, dealer_id: int | None) -> int:
    if actor.is_dealer:
        return actor.dealer_id
    require(actor, "orders.place_on_behalf")
    if dealer_id is None:
        raise ValidationError(detail={"dealer": _("Choose the dealer to order for.")})
    from dinghuo.dealers.selectors import dealer_get

    return dealer_get(actor=actor, pk=dealer_id).pk


def cart_for(*, actor: Actor, dealer_id: int | None = None) -> Cart:
    require(actor, "orders.place")
    cart, _created = Cart.objects.get_or_create(user_id=actor.user_id, dealer_id=_dealer_id(actor, dealer_id))
    return cart


def cart_items(cart: Cart) -> list[CartItem]:
    return [CartItem(sku_id=line.sku_id, qty=line.qty, unit=line.unit) for line in cart.lines.all()]


def _check_qty(qty: Decimal) -> Decimal:
    if not isinstance(qty, Decimal) or not qty.is_finite() or qty <= 0 or qty > Decimal("99999999"):
        raise ValidationError(detail={"qty": _("Enter a quantity greater than zero.")})
    return qty


def _unit_for(sku_id: int, unit: str | None) -> str:
    units = list(SkuUnit.objects.filter(sku_id=sku_id).values_list("name", "is_default"))
    sku = Sku.objects.filter(pk=sku_id).values_list("base_unit", flat=True).first()
    if sku is None:
        from dinghuo.pricing.errors import SkuUnknown

        raise SkuUnknown(line=1, sku=sku_id, detail={"sku": sku_id})
    if unit:
        if unit != sku and unit not in {name for name, _d in units}:
            from dinghuo.pricing.errors import UnitUnknown

            raise UnitUnknown(line=1, sku=sku_id, unit=unit, detail={"unit": unit, "sku": sku_id})
        return unit
    return next((name for name, default in units if default), sku)


def cart_add(*, actor: Actor, cart: Cart, sku_id: int, qty: Decimal, unit: str | None = None) -> CartLine:
    """Add to the cart (adding to the same SKU and unit sums the quantities)."""
    _check_qty(qty)
    unit = _unit_for(sku_id, unit)
    with transaction.atomic():
        line = CartLine.objects.filter(cart=cart, sku_id=sku_id, unit=unit).first()
        if line:
            CartLine.objects.filter(pk=line.pk).update(qty=F("qty") + qty)
            line.refresh_from_db()
        else:
            if CartLine.objects.filter(cart=cart).count() >= MAX_CART_LINES:
                raise ValidationError(detail={"cart": _("The cart is full (%(n)s lines).") % {"n": MAX_CART_LINES}})
            line = CartLine.objects.create(cart=cart, sku_id=sku_id, unit=unit, qty=qty)
        cart.save(update_fields=["updated_at"])
    return line


def cart_set(*, actor: Actor, cart: Cart, line_id: int, qty: Decimal) -> CartLine | None:
    line = CartLine.objects.filter(cart=cart, pk=line_id).first()
    if line is None:
        raise ValidationError(detail={"line": line_id})
    if qty <= 0:
        line.delete()
        return None
    line.qty = _check_qty(qty)
    line.save(update_fields=["qty"])
    return line


def cart_clear(*, cart: Cart) -> None:
    CartLine.objects.filter(cart=cart).delete()


def cart_price(*, cart: Cart) -> PricedCart | None:
    items = cart_items(cart)
    return price_cart(dealer=cart.dealer, items=items) if items else None


def reorder(*, actor: Actor, cart: Cart, order_id: int) -> int:
    """Put a past order's lines (not its gifts) back in the cart; returns how many lines were added."""
    order = Order.objects.filter(pk=order_id, dealer_id=cart.dealer_id).first()
    if order is None:
        raise OrderNotFound()
    lines = list(
        order.lines.filter(is_gift=False, sku__is_active=True, sku__product__status="on_sale").order_by("line_no")
    )
    for line in lines:
        cart_add(actor=actor, cart=cart, sku_id=line.sku_id, qty=line.qty, unit=line.unit)
    return len(lines)


# --- quick order --------------------------------------------------------------------------------

_LINE = re.compile(
    r"^(?P<code>[^\s,，;；*×]+)\s*(?:[,，;；*×]|\s[xX]\s|\s)\s*(?P<qty>[0-9]+(?:\.[0-9]+)?)\s*[,，;；]?\s*(?P<unit>[^\s0-9.,，;；]+)?$"
)


@dataclass
class QuickLine:
    line: int  # the pasted line number (1-based)
    text: str
    item: CartItem | None = None
    error: str = ""


@dataclass
class QuickResult:
    lines: list[QuickLine] = field(default_factory=list)

    @property
    def items(self) -> list[CartItem]:
        return [q.item for q in self.lines if q.item]

    @property
    def errors(self) -> list[QuickLine]:
        return [q for q in self.lines if q.error]


def quick_parse(text: str) -> QuickResult:
    """Understand pasted lines like "COLA 2箱", "6901234567890 x 10", "WATER,48,瓶" (codes or barcodes).

    One query resolves every code: SKU codes, SKU barcodes and pack-unit barcodes (a case barcode
    orders in cases). Each line gets an item or an error naming it.
    """
    result = QuickResult()
    parsed = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        clean = normalise_text(raw)
        if not clean:
            continue
        match = _LINE.match(clean)
        if not match:
            result.lines.append(QuickLine(number, raw, error=_("Write a code and a quantity, e.g. “COLA 2箱”.")))
            continue
        try:
            qty = Decimal(match.group("qty"))
        except InvalidOperation:
            qty = Decimal(0)
        parsed.append((number, raw, match.group("code"), qty, match.group("unit")))
    if len(parsed) > MAX_CART_LINES:
        raise QuickOrderInvalid(detail={"lines": _("Paste at most %(n)s lines at a time.") % {"n": MAX_CART_LINES}})
    codes = {p[2] for p in parsed} | {p[2].upper() for p in parsed}
    by_code: dict[str, tuple[int, str | None]] = {}
    for sku_id, code, barcode in Sku.objects.filter(Q(code__in=codes) | Q(barcode__in=codes)).values_list(
        "pk", "code", "barcode"
    ):
        by_code.setdefault(code, (sku_id, None))
        if barcode:
            by_code.setdefault(barcode, (sku_id, None))
    for sku_id, name, barcode in SkuUnit.objects.filter(barcode__in=codes).values_list("sku_id", "name", "barcode"):
        by_code.setdefault(barcode, (sku_id, name))
    for number, raw, code, qty, unit in parsed:
        found = by_code.get(code) or by_code.get(code.upper())
        if found is None:
            result.lines.append(
                QuickLine(number, raw, error=_("Unknown SKU code or barcode “%(code)s”.") % {"code": code})
            )
        elif qty <= 0:
            result.lines.append(QuickLine(number, raw, error=_("The quantity must be greater than zero.")))
        else:
            result.lines.append(QuickLine(number, raw, item=CartItem(sku_id=found[0], qty=qty, unit=unit or found[1])))
    result.lines.sort(key=lambda q: q.line)
    return result


def quick_add_to_cart(*, actor: Actor, cart: Cart, text: str) -> QuickResult:
    result = quick_parse(text)
    if result.errors:
        raise QuickOrderInvalid(
            detail={"lines": [{"line": q.line, "text": q.text, "error": q.error} for q in result.errors]}
        )
    with transaction.atomic():
        for q in result.lines:
            try:
                cart_add(actor=actor, cart=cart, sku_id=q.item.sku_id, qty=q.item.qty, unit=q.item.unit)
            except ValidationError as exc:
                raise QuickOrderInvalid(detail={"lines": [{"line": q.line, "text": q.text, "error": exc.message}]})
    return result
