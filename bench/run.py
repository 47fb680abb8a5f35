"""Run the whole benchmark against PostgreSQL, print a table and write bench/results/<date>.md.

    python bench/run.py                 # full size: 50k SKUs × 3 warehouses, 2,000 dealers, 1M order lines
    python bench/run.py --small         # a quick rehearsal (5k SKUs, 200 dealers, 100k lines, 10 s runs)

Steps: a fresh database; the dataset (bench/dataset.py, COPY); `dinghuo serve`; pgbench TPC-B
(scale 10, 8 clients) for the machine's yardstick; 10-line orders through the HTTP API — closed
loop at 32 clients, open loop at 150 orders/s — uniform and with a hot SKU; the invariants
afterwards; search p95 at 50 concurrent requests; the 10,000-line Excel import (time and peak
memory); the dealer × month × category report over the order lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from load import OrderMaker, run_closed, run_open  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PY = sys.executable


def sh(cmd: list[str], env: dict | None = None, timeout: int = 3600, check: bool = True) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def psql(db: str, sql: str) -> str:
    return sh(["psql", f"{PG}/{db}", "-Atc", sql])


def fresh_db(name: str) -> str:
    psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql("postgres", f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(db_url: str, data_dir: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env.update({"DATABASE_URL": db_url, "DINGHUO_DATA_DIR": str(data_dir), "DINGHUO_ENV": "production",
                "SECRET_KEY": "bench-" + "x" * 40, "DINGHUO_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DINGHUO_LOG_LEVEL": "WARNING", **extra})  # fmt: skip
    return env


def pgbench(seconds: int) -> float:
    url = fresh_db("dinghuo_pgbench")
    sh(["pgbench", "-i", "-s", "10", "-q", url])
    out = sh(["pgbench", "-c", "8", "-j", "2", "-T", str(seconds), url])
    match = re.search(r"tps = ([\d.]+)", out)
    psql("postgres", 'DROP DATABASE IF EXISTS "dinghuo_pgbench" WITH (FORCE)')
    return float(match.group(1)) if match else float("nan")


def start_server(env: dict, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [PY, "-m", "dinghuo.cli", "serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads)],
        env=env, stdout=subprocess.DEVNULL, stderr=open(Path(env["DINGHUO_DATA_DIR"]) / "server.log", "w"),  # noqa: SIM115
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 — our local server
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start")


def invariants(env: dict) -> dict:
    code = (
        "import json; from dinghuo.core.tenancy import tenant_context; from dinghuo.tenancy.models import Tenant\n"
        "from dinghuo.inventory.services import ledger_mismatches as sm, oversold\n"
        "from dinghuo.finance.services import ledger_mismatches as mm, credit_overshoot\n"
        "from dinghuo.orders.models import Order\n"
        "t = Tenant.objects.get(code='bench')\n"
        "with tenant_context(t):\n"
        "    print(json.dumps({'oversold_rows': len(oversold()), 'credit_overshoot': len(credit_overshoot()),"
        " 'stock_ledger_mismatches': len(sm()), 'balance_ledger_mismatches': len(mm()),"
        " 'orders': Order.objects.exclude(number__startswith='BH').count()}))\n"
    )
    out = sh([PY, "-m", "dinghuo.cli", "shell", "-c", code], env=env)
    return json.loads(out.strip().splitlines()[-1])


def pricing(data_dir: Path, small: bool) -> dict:
    """bench/pricing.py on its own database: 50-line carts priced per second, 1 and 4 threads."""
    env = env_for(fresh_db("dinghuo_bench_pricing"), data_dir)
    sh([PY, "-m", "dinghuo.cli", "setup"], env=env)
    carts = "200" if small else "1000"
    out = sh([PY, str(ROOT / "bench" / "pricing.py"), "--carts", carts, "--threads", "1,4"], env=env, check=False)
    runs = {}
    for m in re.finditer(r"threads=\s*(\d+)\s+([\d.]+) carts/s.*?p95\s+([\d.]+) ms.*?python cpu\s+([\d.]+) ms/cart", out):
        runs[m.group(1)] = {"carts_per_s": float(m.group(2)), "p95_ms": float(m.group(3)), "cpu_ms": float(m.group(4))}
    psql("postgres", 'DROP DATABASE IF EXISTS "dinghuo_bench_pricing" WITH (FORCE)')
    return runs or {"skipped": out[-300:]}


def excel_import(env: dict, info: dict, lines: int = 10_000) -> dict:
    code = f"""
