"""insert_all writes what Django's own INSERT would, whatever the text contains (both databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from dinghuo.core.bulkwrite import allocate_ids, insert_all, is_postgres
from dinghuo.core.tenancy import tenant_context
from dinghuo.notify.models import OutboxEvent

AWKWARD = ['a "quoted" word', 'back\\slash \\" both', "{braces, commas}", "NULL", "", "  spaced  ", "订货\n换行\t制表"]


def write(objs: list) -> None:
    """As the order path writes: ids taken first on PostgreSQL, then one insert_all."""
    with transaction.atomic():
        if is_postgres():
            model = type(objs[0])
            ids, _seqs = allocate_ids({model: len(objs)})
            for obj, pk in zip(objs, ids[model], strict=True):
                obj.pk = pk
        insert_all([objs])


def test_awkward_text_json_and_times_round_trip(world):
    with tenant_context(world.tenant):
        at = dt.datetime(2026, 11, 22, 8, 30, 15, 123456, tzinfo=dt.UTC)
        events = [
            OutboxEvent(
                topic=text[:60],
                aggregate_type="t",
                aggregate_id=str(i),
                payload={"text": text, "list": [1, "二", None], "amount": "12.30", "nested": {"q": '"'}},
                dispatched_at=at if i % 2 else None,
            )
            for i, text in enumerate(AWKWARD)
        ]
        write(events)
        rows = {
            e.aggregate_id: e
            for e in OutboxEvent.objects.filter(aggregate_type="t").order_by("id")
        }  # fmt: skip
        assert len(rows) == len(AWKWARD)
        for i, text in enumerate(AWKWARD):
            row = rows[str(i)]
            assert row.topic == text
            assert row.payload == {"text": text, "list": [1, "二", None], "amount": "12.30", "nested": {"q": '"'}}
            assert row.dispatched_at == (at if i % 2 else None)
            assert row.created_at is not None  # auto_now_add filled in


def test_decimals_and_nulls_round_trip(world):
    """Amounts keep every digit, whatever notation Decimal prints them in; NULLs stay NULL."""
    from dinghuo.finance.models import LedgerEntry
    from dinghuo.finance.services import account_for

    with tenant_context(world.tenant):
        account = account_for(world.dealer)
        amounts = [Decimal("0.01"), Decimal("-12345678.90"), Decimal("1E+3"), Decimal("7")]
        entries = [
            LedgerEntry(account=account, bucket=LedgerEntry.Bucket.PREPAID, kind=LedgerEntry.Kind.ADJUSTMENT,
                        amount=a, ref_type="t", ref_id=str(i), memo=AWKWARD[i], actor_id=None if i % 2 else 7)
            for i, a in enumerate(amounts)
        ]  # fmt: skip
        write(entries)
        stored = {e.ref_id: (e.amount, e.memo, e.actor_id) for e in LedgerEntry.objects.filter(ref_type="t")}
        assert stored == {str(i): (a, AWKWARD[i], None if i % 2 else 7) for i, a in enumerate(amounts)}


def test_build_makes_what_the_model_constructor_makes(world):
    import pytest

    from dinghuo.core.bulkwrite import build
    from dinghuo.finance.models import LedgerEntry
    from dinghuo.finance.services import account_for

    with tenant_context(world.tenant):
        account = account_for(world.dealer)
        fast = build(LedgerEntry, account=account, bucket="prepaid", kind="topup", amount=Decimal("5"))
        slow = LedgerEntry(account=account, bucket="prepaid", kind="topup", amount=Decimal("5"))
        fields = [f.attname for f in LedgerEntry._meta.concrete_fields]
        assert [getattr(fast, f) for f in fields] == [getattr(slow, f) for f in fields]
        assert fast.account is account and fast._state.adding
        with pytest.raises(TypeError, match="amout"):
            build(LedgerEntry, account=account, amout=Decimal("5"))
