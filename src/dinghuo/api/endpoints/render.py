"""Model → response dict, for the API's schemas (related rows come prefetched by the selectors)."""

from __future__ import annotations

from django.utils import timezone

from dinghuo.finance.models import DealerAccount, LedgerEntry
from dinghuo.inventory.models import Stock, StockSync, Warehouse
from dinghuo.notify.models import WebhookDelivery, WebhookSubscription
from dinghuo.orders.models import Order, Shipment


def dealer_ref(dealer) -> dict:
    return {"id": dealer.pk, "code": dealer.code, "name": dealer.name}


def order_summary(o: Order) -> dict:
    return {
        "id": o.pk,
        "number": o.number,
        "dealer": dealer_ref(o.dealer),
        "supplier_dealer_id": o.supplier_dealer_id,
        "status": o.status,
        "status_label": str(o.get_status_display()),
        "channel": o.channel,
        "on_behalf": o.on_behalf,
        "subtotal": o.subtotal,
        "discount": o.discount,
        "total": o.total,
        "tax": o.tax,
        "pay_credit": o.pay_credit,
        "pay_prepaid": o.pay_prepaid,
        "pay_rebate": o.pay_rebate,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    }


def order_full(o: Order) -> dict:
    return {
        **order_summary(o),
        "ship_to": {
            "name": o.ship_to_name,
            "phone": o.ship_to_phone,
            "region_code": o.ship_to_region,
            "address": o.ship_to_address,
        },
        "requested_date": o.requested_date,
        "note": o.note,
        "checks": o.checks or [],
        "promotions": o.promotions or [],
        "lines": [
            {
                "id": line.pk,
                "line_no": line.line_no,
                "sku_id": line.sku_id,
                "sku_code": line.sku_code,
                "name": line.name,
                "unit": line.unit,
                "unit_factor": line.unit_factor,
                "qty": line.qty,
                "qty_base": line.qty_base,
                "unit_price": line.unit_price,
                "list_price": line.list_price,
                "discount": line.discount,
                "amount": line.amount,
                "tax_rate": line.tax_rate,
                "tax": line.tax,
                "is_gift": line.is_gift,
                "promotion_id": line.promotion_id,
                "shipped_base": line.shipped_base,
                "backordered_base": line.backordered_base,
                "explanation": line.explanation or {},
            }
            for line in o.lines.all()
        ],
        "events": [
            {
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": e.actor_label,
                "reason": e.reason,
                "at": e.created_at,
            }
            for e in o.events.all()
        ],
        "shipment_ids": [s.pk for s in o.shipments.all()],
    }


def warehouse_ref(w: Warehouse) -> dict:
    return {"id": w.pk, "code": w.code, "name": w.name}


def shipment_out(s: Shipment) -> dict:
    return {
        "id": s.pk,
        "number": s.number,
        "order_id": s.order_id,
        "order_number": s.order.number,
        "warehouse": warehouse_ref(s.warehouse),
        "carrier": s.carrier,
        "tracking_no": s.tracking_no,
        "status": s.status,
        "amount": s.amount,
        "shipped_at": s.shipped_at,
        "delivered_at": s.delivered_at,
        "lines": [
            {"line_no": sl.line.line_no, "sku_code": sl.line.sku_code, "qty_base": sl.qty_base, "amount": sl.amount}
            for sl in s.lines.all()
        ],
    }


def stock_out(s: Stock) -> dict:
    return {
        "id": s.pk,
        "warehouse": warehouse_ref(s.warehouse),
        "sku": {"id": s.sku_id, "code": s.sku.code, "name": s.sku.name},
        "on_hand": s.on_hand,
        "reserved": s.reserved,
        "available": s.available,
        "safety_stock": s.safety_stock,
        "backorder_ok": s.backorder_ok,
        "updated_at": s.updated_at,
    }


def warehouse_out(w: Warehouse) -> dict:
    return {
        "id": w.pk,
        "code": w.code,
        "name": w.name,
        "region_code": w.region_code,
        "owner_dealer_id": w.owner_dealer_id,
        "is_active": w.is_active,
    }


def sync_out(sync: StockSync, warehouse: Warehouse) -> dict:
    result = sync.result or {}
    return {
        "sync_id": sync.sync_id,
        "mode": sync.mode,
        "warehouse": warehouse.code,
        "lines": sync.lines,
        "changed": result.get("changed", 0),
        "short": result.get("short", []),
        "received_at": sync.received_at,
    }


def dealer_out(d) -> dict:
    return {
        "id": d.pk,
        "code": d.code,
        "name": d.name,
        "short_name": d.short_name,
        "status": d.status,
        "tier": d.tier.name,
        "tier_code": d.tier.code,
        "price_group": d.price_group.name if d.price_group_id else None,
        "region_code": d.region_code,
        "region_name": d.region_name,
        "parent_id": d.parent_id,
        "sales_rep": d.sales_rep.get_username() if d.sales_rep_id else None,
        "contact_name": d.contact_name,
        "contact_phone": d.contact_phone,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def account_out(a: DealerAccount) -> dict:
    return {
        "dealer": dealer_ref(a.dealer),
        "credit_limit": a.credit_limit,
        "terms_days": a.terms_days,
        "credit_hold": a.credit_hold,
        "receivable": a.receivable,
        "exposure": a.exposure,
        "available_credit": a.available_credit,
        "prepaid": a.prepaid,
        "rebate": a.rebate,
        "oldest_due_date": a.oldest_due_date,
        "overdue": a.oldest_due_date is not None and a.oldest_due_date < timezone.localdate(),
        "updated_at": a.updated_at,
    }


def entry_out(e: LedgerEntry) -> dict:
    return {
        "id": e.pk,
        "bucket": e.bucket,
        "kind": e.kind,
        "amount": e.amount,
        "ref_type": e.ref_type,
        "ref_id": e.ref_id,
        "memo": e.memo,
        "created_at": e.created_at,
    }


def webhook_out(sub: WebhookSubscription, *, with_secret: bool = False) -> dict:
    rotating = sub.previous_secret_expires_at
    out = {
        "id": sub.pk,
        "url": sub.url,
        "description": sub.description,
        "events": sub.events,
        "is_active": sub.is_active,
        "rotating_until": rotating if rotating and rotating > timezone.now() else None,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
    }
    if with_secret:
        out["secret"] = sub.secret
    return out


def delivery_out(d: WebhookDelivery) -> dict:
    return {
        "id": d.pk,
        "subscription_id": d.subscription_id,
        "event_id": d.event_id,
        "event": d.topic,
        "aggregate": f"{d.aggregate_type}:{d.aggregate_id}",
        "manual": d.manual,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_attempt_at": d.last_attempt_at,
        "response_code": d.response_code,
        "response_ms": d.response_ms,
        "error": d.error,
        "delivered_at": d.delivered_at,
        "created_at": d.created_at,
    }
