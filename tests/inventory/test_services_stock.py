from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy as _

from dinghuo.accounts.roles import Role
from dinghuo.core.errors import PermissionDenied, ValidationError
from dinghuo.core.tenancy import tenant_context
from dinghuo.inventory.errors import StockBelowReserved, SyncIdReused
from dinghuo.inventory.models import LowStockAlert, Stock
from dinghuo.inventory.services import SyncLine, stock_adjust, stock_set_safety, stock_sync
from dinghuo.notify.models import OutboxEvent
from dinghuo.orders.placement import order_place

D = Decimal


def stock(shop, code="COLA", wh="gz"):
    with tenant_context(shop.tenant):
        return Stock.objects.get(sku=shop.skus[code], warehouse=shop.warehouses[wh])


def test_adjustments_never_go_below_what_orders_reserved(shop):
    with tenant_context(shop.tenant):
        order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=[shop.item("COLA", 10, "箱")])
        with pytest.raises(StockBelowReserved):
            stock_adjust(actor=shop.staff(Role.WAREHOUSE), stock=stock(shop), set_to=D(100), reason="盘点")
        with pytest.raises(ValidationError):
            stock_adjust(actor=shop.staff(Role.WAREHOUSE), stock=stock(shop), set_to=D(500), reason=" ")
        with pytest.raises(PermissionDenied):
            stock_adjust(actor=shop.staff(Role.FINANCE), stock=stock(shop), set_to=D(500), reason="盘点")
        stock_adjust(actor=shop.staff(Role.WAREHOUSE), stock=stock(shop), set_to=D(240), reason="盘点")
    assert (stock(shop).on_hand, stock(shop).reserved) == (D(240), D(240))


def test_low_stock_raises_one_alert_and_an_event_then_resolves(shop):
    with tenant_context(shop.tenant):
        stock_set_safety(actor=shop.staff(Role.WAREHOUSE), stock=stock(shop), qty=D(960))
        order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "箱")])
        order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=[shop.item("COLA", 1, "箱")])
        alerts = LowStockAlert.objects.filter(stock=stock(shop))
        assert alerts.count() == 1 and alerts.get().resolved_at is None
        assert OutboxEvent.objects.filter(topic="stock.low").count() == 1
        from dinghuo.inventory.services import stock_receive

        stock_receive(
            actor=shop.staff(Role.WAREHOUSE), warehouse=shop.warehouses["gz"], sku=shop.skus["COLA"], qty=D(500)
        )
        assert alerts.get().resolved_at is not None


def test_wms_sync_is_idempotent_by_sync_id_and_respects_reservations(shop):
    wh = shop.warehouses["gz"]
    staff = shop.staff(Role.WAREHOUSE)
    with tenant_context(shop.tenant):
        order_place(actor=shop.buyer(), dealer_id=shop.dealer.pk, items=[shop.item("COLA", 2, "箱")])
        lines = [SyncLine("COLA", D(30)), SyncLine("WATER", D(700))]
        first = stock_sync(actor=staff, warehouse=wh, sync_id="wms-1", mode="snapshot", lines=lines)
        again = stock_sync(actor=staff, warehouse=wh, sync_id="wms-1", mode="snapshot", lines=lines)
        assert again.pk == first.pk
        # counted 30 but 48 are promised to an order: on hand stays at the reserved 48, reported short
        assert stock(shop).on_hand == D(48) and first.result["short"][0]["sku"] == "COLA"
        assert stock(shop, "WATER").on_hand == D(700)
        with pytest.raises(SyncIdReused):
            stock_sync(actor=staff, warehouse=wh, sync_id="wms-1", mode="snapshot", lines=[SyncLine("COLA", D(1))])
        stock_sync(actor=staff, warehouse=wh, sync_id="wms-2", mode="delta", lines=[SyncLine("WATER", D(-100))])
        assert stock(shop, "WATER").on_hand == D(600)
        with pytest.raises(ValidationError) as info:
            stock_sync(actor=staff, warehouse=wh, sync_id="wms-3", mode="snapshot", lines=[SyncLine("NOPE", D(1))])
        assert info.value.detail == {"unknown_skus": ["NOPE"]}


def test_stock_import_from_excel_is_all_or_nothing(shop):
    import io

    import openpyxl

    from dinghuo.core import xlsx
    from dinghuo.inventory.importers import import_stock

    def book(rows):
        wb = openpyxl.Workbook()
        wb.active.append(["仓库编码", "SKU编码", "库存数量", "安全库存"])
        for r in rows:
            wb.active.append(r)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    staff = shop.staff(Role.WAREHOUSE)
    with tenant_context(shop.tenant):
        with pytest.raises(xlsx.XlsxRowErrors) as info:
            import_stock(
                actor=staff, data=book([["GZ", "COLA", 10, 5], ["XX", "COLA", 1, None], ["GZ", "WATER", -1, None]])
            )
        assert {(e["row"], e["column"]) for e in info.value.detail["rows"]} == {(3, str(_("Warehouse code"))), (4, str(_("On hand")))}
        assert stock(shop).on_hand == D(1000)  # nothing changed
        summary, _t = import_stock(actor=staff, data=book([["GZ", "COLA", "１，２００", 96], ["HZ", "WATER", 0, None]]))
        assert stock(shop).on_hand == D(1200) and stock(shop).safety_stock == D(96)
        assert stock(shop, "WATER", "hz").on_hand == D(0)
        assert summary["rows"] == 2
