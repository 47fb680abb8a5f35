from tests.orders.conftest import shop  # noqa: F401  (the same shop, invariants checked after each test)
