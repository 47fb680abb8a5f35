"""The demo's sales facts: the reports (销售报表) read them, so they are computed once the orders exist."""

from __future__ import annotations

import random
from collections.abc import Callable

from dinghuo.analytics.services import refresh_facts
from dinghuo.core.tenancy import tenant_context
from dinghuo.demo.people import DemoTenant


def load_facts(bev: DemoTenant, parts: DemoTenant, rng: random.Random, say: Callable[[str], None]) -> None:
    for demo in (bev, parts):
        with tenant_context(demo.tenant, demo.actor):
            cells = refresh_facts(full=True)
        say(f"  {demo.tenant.code}: {cells} dealer × month × category cells")
