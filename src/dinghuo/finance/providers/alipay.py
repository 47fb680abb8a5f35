"""Alipay's open platform (支付宝开放平台), as documented: requests signed RSA2, notifications verified.

Requests (``alipay.trade.page.pay`` — the payer is sent to Alipay's cashier; ``alipay.trade.precreate``
— Alipay returns a QR code to show) carry the common parameters ``app_id, method, format=JSON,
charset=utf-8, sign_type=RSA2, timestamp ("yyyy-MM-dd HH:mm:ss", Beijing time), version=1.0,
notify_url, return_url, biz_content`` (the business fields as a JSON string). The signature:

1. take every parameter except ``sign`` whose value is not empty;
2. sort them by name (ASCII order) and join as ``name=value`` with ``&`` — raw values, not URL-encoded;
3. sign the UTF-8 bytes with the app's RSA private key, SHA256withRSA (PKCS#1 v1.5); base64 → ``sign``.

A synchronous response is verified over the exact JSON text of its ``<method>_response`` member
(``alipay_trade_precreate_response``) with Alipay's public key. An asynchronous notification is
verified by removing ``sign`` and ``sign_type``, sorting and joining the rest the same way (values
URL-decoded, empty ones left out) and checking ``sign`` with Alipay's public key; then, as the
documentation requires, ``app_id`` (and ``seller_id`` when configured) must be ours, ``out_trade_no``
one of our payments and ``total_amount`` its amount — the last two are the payment services' checks.
Only ``TRADE_SUCCESS`` and ``TRADE_FINISHED`` mean paid; the endpoint answers the plain text ``success``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dinghuo.finance.errors import NotificationRejected, ProviderUnavailable
from dinghuo.finance.providers.base import Checkout, CheckoutRequest, Notice

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PAID = {"TRADE_SUCCESS", "TRADE_FINISHED"}


def sign_content(params: dict[str, str], *, exclude: tuple[str, ...] = ("sign",)) -> str:
    """The string Alipay signs: non-empty parameters but ``exclude``, sorted by name, ``k=v`` joined by ``&``."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in exclude and params[k] not in ("", None))


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    text = text.strip()
    candidates = (
        [text]
        if "-----BEGIN" in text
        else [_pem(text, "PRIVATE KEY"), _pem(text, "RSA PRIVATE KEY")]  # Alipay's tool gives bare PKCS#8 or #1
    )
    for pem in candidates:
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError):
            continue
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    raise ValueError("not an RSA private key")


