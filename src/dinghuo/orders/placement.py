"""Placing an order: the hot path (DESIGN.md, "The hot path").

One short transaction and a fixed number of SQL statements whatever the line count:

1. idempotency: claim the key (409/422/replay) — one statement;
2. reads: the dealer with its account and tier; its authorised regions and the ship-to address;
   the cart priced in one set-based pass (pricing.engine); the candidate stock rows;
3. pure checks: the rule check (orders/rules.py) and the allocation plan (inventory/allocation.py);
4. writes: reserve stock with one guarded UPDATE taking rows in primary-key order; claim flash-sale
   quantities; hold credit / spend prepaid and rebate with one guarded UPDATE; bulk-insert the
   order, lines, allocations, stock movements, ledger entries, timeline events, outbox events and
   the idempotency record; append the audit rows.

No network call happens inside; notifications and webhooks leave from the outbox after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require, scope_dealers
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.bulkwrite import allocate_ids, build, insert_all, is_postgres, normalise_decimals
from dinghuo.core.db import GroupConcat
from dinghuo.core.errors import PermissionDenied
from dinghuo.core.idempotency import IdempotencyKey, idempotency_claim, idempotency_record
from dinghuo.core.money import ZERO, quantize
from dinghuo.core.numbering import PREFIXES, format_number, next_numbers
from dinghuo.core.prepared import prepared
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.dealers.errors import DealerNotFound, DealerSuspended
from dinghuo.dealers.models import Address, Dealer, DealerRegion
from dinghuo.finance.errors import AmountInvalid, PaymentMixInvalid
from dinghuo.finance.models import DealerAccount
from dinghuo.finance.services import Funds, account_for, funds_take
from dinghuo.inventory import services as stock_services
from dinghuo.inventory.allocation import Need, Plan, StockOption, allocation_policy
from dinghuo.inventory.models import Stock, StockMovement
from dinghuo.notify.outbox import outbox_event
from dinghuo.orders.errors import EmptyOrder, OrderBlocked, ShipToInvalid
from dinghuo.orders.models import Allocation, Order, OrderEvent, OrderLine
from dinghuo.orders.rules import BLOCK, REVIEW, CheckInput, RuleResult, rules_policy
from dinghuo.pricing.engine import CartItem, Catalog, PricedCart, claim_flash_sales, price_cart

S = Order.Status
SEQUENCE = PREFIXES["order"][1]


@dataclass(frozen=True)
class ShipTo:
    name: str
    phone: str
    region_code: str
    address: str


@dataclass
class Placed:
    order: Order
    created: bool  # False when an Idempotency-Key replayed an earlier order
    checks: list[dict] = field(default_factory=list)
    body: dict | None = None  # what ``render`` made of the new order (also stored for idempotent replays)


@prepared
def _dealer_row(dealer_id: int) -> QuerySet:
    return Dealer.objects.select_related("tier", "account", "tenant").filter(pk=dealer_id)[:1]


def _dealer_for(actor: Actor, dealer_id: int) -> tuple[Dealer, bool]:
    """The dealer being ordered for, and whether a staff member is doing it on its behalf."""
    if actor.is_dealer:
        if dealer_id != actor.dealer_id:
            raise DealerNotFound()
        require(actor, "orders.place")
        on_behalf = False
        dealer = _dealer_row.first(dealer_id=dealer_id)
    else:
        require(actor, "orders.place_on_behalf")
        on_behalf = True
        every = Dealer.objects.all()
        scoped = scope_dealers(actor, every)
        if scoped is every:  # the actor sees every dealer of the tenant: the prepared read will do
            dealer = _dealer_row.first(dealer_id=dealer_id)
        else:
            dealer = scoped.select_related("tier", "account", "tenant").filter(pk=dealer_id).first()
    if dealer is None:
        raise DealerNotFound()
    if not dealer.is_active:
        raise DealerSuspended(dealer=dealer.name)
    return dealer, on_behalf


def _addresses(dealer_id: int) -> QuerySet:
    """A dealer's addresses, each with its dealer's authorised region codes (comma-joined)."""
    authorised = Subquery(
        DealerRegion.objects.filter(dealer_id=OuterRef("dealer_id"))
        .values("dealer_id")
        .annotate(codes=GroupConcat("region_code"))
        .values("codes")[:1]
    )
    return Address.objects.filter(dealer_id=dealer_id).annotate(authorised=authorised)


@prepared
def _default_address(dealer_id: int) -> QuerySet:
    return _addresses(dealer_id).order_by("-is_default", "id")[:1]


@prepared
def _address(dealer_id: int, address_id: int) -> QuerySet:
    return _addresses(dealer_id).filter(pk=address_id)[:1]


def _ship_to(dealer: Dealer, address_id: int | None, ship_to: ShipTo | None) -> tuple[ShipTo, list[str]]:
    """The ship-to and the dealer's authorised regions, in one query."""
    if ship_to is not None or address_id is None:
        address = _default_address.first(dealer_id=dealer.pk)
    else:
        address = _address.first(dealer_id=dealer.pk, address_id=address_id)
    if address is None and (ship_to is None or address_id is not None):
        raise ShipToInvalid(detail={"address_id": address_id})
    if address is None:
        codes = list(DealerRegion.objects.filter(dealer=dealer).values_list("region_code", flat=True))
    else:
        codes = [c for c in (address.authorised or "").split(",") if c]
    if ship_to is not None:
        return ship_to, codes
    return ShipTo(address.receiver, address.phone, address.region_code, f"{address.region_name}{address.detail}"), codes


