"""Property: whatever sequence of orders, cancellations, approvals and shipments happens, every
balance equals the sum of its ledger, stock rows equal their movements, receivables equal what was
shipped on credit, and credit exposure never passes the limit."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import DomainError
from dinghuo.core.tenancy import tenant_context
from dinghuo.finance.models import DealerAccount, Receivable
from dinghuo.orders import services as svc
from dinghuo.orders.models import Order
from dinghuo.orders.placement import order_place
from tests.orders.conftest import assert_invariants
from tests.orders.factories import make_shop

D = Decimal

op = st.one_of(
    st.tuples(st.just("place"), st.integers(1, 30), st.integers(0, 40), st.integers(0, 10)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("approve"), st.integers(0, 50)),
    st.tuples(st.just("ship"), st.integers(0, 50), st.integers(1, 100)),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(ops=st.lists(op, min_size=1, max_size=12))
def test_ledgers_hold_after_any_sequence_of_operations(world, ops):
    shop = (
        make_shop(world, credit_limit="800.00", prepaid="300.00", rebate="50.00")
        if not hasattr(world, "_shop")
        else world._shop
    )
    world._shop = shop
    buyer, staff = shop.buyer(), shop.staff(Role.OWNER)
    with tenant_context(shop.tenant):
        for step in ops:
            orders = list(Order.objects.order_by("id").values_list("pk", flat=True))
            try:
                if step[0] == "place":
                    _op, cases, prepaid, rebate = step
                    order_place(
                        actor=buyer, dealer_id=shop.dealer.pk, items=[shop.item("COLA", cases, "箱")],
                        pay_prepaid=D(prepaid), pay_rebate=D(rebate), tenant_settings={},
                    )  # fmt: skip
                elif step[0] == "cancel" and orders:
                    svc.order_cancel(actor=staff, order_id=orders[step[1] % len(orders)], reason="t")
                elif step[0] == "approve" and orders:
                    svc.order_approve(actor=staff, order_id=orders[step[1] % len(orders)])
                elif step[0] == "ship" and orders:
                    order = Order.objects.get(pk=orders[step[1] % len(orders)])
                    for line in order.lines.all():
                        for a in line.allocations.all():
                            qty = min(a.open_base, D(step[2]))
                            if qty > 0:
                                svc.shipment_create(
                                    actor=staff, order_id=order.pk, warehouse_id=a.stock.warehouse_id,
                                    items=[svc.ShipItem(line.pk, qty)], carrier="顺丰", tracking_no="SF1",
                                )  # fmt: skip
            except DomainError:
                pass  # refused operations must leave nothing behind; the invariants below prove it
        assert_invariants(shop.tenant)
        account = DealerAccount.objects.get(dealer=shop.dealer)
        open_orders = Order.objects.filter(funds_taken=True, dealer=shop.dealer)
        shipped_on_credit = sum((r.amount for r in Receivable.objects.filter(dealer=shop.dealer)), D(0))
        held = sum((o.pay_credit for o in open_orders), D(0)) - shipped_on_credit
        assert account.credit_hold == held
        assert account.prepaid == D("300.00") - sum((o.pay_prepaid for o in open_orders), D(0))
