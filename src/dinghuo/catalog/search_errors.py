"""Errors of catalog reads: search, parameter matching, product pages.

Not-found errors are the catalog's own (``catalog/errors.py``), re-exported for the readers here.
"""

from django.utils.translation import gettext_lazy as _

from dinghuo.catalog.errors import CategoryNotFound, ProductNotFound
from dinghuo.core.errors import ValidationError

__all__ = ["CategoryNotFound", "MatchTextEmpty", "ProductNotFound", "SearchInvalid"]


class SearchInvalid(ValidationError):
    """A filter or sort the search cannot apply; ``detail`` names the parameter."""

    code = "search_invalid"
    message_template = _("The search could not be understood: %(reason)s")


class MatchTextEmpty(ValidationError):
    code = "match_text_empty"
    message_template = _("Describe the part or product you need, e.g. “内径25 外径52 不锈钢” or “6205-2RS”.")