import io, json, resource, time, random
import openpyxl
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.accounts.models import Membership
from dinghuo.catalog.models import Sku
from dinghuo.dealers.models import Dealer
from dinghuo.orders.importers import import_orders
from dinghuo.tenancy.models import Tenant
t = Tenant.objects.get(code='bench')
with tenant_context(t):
    owner = Actor.for_membership(Membership.objects.select_related('user').get(user__username='bench-owner'))
    codes = list(Sku.objects.order_by('id').values_list('code', flat=True)[:5000])
    dealers = list(Dealer.objects.order_by('id').values_list('code', flat=True)[:100])
    wb = openpyxl.Workbook(write_only=True); ws = wb.create_sheet()
    ws.append(['订单分组', '经销商编码', 'SKU编码', '数量', '单位', '备注'])
    rng = random.Random(3)
    for i in range({lines}):
        g = i // 100
        ws.append([f'G{{g}}', dealers[g % len(dealers)], rng.choice(codes), f'{{rng.randint(1, 5)}}箱', '', ''])
    buf = io.BytesIO(); wb.save(buf); data = buf.getvalue()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result, _t = import_orders(actor=owner, data=data)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    from dinghuo.orders.importers import import_workers
    print(json.dumps({{'seconds': seconds, 'peak_mb': peak / 1024, 'added_mb': (peak - base) / 1024,
                      'workers': import_workers(100), 'worker_peak_mb': child / 1024,
                      'orders': len(result.placed), 'failed': len(result.failed), 'file_kb': len(data) / 1024}}))
"""
    out = sh([PY, "-m", "dinghuo.cli", "shell", "-c", code], env=env, timeout=1800)
    return json.loads(out.strip().splitlines()[-1])


def report(env: dict, db: str) -> dict:
    code = """
import json, time
from django.db import connection
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.tenancy.models import Tenant
from dinghuo.analytics.services import refresh_facts
from dinghuo.analytics.selectors import sales_by_dealer_month_category
t = Tenant.objects.get(code='bench')
with tenant_context(t):
    s = time.perf_counter(); refresh_facts(full=True); build = time.perf_counter() - s
    actor = Actor.system(t.pk)
    runs = []
    for _ in range(5):
        s = time.perf_counter(); rows = list(sales_by_dealer_month_category(actor=actor)); runs.append(time.perf_counter() - s)
    s = time.perf_counter(); refresh_facts(); incremental = time.perf_counter() - s
    # the back-office page (/bo/reports/sales/): totals over every fact of the period, one page of dealers
    from django.db.models import Max, Min
    from dinghuo.analytics.models import SalesFact
    from dinghuo.analytics.selectors import SalesFilter, sales_report_page
    span = SalesFact.objects.aggregate(a=Min('month'), b=Max('month'))
    period = SalesFilter(month_from=span['a'], month_to=span['b'])
    page = {}
    for by in ('month', 'category'):
        laps = []
        for _ in range(5):
            s = time.perf_counter(); sales_report_page(actor=actor, filters=period, page=1, by=by); laps.append(time.perf_counter() - s)
        page[by] = min(laps)
    with connection.cursor() as c:
        s = time.perf_counter()
        c.execute("SELECT o.dealer_id, date_trunc('month', o.created_at AT TIME ZONE 'Asia/Shanghai'), p.category_id, sum(l.amount) "
                  "FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id JOIN catalog_sku k ON k.id = l.sku_id "
                  "JOIN catalog_product p ON p.id = k.product_id WHERE l.tenant_id = %s AND o.status NOT IN ('cancelled','rejected') "
                  "GROUP BY 1, 2, 3", [t.pk])
        raw_rows = len(c.fetchall()); raw = time.perf_counter() - s
        c.execute("SELECT count(*) FROM orders_orderline WHERE tenant_id = %s", [t.pk]); n_lines = c.fetchone()[0]
