"""The project's URLs, plus the integration pages if config/urls.py does not include them yet."""

from django.urls import Resolver404, include, path, resolve

from dinghuo.config.urls import urlpatterns as project_urls


def _mounted() -> bool:
    try:
        resolve("/bo/integrations/keys/", urlconf="dinghuo.config.urls")
    except Resolver404:
        return False
    return True


urlpatterns = list(project_urls) if _mounted() else [path("", include("dinghuo.api.urls")), *project_urls]
