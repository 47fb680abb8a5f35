from decimal import Decimal

import pytest

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import PermissionDenied, ValidationError
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance.errors import CreditLimitExceeded
from dinghuo.finance.models import CreditOverride, Receivable
from dinghuo.finance.services import credit_set_terms
from dinghuo.inventory.models import Stock
from dinghuo.notify.models import OutboxEvent
from dinghuo.orders import services as svc
from dinghuo.orders.errors import ShipmentInvalid, TransitionNotAllowed
from dinghuo.orders.models import Order
from dinghuo.orders.placement import order_place

D = Decimal
S = Order.Status


def place(shop, items, **kw):
    with tenant_context(shop.tenant):
        return order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=items, **kw).order


def reserved(shop, code="COLA", wh="gz"):
    with tenant_context(shop.tenant):
        return Stock.objects.get(sku=shop.skus[code], warehouse=shop.warehouses[wh]).reserved


def test_dealer_cancels_before_picking_and_everything_is_given_back(shop):
    # given an approved order holding stock and credit
    order = place(shop, [shop.item("COLA", 2, "箱")])
    assert reserved(shop) == D(48) and shop.account().credit_hold == D("144.00")
    # when the buyer cancels it
    with tenant_context(shop.tenant):
        svc.order_cancel(actor=shop.buyer(), order_id=order.pk, reason="下错了")
        order.refresh_from_db()
        # then the reservation and the credit hold are released, and the timeline says who and why
        assert order.status == S.CANCELLED
        last = order.events.last()
        assert (last.to_status, last.reason, last.actor_id) == ("cancelled", "下错了", shop.buyer().user_id)
    assert reserved(shop) == D(0) and shop.account().credit_hold == D(0)


def test_a_dealer_cannot_cancel_once_picking_started_but_staff_can(shop):
    order = place(shop, [shop.item("COLA", 1, "箱")])
    with tenant_context(shop.tenant):
        svc.order_start_picking(actor=shop.staff(Role.WAREHOUSE), order_id=order.pk)
        with pytest.raises(TransitionNotAllowed):
            svc.order_cancel(actor=shop.buyer(), order_id=order.pk)
        svc.order_cancel(actor=shop.staff(Role.ADMIN), order_id=order.pk, reason="客户电话取消")
        order.refresh_from_db()
    assert order.status == S.CANCELLED and reserved(shop) == D(0)


def test_a_buyer_of_another_dealer_cannot_touch_the_order(shop):
    from dinghuo.core.tenancy import Actor
    from dinghuo.orders.errors import OrderNotFound

    order = place(shop, [shop.item("COLA", 1, "箱")])
    stranger = Actor.for_membership(shop.world.other_dealer_user)
    with tenant_context(shop.tenant), pytest.raises(OrderNotFound):
        svc.order_cancel(actor=stranger, order_id=order.pk)


def test_over_limit_order_is_approved_by_a_reviewer_with_override_recorded(shop):
    with tenant_context(shop.tenant):
        credit_set_terms(actor=shop.staff(Role.FINANCE), dealer=shop.dealer, limit=D("100.00"), terms_days=30)
    order = place(shop, [shop.item("COLA", 2, "箱")])
    assert order.status == S.PENDING_REVIEW
    with tenant_context(shop.tenant):
        # a reviewer without override rights cannot push it over the limit
        with pytest.raises(CreditLimitExceeded):
            svc.order_approve(actor=shop.staff(Role.REVIEWER), order_id=order.pk)
        with pytest.raises(PermissionDenied):
            svc.order_approve(actor=shop.staff(Role.REVIEWER), order_id=order.pk, override_credit=True, reason="x")
        # the owner may, with a reason, and it is recorded
        with pytest.raises(ValidationError):
            svc.order_approve(actor=shop.staff(Role.OWNER), order_id=order.pk, override_credit=True)
        svc.order_approve(
            actor=shop.staff(Role.OWNER), order_id=order.pk, override_credit=True, reason="老客户，季末冲量"
        )
        order.refresh_from_db()
        assert order.status == S.APPROVED and order.credit_override
        override = CreditOverride.objects.get(order=order)
        assert override.amount == D("44.00") and override.reason == "老客户，季末冲量"
        # and the reviewer of the next over-limit order may reject it with a reason
        second = order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "箱")]).order
        assert second.status == S.PENDING_REVIEW
        with pytest.raises(ValidationError):
            svc.order_reject(actor=shop.staff(Role.REVIEWER), order_id=second.pk, reason=" ")
        svc.order_reject(actor=shop.staff(Role.REVIEWER), order_id=second.pk, reason="超出信用额度")
        second.refresh_from_db()
        assert second.status == S.REJECTED
        # clean up the override so the shop's invariant check (no exposure over a limit) holds
        credit_set_terms(actor=shop.staff(Role.FINANCE), dealer=shop.dealer, limit=D("1000.00"), terms_days=30)


