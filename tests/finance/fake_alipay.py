"""A local fake of Alipay's open-platform gateway, for testing our adapter without the network.

It holds its own RSA key pair ("Alipay's") and knows the app's public key. Over HTTP on 127.0.0.1
it serves the gateway: a page-pay GET (``alipay.trade.page.pay``) and a precreate POST
(``alipay.trade.precreate``), each verified against the app's public key by Alipay's documented
rule (every non-empty parameter but ``sign``, sorted, ``k=v`` joined by ``&``, SHA256withRSA) and
answered as Alipay does — the precreate response signed over the exact JSON text of
``alipay_trade_precreate_response``. It records each trade, and ``notification(out_trade_no)``
produces the signed asynchronous notification Alipay would POST to the trade's ``notify_url``
(signature over every parameter but ``sign`` and ``sign_type``).
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def bare(pem: str) -> str:
    """A key as Alipay's key tool shows it: base64 without the PEM armour."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def content(params: dict, exclude=("sign",)) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in exclude and params[k] not in ("", None))


class FakeAlipay:
    def __init__(self, app_id: str, app_public_pem: str, seller_id: str = "2088000000000001"):
        self.app_id = app_id
        self.seller_id = seller_id
        self.key = new_key()
        self.app_public = serialization.load_pem_public_key(app_public_pem.encode())
        self.trades: dict[str, dict] = {}
        self.refused: list[str] = []
        self.server: ThreadingHTTPServer | None = None

    # --- Alipay's side of the signatures -------------------------------------------------------

    @property
    def public_pem(self) -> str:
        return public_pem(self.key)

    def sign(self, text: str) -> str:
        return base64.b64encode(self.key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()

    def verify_app(self, params: dict) -> bool:
        try:
            self.app_public.verify(
                base64.b64decode(params.get("sign", "")), content(params).encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:
            return False
        return params.get("app_id") == self.app_id and params.get("sign_type") == "RSA2"

    def _accept(self, params: dict) -> dict | None:
        if not self.verify_app(params):
            self.refused.append(params.get("method", "?"))
            return None
        biz = json.loads(params["biz_content"])
        self.trades[biz["out_trade_no"]] = {
            **biz,
            "notify_url": params.get("notify_url", ""),
            "method": params["method"],
        }
        return biz

    def notification(self, out_trade_no: str, *, status: str = "TRADE_SUCCESS", amount: str | None = None,
                     app_id: str | None = None) -> dict:  # fmt: skip
        """The form Alipay POSTs to notify_url when the buyer paid, signed with Alipay's key."""
        trade = self.trades[out_trade_no]
        params = {
            "notify_time": "2026-11-22 10:00:00",
            "notify_type": "trade_status_sync",
            "notify_id": "ac05099524730693a8b330c5ecf72da9786",
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "app_id": app_id or self.app_id,
            "seller_id": self.seller_id,
            "trade_no": f"2026112222001{len(self.trades):06d}",
            "out_trade_no": out_trade_no,
            "trade_status": status,
            "total_amount": amount or trade["total_amount"],
            "receipt_amount": amount or trade["total_amount"],
            "subject": trade.get("subject", ""),
            "gmt_payment": "2026-11-22 09:59:58",
        }
        params["sign"] = self.sign(content(params, exclude=("sign", "sign_type")))
        return params

    # --- the gateway over HTTP ----------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: str, kind="application/json;charset=utf-8"):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # page pay: the browser is sent here
                params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                if params.get("method") != "alipay.trade.page.pay" or fake._accept(params) is None:
                    return self._answer(400, "<h1>ILLEGAL_SIGN</h1>", "text/html;charset=utf-8")
                return self._answer(200, "<h1>支付宝收银台</h1>", "text/html;charset=utf-8")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                params = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                node = params.get("method", "").replace(".", "_") + "_response"
                biz = fake._accept(params)
                if biz is None:
                    inner = json.dumps({"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature",
                                        "sub_msg": "验签出错"}, ensure_ascii=False)  # fmt: skip
                else:
                    inner = json.dumps({"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"],
                                        "qr_code": f"https://qr.alipay.com/fake{biz['out_trade_no']}"},
                                       ensure_ascii=False)  # fmt: skip
                body = '{"' + node + '":' + inner + ',"sign":"' + fake.sign(inner) + '"}'
                return self._answer(200, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/gateway.do"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
