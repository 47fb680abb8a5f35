"""Row locks of pricing. Every select_for_update of the app lives here, taken in primary-key order
so two transactions locking overlapping sets never wait on each other in a cycle."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from dinghuo.pricing.models import PriceList, Promotion


def lock_promotions(ids: Iterable[int]) -> dict[int, Promotion]:
    """Lock promotions (flash-sale counters) by id, in id order; missing ids are simply absent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = (
        Promotion.objects.select_for_update()
        .filter(pk__in=wanted)
        .order_by("pk")
        .only("id", "code", "kind", "is_active", "valid_from", "valid_to", "total_cap", "per_dealer_cap", "sold_qty")
    )
    return {p.pk: p for p in rows}


def lock_price_lists_of_target(*, kind: str, target: Q) -> list[int]:
    """Lock every price list with this kind and target (dealer, group, tier or region), in id order.

    Writers that change which SKUs a target's lists price take these locks first, so two
    concurrent edits cannot each miss the other's overlapping list.
    """
    return list(
        PriceList.objects.select_for_update().filter(target, kind=kind).order_by("pk").values_list("pk", flat=True)
    )
