"""Profile one order request through the whole Django stack in-process (middleware, API key, rate
limit, idempotency, schema validation, placement, response) with Django's test client.

    DATABASE_URL=postgres://…/dinghuo_bench python bench/profile_http.py --info var/bench/dataset.json
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dinghuo.config.settings")
os.environ.setdefault("DINGHUO_DB_POOL", "0")

import django

django.setup()

from django.test import Client  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--info", required=True)
    p.add_argument("--orders", type=int, default=200)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--sort", default="cumulative")
    args = p.parse_args()
    info = json.loads(Path(args.info).read_text())
    rng = random.Random(5)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {info['token']}", HTTP_HOST="127.0.0.1")

    def one():
        body = {"dealer_id": rng.choice(info["dealers"]),
                "lines": [{"sku_id": s, "qty": "1", "unit": "箱"} for s in rng.sample(info["skus"][1:], 10)]}  # fmt: skip
        r = client.post("/api/v1/orders", data=json.dumps(body), content_type="application/json")
        assert r.status_code == 201, r.content

    for _ in range(20):
        one()
    cpu0 = time.process_time()
    for _ in range(args.orders):
        one()
    print(f"{1000 * (time.process_time() - cpu0) / args.orders:.1f} ms CPU per order (unprofiled)")
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(args.orders):
        one()
    prof.disable()
    pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
