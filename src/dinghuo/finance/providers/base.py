"""The payment-provider interface: what the payment services need from an online provider.

A provider turns a pending payment into a checkout (a page to redirect the payer to, or a QR code
to show) and turns the provider's signed asynchronous notification back into a verified ``Notice``.
Calls that leave the machine (``checkout`` for some providers) are made by the services outside
any database transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class Checkout:
    kind: str  # "redirect" (send the payer to ``url``) or "qr" (show ``qr_code`` to scan)
    url: str = ""
    qr_code: str = ""


@dataclass(frozen=True)
class Notice:
    """A verified notification: the signature checked, the fields parsed."""

    out_trade_no: str  # our payment number
    trade_no: str  # the provider's
    amount: Decimal
    paid: bool  # money received (Alipay: TRADE_SUCCESS or TRADE_FINISHED)
    closed: bool  # the trade was closed unpaid (TRADE_CLOSED)
    app_id: str = ""
    seller_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutRequest:
    out_trade_no: str
    amount: Decimal
    subject: str
    notify_url: str
    return_url: str
    mode: str = "page"  # "page" (redirect to the provider's cashier) or "qr" (pre-create a QR code)


class PaymentProviderAdapter(Protocol):
    code: str
    label: str
    ack: str  # what the notification endpoint answers when it accepted a notification

    def checkout(self, request: CheckoutRequest) -> Checkout: ...

    def parse_notification(self, params: dict[str, str]) -> Notice: ...

    def expected_ids(self) -> dict[str, str]:
        """Identifiers a notification must carry (app_id, seller_id) — empty values are not checked."""
        ...