def _stock_rows(sku_ids: list[int], **owner: object) -> QuerySet:
    return (
        Stock.objects.filter(sku_id__any=sku_ids, warehouse__is_active=True, **owner)
        .values_list("pk", "sku_id", "warehouse_id", "warehouse__region_code", "on_hand", "reserved", "backorder_ok")
        .order_by("warehouse_id", "sku_id")
    )


@prepared
def _brand_stock(sku_ids: list[int]) -> QuerySet:
    return _stock_rows(sku_ids, warehouse__owner_dealer=None)


@prepared
def _supplier_stock(sku_ids: list[int], supplier_id: int) -> QuerySet:
    return _stock_rows(sku_ids, warehouse__owner_dealer_id=supplier_id)


def _stock_options(priced: PricedCart, supplier: Dealer | None) -> list[StockOption]:
    """The stock rows that may serve the cart: the brand's warehouses, or the supplying parent dealer's."""
    sku_ids = sorted({line.sku_id for line in priced.lines})
    if supplier is None:
        rows = _brand_stock.queryset(sku_ids=sku_ids)
    else:
        rows = _supplier_stock.queryset(sku_ids=sku_ids, supplier_id=supplier.pk)
    return [
        StockOption(pk, sku, wh, region, on_hand - reserved, bo) for pk, sku, wh, region, on_hand, reserved, bo in rows
    ]


def _funds(priced: PricedCart, pay_prepaid: Decimal, pay_rebate: Decimal, tenant_settings: dict) -> Funds:
    for name, value in (("pay_prepaid", pay_prepaid), ("pay_rebate", pay_rebate)):
        if not isinstance(value, Decimal) or value < 0 or quantize(value) != value:
            raise AmountInvalid(detail={name: str(value)})
    total = priced.total
    if pay_prepaid + pay_rebate > total:
        raise PaymentMixInvalid(reason=_("prepaid and rebate exceed the total"), detail={"total": str(total)})
    cap = Decimal(str(tenant_settings.get("rebate_max_percent", "100")))
    if pay_rebate > quantize(total * cap / 100):
        raise PaymentMixInvalid(
            reason=_("rebates may pay at most %(pct)s%% of an order") % {"pct": cap},
            detail={"pay_rebate": str(pay_rebate)},
        )
    return Funds(credit=total - pay_prepaid - pay_rebate, prepaid=pay_prepaid, rebate=pay_rebate)


