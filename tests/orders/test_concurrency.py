"""Stock, credit and idempotency under real concurrency: many PostgreSQL connections at once.

Each test commits its data (transactional db), then runs threads — each with its own database
connection — that race through the real services, and finally checks the invariants: nothing
oversold, no exposure over a limit, the stock ledger equals the stock rows, every balance equals
its ledger. (PostgreSQL here allows 100 connections, so at most CONNECTIONS run at once.)
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import DomainError
from dinghuo.core.idempotency import IdempotencyInProgress, IdempotencyKey
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.finance.models import DealerAccount
from dinghuo.finance.services import credit_set_terms
from dinghuo.inventory.models import Stock
from dinghuo.inventory.services import stock_adjust
from dinghuo.orders import services as svc
from dinghuo.orders.models import Order
from dinghuo.orders.placement import order_place
from tests.factories import make_world
from tests.orders.conftest import assert_invariants
from tests.orders.factories import make_shop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal
CONNECTIONS = 60


def run_all(n, fn, workers=CONNECTIONS):
    """Run fn(i) for i in range(n) on `workers` threads released together; collect results or errors."""
    barrier = threading.Barrier(min(n, workers))
    results = [None] * n

    def task(i):
        try:
            if i < workers:
                barrier.wait(timeout=30)
            results[i] = ("ok", fn(i))
        except DomainError as exc:
            results[i] = ("error", exc.code)
        except Exception as exc:
            results[i] = ("crash", repr(exc))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(task, range(n)))
    return results


@pytest.fixture
def shop():
    world = make_world("race")
    shop = make_shop(world)
    yield shop
    assert_invariants(shop.tenant)


def test_200_buyers_for_50_units_sell_exactly_50(shop):
    # given exactly 50 units of cola in stock (in 广州 only)
    with tenant_context(shop.tenant):
        admin = Actor.system(shop.tenant.pk)
        stock_adjust(
            actor=admin,
            stock=Stock.objects.get(sku=shop.skus["COLA"], warehouse=shop.warehouses["gz"]),
            set_to=D(50),
            reason="hot item",
        )
        stock_adjust(
            actor=admin,
            stock=Stock.objects.get(sku=shop.skus["COLA"], warehouse=shop.warehouses["hz"]),
            set_to=D(0),
            reason="hot item",
        )
    buyer = shop.buyer()

    def buy(_i):
        with tenant_context(shop.tenant, buyer):
            return order_place(
                actor=buyer, dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "瓶")], tenant_settings={}
            ).order.pk

    # when 200 orders of one unit race for them
    results = run_all(200, buy)
    # then exactly 50 succeed and the rest are refused as out of stock — no crash
    outcomes = [r[0] for r in results]
    assert outcomes.count("crash") == 0, [r for r in results if r[0] == "crash"][:3]
    assert outcomes.count("ok") == 50
    assert {r[1] for r in results if r[0] == "error"} <= {"out_of_stock", "order_blocked"}
    with tenant_context(shop.tenant):
        gz = Stock.objects.get(sku=shop.skus["COLA"], warehouse=shop.warehouses["gz"])
        assert (gz.on_hand, gz.reserved) == (D(50), D(50))
        assert Order.objects.filter(status=Order.Status.APPROVED).count() == 50


def test_concurrent_orders_near_the_credit_limit_never_exceed_it(shop):
    # given a limit that fits exactly 13 orders of 72.00
    with tenant_context(shop.tenant):
        credit_set_terms(actor=Actor.system(shop.tenant.pk), dealer=shop.dealer, limit=D("940.00"), terms_days=30)
    buyer = shop.buyer()

    def buy(_i):
        with tenant_context(shop.tenant, buyer):
            return order_place(
                actor=buyer,
                dealer_id=shop.dealer.pk,
                items=[shop.item("COLA", 1, "箱")],
                tenant_settings={"rules": {"credit": "block"}},
            ).order.status

    results = run_all(40, buy)
    assert not [r for r in results if r[0] == "crash"], results
    approved = [r for r in results if r == ("ok", "approved")]
    assert len(approved) == 13
    assert {r[1] for r in results if r[0] == "error"} == {"credit_limit_exceeded", "order_blocked"} or {
        r[1] for r in results if r[0] == "error"
    } <= {"credit_limit_exceeded", "order_blocked"}
    with tenant_context(shop.tenant):
        account = DealerAccount.objects.get(dealer=shop.dealer)
        assert account.credit_hold == D("936.00") and account.exposure <= account.credit_limit


def test_50_identical_requests_with_one_key_make_one_order(shop):
    buyer = shop.buyer()
    items = [shop.item("COLA", 1, "箱")]
    key = IdempotencyKey.of(scope=f"user:{buyer.user_id}", key="same-key", body={"cola": 1})

    def send(_i):
        with tenant_context(shop.tenant, buyer):
            placed = order_place(
                actor=buyer, dealer_id=shop.dealer.pk, items=items, idempotency=key, tenant_settings={}
            )
            return placed.order.pk

    results = run_all(50, send, workers=50)
    assert not [r for r in results if r[0] == "crash"], results
    order_ids = {r[1] for r in results if r[0] == "ok"}
    assert len(order_ids) == 1
    assert {r[1] for r in results if r[0] == "error"} <= {IdempotencyInProgress.code}
    with tenant_context(shop.tenant):
        assert Order.objects.count() == 1


def test_a_retry_after_the_first_requests_connection_was_killed_makes_one_order(shop, monkeypatch):
    # given a first request that dies inside its transaction (its connection is killed)
    buyer = shop.buyer()
    items = [shop.item("COLA", 1, "箱")]
    key = IdempotencyKey.of(scope=f"user:{buyer.user_id}", key="killed", body={"cola": 1})
    inside, release = threading.Event(), threading.Event()
    pid = {}
    import dinghuo.orders.placement as placement

    real_audit = placement.audit_write

    def stalling_audit(**kw):
        if threading.current_thread().name == "first":
            pid["first"] = connection.connection.info.backend_pid
            inside.set()
            release.wait(timeout=30)
        return real_audit(**kw)

    monkeypatch.setattr(placement, "audit_write", stalling_audit)
    outcome = {}

    def first():
        try:
            with tenant_context(shop.tenant, buyer):
                order_place(actor=buyer, dealer_id=shop.dealer.pk, items=items, idempotency=key, tenant_settings={})
            outcome["first"] = "committed"
        except OperationalError:
            outcome["first"] = "killed"
        except Exception as exc:  # the driver may report the kill differently
            outcome["first"] = f"killed: {type(exc).__name__}"
        finally:
            connections.close_all()

    thread = threading.Thread(target=first, name="first")
    thread.start()
    assert inside.wait(timeout=30)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid["first"]])
    time.sleep(0.2)
    release.set()
    thread.join(timeout=30)
    assert outcome["first"].startswith("killed")
    # when the client retries with the same key
    with tenant_context(shop.tenant, buyer):
        placed = order_place(actor=buyer, dealer_id=shop.dealer.pk, items=items, idempotency=key, tenant_settings={})
        again = order_place(actor=buyer, dealer_id=shop.dealer.pk, items=items, idempotency=key, tenant_settings={})
        # then exactly one order exists, and a further retry replays it
        assert placed.created and not again.created and again.order.pk == placed.order.pk
        assert Order.objects.count() == 1


def test_cancel_racing_approve_leaves_one_consistent_outcome(shop):
    with tenant_context(shop.tenant):
        credit_set_terms(actor=Actor.system(shop.tenant.pk), dealer=shop.dealer, limit=D("10000.00"), terms_days=30)
    buyer, reviewer = shop.buyer(), shop.staff(Role.REVIEWER)
    orders = []
    with tenant_context(shop.tenant, buyer):
        for _ in range(15):
            orders.append(
                order_place(
                    actor=buyer,
                    dealer_id=shop.dealer.pk,
                    items=[shop.item("COLA", 1, "箱")],
                    tenant_settings={"rules": {"min_amount": "review"}, "min_order_amount": "1000"},
                ).order.pk
            )

    def act(i):
        order_id = orders[i // 2]
        if i % 2:
            with tenant_context(shop.tenant, buyer):
                return svc.order_cancel(actor=buyer, order_id=order_id).status
        with tenant_context(shop.tenant, reviewer):
            return svc.order_approve(actor=reviewer, order_id=order_id).status

    results = run_all(30, act, workers=30)
    assert not [r for r in results if r[0] == "crash"], results
    with tenant_context(shop.tenant):
        for order in Order.objects.filter(pk__in=orders):
            assert order.status in {"approved", "cancelled"}
            assert order.funds_taken == (order.status == "approved")
