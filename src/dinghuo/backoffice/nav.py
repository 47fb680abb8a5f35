from django.utils.translation import gettext_lazy as _

from dinghuo.core.nav import NavItem

BACKOFFICE = [
    NavItem("dashboard", _("Dashboard"), "backoffice:dashboard", "speedometer2", "orders.view", order=0),
    NavItem("orders", _("Orders"), "backoffice:order_list", "receipt", "orders.view", order=10),
    NavItem("catalog", _("Products"), "backoffice:product_list", "box-seam", "catalog.view", order=20),
    NavItem("prices", _("Prices and promotions"), "backoffice:price_list_list", "tags", "prices.view_all", order=25),
    NavItem("inventory", _("Inventory"), "backoffice:stock_list", "boxes", "inventory.view", order=30),
    NavItem("dealers", _("Dealers"), "backoffice:dealer_list", "shop", "dealers.view", order=40),
    NavItem("reports", _("Sales report"), "backoffice:sales_report", "bar-chart-line", "reports.view", order=50),
    NavItem("users", _("Staff"), "backoffice:user_list", "people", "staff.manage", order=80),
    NavItem("audit", _("Audit log"), "backoffice:audit_log", "shield-check", "audit.view", order=90),
]
