from django.utils.translation import gettext_lazy as _

from dinghuo.core.nav import NavItem

PORTAL = [
    NavItem("home", _("Home"), "portal:home", "house", order=0, mobile=True),
    NavItem("catalog", _("Products"), "portal:catalog", "grid", perm="catalog.view", order=10, mobile=True),
    NavItem("quick", _("Quick order"), "portal:quick_order", "lightning-charge", perm="orders.place", order=20),
    NavItem("cart", _("Cart"), "portal:cart", "cart3", perm="orders.place", order=30, mobile=True),
    NavItem("orders", _("Orders"), "portal:orders", "receipt", perm="orders.view", order=40, mobile=True),
    NavItem("account", _("Account"), "portal:account", "person", order=90, mobile=True),
]
