import pytest

from dinghuo.core.tenancy import tenant_context
from dinghuo.finance.services import credit_overshoot
from dinghuo.finance.services import ledger_mismatches as money_mismatches
from dinghuo.inventory.services import ledger_mismatches as stock_mismatches
from dinghuo.inventory.services import oversold
from tests.orders.factories import make_shop


def assert_invariants(tenant) -> None:
    """The stock ledger equals the stock rows, every balance its ledger, nothing oversold, no
    exposure over a limit (no override was recorded in these tests unless they say so)."""
    with tenant_context(tenant):
        assert stock_mismatches() == []
        assert oversold() == []
        assert money_mismatches() == []
        assert credit_overshoot() == []


@pytest.fixture
def shop(world):
    """A shop whose invariants are checked after the test, whatever it did."""
    shop = make_shop(world)
    yield shop
    assert_invariants(shop.tenant)
