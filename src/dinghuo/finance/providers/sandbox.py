"""The sandbox provider: pays at once on a confirmation page of our own; for demos and development.

Its notifications are signed with an HMAC of the deployment's secret key and go through the same
notification handling as a real provider's. It is offered only outside production or to demo tenants.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.finance.errors import NotificationRejected
from dinghuo.finance.providers.base import Checkout, CheckoutRequest, Notice


def _key() -> bytes:
    return hashlib.sha256(b"dinghuo-sandbox-pay:" + settings.SECRET_KEY.encode()).digest()


def _content(params: dict[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")


class SandboxProvider:
    code = "sandbox"
    label = gettext_lazy("Sandbox payment (no real money)")
    ack = "success"

    def checkout(self, request: CheckoutRequest) -> Checkout:
        return Checkout(kind="redirect", url=reverse("finance_portal:sandbox_pay", args=[request.out_trade_no]))

    def expected_ids(self) -> dict[str, str]:
        return {}

    def notification(self, *, out_trade_no: str, amount: Decimal, status: str = "TRADE_SUCCESS") -> dict[str, str]:
        """What the sandbox 'sends' when the payer presses Pay: a signed notification."""
        params = {
            "out_trade_no": out_trade_no,
            "trade_no": f"SBX{secrets.token_hex(8).upper()}",
            "total_amount": f"{amount:.2f}",
            "trade_status": status,
        }
        params["sign"] = hmac.new(_key(), _content(params).encode(), hashlib.sha256).hexdigest()
        return params

    def parse_notification(self, params: dict[str, str]) -> Notice:
        expected = hmac.new(_key(), _content(params).encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, str(params.get("sign", ""))):
            raise NotificationRejected(reason=_("the signature does not match"))
        try:
            amount = Decimal(params.get("total_amount", ""))
        except InvalidOperation:
            raise NotificationRejected(reason=_("the amount is not a number"))
        status = params.get("trade_status", "")
        return Notice(
            out_trade_no=params.get("out_trade_no", ""),
            trade_no=params.get("trade_no", ""),
            amount=amount,
            paid=status in {"TRADE_SUCCESS", "TRADE_FINISHED"},
            closed=status == "TRADE_CLOSED",
            raw=dict(params),
        )
