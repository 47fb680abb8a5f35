"""Reads of dealers shared by pages and the API."""

from django.db.models import Count, Q, QuerySet

from dinghuo.accounts.models import Membership
from dinghuo.accounts.permissions import require, scope_dealers, sees_every_dealer
from dinghuo.core.prepared import prepared
from dinghuo.core.tenancy import Actor
from dinghuo.dealers.errors import DealerNotFound
from dinghuo.dealers.models import Address, Dealer, DealerRegion, DealerTier, PriceGroup


def dealer_list(
    *,
    actor: Actor,
    q: str = "",
    tier_id: int | None = None,
    status: str = "",
    province: str = "",
    sales_rep_id: int | None = None,
) -> QuerySet[Dealer]:
    require(actor, "dealers.view")
    qs = scope_dealers(actor, Dealer.objects.all()).select_related("tier", "sales_rep", "parent", "price_group")
    if q:
        qs = qs.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(contact_name__icontains=q) | Q(contact_phone__icontains=q)
        )
    if tier_id:
        qs = qs.filter(tier_id=tier_id)
    if status:
        qs = qs.filter(status=status)
    if province:
        qs = qs.filter(region_code__startswith=province[:2])
    if sales_rep_id:
        qs = qs.filter(sales_rep_id=sales_rep_id)
    return qs.order_by("code")


def dealer_get(*, actor: Actor, pk: int | str, for_update: bool = False) -> Dealer:
    """One dealer the actor may see, with what its detail page shows; another tenant's id is 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise DealerNotFound()
    if not actor.is_dealer:
        require(actor, "dealers.view")
    if pk == actor.dealer_id or sees_every_dealer(actor):  # in scope whatever it is: the catalog's every read
        dealer = _dealer_detail.first(pk=pk)
    else:
        qs = scope_dealers(actor, Dealer.objects.all(), include_children=actor.is_dealer)
        dealer = _with_detail(qs).filter(pk=pk).first()
    if dealer is None:
        raise DealerNotFound()
    return dealer


def _with_detail(qs: QuerySet[Dealer]) -> QuerySet[Dealer]:
    return qs.select_related("tier", "sales_rep", "parent", "price_group")


@prepared
def _dealer_detail(pk: int) -> QuerySet[Dealer]:
    return _with_detail(Dealer.objects.filter(pk=pk))[:1]


def dealer_detail_related(dealer: Dealer) -> dict:
    return {
        "regions": list(DealerRegion.objects.filter(dealer=dealer).order_by("region_code")),
        "addresses": list(Address.objects.filter(dealer=dealer)),
        "contacts": list(dealer.contacts.all()),
        "users": list(Membership.objects.filter(dealer=dealer).select_related("user").order_by("id")),
        "children": list(Dealer.objects.filter(parent=dealer).select_related("tier").order_by("code")),
        "service_records": list(dealer.service_records.select_related("staff")[:20]),
    }


def dealer_authorised_regions(dealer_id: int) -> list[str]:
    return list(DealerRegion.objects.filter(dealer_id=dealer_id).values_list("region_code", flat=True))


def tiers() -> QuerySet[DealerTier]:
    return DealerTier.objects.annotate(dealer_count=Count("dealers")).order_by("rank", "code")


def price_groups() -> QuerySet[PriceGroup]:
    return PriceGroup.objects.order_by("code")


def sales_reps() -> QuerySet[Membership]:
    return Membership.objects.filter(role="sales_rep", is_active=True).select_related("user").order_by("user__username")