print(json.dumps({'lines': n_lines, 'cells': len(rows), 'report_s': min(runs), 'facts_build_s': build,
                  'page_by_month_s': page['month'], 'page_by_category_s': page['category'],
                  'page_months': [str(span['a']), str(span['b'])],
                  'incremental_refresh_s': incremental, 'raw_scan_s': raw, 'raw_rows': raw_rows}))
"""
    out = sh([PY, "-m", "dinghuo.cli", "shell", "-c", code], env=env, timeout=1800)
    return json.loads(out.strip().splitlines()[-1])


def search(env: dict, url: str, info: dict, seconds: int) -> dict:
    script = ROOT / "bench" / "search.py"
    if not script.exists():
        return {"skipped": "bench/search.py missing"}
    out = sh([PY, str(script), "--measure-only", "--url", url, "--token", info["token"], "--concurrency", "50",
              "--seconds", str(seconds), "--json"], env=env, check=False, timeout=1800)  # fmt: skip
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"skipped": out[-300:]}


def table(results: dict) -> str:
    r = results
    rows = [
        ("10-line orders, closed loop 32 clients", f"{r['uniform_closed']['orders_per_s']:.0f} orders/s", "≥ 450 orders/s"),
        ("  p50 / p95 / p99", "{p50_ms:.0f} / {p95_ms:.0f} / {p99_ms:.0f} ms".format(**r["uniform_closed"]), ""),
        ("pgbench TPC-B (scale 10, 8 clients)", f"{r['pgbench_tps']:.0f} tps", ""),
        ("orders/s ÷ pgbench tps", f"{r['uniform_closed']['orders_per_s'] / r['pgbench_tps']:.3f}", "≥ 0.10"),
        ("open loop 150 orders/s: p99", f"{r['uniform_open']['p99_ms']:.0f} ms (achieved {r['uniform_open']['orders_per_s']:.0f}/s)", "≤ 60 ms"),
        ("hot SKU, closed loop 32 clients", f"{r['hot_closed']['orders_per_s']:.0f} orders/s "
         f"({100 * r['hot_closed']['orders_per_s'] / max(r['uniform_closed']['orders_per_s'], 1e-9):.0f} % of uniform)", "≥ 80 %"),
        ("hot SKU, open loop 150/s: p99", f"{r['hot_open']['p99_ms']:.0f} ms", ""),
        ("5xx responses (all runs)", str(sum(r[k]["errors_5xx"] for k in ("uniform_closed", "uniform_open", "hot_closed", "hot_open"))), "0"),
        ("oversold rows / credit overshoot", f"{r['invariants']['oversold_rows']} / {r['invariants']['credit_overshoot']}", "0 / 0"),
        ("stock ledger / balance ledger mismatches", f"{r['invariants']['stock_ledger_mismatches']} / {r['invariants']['balance_ledger_mismatches']}", "0 / 0"),
        ("search p95 at 50 concurrent", f"{r['search'].get('p95_ms', float('nan')):.0f} ms" if "p95_ms" in r["search"] else r["search"].get("skipped", "?"), "≤ 50 ms"),
        ("10,000-line Excel import", f"{r['import']['seconds']:.2f} s, peak {r['import']['peak_mb']:.0f} MB"
         + (f" (+ {r['import']['workers']} workers, {r['import']['worker_peak_mb']:.0f} MB peak each)"
            if r['import'].get('workers', 1) > 1 else ""), "≤ 3 s, < 300 MB"),
        (f"sales report page over {r['report']['lines']:,} lines (dealer × month; dealer × category)",
         f"{r['report'].get('page_by_month_s', float('nan')) * 1000:.0f} ms; {r['report'].get('page_by_category_s', float('nan')) * 1000:.0f} ms", "≤ 1 s"),
        (f"  every dealer × month × category cell ({r['report']['cells']:,}) read at once",
         f"{r['report']['report_s'] * 1000:.0f} ms (raw scan of the lines {r['report']['raw_scan_s']:.2f} s)", ""),
    ]  # fmt: skip
    p = r.get("pricing", {})
    if "4" in p:
        rows.append(("50-line carts priced (price_cart, 1 / 4 threads)",
                     f"{p['1']['carts_per_s']:.0f} / {p['4']['carts_per_s']:.0f} carts/s, "
                     f"{p['4']['cpu_ms']:.1f} ms Python CPU per cart", "(reported)"))  # fmt: skip
    out = ["| figure | measured | target |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true", help="a quick rehearsal with a small dataset and short runs")
    p.add_argument("--seconds", type=int, default=None, help="duration of each load run (default 30, small 10)")
    p.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "3")))
    p.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "4")))
    p.add_argument("--reuse", action="store_true", help="reuse the dinghuo_bench database from the last run")
    args = p.parse_args()
    seconds = args.seconds or (10 if args.small else 30)
    sizes = ["--skus", "5000", "--dealers", "200", "--lines", "100000"] if args.small else []
    if not shutil.which("pgbench"):
        raise SystemExit("pgbench is needed (apt install postgresql-contrib)")
    data_dir = ROOT / "var" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"{PG}/dinghuo_bench"
    env = env_for(db_url, data_dir)
    info_path = data_dir / "dataset.json"
    results: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"), "args": vars(args)}
    t0 = time.perf_counter()
    if not (args.reuse and info_path.exists()):
        fresh_db("dinghuo_bench")
        sh([PY, "-m", "dinghuo.cli", "setup"], env=env)
        s = time.perf_counter()
        sh([PY, str(ROOT / "bench" / "dataset.py"), *sizes, "--out", str(info_path)], env=env)
        results["dataset_s"] = time.perf_counter() - s
    info = json.loads(info_path.read_text())
    print(f"dataset ready ({results.get('dataset_s', 0):.0f}s)", flush=True)
    results["pgbench_tps"] = pgbench(seconds)
    print(f"pgbench {results['pgbench_tps']:.0f} tps", flush=True)
    proc, url = start_server(env, args.workers, args.threads)
    try:
        api = f"{url}/api/v1/orders"
        token = info["token"]
        uniform = OrderMaker(dealers=info["dealers"], skus=info["skus"][1:], lines=10)
        hot = OrderMaker(dealers=info["dealers"], skus=info["skus"][1:], lines=10, hot_sku=info["hot_sku"])
        run_closed(api, token, uniform, clients=8, seconds=3)  # warm-up: connections, caches
        for key, maker in (("uniform", uniform), ("hot", hot)):
            results[f"{key}_closed"] = run_closed(api, token, maker, clients=32, seconds=seconds)
            print(f"{key} closed: {results[f'{key}_closed']}", flush=True)
            results[f"{key}_open"] = run_open(api, token, maker, rate=150, seconds=seconds)
            print(f"{key} open: {results[f'{key}_open']}", flush=True)
        results["invariants"] = invariants(env)
        results["search"] = search(env, url, info, seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results["import"] = excel_import(env, info)
    print(f"import: {results['import']}", flush=True)
    results["report"] = report(env, "dinghuo_bench")
    print(f"report: {results['report']}", flush=True)
    results["pricing"] = pricing(data_dir, args.small)
    print(f"pricing: {results['pricing']}", flush=True)
    results["total_s"] = time.perf_counter() - t0
    text = table(results)
    print(text)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stem = f"{dt.date.today().isoformat()}{'-small' if args.small else ''}"
    out = out_dir / f"{stem}.md"
    n = 2
    while out.exists():  # a second run the same day keeps the first one's file
        out, n = out_dir / f"{stem}-{n}.md", n + 1
    machine = f"{os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().release}"
    out.write_text(
        f"# Benchmark {results['started']}\n\nMachine: {machine}; server: {args.workers} workers × {args.threads} threads; "
        f"each load run {seconds} s; PostgreSQL, app server and load driver on the same machine.\n\n{text}\n\n"
        f"<details><summary>raw results</summary>\n\n```json\n{json.dumps(results, indent=2, default=str)}\n```\n</details>\n"
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
