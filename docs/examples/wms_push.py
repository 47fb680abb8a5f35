#!/usr/bin/env python3
"""A WMS pushing its stock counts to Dinghuo (POST /stock/sync), applied once per sync id.

Standard library only. With a key acting as a warehouse user (scope ``inventory``):

    export DINGHUO_URL=http://127.0.0.1:8102 DINGHUO_KEY=dh_live_…
    python docs/examples/wms_push.py --warehouse GZ --csv counts.csv   # sku_code,qty per line
    python docs/examples/wms_push.py --warehouse GZ --demo             # recount the current stock, a few off

Large warehouses are pushed in batches (each its own sync id). A push that timed out is sent again
with the same sync id: Dinghuo applies it once and answers the retry with the first result.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ.get("DINGHUO_URL", "http://127.0.0.1:8102").rstrip("/") + "/api/v1"
KEY = os.environ.get("DINGHUO_KEY", "")
if not BASE.startswith(("http://", "https://")):
    raise SystemExit("DINGHUO_URL must be an http(s) URL")
BATCH = 500


def call(method: str, path: str, body=None, attempts: int = 6):
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(attempts):
        request = urllib.request.Request(  # noqa: S310 (http(s) only: checked at start)
            BASE + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as exc:
            payload = json.loads(exc.read() or b"{}")
            if exc.code not in (429, 502, 503, 504) or attempt == attempts - 1:
                raise SystemExit(f"{exc.code} {payload.get('code')}: {payload.get('message')} {payload.get('detail')}")
            wait = int(exc.headers.get("Retry-After") or 2**attempt)
        except urllib.error.URLError as exc:
            if attempt == attempts - 1:
                raise
            wait = 2**attempt
            print(f"network error ({exc.reason}); resending the same sync in {wait}s", file=sys.stderr)
        time.sleep(wait)
    raise AssertionError("unreachable")


def current_stock(warehouse: str) -> list[dict]:
    rows, cursor = [], None
    while True:
        query = urllib.parse.urlencode({"warehouse": warehouse, "limit": 200, **({"cursor": cursor} if cursor else {})})
        page = call("GET", f"/stock?{query}")
        rows += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return rows


def counts_from_csv(path: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [{"sku_code": r["sku_code"].strip(), "qty": r["qty"].strip()} for r in csv.DictReader(fh)]


def demo_counts(warehouse: str) -> list[dict]:
    """A stocktake of what Dinghuo holds now, with every fifth SKU counted a little differently."""
    lines = []
    for i, row in enumerate(current_stock(warehouse)):
        on_hand = int(float(row["on_hand"]))
        counted = on_hand + (3 if i % 10 == 0 else -2) if i % 5 == 0 else on_hand
        lines.append({"sku_code": row["sku"]["code"], "qty": str(max(counted, 0))})
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", help="warehouse code (default: the first one)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", help="a CSV of sku_code,qty (a full count of the warehouse)")
    source.add_argument("--demo", action="store_true", help="recount the current stock with a few differences")
    parser.add_argument("--mode", choices=["snapshot", "delta"], default="snapshot")
    args = parser.parse_args()
    if not KEY:
        raise SystemExit("set DINGHUO_KEY (a key acting as a warehouse user, scope inventory)")
    warehouses = call("GET", "/stock/warehouses")
    code = args.warehouse or warehouses[0]["code"]
    if code not in {w["code"] for w in warehouses}:
        raise SystemExit(f"no warehouse {code}; there are {', '.join(w['code'] for w in warehouses)}")
    lines = counts_from_csv(args.csv) if args.csv else demo_counts(code)
    run = f"WMS-{code}-{dt.datetime.now():%Y%m%d%H%M%S}"
    changed = 0
    for n, start in enumerate(range(0, len(lines), BATCH), start=1):
        body = {"warehouse": code, "sync_id": f"{run}-{n}", "mode": args.mode, "lines": lines[start : start + BATCH]}
        result = call("POST", "/stock/sync", body)
        changed += result["changed"]
        print(f"{result['sync_id']}: {result['lines']} lines, {result['changed']} changed")
        for short in result["short"]:
            print(f"  {short['sku']}: counted {short['counted']} but {short['reserved']} are reserved for orders")
        again = call("POST", "/stock/sync", body)  # a resend (e.g. after a timeout) changes nothing
        assert again == result, (again, result)
    print(f"{len(lines)} SKUs pushed to {code}, {changed} changed; resending each batch changed nothing more")


if __name__ == "__main__":
    main()
