"""Demo step: warehouses, stock, dealer accounts and 12 months of order history.

History is written in bulk (it would take minutes through the hot path): completed orders with
their lines priced from the catalog's list prices, shipped and paid on credit, with the ledger
entries that net to zero, so every balance still equals its ledger. Seasonality follows a beverage
year (summer peak, a bump before the Spring Festival) and a flatter industrial one. The last
weeks are placed through the real ``order_place`` and lifecycle services, so open orders hold
stock and credit exactly as they would in production, and some dealers end up overdue.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dinghuo.catalog.models import Product, Sku, SkuUnit
from dinghuo.core.errors import DomainError
from dinghuo.core.money import ZERO, quantize, split_tax
from dinghuo.core.numbering import next_numbers
from dinghuo.core.tenancy import Actor, stamp_tenant, tenant_context
from dinghuo.demo.people import DemoTenant
from dinghuo.finance.models import DealerAccount, LedgerEntry, Receivable
from dinghuo.finance.services import account_for, balance_credit, credit_set_terms
from dinghuo.inventory.models import Stock, StockMovement, Warehouse
from dinghuo.inventory.services import warehouse_create
from dinghuo.orders.models import Order, OrderEvent, OrderLine, Shipment
from dinghuo.pricing.engine import CartItem

D = Decimal
BEV_WAREHOUSES = [("GZ", "广州总仓", "440106"), ("HZ", "杭州仓", "330106"), ("CD", "成都仓", "510107"),
                  ("BJ", "北京仓", "110105"), ("WH", "武汉仓", "420103")]  # fmt: skip
PARTS_WAREHOUSES = [("FS", "佛山总仓", "440604"), ("SZ", "苏州仓", "320505")]
BEV_SEASON = [1.15, 0.7, 0.8, 0.9, 1.05, 1.3, 1.5, 1.45, 1.1, 0.95, 0.85, 1.0]  # Jan..Dec
PARTS_SEASON = [0.9, 0.6, 1.1, 1.1, 1.05, 1.0, 0.95, 0.95, 1.05, 1.0, 1.1, 1.15]
LIMITS = {"gold": D("300000"), "silver": D("120000"), "normal": D("30000"), "a": D("500000"), "b": D("150000")}


def load_ordering(bev: DemoTenant, parts: DemoTenant, rng: random.Random, say: Callable[[str], None]) -> None:
    for demo, warehouses, season, orders_per_month in (
        (bev, BEV_WAREHOUSES, BEV_SEASON, 2.2),
        (parts, PARTS_WAREHOUSES, PARTS_SEASON, 1.6),
    ):
        with tenant_context(demo.tenant, demo.actor):
            started = timezone.now()
            whs = _warehouses(demo, warehouses)
            skus = list(
                Sku.objects.filter(is_active=True, product__status=Product.Status.ON_SALE).select_related("product")
            )
            if not skus:
                say(f"  {demo.tenant.code}: no catalog yet, skipping stock and history")
                continue
            _stock(demo, whs, skus, rng)
            _accounts(demo, rng)
            count = _history(demo, skus, whs, season, orders_per_month, rng)
            recent = _recent(demo, skus, rng)
            say(
                f"  {demo.tenant.code}: {len(whs)} warehouses, stock for {len(skus)} SKUs, "
                f"{count} historical and {recent} recent orders ({(timezone.now() - started).total_seconds():.1f}s)"
            )


def _warehouses(demo: DemoTenant, rows) -> list[Warehouse]:
    out = [warehouse_create(actor=demo.actor, code=c, name=n, region_code=r) for c, n, r in rows]
    agent = next((d for d in demo.dealers if d.parent_id is None and d.children.exists()), None)
    if agent is not None:
        # A province agent's own warehouse: its sub-dealers may order from it.
        warehouse_create(actor=demo.actor, code=f"D-{agent.code}", name=f"{agent.short_name or agent.name}自有仓",
                         region_code=agent.region_code if len(agent.region_code) == 6 else "440106",
                         owner_dealer=agent)  # fmt: skip
    return out


def _stock(demo: DemoTenant, whs: list[Warehouse], skus: list[Sku], rng: random.Random) -> None:
    stocks, movements = [], []
    for wh in whs:
        for sku in skus:
            if rng.random() < 0.12 and wh is not whs[0]:
                continue  # not every warehouse carries everything
            qty = (
                D(rng.choice([0, 24, 96, 240, 480, 960, 2400, 4800]))
                if wh is not whs[0]
                else D(rng.choice([960, 2400, 4800, 9600]))
            )
            safety = D(rng.choice([0, 0, 48, 96, 240]))
            stocks.append(
                Stock(warehouse=wh, sku=sku, on_hand=qty, safety_stock=safety, backorder_ok=sku.allow_backorder)
            )
    Stock.objects.bulk_create(stamp_tenant(stocks), batch_size=2000)
    stocks = list(Stock.objects.filter(warehouse__in=whs))
    for s in stocks:
        if s.on_hand:
            movements.append(StockMovement(stock=s, kind=StockMovement.Kind.RECEIPT, on_hand_delta=s.on_hand,
                                           note="期初库存", ref_type="demo"))  # fmt: skip
    StockMovement.objects.bulk_create(stamp_tenant(movements), batch_size=2000)


def _accounts(demo: DemoTenant, rng: random.Random) -> None:
    for dealer in demo.dealers:
        account_for(dealer)
        limit = LIMITS.get(dealer.tier.code, D("50000"))
        credit_set_terms(actor=demo.actor, dealer=dealer, limit=limit, terms_days=rng.choice([30, 30, 45, 60]))
        if rng.random() < 0.6:
            balance_credit(actor=demo.actor, dealer=dealer, bucket="prepaid", amount=D(rng.randrange(2, 60) * 1000),
                           kind=LedgerEntry.Kind.TOPUP, memo="银行转账预存")  # fmt: skip
        if rng.random() < 0.4:
            balance_credit(actor=demo.actor, dealer=dealer, bucket="rebate", amount=D(rng.randrange(5, 200) * 100),
                           kind=LedgerEntry.Kind.REBATE_ACCRUAL, memo="季度返利")  # fmt: skip


def _units(skus: list[Sku]) -> dict[int, tuple[str, Decimal]]:
    """Each SKU's default order unit and its factor."""
    out = {s.pk: (s.base_unit, D(1)) for s in skus}
    for u in SkuUnit.objects.filter(sku__in=skus, is_default=True):
        out[u.sku_id] = (u.name, u.factor)
    return out


