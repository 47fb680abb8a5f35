"""Property: applying any payment to any set of receivables settles exactly the payment, oldest first,
never more than a receivable owes; the rest is prepaid."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dinghuo.core.money import CENT
from dinghuo.finance.payments import allocate

D = Decimal
money = st.integers(min_value=1, max_value=100_000_000).map(lambda c: D(c) * CENT)


@given(amount=money, open_items=st.lists(money, max_size=30))
def test_parts_and_rest_add_up_and_go_oldest_first(amount, open_items):
    items = list(enumerate(open_items))
    parts, rest = allocate(amount, items)
    assert sum((p for _k, p in parts), D(0)) + rest == amount
    assert rest >= 0
    owed = dict(items)
    for key, part in parts:
        assert 0 < part <= owed[key]
    # oldest first: every receivable before the last one touched is fully settled
    touched = [k for k, _p in parts]
    assert touched == sorted(touched)
    for key, part in parts[:-1]:
        assert part == owed[key]
    if rest > 0:
        assert sum(open_items, D(0)) + rest == amount  # something is left only when everything was settled


# --- through the real services: any sequence of payments, confirmations and rejections ----------

from hypothesis import HealthCheck, settings  # noqa: E402

from dinghuo.accounts.roles import Role  # noqa: E402
from dinghuo.core.errors import DomainError  # noqa: E402
from dinghuo.core.tenancy import tenant_context  # noqa: E402
from dinghuo.finance import payments as pay  # noqa: E402
from dinghuo.finance.models import DealerAccount, Payment, Receivable  # noqa: E402
from tests.finance.conftest import ship_on_credit  # noqa: E402
from tests.orders.conftest import assert_invariants  # noqa: E402
from tests.orders.factories import make_shop  # noqa: E402

step = st.one_of(
    st.tuples(st.just("ship"), st.integers(1, 3)),
    st.tuples(st.just("record"), st.integers(1, 30_000), st.booleans()),
    st.tuples(st.just("confirm"), st.integers(0, 20)),
    st.tuples(st.just("confirm_again"), st.integers(0, 20)),
    st.tuples(st.just("reject"), st.integers(0, 20)),
)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_any_sequence_of_payments_keeps_every_ledger_whole(world, steps):
    shop = world.__dict__.setdefault("_shop", None) or make_shop(world)
    world._shop = shop
    finance = shop.staff(Role.FINANCE)
    for s in steps:
        with tenant_context(shop.tenant, finance):
            pending = list(Payment.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True))
            done = list(Payment.objects.filter(status="confirmed").order_by("pk").values_list("pk", flat=True))
        try:
            if s[0] == "ship":
                ship_on_credit(shop, s[1])
            with tenant_context(shop.tenant, finance):
                if s[0] == "record":
                    pay.payment_record(actor=finance, dealer_id=shop.dealer.pk, method="transfer",
                                       amount=D(s[1]) * CENT * 10, confirm=s[2])  # fmt: skip
                elif s[0] == "confirm" and pending:
                    pay.payment_confirm(actor=finance, payment_id=pending[s[1] % len(pending)])
                elif s[0] == "confirm_again" and done:
                    pay.payment_confirm(actor=finance, payment_id=done[s[1] % len(done)])
                elif s[0] == "reject" and pending:
                    pay.payment_reject(actor=finance, payment_id=pending[s[1] % len(pending)], reason="t")
        except DomainError:
            pass  # refused: nothing may be half-applied, the invariants below prove it
    assert_invariants(shop.tenant)
    with tenant_context(shop.tenant):
        account = DealerAccount.objects.get(dealer=shop.dealer)
        shipped = sum((r.amount for r in Receivable.objects.filter(dealer=shop.dealer)), D(0))
        confirmed = Payment.objects.filter(status="confirmed", dealer=shop.dealer)
        applied = sum((p.applied for p in confirmed), D(0))
        # receivables = shipped − applied payments; prepaid = the overpayments
        assert account.receivable == shipped - applied
        assert account.prepaid == sum((p.to_prepaid for p in confirmed), D(0))
        assert account.receivable >= 0
