from django.utils.translation import gettext_lazy as _

from dinghuo.core.nav import NavItem

BACKOFFICE = [
    NavItem("api_keys", _("API keys"), "integrations:key_list", "key", "api_keys.manage", order=84),
    NavItem("webhooks", _("Webhooks"), "integrations:webhook_list", "broadcast", "webhooks.manage", order=85),
]
PORTAL = [
    NavItem("api_keys", _("API keys"), "integrations:portal_key_list", "key", "api_keys.manage", order=85),
]