def _history(demo: DemoTenant, skus: list[Sku], whs: list[Warehouse], season: list[float], per_month: float,
             rng: random.Random) -> int:  # fmt: skip
    """12 months of completed orders, written in bulk, shipped and paid on credit."""
    units = _units(skus)
    today = timezone.localdate()
    favourites = {d.pk: rng.sample(skus, k=min(len(skus), rng.randrange(6, 18))) for d in demo.dealers}
    weight = {d.pk: {"gold": 3.0, "a": 2.5, "silver": 1.6, "b": 1.2}.get(d.tier.code, 1.0) for d in demo.dealers}
    plans = []
    # DINGHUO_DEMO_HISTORY=<months> shortens the history (the browser tests load the demo with 1).
    months = max(1, min(24, int(os.environ.get("DINGHUO_DEMO_HISTORY", "12") or 12)))
    for months_ago in range(months, 0, -1):
        month_start = (today.replace(day=1) - dt.timedelta(days=30 * months_ago)).replace(day=1)
        factor = season[month_start.month - 1]
        for dealer in demo.dealers:
            n = int(per_month * weight[dealer.pk] * factor + rng.random())
            for _ in range(n):
                day = month_start + dt.timedelta(days=rng.randrange(0, 28))
                plans.append((dealer, day))
    numbers = next_numbers("order", len(plans))
    ship_numbers = next_numbers("shipment", len(plans))
    orders, pending_lines = [], []
    for (dealer, day), number in zip(plans, numbers, strict=True):
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randrange(8, 18), rng.randrange(60))))
        picks = rng.sample(favourites[dealer.pk], k=min(len(favourites[dealer.pk]), rng.randrange(2, 7)))
        lines, total, tax = [], ZERO, ZERO
        for i, sku in enumerate(picks, start=1):
            unit, factor = units[sku.pk]
            qty = D(rng.choice([1, 2, 2, 3, 5, 5, 10, 20])) * (D(weight[dealer.pk]).quantize(D(1)) or D(1))
            unit_price = quantize(sku.list_price * factor * D("0.9"))
            amount = quantize(qty * unit_price)
            line_tax = split_tax(amount, sku.vat_rate)[1]
            total += amount
            tax += line_tax
            lines.append(OrderLine(line_no=i, sku=sku, sku_code=sku.code, name=f"{sku.product.name} {sku.name}"[:240],
                                   unit=unit, unit_factor=factor, qty=qty, qty_base=qty * factor, unit_price=unit_price,
                                   list_price=quantize(sku.list_price * factor), amount=amount, tax_rate=sku.vat_rate,
                                   tax=line_tax, shipped_base=qty * factor,
                                   explanation={"source": "demo history", "price": str(unit_price)}))  # fmt: skip
        address_region = dealer.region_code if len(dealer.region_code) == 6 else "440106"
        orders.append(Order(number=number, dealer=dealer, placed_by=None, channel=rng.choice(["web", "web", "quick", "import", "api"]),
                            status=Order.Status.COMPLETED, ship_to_name=dealer.contact_name or dealer.name[:20],
                            ship_to_phone=dealer.contact_phone, ship_to_region=address_region,
                            ship_to_address=f"{dealer.region_name}仓库", subtotal=total, total=total, tax=tax,
                            pay_credit=total, funds_taken=True, checks=[], promotions=[]))  # fmt: skip
        pending_lines.append((lines, at))
    Order.objects.bulk_create(stamp_tenant(orders), batch_size=1000)
    all_lines, events, shipments, receivables, entries = [], [], [], [], []
    accounts = {a.dealer_id: a for a in DealerAccount.objects.filter(dealer__in=demo.dealers)}
    for order, (lines, at), ship_no in zip(orders, pending_lines, ship_numbers, strict=True):
        for line in lines:
            line.order = order
        all_lines += lines
        shipped = at + dt.timedelta(days=rng.randrange(1, 4))
        shipments.append(Shipment(order=order, number=ship_no, warehouse=whs[0], carrier=rng.choice(["顺丰", "德邦", "中通", "京东物流"]),
                                  tracking_no=f"{rng.randrange(10**11, 10**12)}", status=Shipment.Status.DELIVERED,
                                  amount=order.total, delivered_at=shipped + dt.timedelta(days=2)))  # fmt: skip
        for kind, to, offset in (("submitted", "submitted", 0), ("status", "approved", 0), ("shipped", "shipped", 1),
                                 ("status", "delivered", 3), ("status", "completed", 4)):  # fmt: skip
            events.append(OrderEvent(order=order, kind=kind, to_status=to, actor_label="演示数据",
                                     created_at=at + dt.timedelta(days=offset)))  # fmt: skip
        account = accounts[order.dealer_id]
        due = (shipped + dt.timedelta(days=account.terms_days)).date()
        receivables.append(Receivable(dealer_id=order.dealer_id, order=order, amount=order.total, paid=order.total,
                                      due_date=due, status=Receivable.Status.PAID))  # fmt: skip
        ref = ("order", str(order.pk))
        for bucket, kind, amount in (("credit_hold", "order_hold", order.total), ("credit_hold", "shipped", -order.total),
                                     ("receivable", "shipped", order.total), ("receivable", "payment", -order.total)):  # fmt: skip
            entries.append(LedgerEntry(account=account, bucket=bucket, kind=kind, amount=amount, ref_type=ref[0],
                                       ref_id=ref[1], memo="历史订单"))  # fmt: skip
    OrderLine.objects.bulk_create(stamp_tenant(all_lines), batch_size=2000)
    OrderEvent.objects.bulk_create(stamp_tenant(events), batch_size=2000)
    Shipment.objects.bulk_create(stamp_tenant(shipments), batch_size=1000)
    Receivable.objects.bulk_create(stamp_tenant(receivables), batch_size=1000)
    LedgerEntry.objects.bulk_create(stamp_tenant(entries), batch_size=2000)
    # the real times of history (auto_now_add stamped "now" on insert)
    for order, (_lines, at) in zip(orders, pending_lines, strict=True):
        order.created_at = at
    Order.objects.bulk_update(orders, ["created_at", "updated_at"], batch_size=1000)
    OrderEvent.objects.bulk_update(events, ["created_at"], batch_size=2000)
    placed_at = {o.pk: at for o, (_l, at) in zip(orders, pending_lines, strict=True)}
    for s in shipments:
        s.shipped_at = placed_at[s.order_id] + dt.timedelta(days=1)
    Shipment.objects.bulk_update(shipments, ["shipped_at"], batch_size=1000)
    for r in receivables:
        r.created_at = placed_at[r.order_id] + dt.timedelta(days=1)
    Receivable.objects.bulk_update(receivables, ["created_at"], batch_size=1000)
    for e in entries:
        offset = {"order_hold": 0, "shipped": 1, "payment": 25}[e.kind]
        e.created_at = placed_at[int(e.ref_id)] + dt.timedelta(days=offset)
    LedgerEntry.objects.bulk_update(entries, ["created_at"], batch_size=2000)
    return len(orders)


