"""Row locks for orders. Every select_for_update of an order is taken here."""

from dinghuo.orders.errors import OrderNotFound
from dinghuo.orders.models import Order


def lock_order(*, order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound()
    return order
