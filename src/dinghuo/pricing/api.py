"""The pricing API (mounted at /api/v1/pricing): quote a cart with every line's price explained."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from dinghuo.accounts.permissions import require, scope_dealers
from dinghuo.core.errors import REQUIRED, NotAuthenticated, PermissionDenied, ValidationError
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.errors import DealerNotFound
from dinghuo.dealers.models import Dealer
from dinghuo.pricing.engine import CartItem, price_cart
from dinghuo.pricing.schemas import FlashClaimOut, QuoteIn, QuoteLineOut, QuoteOut

router = Router(tags=["pricing"])


class QuoteParams(Schema):
    dealer: int | None = None


def _actor(request: HttpRequest) -> Actor:
    actor = getattr(request, "actor", None)
    if actor is None:
        raise NotAuthenticated()
    return actor


def _dealer_for(actor: Actor, dealer_id: int | None) -> Dealer:
    """A dealer user quotes for its own dealer; staff with prices.view_all for a dealer they may see."""
    if actor.is_dealer:
        require(actor, "catalog.view")
        if dealer_id is not None and dealer_id != actor.dealer_id:
            raise PermissionDenied(detail={"dealer": dealer_id})
        dealer_id = actor.dealer_id
    else:
        require(actor, "prices.view_all")
        if dealer_id is None:
            raise ValidationError(detail={"dealer": REQUIRED})
    dealer = scope_dealers(actor, Dealer.objects.all()).filter(pk=dealer_id).first() if 0 < dealer_id < 2**63 else None
    if dealer is None:
        raise DealerNotFound(detail={"dealer": dealer_id})
    return dealer


@router.post(
    "/quote",
    response=QuoteOut,
    summary="Quote a cart",
    description=(
        "Prices the lines for the signed-in dealer (or, for staff with prices.view_all, for `?dealer=<id>`): "
        "each line with its unit price, discount, amount, tax and an explanation of where the price comes from "
        "and which promotions applied or did not; gift lines follow the input lines. Nothing is reserved."
    ),
)
def quote(request: HttpRequest, payload: QuoteIn, params: Query[QuoteParams]) -> dict:
    actor = _actor(request)
    dealer = _dealer_for(actor, params.dealer)
    at = payload.at if (payload.at is not None and actor.is_staff) else timezone.now()
    cart = price_cart(
        dealer=dealer, items=[CartItem(sku_id=x.sku_id, qty=x.qty, unit=x.unit) for x in payload.lines], at=at
    )
    return {
        "dealer_id": dealer.pk,
        "at": at,
        "lines": [QuoteLineOut.model_validate(line, from_attributes=True) for line in cart.lines],
        "subtotal": cart.subtotal,
        "discount": cart.discount,
        "total": cart.total,
        "tax": cart.tax,
        "promotions": cart.promotions,
        "flash": [
            FlashClaimOut(promotion_id=c.promotion_id, sku_id=c.sku_id, qty_base=c.qty_base) for c in cart.flash_claims
        ],
    }
