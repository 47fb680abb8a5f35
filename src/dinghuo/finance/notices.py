"""In-app notifications for a dealer's users (notify.Notification rows), written in the caller's transaction."""

from __future__ import annotations

from dinghuo.core.tenancy import stamp_tenant
from dinghuo.notify.models import Notification


def notify_dealer(*, dealer_id: int, title: str, body: str = "", link: str = "") -> None:
    Notification.objects.bulk_create(
        stamp_tenant([Notification(dealer_id=dealer_id, title=str(title)[:120], body=str(body)[:500], link=link[:200])])
    )


def notify_dealers(items: list[tuple[int, str, str, str]]) -> None:
    """Many at once: (dealer id, title, body, link)."""
    Notification.objects.bulk_create(
        stamp_tenant(
            [
                Notification(dealer_id=d, title=str(t)[:120], body=str(b)[:500], link=link[:200])
                for d, t, b, link in items
            ]
        )
    )