def order_place(
    *,
    actor: Actor,
    dealer_id: int,
    items: list[CartItem],
    address_id: int | None = None,
    ship_to: ShipTo | None = None,
    pay_prepaid: Decimal = ZERO,
    pay_rebate: Decimal = ZERO,
    note: str = "",
    requested_date: dt.date | None = None,
    channel: str | None = None,
    from_parent: bool = False,
    idempotency: IdempotencyKey | None = None,
    tenant_settings: dict | None = None,
    render: Callable[[Order], dict] | None = None,
    catalog: Catalog | None = None,
) -> Placed:
    """Price, check, allocate, reserve and record an order — or refuse it with the reasons.

    Raises OrderBlocked (422, every rule's result in ``detail``), OutOfStock / CreditLimitExceeded /
    FlashSaleSoldOut (409, when a concurrent order took what this one needed), pricing errors for
    bad lines (unknown SKU, bad unit or quantity, naming the line), and nothing is written.

    ``catalog``: a cache of SKUs and units kept by a caller placing many orders (``pricing.engine.Catalog``).

    ``render`` turns the new order — with its lines and timeline in memory, as prefetched — into a
    response body, which the idempotency record stores in the same statement (no read-back).
    """
    if not items:
        raise EmptyOrder()
    with transaction.atomic():
        if idempotency is not None:
            replay = idempotency_claim(idempotency)
            if replay is not None:
                return Placed(order=Order.objects.get(pk=int(replay.resource_id)), created=False)
        dealer, on_behalf = _dealer_for(actor, dealer_id)
        if tenant_settings is None:
            tenant_settings = dealer.tenant.settings or {}
        supplier = dealer.parent if from_parent else None
        if from_parent and supplier is None:
            raise PermissionDenied(detail={"from_parent": True})
        account = getattr(dealer, "account", None) or account_for(dealer)
        target, authorised = _ship_to(dealer, address_id, ship_to)
        now = timezone.now()
        priced = price_cart(
            dealer=dealer,
            items=items,
            at=now,
            tenant_settings=tenant_settings,
            tier_code=dealer.tier.code,
            catalog=catalog,
        )
        funds = _funds(priced, pay_prepaid, pay_rebate, tenant_settings)
        needs = [
            Need(index=i, sku_id=line.sku_id, qty_base=line.qty_base, allow_backorder=line.sku.allow_backorder)
            for i, line in enumerate(priced.lines)
        ]
        plan: Plan = allocation_policy(tenant_settings).plan(
            needs=needs, options=_stock_options(priced, supplier), ship_to_region=target.region_code
        )
        checks = rules_policy(tenant_settings).check(
            CheckInput(
                lines=priced.lines,
                total=priced.total,
                pay_credit=funds.credit,
                ship_to_region=target.region_code,
                authorised_regions=authorised,
                credit_limit=account.credit_limit,
                exposure=account.exposure,
                oldest_due_date=account.oldest_due_date,
                today=timezone.localdate(),
                short=plan.short,
                tenant_settings=tenant_settings,
            )
        )
        blocked = [c for c in checks if c.outcome == BLOCK]
        if blocked:
            raise OrderBlocked(
                reasons="；".join(c.message for c in blocked), detail={"checks": [c.as_dict() for c in checks]}
            )
        review = [c for c in checks if c.outcome == REVIEW]
        order, body = _write(
            actor=actor,
            dealer=dealer,
            account=account,
            supplier=supplier,
            on_behalf=on_behalf,
            priced=priced,
            funds=funds,
            plan=plan,
            checks=checks,
            review=review,
            target=target,
            note=note,
            requested_date=requested_date,
            channel=channel,
            idempotency=idempotency,
            now=now,
            render=render,
        )
        return Placed(order=order, created=True, checks=[c.as_dict() for c in checks], body=body)


