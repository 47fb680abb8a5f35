from dataclasses import dataclass

import pytest

from dinghuo.core.tenancy import tenant_context
from dinghuo.dealers.models import Dealer, DealerTier, PriceGroup
from dinghuo.tenancy.models import Tenant
from tests.factories import World
from tests.pricing.factories import make_group, make_tier


@dataclass
class Shop:
    tenant: Tenant
    dealer: Dealer  # 南山区 (440305) in 深圳市 (440300), 广东省 (440000); tier "gold"; price group "KA"
    tier: DealerTier
    group: PriceGroup
    world: World


@pytest.fixture
def shop(world) -> Shop:
    tenant = world.tenant
    gold = make_tier(tenant, "gold", "金牌", rank=3)
    group = make_group(tenant, "KA")
    with tenant_context(tenant):
        dealer = Dealer.objects.get(pk=world.dealer.pk)
        dealer.tier, dealer.price_group, dealer.region_code = gold, group, "440305"
        dealer.save(update_fields=["tier", "price_group", "region_code"])
    return Shop(tenant=tenant, dealer=dealer, tier=gold, group=group, world=world)
