from django.conf import settings


def actor(request):
    from dinghuo.core.nav import menu

    current = getattr(request, "actor", None)
    side = "PORTAL" if current is not None and current.is_dealer else "BACKOFFICE"
    return {
        "menu": menu(side, current) if current is not None else [],
        "actor": getattr(request, "actor", None),
        "tenant": getattr(request, "tenant", None),
        "membership": getattr(request, "membership", None),
        "DINGHUO_ENV": settings.DINGHUO_ENV,
    }