def _write(
    *,
    actor: Actor,
    dealer: Dealer,
    account: DealerAccount,
    supplier: Dealer | None,
    on_behalf: bool,
    priced: PricedCart,
    funds: Funds,
    plan: Plan,
    checks: list[RuleResult],
    review: list[RuleResult],
    target: ShipTo,
    note: str,
    requested_date: dt.date | None,
    channel: str | None,
    idempotency: IdempotencyKey | None,
    now: dt.datetime,
    render: Callable[[Order], dict] | None,
) -> tuple[Order, dict | None]:
    status = S.PENDING_REVIEW if review else S.APPROVED
    pg = is_postgres()
    if pg:
        # every id and the order number from the sequences in one statement
        ids, seqs = allocate_ids(
            {Order: 1, OrderLine: len(priced.lines), Allocation: len(plan.picks)},
            sequences={SEQUENCE: 1},
        )
        number = format_number("order", seqs[SEQUENCE][0])
    else:
        ids = {}
        (number,) = next_numbers("order")
    order_id = ids[Order][0] if pg else None
    ref = ("order", str(order_id or ""))
    # Stock: reserve what the plan picked (a stock shortfall sent to review reserves what there is).
    movements: list[StockMovement] = []
    if plan.picks:
        movements = stock_services.reserve(
            changes=[stock_services.StockChange(o.stock_id, q) for _i, o, q in plan.picks],
            ref=ref,
            actor_id=actor.user_id,
            skus={o.stock_id: priced.lines[i].sku_code for i, o, _q in plan.picks},
        )
    if priced.flash_claims:
        claim_flash_sales(dealer_id=dealer.pk, claims=priced.flash_claims)
    # Money: an order waiting for review holds nothing yet; approval takes the funds (re-checked).
    entries = []
    if status == S.APPROVED:
        entries = funds_take(account=account, funds=funds, allow_over_limit=False, ref=ref, actor_id=actor.user_id)
    order = Order(
        pk=order_id,
        tenant_id=dealer.tenant_id,
        number=number,
        dealer=dealer,
        supplier_dealer=supplier,
        placed_by_id=actor.user_id,
        on_behalf=on_behalf,
        channel=channel or (Order.Channel.ON_BEHALF if on_behalf else Order.Channel.WEB),
        status=status,
        ship_to_name=target.name[:60],
        ship_to_phone=target.phone[:30],
        ship_to_region=target.region_code,
        ship_to_address=target.address[:240],
        requested_date=requested_date,
        note=note[:500],
        subtotal=priced.subtotal,
        discount=priced.discount,
        total=priced.total,
        tax=priced.tax,
        pay_credit=funds.credit,
        pay_prepaid=funds.prepaid,
        pay_rebate=funds.rebate,
        funds_taken=status == S.APPROVED,
        checks=[c.as_dict() for c in checks],
        promotions=priced.promotions,
        flash_claims=[[c.promotion_id, c.sku_id, str(c.qty_base)] for c in priced.flash_claims],
        created_at=now,
        updated_at=now,
    )
    normalise_decimals([order])
    if not pg:
        order.save()
    lines = [
        build(
            OrderLine,
            id=ids[OrderLine][i - 1] if pg else None,
            tenant_id=dealer.tenant_id,
            order=order,
            line_no=i,
            sku_id=p.sku_id,
            sku_code=p.sku_code,
            name=p.name[:240],
            unit=p.unit,
            unit_factor=p.unit_factor,
            qty=p.qty,
            qty_base=p.qty_base,
            unit_price=p.unit_price,
            list_price=p.list_price,
            discount=p.discount,
            amount=p.amount,
            tax_rate=p.tax_rate,
            tax=p.tax,
            is_gift=p.is_gift,
            promotion_id=p.promotion_id,
            explanation=p.explanation,
            backordered_base=plan.backordered.get(i - 1, Decimal(0)),
        )
        for i, p in enumerate(priced.lines, start=1)
    ]
    normalise_decimals(lines)
    if not pg:
        OrderLine.objects.bulk_create(stamp_tenant(lines))
    allocations = [
        build(
            Allocation,
            id=ids[Allocation][k] if pg else None,
            tenant_id=dealer.tenant_id,
            line=lines[i],
            stock_id=o.stock_id,
            warehouse_id_snapshot=o.warehouse_id,
            qty_base=q,
        )
        for k, (i, o, q) in enumerate(plan.picks)
    ]
    for m in movements:
        m.ref_id = str(order.pk)
    for e in entries:
        e.ref_id = str(order.pk)
    events = [
        OrderEvent(
            order=order,
            kind="submitted",
            to_status=S.SUBMITTED,
            actor_id=actor.user_id,
            actor_label=actor.label,
            data={"channel": order.channel, "on_behalf": on_behalf},
        ),
        OrderEvent(
            order=order,
            kind="status",
            from_status=S.SUBMITTED,
            to_status=status,
            actor_id=actor.user_id,
            actor_label=actor.label,
            reason="；".join(c.message for c in review) if review else _("All checks passed; approved automatically."),
            data={"checks": [c.rule for c in review]},
        ),
    ]
    for event in events:
        event.created_at = now
    if not pg:  # SQLite: saved before rendering, as bulk_create stamps auto_now_add fields itself
        OrderEvent.objects.bulk_create(stamp_tenant(events))
    body = None
    if render is not None:  # render from memory, as if prefetched; later callers get real querysets
        order._prefetched_objects_cache = {"lines": lines, "events": events, "shipments": []}
        body = render(order)
        del order._prefetched_objects_cache
    payload = {"order_id": order.pk, "number": number, "dealer_id": dealer.pk, "status": status, "total": order.total}
    outbox = [
        outbox_event(topic="order.created", aggregate=("order", order.pk), payload=payload),
        outbox_event(
            topic="order.status_changed",
            aggregate=("order", order.pk),
            payload={**payload, "from": S.SUBMITTED, "to": status},
        ),
    ]
    records = (
        [idempotency_record(idempotency, resource=("order", order.pk), status=201, body=body or {"number": number})]
        if idempotency is not None
        else []
    )
    insert_all(
        [
            [order] if pg else [],
            lines if pg else [],
            allocations,
            movements,
            entries,
            events if pg else [],
            outbox,
            records,
        ]
    )
    audit_write(
        actor=actor,
        events=[
            AuditEvent(
                action="order.placed",
                obj_type="orders.order",
                obj_id=order.pk,
                obj_repr=number,
                after={
                    "dealer": dealer.pk,
                    "status": status,
                    "total": order.total,
                    "lines": len(lines),
                    "credit": funds.credit,
                    "prepaid": funds.prepaid,
                    "rebate": funds.rebate,
                    "stock": [[o.stock_id, q] for _i, o, q in plan.picks],
                },
            )
        ],
    )
    return order, body
