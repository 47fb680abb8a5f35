"""Stock writes: warehouses, receipts, adjustments, reservations, releases, shipments, WMS sync.

Every change of a stock row writes a StockMovement with the same deltas in the same transaction,
so for every row on_hand = Σ on_hand_delta and reserved = Σ reserved_delta (checked by
``ledger_mismatches``), and an audit row (invariant 8).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dinghuo.accounts.permissions import require
from dinghuo.catalog.models import Sku
from dinghuo.core import regions
from dinghuo.core.audit import AuditEvent, audit_write
from dinghuo.core.bulkwrite import build
from dinghuo.core.errors import ValidationError
from dinghuo.core.tenancy import Actor, current_tenant_id, stamp_tenant
from dinghuo.dealers.models import Dealer
from dinghuo.inventory.errors import OutOfStock, QuantityInvalid, StockBelowReserved, SyncIdReused, WarehouseCodeTaken
from dinghuo.inventory.locks import guarded_stock_update, lock_stocks
from dinghuo.inventory.models import LowStockAlert, Stock, StockMovement, StockSync, Warehouse
from dinghuo.notify.outbox import outbox_add

Kind = StockMovement.Kind


def warehouse_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    region_code: str,
    address: str = "",
    owner_dealer: Dealer | None = None,
) -> Warehouse:
    require(actor, "inventory.manage")
    region = regions.require(region_code, "region_code")
    try:
        with transaction.atomic():
            warehouse = Warehouse.objects.create(
                code=code.strip(),
                name=name.strip(),
                region_code=region.code,
                address=address,
                owner_dealer=owner_dealer,
                latitude=Decimal(str(region.lat)).quantize(Decimal("0.000001")),
                longitude=Decimal(str(region.lon)).quantize(Decimal("0.000001")),
            )
            audit_write(
                actor=actor,
                events=[AuditEvent.of("warehouse.created", warehouse, after={"code": code, "region": region.code})],
            )
    except IntegrityError:
        raise WarehouseCodeTaken(code=code, detail={"code": code})
    return warehouse


def stock_row(*, warehouse: Warehouse, sku: Sku) -> Stock:
    stock, _created = Stock.objects.get_or_create(
        warehouse=warehouse, sku=sku, defaults={"backorder_ok": sku.allow_backorder}
    )
    return stock


def _positive(qty: Decimal) -> Decimal:
    if not isinstance(qty, Decimal) or not qty.is_finite() or qty <= 0:
        raise QuantityInvalid(detail={"qty": str(qty)})
    return qty


def stock_receive(
    *, actor: Actor, warehouse: Warehouse, sku: Sku, qty: Decimal, note: str = "", ref: tuple[str, str] = ("", "")
) -> Stock:
    """Goods arrive: on hand goes up."""
    require(actor, "inventory.manage")
    qty = _positive(qty)
    with transaction.atomic():
        stock = stock_row(warehouse=warehouse, sku=sku)
        guarded_stock_update(
            tenant_id=stock.tenant_id, deltas={stock.pk: qty}, on_hand_sign=1, reserved_sign=0, guard="none"
        )
        StockMovement.objects.create(
            stock=stock,
            kind=Kind.RECEIPT,
            on_hand_delta=qty,
            ref_type=ref[0],
            ref_id=ref[1],
            note=note,
            actor_id=actor.user_id,
        )
        audit_write(actor=actor, events=[AuditEvent.of("stock.received", stock, after={"qty": qty, "note": note})])
        stock.refresh_from_db()
        _resolve_alerts([stock])
    return stock


def stock_adjust(
    *, actor: Actor, stock: Stock, set_to: Decimal | None = None, delta: Decimal | None = None, reason: str
) -> Stock:
    """Correct on hand (stocktake): to an absolute count or by a delta, never below what is reserved."""
    require(actor, "inventory.manage")
    if not reason.strip():
        raise ValidationError(detail={"reason": _("Say why the stock is adjusted.")})
    with transaction.atomic():
        (stock,) = lock_stocks(ids=[stock.pk])
        change = (set_to - stock.on_hand) if set_to is not None else (delta or Decimal(0))
        if set_to is not None and set_to < 0:
            raise QuantityInvalid(detail={"set_to": str(set_to)})
        if change == 0:
            return stock
        if not stock.backorder_ok and stock.on_hand + change < stock.reserved:
            raise StockBelowReserved(
                sku=stock.sku.code, reserved=stock.reserved, detail={"qty": str(stock.on_hand + change)}
            )
        before = {"on_hand": stock.on_hand}
        Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + change, updated_at=timezone.now())
        StockMovement.objects.create(
            stock=stock, kind=Kind.ADJUSTMENT, on_hand_delta=change, note=reason[:200], actor_id=actor.user_id
        )
        stock.refresh_from_db()
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of("stock.adjusted", stock, before=before, after={"on_hand": stock.on_hand}, reason=reason)
            ],
        )
        _raise_low_stock_alerts([stock])
        _resolve_alerts([stock])
    return stock


def stock_set_safety(*, actor: Actor, stock: Stock, qty: Decimal) -> Stock:
    require(actor, "inventory.manage")
    if qty < 0:
        raise QuantityInvalid(detail={"safety_stock": str(qty)})
    with transaction.atomic():
        before = stock.safety_stock
        stock.safety_stock = qty
        stock.save(update_fields=["safety_stock", "updated_at"])
        audit_write(
            actor=actor,
            events=[
                AuditEvent.of("stock.safety_set", stock, before={"safety_stock": before}, after={"safety_stock": qty})
            ],
        )
        _raise_low_stock_alerts([stock])
    return stock


# --- reservations, in the caller's transaction (the order hot path) ------------------------------


@dataclass(frozen=True)
class StockChange:
    stock_id: int
    qty: Decimal


def _aggregate(changes: list[StockChange]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for c in changes:
        out[c.stock_id] = out.get(c.stock_id, Decimal(0)) + c.qty
    return out


def reserve(
    *, changes: list[StockChange], ref: tuple[str, str], actor_id: int | None, skus: dict[int, str]
) -> list[StockMovement]:
    """Reserve in one guarded statement; raises OutOfStock naming the short rows (caller rolls back).

    Returns the movements to insert (the caller bulk-inserts them with its other rows). ``skus``
    maps stock id → SKU code for the error message.
    """
    deltas = _aggregate(changes)
    done = guarded_stock_update(
        tenant_id=current_tenant_id(), deltas=deltas, on_hand_sign=0, reserved_sign=1, guard="available"
    )
    short = [sid for sid in deltas if sid not in done]
    if short:
        codes = sorted({skus.get(sid, str(sid)) for sid in short})
        raise OutOfStock(skus="、".join(codes), detail={"skus": codes})
    _note_low(done)
    tenant_id = current_tenant_id()
    return [
        build(StockMovement, tenant_id=tenant_id, stock_id=sid, kind=Kind.RESERVATION, reserved_delta=q,
              ref_type=ref[0], ref_id=ref[1], actor_id=actor_id)
        for sid, q in deltas.items()
    ]  # fmt: skip


def release(*, changes: list[StockChange], ref: tuple[str, str], actor_id: int | None) -> list[StockMovement]:
    deltas = _aggregate(changes)
    done = guarded_stock_update(
        tenant_id=current_tenant_id(), deltas=deltas, on_hand_sign=0, reserved_sign=-1, guard="reserved"
    )
    if len(done) != len(deltas):
        raise RuntimeError("releasing more than is reserved: the stock ledger is inconsistent")
    _resolve_alerts_by_id(list(done))
    return [
        StockMovement(
            stock_id=sid, kind=Kind.RELEASE, reserved_delta=-q, ref_type=ref[0], ref_id=ref[1], actor_id=actor_id
        )
        for sid, q in deltas.items()
    ]


def ship(*, changes: list[StockChange], ref: tuple[str, str], actor_id: int | None) -> list[StockMovement]:
    """Reserved goods leave: on hand and reserved both go down."""
    deltas = _aggregate(changes)
    done = guarded_stock_update(
        tenant_id=current_tenant_id(), deltas=deltas, on_hand_sign=-1, reserved_sign=-1, guard="reserved"
    )
    if len(done) != len(deltas):
        raise RuntimeError("shipping more than is reserved: the stock ledger is inconsistent")
    return [
        StockMovement(
            stock_id=sid,
            kind=Kind.SHIPMENT,
            on_hand_delta=-q,
            reserved_delta=-q,
            ref_type=ref[0],
            ref_id=ref[1],
            actor_id=actor_id,
        )
        for sid, q in deltas.items()
    ]


_LOW_PENDING = "_dinghuo_low_stock_pending"


def _note_low(done: dict[int, tuple[Decimal, Decimal, Decimal]]) -> None:
    """Rows that crossed their safety stock get an alert and a stock.low event, in this transaction."""
    low = [sid for sid, (on_hand, reserved, safety) in done.items() if safety > 0 and on_hand - reserved <= safety]
    if low:
        _raise_low_stock_alerts(list(Stock.objects.filter(pk__in=low)))


def _raise_low_stock_alerts(stocks: list[Stock]) -> None:
    low = [s for s in stocks if s.is_low]
    if not low:
        return
    open_ids = set(
        LowStockAlert.objects.filter(stock__in=low, resolved_at__isnull=True).values_list("stock_id", flat=True)
    )
    fresh = [s for s in low if s.pk not in open_ids]
    if not fresh:
        return
    LowStockAlert.objects.bulk_create(
        stamp_tenant([LowStockAlert(stock=s, available=s.available, safety_stock=s.safety_stock) for s in fresh]),
        ignore_conflicts=True,
    )
    for s in fresh:
        outbox_add(
            topic="stock.low",
            aggregate=("stock", s.pk),
            payload={
                "stock_id": s.pk,
                "sku_id": s.sku_id,
                "warehouse_id": s.warehouse_id,
                "available": s.available,
                "safety_stock": s.safety_stock,
            },
        )


def _resolve_alerts(stocks: list[Stock]) -> None:
    ok = [s.pk for s in stocks if not s.is_low]
    if ok:
        LowStockAlert.objects.filter(stock_id__in=ok, resolved_at__isnull=True).update(resolved_at=timezone.now())


def _resolve_alerts_by_id(ids: list[int]) -> None:
    if ids:
        _resolve_alerts(list(Stock.objects.filter(pk__in=ids, safety_stock__gt=0)))


# --- WMS sync ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncLine:
    sku_code: str
    qty: Decimal


def stock_sync(*, actor: Actor, warehouse: Warehouse, sync_id: str, mode: str, lines: list[SyncLine]) -> StockSync:
    """Apply a WMS push once per ``sync_id``: a full snapshot (counts) or deltas.

    A retry with the same sync id and the same lines returns the first result; the same sync id
    with other lines is refused. A snapshot below what is reserved for orders sets on hand to the
    reserved quantity and reports the line as short, so orders already promised stay consistent.
    """
    require(actor, "inventory.manage")
    if mode not in StockSync.Mode.values:
        raise ValidationError(detail={"mode": mode})
    if not sync_id.strip():
        raise ValidationError(detail={"sync_id": _("A sync id is required.")})
    digest = hashlib.sha256(
        json.dumps([mode, warehouse.pk, [(line.sku_code, str(line.qty)) for line in lines]]).encode()
    ).hexdigest()
    previous = StockSync.objects.filter(sync_id=sync_id).first()
    if previous is not None:
        if previous.result.get("digest") != digest:
            raise SyncIdReused(sync_id=sync_id, detail={"sync_id": sync_id})
        return previous
    codes = [line.sku_code for line in lines]
    skus = {s.code: s for s in Sku.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in skus]
    bad_qty = [line.sku_code for line in lines if line.qty < 0 and mode == StockSync.Mode.SNAPSHOT]
    if unknown or bad_qty:
        detail = {"unknown_skus": unknown} if unknown else {}
        if bad_qty:
            detail["negative"] = bad_qty
        raise ValidationError(detail=detail)
    try:
        with transaction.atomic():
            sync = StockSync.objects.create(sync_id=sync_id, mode=mode, warehouse=warehouse, lines=len(lines))
            existing = {s.sku_id: s for s in Stock.objects.filter(warehouse=warehouse, sku__in=skus.values())}
            missing = [s for s in skus.values() if s.pk not in existing]
            if missing:
                Stock.objects.bulk_create(
                    stamp_tenant([Stock(warehouse=warehouse, sku=s, backorder_ok=s.allow_backorder) for s in missing]),
                    ignore_conflicts=True,
                )
            stocks = {
                s.sku_id: s
                for s in lock_stocks(
                    ids=list(
                        Stock.objects.filter(warehouse=warehouse, sku__in=skus.values()).values_list("pk", flat=True)
                    )
                )
            }
            movements, short, changed = [], [], 0
            for line in lines:
                stock = stocks[skus[line.sku_code].pk]
                target = line.qty if mode == StockSync.Mode.SNAPSHOT else stock.on_hand + line.qty
                if target < stock.reserved and not stock.backorder_ok:
                    short.append({"sku": line.sku_code, "counted": str(target), "reserved": str(stock.reserved)})
                    target = stock.reserved
                if target < 0 and not stock.backorder_ok:
                    target = Decimal(0)
                change = target - stock.on_hand
                if change:
                    Stock.objects.filter(pk=stock.pk).update(on_hand=target, updated_at=timezone.now())
                    movements.append(
                        StockMovement(
                            stock=stock,
                            kind=Kind.SYNC,
                            on_hand_delta=change,
                            ref_type="sync",
                            ref_id=sync_id,
                            actor_id=actor.user_id,
                        )
                    )
                    stock.on_hand = target
                    changed += 1
            StockMovement.objects.bulk_create(stamp_tenant(movements))
            sync.result = {"digest": digest, "changed": changed, "short": short}
            sync.save(update_fields=["result"])
            audit_write(
                actor=actor,
                events=[
                    AuditEvent.of(
                        "stock.synced",
                        sync,
                        after={"mode": mode, "lines": len(lines), "changed": changed, "short": short},
                    )
                ],
            )
            _raise_low_stock_alerts(list(stocks.values()))
            _resolve_alerts(list(stocks.values()))
    except IntegrityError:
        # A concurrent push with the same id won the race; answer as a retry would.
        previous = StockSync.objects.filter(sync_id=sync_id).first()
        if previous is None or previous.result.get("digest") != digest:
            raise SyncIdReused(sync_id=sync_id, detail={"sync_id": sync_id})
        return previous
    return sync


# --- invariants -------------------------------------------------------------------------------


def ledger_mismatches() -> list[dict]:
    """Stock rows (of the current tenant) whose quantities differ from the sum of their movements."""
    sums = {
        row["stock_id"]: (row["oh"] or Decimal(0), row["rs"] or Decimal(0))
        for row in StockMovement.objects.values("stock_id").annotate(oh=Sum("on_hand_delta"), rs=Sum("reserved_delta"))
    }
    out = []
    for stock in Stock.objects.all().only("id", "on_hand", "reserved"):
        oh, rs = sums.get(stock.pk, (Decimal(0), Decimal(0)))
        if oh != stock.on_hand or rs != stock.reserved:
            out.append(
                {
                    "stock": stock.pk,
                    "on_hand": stock.on_hand,
                    "movements_on_hand": oh,
                    "reserved": stock.reserved,
                    "movements_reserved": rs,
                }
            )
    return out


def oversold() -> list[dict]:
    return [
        {"stock": s.pk, "on_hand": s.on_hand, "reserved": s.reserved}
        for s in Stock.objects.filter(backorder_ok=False, reserved__gt=F("on_hand"))
    ]
