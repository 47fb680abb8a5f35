from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    SALES_REP = "sales_rep", _("Sales rep")
    REVIEWER = "reviewer", _("Order reviewer")
    WAREHOUSE = "warehouse", _("Warehouse")
    FINANCE = "finance", _("Finance")
    DEALER_ADMIN = "dealer_admin", _("Dealer admin")
    BUYER = "buyer", _("Buyer")
    DEALER_FINANCE = "dealer_finance", _("Dealer finance")


STAFF_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.SALES_REP, Role.REVIEWER, Role.WAREHOUSE, Role.FINANCE})
DEALER_ROLES = frozenset({Role.DEALER_ADMIN, Role.BUYER, Role.DEALER_FINANCE})
