"""Typed errors of pricing: the cart the engine was asked to price, price lists, promotions, flash sales.

Cart errors name the line at fault with ``detail={"line": index, "sku": …}`` (index into the
caller's list, from 0) so a page can mark the line and the API can return it.
"""

from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import Conflict, NotFound, ValidationError

# --- the cart ---------------------------------------------------------------------------------


class CartEmpty(ValidationError):
    code = "cart_empty"
    message_template = _("The cart is empty.")


class CartTooLarge(ValidationError):
    code = "cart_too_large"
    message_template = _("A cart can hold at most %(max)s lines.")


class SkuUnknown(ValidationError):
    code = "sku_unknown"
    message_template = _("Line %(line)s: there is no SKU with id %(sku)s.")


class UnitUnknown(ValidationError):
    code = "unit_unknown"
    message_template = _("Line %(line)s: SKU %(sku)s cannot be ordered in “%(unit)s”.")


class QuantityInvalid(ValidationError):
    code = "qty_invalid"
    message_template = _("Line %(line)s: the quantity must be a number greater than zero with at most 3 decimals.")


class QuantityTooLarge(ValidationError):
    code = "qty_too_large"
    message_template = _("Line %(line)s: the quantity is too large.")


class QuantityNotWhole(ValidationError):
    code = "qty_not_whole"
    message_template = _("Line %(line)s: %(sku)s is sold in whole %(unit)s only.")


# --- flash sales --------------------------------------------------------------------------------


class FlashSaleSoldOut(Conflict):
    code = "flash_sold_out"
    message_template = _("Flash sale %(promotion)s has not enough left for SKU %(sku)s; please review your cart.")


class FlashSaleDealerLimit(Conflict):
    code = "flash_dealer_limit"
    message_template = _("You have reached your limit for flash sale %(promotion)s (SKU %(sku)s).")


class FlashSaleEnded(Conflict):
    code = "flash_ended"
    message_template = _("Flash sale %(promotion)s has ended; please review your cart.")


# --- price lists and promotions (back office) ----------------------------------------------------


class PriceListNotFound(NotFound):
    code = "price_list_not_found"
    message_template = _("Price list not found.")


class PromotionNotFound(NotFound):
    code = "promotion_not_found"
    message_template = _("Promotion not found.")


class PriceListCodeTaken(Conflict):
    code = "price_list_code_taken"
    message_template = _("A price list with code “%(code)s” already exists.")


class PromotionCodeTaken(Conflict):
    code = "promotion_code_taken"
    message_template = _("A promotion with code “%(code)s” already exists.")


class PriceListOverlap(Conflict):
    code = "price_list_overlap"
    message_template = _(
        "Price lists %(first)s and %(second)s target the same dealers during overlapping periods "
        "and both price SKU %(sku)s; change a validity window or remove the SKU from one of them."
    )


class WindowInvalid(ValidationError):
    code = "window_invalid"
    message_template = _("The end of the validity window must be after its start.")


class PriceInvalid(ValidationError):
    code = "price_invalid"
    message_template = _("Prices must be amounts of zero or more, quantities greater than zero.")


class PromotionInvalid(ValidationError):
    code = "promotion_invalid"
    message_template = _("The promotion is not valid: %(reason)s")


class FlashCapsMissing(ValidationError):
    code = "flash_caps_missing"
    message_template = _("A flash sale needs a total quantity cap or a per-dealer cap.")


class ScopeUnknown(ValidationError):
    code = "scope_unknown"
    message_template = _("The promotion refers to %(what)s that do not exist: %(ids)s.")