def _recent(demo: DemoTenant, skus: list[Sku], rng: random.Random) -> int:
    """The last weeks through the real services: open orders hold stock and credit for real."""
    from dinghuo.accounts.models import Membership
    from dinghuo.orders import services as svc
    from dinghuo.orders.placement import order_place

    staff = {
        m.role: Actor.for_membership(m) for m in Membership.objects.filter(dealer__isnull=True).select_related("user")
    }
    owner = staff.get("owner") or demo.actor
    units = _units(skus)
    placed = 0
    for dealer in demo.dealers[:24]:
        actor = staff.get("sales_rep") or owner
        if dealer.sales_rep_id and staff.get("sales_rep") and staff["sales_rep"].user_id != dealer.sales_rep_id:
            actor = owner
        buyer_membership = Membership.objects.filter(dealer=dealer, is_active=True).select_related("user").first()
        if buyer_membership:
            actor = Actor.for_membership(buyer_membership)
        for _ in range(rng.randrange(1, 3)):
            picks = rng.sample(skus, k=min(len(skus), rng.randrange(1, 5)))
            items = []
            for sku in picks:
                unit, factor = units[sku.pk]
                want = max(sku.moq, sku.order_multiple, D(1))
                qty = (want / factor).to_integral_value(rounding="ROUND_CEILING") if factor > 1 else want
                items.append(CartItem(sku_id=sku.pk, qty=max(qty, D(1)) * rng.choice([1, 2, 3]), unit=unit))
            try:
                with transaction.atomic():
                    order = order_place(actor=actor, dealer_id=dealer.pk, items=items, note="演示订单").order
            except DomainError:
                continue
            placed += 1
            roll = rng.random()
            try:
                if order.status == Order.Status.PENDING_REVIEW:
                    if roll < 0.3:
                        svc.order_approve(actor=staff.get("reviewer", owner), order_id=order.pk, reason="演示审核")
                    continue
                if roll < 0.25:
                    continue  # stays approved, waiting for the warehouse
                svc.order_start_picking(actor=staff.get("warehouse", owner), order_id=order.pk)
                if roll < 0.45:
                    continue
                _ship_all(order, staff.get("warehouse", owner), rng, partial=roll < 0.6)
                if roll > 0.8:
                    svc.order_mark_delivered(actor=staff.get("warehouse", owner), order_id=order.pk)
            except DomainError:
                continue
    placed += _over_limit(demo, skus, units, rng)
    _make_overdue(demo, rng)
    return placed


