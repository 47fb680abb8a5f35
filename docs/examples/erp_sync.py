#!/usr/bin/env python3
"""An ERP (金蝶/用友-style) pushing purchase orders into Dinghuo and pulling their statuses back.

Standard library only. With a dealer's key (the dealer's ERP orders for itself):

    export DINGHUO_URL=http://127.0.0.1:8102 DINGHUO_KEY=dh_live_…
    python docs/examples/erp_sync.py push --lines 3        # place one order, retried safely
    python docs/examples/erp_sync.py pull                  # statuses changed since the last pull

With a tenant (staff) key, name the dealer: ``push --dealer GD02``. The lines are the ERP's own
(``--line SKU:QTY[:UNIT]``, repeated); without them the example takes the first in-stock SKUs of the
catalog (which needs the ``catalog`` scope). The ERP's document number is the Idempotency-Key, so a
push that timed out can simply be sent again: it never orders twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

BASE = os.environ.get("DINGHUO_URL", "http://127.0.0.1:8102").rstrip("/") + "/api/v1"
KEY = os.environ.get("DINGHUO_KEY", "")
if not BASE.startswith(("http://", "https://")):
    raise SystemExit("DINGHUO_URL must be an http(s) URL")
RETRY = {429, 502, 503, 504}
# A pull starts this long before the newest change it saw: an order changed in a transaction that
# committed after the last pull (with an earlier updated_at) is read then, not missed.
PULL_OVERLAP = dt.timedelta(minutes=5)


class ApiError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('message')} {body.get('detail') or ''}")
        self.status, self.body = status, body


def call(method: str, path: str, body=None, *, headers: dict | None = None, attempts: int = 6):
    """One API call; retries what is safe to retry (rate limits, busy, network), honouring Retry-After."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    for attempt in range(attempts):
        request = urllib.request.Request(  # noqa: S310 (http(s) only: checked at start)
            BASE + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            payload = json.loads(exc.read() or b"{}")
            busy = exc.code in RETRY or payload.get("code") == "idempotency_in_progress"
            if not busy or attempt == attempts - 1:
                raise ApiError(exc.code, payload)
            wait = int(exc.headers.get("Retry-After") or 2**attempt)
        except urllib.error.URLError as exc:  # the network: with an Idempotency-Key a resend is safe
            if attempt == attempts - 1:
                raise
            wait = 2**attempt
            print(f"  network error ({exc.reason}); retrying in {wait}s", file=sys.stderr)
        time.sleep(wait)
    raise AssertionError("unreachable")


def pages(path: str, params: dict):
    """Every item of a listed resource, following next_cursor."""
    cursor = None
    while True:
        query = urllib.parse.urlencode({**params, **({"cursor": cursor} if cursor else {})})
        _status, page = call("GET", f"{path}?{query}")
        yield from page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return


def dealer_id_of(code: str) -> int:
    for dealer in pages("/dealers", {"q": code}):
        if dealer["code"] == code:
            return dealer["id"]
    raise SystemExit(f"no dealer with code {code}")


def order_line(item: dict) -> dict:
    """One line the SKU's rules accept: one pack (箱) when a pack covers its minimum, else the minimum."""
    moq, multiple = Decimal(item["moq"]), Decimal(item["order_multiple"]) or Decimal(1)
    pack = next((u for u in item["units"] if u["is_default"]), None)
    if pack and Decimal(pack["factor"]) >= moq and Decimal(pack["factor"]) % multiple == 0:
        return {"sku_code": item["sku_code"], "qty": "1", "unit": pack["name"]}
    qty = max(moq, multiple)
    qty = (qty / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple
    return {"sku_code": item["sku_code"], "qty": str(qty.normalize()), "unit": item["base_unit"]}


def why(explanation: dict) -> str:
    """The price's story in a few words: which price list, which promotions."""
    price = explanation.get("price", {})
    parts = [(price.get("price_list") or {}).get("name") or price.get("source", "")]
    parts += [p["name"] for p in explanation.get("promotions", [])]
    return "; ".join(p for p in parts if p)


def parse_line(text: str) -> dict:
    """``SKU:QTY[:UNIT]`` → an order line (the ERP's 物料编码, 数量, 计量单位)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise SystemExit(f"--line {text!r}: expected SKU:QTY or SKU:QTY:UNIT")
    return {"sku_code": parts[0], "qty": parts[1], **({"unit": parts[2]} if len(parts) == 3 and parts[2] else {})}


def push(args) -> None:
    dealer_id = dealer_id_of(args.dealer) if args.dealer else None
    if args.line:
        lines = [parse_line(text) for text in args.line]
    else:
        # No lines given: the first in-stock SKUs of the catalog, in quantities their rules accept.
        search = {"in_stock": "true", "per_page": args.lines, **({"dealer": dealer_id} if dealer_id else {})}
        _status, found = call("GET", "/catalog/search?" + urllib.parse.urlencode(search))
        if not found["items"]:
            raise SystemExit("the catalog has no SKU in stock")
        lines = [order_line(item) for item in found["items"][: args.lines]]
    document = args.document or f"ERP-PO-{dt.datetime.now():%Y%m%d-%H%M%S}"
    order = {"lines": lines, "note": f"ERP {document}"}
    if dealer_id:
        order["dealer_id"] = dealer_id
    wanted = ", ".join(f"{li['sku_code']}×{li['qty']}{li.get('unit', '')}" for li in lines)
    print(f"pushing {document}: {wanted}")
    try:
        status, placed = call("POST", "/orders", order, headers={"Idempotency-Key": document})
    except ApiError as exc:
        if exc.body.get("code") == "order_blocked":
            for check in exc.body["detail"]["checks"]:
                print(f"  {check['outcome']:7} {check['rule']:10} {check['message']}")
        raise SystemExit(f"refused: {exc}")
    print(
        f"  {status}: order {placed['number']} is {placed['status']} ({placed['status_label']}), total ¥{placed['total']}"
    )
    for line in placed["lines"]:
        print(f"    {line['line_no']}. {line['sku_code']} {line['qty']} {line['unit']} × {line['unit_price']}"
              f" = {line['amount']}  ({why(line['explanation'])})")  # fmt: skip
    # A retry of the same document (say the ERP never saw the answer) returns the same order.
    status, again = call("POST", "/orders", order, headers={"Idempotency-Key": document})
    print(f"  resent {document}: {status}, order {again['number']} (same order: {again['id'] == placed['id']})")


def pull(args) -> None:
    state_file = Path(args.state)
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    since = state.get("updated_since")
    params = {"limit": 100, **({"updated_since": since} if since else {})}
    newest, count = state.get("newest_seen"), 0
    for order in pages("/orders", params):
        count += 1
        print(f"{order['number']}  {order['dealer']['code']:8} {order['status']:18} {order['status_label']:6}"
              f" ¥{order['total']:>12}  updated {order['updated_at']}")  # fmt: skip
        newest = max(newest or order["updated_at"], order["updated_at"])
    print(f"{count} orders changed since {since or 'the beginning'}")
    if newest:
        # The next pull starts a little before the newest change seen: orders read twice are harmless
        # (the ERP updates by order number), orders committed late are not missed.
        start = dt.datetime.fromisoformat(newest.replace("Z", "+00:00")) - PULL_OVERLAP
        state_file.write_text(json.dumps({"updated_since": start.isoformat(), "newest_seen": newest}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("push", help="push one purchase order")
    p.add_argument("--line", action="append", help="SKU:QTY[:UNIT], repeated (default: pick from the catalog)")
    p.add_argument("--lines", type=int, default=2, help="how many catalog SKUs to pick when no --line is given")
    p.add_argument("--dealer", help="dealer code (tenant keys only)")
    p.add_argument("--document", help="the ERP document number (the Idempotency-Key)")
    q = sub.add_parser("pull", help="pull orders changed since the last pull")
    q.add_argument("--state", default=".erp_sync_state.json", help="where the last pull's time is kept")
    args = parser.parse_args()
    if not KEY:
        raise SystemExit("set DINGHUO_KEY (make one in the back office or with `dinghuo apikey create`)")
    try:
        {"push": push, "pull": pull}[args.command](args)
    except ApiError as exc:
        hint = " (the key lacks a scope: see docs/api.md, Keys)" if exc.status == 403 else ""
        raise SystemExit(f"{exc}{hint}")


if __name__ == "__main__":
    main()
