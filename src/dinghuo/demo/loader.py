"""`dinghuo demo`: build the demo tenants step by step. Later modules append their steps to STEPS."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from django.db import transaction

from dinghuo.accounts.models import User
from dinghuo.core.tenancy import all_tenants
from dinghuo.demo.analytics import load_facts
from dinghuo.demo.catalog import load_catalog
from dinghuo.demo.finance import load_finance
from dinghuo.demo.logins import DEMO_PASSWORD
from dinghuo.demo.ordering import load_ordering
from dinghuo.demo.people import DemoTenant, build_bev, build_parts
from dinghuo.tenancy.models import Tenant

# Each step receives the two demo tenants and a seeded random generator.
Step = Callable[[DemoTenant, DemoTenant, random.Random, Callable[[str], None]], None]
STEPS: list[tuple[str, Step]] = [
    ("catalog, prices and promotions", load_catalog),
    ("warehouses, stock, dealer accounts and 12 months of orders", load_ordering),
    ("payments, rebates, statements and invoices", load_finance),
    ("sales facts for the reports", load_facts),
]


def demo_exists() -> bool:
    return Tenant.objects.filter(code__in=["bev", "parts"]).exists()


def load_demo(*, seed: int = 20261122, say: Callable[[str], None] = print) -> None:
    rng = random.Random(seed)
    started = time.monotonic()
    with all_tenants():
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@demo.dinghuo.local", DEMO_PASSWORD, display_name="超级管理员")
    with transaction.atomic():
        say("tenants, staff and dealers …")
        bev = build_bev(rng)
        parts = build_parts(rng)
    for label, step in STEPS:
        say(f"{label} …")
        step(bev, parts, rng, say)
    say(f"demo loaded in {time.monotonic() - started:.1f}s")