def test_reviewer_edits_quantities_and_reservations_follow(shop):
    order = place(shop, [shop.item("COLA", 3000, "瓶")], tenant_settings={"rules": {"stock": "review"}})
    assert order.status == S.PENDING_REVIEW
    with tenant_context(shop.tenant):
        svc.order_edit_quantities(
            actor=shop.staff(Role.REVIEWER),
            order_id=order.pk,
            edits=[svc.LineEdit(1, D(100))],
            reason="库存不足，改为100瓶",
        )
        order.refresh_from_db()
        line = order.lines.get()
        assert line.qty == D(100) and order.total == D("300.00")
        assert sum(a.qty_base - a.released_base for a in line.allocations.all()) == D(100)
        assert order.events.filter(kind="edited").exists()
        svc.order_approve(actor=shop.staff(Role.REVIEWER), order_id=order.pk)
    assert reserved(shop, "COLA", "gz") + reserved(shop, "COLA", "hz") == D(100)


def test_ship_in_two_parts_makes_receivables_and_moves_stock(shop):
    # given an approved order of 2 cases of cola and 2 cases of water (from 广州)
    order = place(shop, [shop.item("COLA", 2, "箱"), shop.item("WATER", 2, "箱")])
    wh = shop.warehouses["gz"]
    warehouse = shop.staff(Role.WAREHOUSE)
    with tenant_context(shop.tenant):
        cola, water = order.lines.order_by("line_no")
        # when the warehouse ships the cola first, then the water
        first = svc.shipment_create(
            actor=warehouse,
            order_id=order.pk,
            warehouse_id=wh.pk,
            items=[svc.ShipItem(cola.pk, D(48))],
            carrier="顺丰",
            tracking_no="SF1001",
        )
        order.refresh_from_db()
        assert order.status == S.PARTIALLY_SHIPPED
        second = svc.shipment_create(
            actor=warehouse,
            order_id=order.pk,
            warehouse_id=wh.pk,
            items=[svc.ShipItem(water.pk, D(48))],
            carrier="中通",
            tracking_no="ZT2002",
        )
        order.refresh_from_db()
        # then the order is shipped, stock left the warehouse and credit became receivables
        assert order.status == S.SHIPPED
        assert (first.amount, second.amount) == (D("144.00"), D("96.00"))
        stock = Stock.objects.get(sku=shop.skus["COLA"], warehouse=wh)
        assert (stock.on_hand, stock.reserved) == (D(1000 - 48), D(0))
        receivables = list(Receivable.objects.filter(order=order).order_by("id"))
        assert [r.amount for r in receivables] == [D("144.00"), D("96.00")]
        account = shop.account()
        assert (account.credit_hold, account.receivable) == (D(0), D("240.00"))
        assert account.oldest_due_date is not None
        assert OutboxEvent.objects.filter(topic="shipment.created", aggregate_id=str(order.pk)).count() == 2
        tracking = [e.reason for e in order.events.filter(kind="shipped")]
        assert tracking == ["顺丰 SF1001", "中通 ZT2002"]
        # the dealer confirms delivery, staff complete it
        svc.order_mark_delivered(actor=shop.buyer(), order_id=order.pk)
        svc.order_complete(actor=shop.staff(Role.ADMIN), order_id=order.pk)
        order.refresh_from_db()
    assert order.status == S.COMPLETED


def test_bad_shipments_are_refused(shop):
    order = place(shop, [shop.item("COLA", 1, "箱")])
    warehouse = shop.staff(Role.WAREHOUSE)
    with tenant_context(shop.tenant):
        line = order.lines.get()
        for items, carrier in (
            ([svc.ShipItem(line.pk, D(25))], "顺丰"),  # more than reserved
            ([svc.ShipItem(line.pk, D(0))], "顺丰"),
            ([svc.ShipItem(line.pk, D(1))], ""),  # no carrier
        ):
            with pytest.raises(ShipmentInvalid):
                svc.shipment_create(
                    actor=warehouse,
                    order_id=order.pk,
                    warehouse_id=shop.warehouses["gz"].pk,
                    items=items,
                    carrier=carrier,
                    tracking_no="X1",
                )
        with pytest.raises(ShipmentInvalid):  # nothing reserved in 杭州
            svc.shipment_create(
                actor=warehouse,
                order_id=order.pk,
                warehouse_id=shop.warehouses["hz"].pk,
                items=[svc.ShipItem(line.pk, D(1))],
                carrier="顺丰",
                tracking_no="X1",
            )
        with pytest.raises(PermissionDenied):
            svc.shipment_create(
                actor=shop.buyer(),
                order_id=order.pk,
                warehouse_id=shop.warehouses["gz"].pk,
                items=[svc.ShipItem(line.pk, D(1))],
                carrier="顺丰",
                tracking_no="X1",
            )


def test_transitions_off_the_state_machine_are_refused(shop):
    order = place(shop, [shop.item("COLA", 1, "箱")])
    with tenant_context(shop.tenant):
        with pytest.raises(TransitionNotAllowed):
            svc.order_complete(actor=shop.staff(), order_id=order.pk)
        with pytest.raises(TransitionNotAllowed):
            svc.order_approve(actor=shop.staff(), order_id=order.pk)
        with pytest.raises(TransitionNotAllowed):
            svc.order_mark_delivered(actor=shop.staff(), order_id=order.pk)
