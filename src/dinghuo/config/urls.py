from django.contrib import admin
from django.urls import include, path

from dinghuo.config.api import api
from dinghuo.core import views as core_views
from dinghuo.finance import urls as finance_urls

admin.site.site_header = "Dinghuo 订货"
admin.site.site_title = "Dinghuo"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/", include("dinghuo.accounts.urls")),
    path("bo/finance/", include((finance_urls.backoffice, "finance_bo"))),
    path("portal/finance/", include((finance_urls.portal, "finance_portal"))),
    path("bo/", include("dinghuo.backoffice.urls")),
    path("", include("dinghuo.api.urls")),  # back-office pages for API keys and webhooks
    path("portal/", include("dinghuo.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("media/<path:path>", core_views.media, name="media"),
]

handler400 = "dinghuo.core.views.bad_request"
handler403 = "dinghuo.core.views.permission_denied"
handler404 = "dinghuo.core.views.page_not_found"
handler500 = "dinghuo.core.views.server_error"
