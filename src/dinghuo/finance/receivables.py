"""Receivables: ageing by days past due, and reminders before and after due dates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.accounts.permissions import require, scope_dealers
from dinghuo.core.money import ZERO, fmt
from dinghuo.core.tenancy import Actor, stamp_tenant
from dinghuo.finance.models import Receivable, ReminderLog
from dinghuo.finance.notices import notify_dealers
from dinghuo.finance.policy import finance_settings
from dinghuo.finance.services import cents
from dinghuo.notify.outbox import outbox_add_many, outbox_event

BUCKETS = [
    ("current", gettext_lazy("Not yet due")),
    ("d1_30", gettext_lazy("1–30 days")),
    ("d31_60", gettext_lazy("31–60 days")),
    ("d61_90", gettext_lazy("61–90 days")),
    ("d90_plus", gettext_lazy("Over 90 days")),
]
AFTER_STAGES = [1, 7, 15, 30, 60, 90]


def _bucket_filters(as_of: dt.date) -> dict[str, Q]:
    day = dt.timedelta(days=1)
    return {
        "current": Q(due_date__gte=as_of),
        "d1_30": Q(due_date__lt=as_of, due_date__gte=as_of - 30 * day),
        "d31_60": Q(due_date__lt=as_of - 30 * day, due_date__gte=as_of - 60 * day),
        "d61_90": Q(due_date__lt=as_of - 60 * day, due_date__gte=as_of - 90 * day),
        "d90_plus": Q(due_date__lt=as_of - 90 * day),
    }


def ageing(*, actor: Actor, as_of: dt.date | None = None, dealer_id: int | None = None) -> tuple[list[dict], dict]:
    """Open receivables per dealer by age (one aggregate query + one for the dealers' names)."""
    from dinghuo.dealers.models import Dealer

    require(actor, "finance.view")
    as_of = as_of or timezone.localdate()
    outstanding = F("amount") - F("paid")
    qs = scope_dealers(actor, Receivable.objects.filter(status=Receivable.Status.OPEN), "dealer")
    if dealer_id is not None:
        qs = qs.filter(dealer_id=dealer_id)
    rows = list(
        qs.values("dealer_id").annotate(
            total=Sum(outstanding), **{key: Sum(outstanding, filter=f) for key, f in _bucket_filters(as_of).items()}
        )
    )
    names = {d.pk: d for d in Dealer.objects.filter(pk__in=[r["dealer_id"] for r in rows]).only("code", "name")}
    totals = {key: ZERO for key, _l in BUCKETS} | {"total": ZERO, "overdue": ZERO}
    for row in rows:
        row["total"] = cents(row["total"])
        for key, _label in BUCKETS:
            row[key] = cents(row[key])
            totals[key] += row[key]
        row["overdue"] = row["total"] - row["current"]
        totals["total"] += row["total"]
        totals["overdue"] += row["overdue"]
        row["dealer"] = names.get(row["dealer_id"])
    rows.sort(key=lambda r: (-r["overdue"], -r["total"], r["dealer_id"]))
    return rows, totals


def stage_for(days_past_due: int, days_before: int) -> str | None:
    """The reminder stage a receivable is in: "due_soon" up to ``days_before`` before, then overdue_N."""
    if days_past_due <= 0:
        return "due_soon" if -days_past_due <= days_before else None
    passed = [s for s in AFTER_STAGES if s <= days_past_due]
    return f"overdue_{passed[-1]}" if passed else None


def remind_overdue(*, actor: Actor, as_of: dt.date | None = None) -> dict:
    """Remind dealers of receivables coming due and overdue; each stage once per receivable.

    One in-app notification per dealer and run, and an outbox event ``credit.overdue`` (or
    ``credit.due_soon``) for webhooks, e-mail and SMS channels.
    """
    require(actor, "finance.manage")
    as_of = as_of or timezone.localdate()
    before = int(finance_settings(actor.tenant_id)["reminder_days_before"])
    due = list(
        Receivable.objects.filter(status=Receivable.Status.OPEN, due_date__lte=as_of + dt.timedelta(days=before))
        .order_by("dealer_id", "due_date", "pk")
        .values_list("pk", "dealer_id", "due_date", "amount", "paid", "order__number")
    )
    with transaction.atomic():
        sent = set(
            ReminderLog.objects.filter(receivable_id__in=[r[0] for r in due]).values_list("receivable_id", "stage")
        )
        logs, per_dealer = [], defaultdict(lambda: {"overdue": [], "due_soon": []})
        for pk, dealer_id, due_date, amount, paid, order_number in due:
            stage = stage_for((as_of - due_date).days, before)
            if stage is None or (pk, stage) in sent:
                continue
            logs.append(ReminderLog(receivable_id=pk, stage=stage, sent_on=as_of))
            kind = "due_soon" if stage == "due_soon" else "overdue"
            per_dealer[dealer_id][kind].append(
                {
                    "receivable": pk,
                    "order": order_number,
                    "due_date": due_date.isoformat(),
                    "outstanding": amount - paid,
                    "days": (as_of - due_date).days,
                }
            )
        ReminderLog.objects.bulk_create(stamp_tenant(logs), ignore_conflicts=True)
        notes, events = [], []
        for dealer_id, kinds in sorted(per_dealer.items()):
            for kind, items in kinds.items():
                if not items:
                    continue
                total = sum((Decimal(i["outstanding"]) for i in items), ZERO)
                if kind == "overdue":
                    title = _("Payment overdue: %(amount)s") % {"amount": fmt(total)}
                    body = _("%(count)s receivable(s) are past due, the oldest since %(date)s. Orders on credit may be blocked.") % {
                        "count": len(items), "date": items[0]["due_date"]}  # fmt: skip
                else:
                    title = _("Payment due soon: %(amount)s") % {"amount": fmt(total)}
                    body = _("%(count)s receivable(s) fall due by %(date)s.") % {
                        "count": len(items), "date": items[-1]["due_date"]}  # fmt: skip
                notes.append((dealer_id, title, body, "/portal/finance/"))
                events.append(
                    outbox_event(
                        topic=f"credit.{kind}",
                        aggregate=("dealer", dealer_id),
                        payload={"dealer_id": dealer_id, "as_of": as_of, "total": total, "receivables": items},
                    )
                )
        notify_dealers(notes)
        outbox_add_many(events)
    return {
        "reminders": len(logs),
        "dealers": len(per_dealer),
        "overdue": sum(1 for k in per_dealer.values() if k["overdue"]),
        "due_soon": sum(1 for k in per_dealer.values() if k["due_soon"]),
    }