def load_public_key(text: str) -> rsa.RSAPublicKey:
    text = text.strip()
    pem = text if "-----BEGIN" in text else _pem(text, "PUBLIC KEY")
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _pem(body: str, label: str) -> str:
    body = "".join(body.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def rsa2_sign(content: str, key: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(content: str, signature: str, key: rsa.RSAPublicKey) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def response_node_text(body: str, node: str) -> str | None:
    """The exact JSON text of ``node`` inside a response body (what Alipay signed), or None."""
    key = f'"{node}"'
    at = body.find(key)
    if at < 0:
        return None
    colon = body.find(":", at + len(key))
    if colon < 0:
        return None
    start = colon + 1
    while start < len(body) and body[start] in " \t\r\n":
        start += 1
    try:
        _value, end = json.JSONDecoder().raw_decode(body, start)
    except json.JSONDecodeError:
        return None
    return body[start:end]


class AlipayClient:
    """Builds and signs requests, calls the gateway, verifies what comes back. No database access."""

    def __init__(self, *, app_id: str, app_private_key: str, alipay_public_key: str, gateway: str,
                 seller_id: str = "", timeout: float = 10.0):  # fmt: skip
        self.app_id = app_id
        self.seller_id = seller_id
        self.gateway = gateway
        self.timeout = timeout
        self._private_text = app_private_key
        self._public_text = alipay_public_key

    @cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        return load_private_key(self._private_text)

    @cached_property
    def public_key(self) -> rsa.RSAPublicKey:
        return load_public_key(self._public_text)

    def request_params(self, method: str, biz: dict, *, notify_url: str = "", return_url: str = "",
                       now: dt.datetime | None = None) -> dict[str, str]:  # fmt: skip
        now = (now or dt.datetime.now(tz=SHANGHAI)).astimezone(SHANGHAI)
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": now.strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "notify_url": notify_url,
            "return_url": return_url,
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        params = {k: v for k, v in params.items() if v}
        params["sign"] = rsa2_sign(sign_content(params), self.private_key)
        return params

    def page_pay_url(self, *, out_trade_no: str, amount: Decimal, subject: str, notify_url: str,
                     return_url: str) -> str:  # fmt: skip
        params = self.request_params(
            "alipay.trade.page.pay",
            {
                "out_trade_no": out_trade_no,
                "product_code": "FAST_INSTANT_TRADE_PAY",
                "total_amount": f"{amount:.2f}",
                "subject": subject[:256],
                "timeout_express": "30m",
            },
            notify_url=notify_url,
            return_url=return_url,
        )
        return f"{self.gateway}?{urllib.parse.urlencode(params)}"

    def precreate(self, *, out_trade_no: str, amount: Decimal, subject: str, notify_url: str) -> dict:
        """Ask for a QR code: one HTTPS call (never inside a database transaction)."""
        params = self.request_params(
            "alipay.trade.precreate",
            {"out_trade_no": out_trade_no, "total_amount": f"{amount:.2f}", "subject": subject[:256]},
            notify_url=notify_url,
        )
        body = self._post(params)
        node = "alipay_trade_precreate_response"
        text = response_node_text(body, node)
        if text is None:  # an "error_response" (bad app id, gateway trouble): not a trade answer
            raise ProviderUnavailable(reason=_("the gateway answered with an error (%(body)s)") % {"body": body[:200]})
        try:
            envelope = json.loads(body)
        except json.JSONDecodeError:
            raise ProviderUnavailable(reason=_("the gateway's answer is not JSON"))
        if not rsa2_verify(text, str(envelope.get("sign", "")), self.public_key):
            raise ProviderUnavailable(reason=_("the gateway's answer is not signed by Alipay"))
        data = json.loads(text)
        if data.get("code") != "10000":
            raise ProviderUnavailable(
                reason=f"{data.get('code')} {data.get('msg', '')} {data.get('sub_code', '')} {data.get('sub_msg', '')}".strip()
            )
        if data.get("out_trade_no") != out_trade_no or not data.get("qr_code"):
            raise ProviderUnavailable(reason=_("the gateway's answer is for another trade"))
        return data

    def _post(self, params: dict[str, str]) -> str:
        request = urllib.request.Request(  # noqa: S310 (the configured https gateway)
            f"{self.gateway}?charset=utf-8",
            data=urllib.parse.urlencode(params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.read(1_000_000).decode("utf-8")
        except (urllib.error.URLError, TimeoutError, OSError, UnicodeDecodeError) as exc:
            raise ProviderUnavailable(reason=str(getattr(exc, "reason", exc))[:200])

    def verify_notification(self, params: dict[str, str]) -> dict[str, str]:
        """Check an asynchronous notification's signature and app; return its parameters."""
        if params.get("sign_type", "RSA2") != "RSA2":
            raise NotificationRejected(reason=_("only RSA2 signatures are accepted"))
        content = sign_content(params, exclude=("sign", "sign_type"))
        if not rsa2_verify(content, str(params.get("sign", "")), self.public_key):
            raise NotificationRejected(reason=_("the signature does not match"))
        if params.get("app_id") != self.app_id:
            raise NotificationRejected(reason=_("the notification is for another app"))
        if self.seller_id and params.get("seller_id") != self.seller_id:
            raise NotificationRejected(reason=_("the notification is for another seller"))
        return params


class AlipayProvider:
    """The adapter the payment services use, over a tenant's configured ``AlipayClient``."""

    code = "alipay"
    label = gettext_lazy("Alipay")
    ack = "success"

    def __init__(self, client: AlipayClient):
        self.client = client

    def checkout(self, request: CheckoutRequest) -> Checkout:
        if request.mode == "qr":
            data = self.client.precreate(
                out_trade_no=request.out_trade_no,
                amount=request.amount,
                subject=request.subject,
                notify_url=request.notify_url,
            )
            return Checkout(kind="qr", qr_code=data["qr_code"])
        url = self.client.page_pay_url(
            out_trade_no=request.out_trade_no,
            amount=request.amount,
            subject=request.subject,
            notify_url=request.notify_url,
            return_url=request.return_url,
        )
        return Checkout(kind="redirect", url=url)

    def expected_ids(self) -> dict[str, str]:
        return {"app_id": self.client.app_id, "seller_id": self.client.seller_id}

    def parse_notification(self, params: dict[str, str]) -> Notice:
        params = self.client.verify_notification(params)
        try:
            amount = Decimal(params.get("total_amount", ""))
        except InvalidOperation:
            raise NotificationRejected(reason=_("the amount is not a number"))
        if not amount.is_finite():
            raise NotificationRejected(reason=_("the amount is not a number"))
        status = params.get("trade_status", "")
        return Notice(
            out_trade_no=params.get("out_trade_no", ""),
            trade_no=params.get("trade_no", ""),
            amount=amount,
            paid=status in PAID,
            closed=status == "TRADE_CLOSED",
            app_id=params.get("app_id", ""),
            seller_id=params.get("seller_id", ""),
            raw={k: v for k, v in params.items() if k != "sign"},
        )
