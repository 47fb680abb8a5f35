from django.utils.translation import gettext_lazy as _

from dinghuo.core.nav import NavItem

BACKOFFICE = [
    NavItem("finance", _("Finance"), "finance_bo:workbench", "cash-coin", "finance.view", order=60),
]
PORTAL = [
    NavItem("finance", _("Finance"), "finance_portal:home", "wallet2", "finance.view", order=60, mobile=True),
]
