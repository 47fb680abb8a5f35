from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import Conflict, NotFound, ValidationError


class WarehouseNotFound(NotFound):
    code = "warehouse_not_found"
    message_template = _("Warehouse not found.")


class WarehouseCodeTaken(Conflict):
    code = "warehouse_code_taken"
    message_template = _("A warehouse with code “%(code)s” already exists.")


class OutOfStock(Conflict):
    """Not enough available stock; ``detail["lines"]`` names each short line."""

    code = "out_of_stock"
    message_template = _("Not enough stock for %(skus)s.")


class StockBelowReserved(ValidationError):
    code = "stock_below_reserved"
    message_template = _("On hand for %(sku)s cannot go below the %(reserved)s units reserved for orders.")


class QuantityInvalid(ValidationError):
    code = "quantity_invalid"
    message_template = _("The quantity must be a positive number.")


class SyncIdReused(ValidationError):
    code = "sync_id_reused"
    status = 422
    message_template = _("Sync id “%(sync_id)s” was already used for a different push.")
