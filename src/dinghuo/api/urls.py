"""Integration pages: API keys (back office and portal) and webhooks (back office).

Mounted at the site root by config/urls.py: ``path("", include("dinghuo.api.urls"))``.
"""

from django.urls import path

from dinghuo.api import views

app_name = "integrations"
urlpatterns = [
    path("bo/integrations/keys/", views.key_list, name="key_list"),
    path("bo/integrations/keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("bo/integrations/webhooks/", views.webhook_list, name="webhook_list"),
    path("bo/integrations/webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("bo/integrations/webhooks/<int:pk>/rotate/", views.webhook_rotate, name="webhook_rotate"),
    path("bo/integrations/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("bo/integrations/deliveries/<int:pk>/redeliver/", views.delivery_redeliver, name="delivery_redeliver"),
    path("portal/integrations/keys/", views.portal_key_list, name="portal_key_list"),
    path("portal/integrations/keys/<int:pk>/revoke/", views.portal_key_revoke, name="portal_key_revoke"),
]
