"""Catalog errors: typed, with a stable code, translated, and naming the field at fault in ``detail``."""

from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import Conflict, NotFound, ValidationError
from dinghuo.core.xlsx import XlsxRowErrors

# --- not found (another tenant's rows are "not found" too) -------------------------------------


class CategoryNotFound(NotFound):
    code = "category_not_found"
    message_template = _("Category not found.")


class BrandNotFound(NotFound):
    code = "brand_not_found"
    message_template = _("Brand not found.")


class TagNotFound(NotFound):
    code = "tag_not_found"
    message_template = _("Tag not found.")


class ProductNotFound(NotFound):
    code = "product_not_found"
    message_template = _("Product not found.")


class SkuNotFound(NotFound):
    code = "sku_not_found"
    message_template = _("SKU not found.")


# --- codes ---------------------------------------------------------------------------------------


class CodeInvalid(ValidationError):
    code = "code_invalid"
    message_template = _("“%(value)s” is not a valid code: use at most %(max)s characters without spaces.")


class CodeTaken(Conflict):
    code = "code_taken"
    message_template = _("The code “%(value)s” is already used.")


class CategoryCodeTaken(CodeTaken):
    code = "category_code_taken"
    message_template = _("A category with code “%(value)s” already exists.")


class BrandCodeTaken(CodeTaken):
    code = "brand_code_taken"
    message_template = _("A brand with code “%(value)s” already exists.")


class AttributeCodeTaken(CodeTaken):
    code = "attribute_code_taken"
    message_template = _("An attribute with code “%(value)s” already exists.")


class TagCodeTaken(CodeTaken):
    code = "tag_code_taken"
    message_template = _("A tag with code “%(value)s” already exists.")


class ProductCodeTaken(CodeTaken):
    code = "product_code_taken"
    message_template = _("A product with code “%(value)s” already exists.")


class SkuCodeTaken(CodeTaken):
    code = "sku_code_taken"
    message_template = _("A SKU with code “%(value)s” already exists.")


# --- categories ----------------------------------------------------------------------------------


class CategoryCycle(ValidationError):
    code = "category_cycle"
    message_template = _("A category cannot be moved under itself or one of its subcategories.")


class CategoryTooDeep(ValidationError):
    code = "category_too_deep"
    message_template = _("The category tree would be too deep (at most %(max)s levels).")


class AttributesWouldBeLost(ValidationError):
    code = "attributes_would_be_lost"
    message_template = _(
        "Products use attributes that would no longer apply after this change: %(attributes)s. "
        "Remove those values first."
    )


# --- attributes ----------------------------------------------------------------------------------


class AttributeKindInvalid(ValidationError):
    code = "attribute_kind_invalid"
    message_template = _("“%(value)s” is not an attribute kind (number, text, choice or boolean).")


class AttributeChoicesInvalid(ValidationError):
    code = "attribute_choices_invalid"
    message_template = _("A choice attribute needs a list of distinct, non-empty choices; other kinds take none.")


class UnknownAttribute(ValidationError):
    code = "attribute_unknown"
    message_template = _("Unknown attribute “%(attribute)s”: it is not defined for category %(category)s.")


class AttributeValueInvalid(ValidationError):
    code = "attribute_value_invalid"
    message_template = _("“%(value)s” is not a valid value of %(attribute)s: expected %(expected)s.")


EXPECT_NUMBER = _("a number (at most 4 decimal places)")
EXPECT_BOOLEAN = _("yes or no")
EXPECT_TEXT = _("text of at most 200 characters")
EXPECT_CHOICE = _("one of %(choices)s")


# --- products and SKUs ---------------------------------------------------------------------------


class StatusTransitionInvalid(ValidationError):
    code = "status_transition_invalid"
    message_template = _("A product cannot go from “%(current)s” to “%(wanted)s”.")


class StatusInvalid(ValidationError):
    code = "status_invalid"
    message_template = _("“%(value)s” is not a product status (草稿, 在售 or 停售).")


class BarcodeInvalid(ValidationError):
    code = "barcode_invalid"
    message_template = _("“%(value)s” is not a valid barcode: its check digit should be %(expected)s.")


class BarcodeTooLong(ValidationError):
    code = "barcode_too_long"
    message_template = _("“%(value)s” is not a valid barcode: at most 32 characters without spaces.")


class PriceInvalid(ValidationError):
    code = "price_invalid"
    message_template = _("“%(value)s” is not a valid price: zero or more, with at most two decimal places.")


class QuantityInvalid(ValidationError):
    code = "quantity_invalid"
    message_template = _("“%(value)s” is not a valid quantity: %(expected)s.")


EXPECT_NOT_NEGATIVE = _("zero or more, with at most 3 decimal places")
EXPECT_POSITIVE = _("more than zero, with at most 3 decimal places")
EXPECT_WHOLE_DAYS = _("a whole number of days")


class VatRateInvalid(ValidationError):
    code = "vat_rate_invalid"
    message_template = _("“%(value)s” is not a VAT rate: use 13%%, 9%%, 6%% or 0%%.")


class UnitNameInvalid(ValidationError):
    code = "unit_name_invalid"
    message_template = _("“%(value)s” is not a valid unit name (at most 10 characters, no digits).")


class UnitWithoutConversion(ValidationError):
    code = "unit_without_conversion"
    message_template = _("Unit “%(unit)s” has no conversion to the base unit %(base)s (write it like 箱=24).")


class UnitFactorInvalid(ValidationError):
    code = "unit_factor_invalid"
    message_template = _("Unit “%(unit)s” must hold more than 0 base units (at most 3 decimal places).")


class UnitDuplicate(ValidationError):
    code = "unit_duplicate"
    message_template = _("Unit “%(unit)s” is given more than once.")


class BaseUnitFactor(ValidationError):
    code = "base_unit_factor"
    message_template = _("The base unit “%(unit)s” always holds exactly 1.")


class RelatedToSelf(ValidationError):
    code = "related_to_self"
    message_template = _("A product cannot be related to itself.")


class RelatedKindInvalid(ValidationError):
    code = "related_kind_invalid"
    message_template = _("“%(value)s” is not a kind of related product (accessory, complement or substitute).")


class TagColorInvalid(ValidationError):
    code = "tag_color_invalid"
    message_template = _("“%(value)s” is not a tag colour.")


# --- images --------------------------------------------------------------------------------------


class ImageInvalid(ValidationError):
    code = "image_invalid"
    message_template = _("The file is not an image we accept (JPEG, PNG, WebP or GIF).")


class ImageTooLarge(ValidationError):
    code = "image_too_large"
    status = 413
    message_template = _("The image is too large (%(size)s MB); the limit is %(limit)s MB.")


class ImageTooManyPixels(ValidationError):
    code = "image_too_many_pixels"
    status = 413
    message_template = _("The image is too large (%(width)s×%(height)s pixels); the limit is %(limit)s megapixels.")


# --- import --------------------------------------------------------------------------------------


class ProductImportInvalid(XlsxRowErrors):
    """Rows of a product import are wrong; nothing was saved. ``table`` feeds ``xlsx.error_report``."""

    code = "catalog_import_invalid"

    def __init__(self, *, table, **kwargs):
        super().__init__(**kwargs)
        self.table = table