def _over_limit(demo: DemoTenant, skus: list[Sku], units: dict, rng: random.Random) -> int:
    """Two big orders over their dealers' credit limits, waiting in the review queue."""
    from dinghuo.accounts.models import Membership
    from dinghuo.orders.placement import order_place

    count = 0
    small = [d for d in demo.dealers if d.tier.code in {"normal", "b"}][:2]
    for dealer in small:
        member = Membership.objects.filter(dealer=dealer).select_related("user").first()
        rep = Membership.objects.filter(user_id=dealer.sales_rep_id).select_related("user").first()
        actor = Actor.for_membership(member) if member else Actor.for_membership(rep) if rep else demo.actor
        account = DealerAccount.objects.get(dealer=dealer)
        big = sorted(skus, key=lambda s: s.list_price, reverse=True)[:3]
        items = []
        for sku in big:
            unit, factor = units[sku.pk]
            per_unit = sku.list_price * factor
            qty = max(D(1), (account.credit_limit / D(2) / per_unit).to_integral_value())
            items.append(CartItem(sku_id=sku.pk, qty=qty, unit=unit))
        try:
            with transaction.atomic():
                order = order_place(actor=actor, dealer_id=dealer.pk, items=items, note="大额备货订单",
                                    tenant_settings={"rules": {"stock": "review"}}).order  # fmt: skip
            count += order.status == Order.Status.PENDING_REVIEW
        except DomainError:
            continue
    return count


def _ship_all(order: Order, actor: Actor, rng: random.Random, partial: bool) -> None:
    from dinghuo.orders import services as svc

    by_wh: dict[int, list] = {}
    for line in order.lines.all():
        for a in line.allocations.select_related("stock"):
            if a.open_base > 0:
                by_wh.setdefault(a.stock.warehouse_id, []).append(svc.ShipItem(line.pk, a.open_base))
    for i, (wh, items) in enumerate(by_wh.items()):
        if partial and i > 0:
            break
        chosen = items[:1] if partial and len(items) > 1 else items
        svc.shipment_create(actor=actor, order_id=order.pk, warehouse_id=wh, items=chosen,
                            carrier=rng.choice(["顺丰", "德邦", "中通"]), tracking_no=f"SF{rng.randrange(10**10, 10**11)}")  # fmt: skip


def _make_overdue(demo: DemoTenant, rng: random.Random) -> None:
    """A few dealers with receivables past their due date (the overdue block has something to show)."""
    open_ = list(Receivable.objects.filter(status=Receivable.Status.OPEN).select_related("dealer")[:4])
    for r in open_[:2]:
        r.due_date = timezone.localdate() - dt.timedelta(days=rng.randrange(20, 75))
        r.save(update_fields=["due_date"])
        DealerAccount.objects.filter(dealer_id=r.dealer_id).update(oldest_due_date=r.due_date)
