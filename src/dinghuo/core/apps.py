from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dinghuo.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from dinghuo.core import db  # noqa: F401 — registers the ``__any`` lookup
