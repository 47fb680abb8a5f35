"""Search benchmark: p50/p95/p99 and searches/s at 50 concurrent searches with dealer-specific prices.

Against a running server (what ``bench/run.py`` does, on the dataset of ``bench/dataset.py``)::

    python bench/search.py --measure-only --url http://127.0.0.1:8000 --token dh_live_… \
        --concurrency 50 --seconds 30 --json [out.json]

``--measure-only`` creates no data: the query mix is discovered through the API (categories, pages
of the catalog for names, SKU codes and barcodes, and — when the key may list dealers, i.e. has the
``dealers`` scope — the dealers, so that every search prices for another dealer with ``dealer=<id>``;
without it the key's own prices are used and the output says so). ``--json`` prints the figures as
one JSON line last (run.py reads it), and also writes them to the file if one is named.

Standalone, with its own 100k-SKU tenant "bench-search" (built on the first run, reused later)::

    createdb -h 127.0.0.1 -U postgres dinghuo_bench_search
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dinghuo_bench_search python bench/search.py [--skus 100000]
    # then against a server on that database: … bench/search.py --url http://127.0.0.1:8000

Without ``--url`` it calls the selector (``search_skus``) from ``--concurrency`` threads, each with
its own connection, as a different dealer each time, and reports exactly what a search costs in the
process: SQL statements and CPU time per search (both far less noisy than wall time on a machine
shared with other work). With ``--url`` it drives GET /api/v1/catalog/search with a small asyncio
HTTP/1.1 client (bench/load.py's keep-alive connections, a closed loop of ``--concurrency``
clients); when ``DATABASE_URL`` is set it also reports the server's and PostgreSQL's CPU time per
request (from /proc, for the processes listening on the URL's port and the database's backends)
and the SQL statements one request runs (a sample replayed in-process through Django's test
client, after the timed run). The mix: Chinese words, pinyin, initials, exact and mistyped SKU
codes, barcodes, category browsing with a price band (at the dealer's price), the in-stock filter,
and price and regional-sales sorts; facets on, 20 per page, as the portal asks. Timings are
printed, never asserted (target: p95 ≤ 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dinghuo.config.settings")
os.environ.setdefault("DINGHUO_DB_POOL", "0")  # selector mode: one connection per thread

TENANT = "bench-search"
PASSWORD = "Bench#2026-search"
PROVINCES = ["440300", "440105", "310104", "110105", "330106", "320102", "510107", "420102", "370102", "350203"]
TOPS = {
    "饮料": ["可乐", "橙汁", "矿泉水", "纯净水", "乌龙茶", "绿茶饮料", "咖啡饮料", "苏打水", "椰汁", "酸梅汤"],
    "休闲食品": ["薯片", "饼干", "牛肉干", "瓜子", "海苔", "坚果礼盒", "巧克力", "果冻", "辣条", "方便面"],
    "日化": ["洗衣液", "洗发水", "沐浴露", "牙膏", "洗洁精", "纸巾", "湿巾", "香皂", "漱口水", "护手霜"],
    "轴承": ["深沟球轴承", "角接触球轴承", "圆锥滚子轴承", "调心球轴承", "推力球轴承", "滚针轴承"],
    "紧固件": ["六角螺栓", "内六角螺钉", "平垫圈", "弹簧垫圈", "膨胀螺栓", "自攻螺钉", "螺母"],
    "五金工具": ["活动扳手", "螺丝刀套装", "卷尺", "电钻", "老虎钳", "钢丝钳", "角磨机"],
    "乳制品": ["纯牛奶", "酸奶", "奶粉", "奶酪棒", "乳酸菌饮品"],
    "调味品": ["生抽", "老抽", "香醋", "蚝油", "料酒", "食用盐", "鸡精", "辣椒酱"],
    "粮油": ["大米", "花生油", "菜籽油", "面粉", "挂面", "小米"],
    "酒类": ["啤酒", "白酒", "红酒", "黄酒", "米酒"],
    "文具": ["中性笔", "笔记本", "文件夹", "订书机", "便利贴"],
    "家电": ["电水壶", "电饭煲", "吹风机", "电风扇", "空气炸锅"],
    "清洁用品": ["拖把", "垃圾袋", "扫把", "抹布", "清洁剂"],
    "母婴": ["纸尿裤", "婴儿湿巾", "奶瓶", "辅食米粉"],
    "宠物用品": ["猫粮", "狗粮", "猫砂", "宠物零食"],
    "办公设备": ["打印纸", "硒鼓", "墨盒", "碎纸机"],
    "电工电料": ["插座", "开关面板", "电线", "断路器", "灯泡"],
    "劳保用品": ["手套", "安全帽", "口罩", "工作服", "防护眼镜"],
    "汽配": ["机油", "刹车片", "火花塞", "雨刮器", "空气滤清器"],
    "茶叶": ["龙井", "普洱", "铁观音", "红茶", "白茶"],
}
# fmt: off
BRANDS = [
    "清泉", "金山", "红星", "长城", "华丰", "百福", "鑫源", "恒通", "宏达", "富华", "东方", "海天", "天成", "佳美", "康达",
    "永安", "瑞丰", "盛世", "华美", "新时代", "蓝天", "绿源", "金龙", "银河", "宝丰", "万通", "华泰", "中信", "鸿运", "福星",
    "鼎盛", "大地", "万家", "喜来", "益民", "好运", "顺发", "兴隆", "联华", "合众", "精工", "利达", "博远", "卓越", "凯达",
    "金鹰", "北斗", "泰山", "黄河", "长江", "昆仑", "华山", "峨眉", "珠江", "钱塘", "洞庭", "太湖", "西湖", "燕山", "南岭",
]
# fmt: on
ADJECTIVES = ["经典", "无糖", "低脂", "加强型", "家庭装", "小包装", "清爽", "原味", "升级版", "工业级", "进口", "特惠"]
SPECS = ["250ml×24", "500ml×24", "1L×12", "2L×6", "100g×20", "200g×10", "1kg×4", "5kg", "10只装", "25件/箱"]


def _setup() -> None:
    import django

    django.setup()


def _bulk(model: type, rows: list, batch: int = 5000) -> list:
    from dinghuo.core.tenancy import stamp_tenant

    out = []
    for i in range(0, len(rows), batch):
        out += model.objects.bulk_create(stamp_tenant(rows[i : i + batch]), batch_size=batch)
    return out


def generate(skus: int) -> None:
    """The bench tenant, unless it exists."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from dinghuo.accounts.roles import Role
    from dinghuo.accounts.services import dealer_user_create
    from dinghuo.catalog.models import Attribute, AttributeValue, Brand, Category, Product, Sku, SkuUnit
    from dinghuo.catalog.search import reindex_products
    from dinghuo.core.tenancy import Actor, all_tenants, tenant_context
    from dinghuo.dealers.models import Dealer, DealerTier
    from dinghuo.inventory.models import Stock, Warehouse
    from dinghuo.orders.models import Order, OrderLine
    from dinghuo.pricing.models import PriceList, PriceListItem
    from dinghuo.tenancy.models import Tenant
    from dinghuo.tenancy.services import tenant_create

    with all_tenants():
        tenant = Tenant.objects.filter(code=TENANT).first()
    if tenant is not None:
        with tenant_context(tenant):
            print(f"reusing tenant {TENANT}: {Sku.objects.count():,} SKUs, {Dealer.objects.count()} dealers")
        return
    rng = random.Random(2026)
    started = time.perf_counter()
    tenant = tenant_create(code=TENANT, name="搜索压测品牌")
    with tenant_context(tenant, Actor.system(tenant.pk, "bench")):
        tiers = _bulk(DealerTier, [DealerTier(code=c, name=n, rank=r) for c, n, r in TIER_ROWS])
        dealers = _bulk(
            Dealer,
            [
                Dealer(
                    code=f"bench-d{i:02d}", name=f"压测经销商{i:02d}", tier=tiers[i % 3], region_code=PROVINCES[i % 10]
                )
                for i in range(1, 61)
            ],
        )
        dealer_user_create(
            actor=Actor.system(tenant.pk),
            dealer=dealers[0],
            username="bench-d01",
            role=Role.BUYER,
            password=PASSWORD,
            display_name="压测采购",
        )
        # categories: 20 roots × 10 leaves
        roots = _bulk(Category, [Category(code=f"C{i:02d}", name=name, sort=i) for i, name in enumerate(TOPS)])
        leaves = []
        for i, (root, (_name, kinds)) in enumerate(zip(roots, TOPS.items(), strict=True)):
            root.path = f"/{root.pk}/"
            for j in range(10):
                leaves.append(
                    Category(
                        code=f"C{i:02d}{j:02d}",
                        name=f"{kinds[j % len(kinds)]}{j // len(kinds) or ''}",
                        parent=root,
                        depth=1,
                    )
                )
        Category.objects.bulk_update(roots, ["path"])
        leaves = _bulk(Category, leaves)
        for leaf in leaves:
            leaf.path = f"/{leaf.parent_id}/{leaf.pk}/"
        Category.objects.bulk_update(leaves, ["path"], batch_size=1000)
        brands = _bulk(Brand, [Brand(code=f"B{i:02d}", name=name) for i, name in enumerate(BRANDS)])
        attrs = _bulk(
            Attribute,
            [
                Attribute(code="size", name="规格值", kind="number", unit="mm"),
                Attribute(code="volume", name="容量", kind="number", unit="ml", is_spec=True),
                Attribute(
                    code="material", name="材质", kind="choice", choices=["不锈钢", "碳钢", "塑料", "玻璃", "纸"]
                ),
                Attribute(code="grade", name="等级", kind="choice", choices=["优等品", "一等品", "合格品"]),
            ],
        )
        per_product = 4
        n_products = skus // per_product
        products = []
        for n in range(n_products):
            leaf = leaves[rng.randrange(len(leaves))]
            kind = leaf.name.rstrip("0123456789")
            brand = brands[rng.randrange(len(brands))]
            products.append(
                Product(
                    code=f"P{n:06d}",
                    name=f"{brand.name}{rng.choice(ADJECTIVES)}{kind}",
                    subtitle=rng.choice(SPECS),
                    category=leaf,
                    brand=brand,
                    status="on_sale" if n % 50 else "draft",
                    shelf_life_days=rng.choice([None, 90, 180, 365, 540]),
                    sale_regions=["310000"] if n % 97 == 0 else [],
                )
            )
        products = _bulk(Product, products)
        sku_rows, values = [], []
        for p in products:
            values += [
                AttributeValue(product=p, attribute=attrs[2], value_text=rng.choice(attrs[2].choices)),
                AttributeValue(product=p, attribute=attrs[3], value_text=rng.choice(attrs[3].choices)),
            ]
            for v in range(per_product):
                code = f"{p.code[1:]}-{'ABCD'[v]}{rng.randrange(10)}"
                sku_rows.append(
                    Sku(
                        product=p,
                        code=code,
                        name=f"{rng.choice(SPECS)} {rng.choice(ADJECTIVES)}",
                        barcode=f"69{rng.randrange(10**10, 10**11)}",
                        base_unit="件",
                        list_price=Decimal(rng.randrange(500, 50000)) / 100,
                        allow_backorder=v == 3,
                        sort=v,
                    )
                )
        sku_rows = _bulk(Sku, sku_rows)
        for s in sku_rows:
            values.append(
                AttributeValue(
                    product_id=s.product_id,
                    sku=s,
                    attribute=attrs[rng.randrange(2)],
                    value_number=Decimal(rng.choice([6, 8, 10, 25, 50, 250, 330, 500, 1000])),
                )
            )
        _bulk(AttributeValue, values)
        units = []
        for s in sku_rows:
            units += [
                SkuUnit(sku=s, name="件", factor=Decimal(1), is_default=False),
                SkuUnit(
                    sku=s, name="箱", factor=Decimal(rng.choice([6, 12, 24])), is_default=True, barcode=f"1{s.barcode}"
                ),
            ]
        _bulk(SkuUnit, units)
        print(f"  catalog: {len(products):,} products, {len(sku_rows):,} SKUs ({time.perf_counter() - started:.0f} s)")
        lists = [PriceList(code=f"TIER-{t.code}", name=f"{t.name}价", kind="tier", tier=t) for t in tiers]
        lists += [
            PriceList(code=f"C-{d.code}", name=f"{d.name}合同价", kind="contract", dealer=d) for d in dealers[:10]
        ]
        lists = _bulk(PriceList, lists)
        items = []
        for i, price_list in enumerate(lists):
            chosen = sku_rows if i < 3 else rng.sample(sku_rows, 5000)
            factor = [Decimal("0.95"), Decimal("0.90"), Decimal("0.85")][i] if i < 3 else Decimal("0.80")
            items += [
                PriceListItem(price_list=price_list, sku=s, price=(s.list_price * factor).quantize(Decimal("0.01")))
                for s in chosen
            ]
        _bulk(PriceListItem, items)
        print(f"  prices: {len(items):,} price list items ({time.perf_counter() - started:.0f} s)")
        warehouses = _bulk(
            Warehouse,
            [
                Warehouse(code="WH-GZ", name="广州仓", region_code="440100"),
                Warehouse(code="WH-SH", name="上海仓", region_code="310100"),
            ],
        )
        stock = [Stock(warehouse=warehouses[0], sku=s, on_hand=Decimal(rng.randrange(0, 500))) for s in sku_rows]
        stock += [Stock(warehouse=warehouses[1], sku=s, on_hand=Decimal(rng.randrange(0, 200))) for s in sku_rows[::2]]
        _bulk(Stock, stock)
        orders = _bulk(
            Order,
            [
                Order(
                    number=f"BENCH-{i:06d}",
                    dealer=(d := dealers[i % len(dealers)]),
                    status="approved",
                    ship_to_name="压测",
                    ship_to_phone="13800000000",
                    ship_to_region=d.region_code,
                    ship_to_address="压测路1号",
                    subtotal=Decimal(0),
                    total=Decimal(0),
                )
                for i in range(5000)
            ],
        )
        lines = []
        for order in orders:
            for n in range(4):
                s = sku_rows[rng.randrange(len(sku_rows))]
                qty = Decimal(rng.randrange(1, 100))
                lines.append(
                    OrderLine(
                        order=order,
                        line_no=n + 1,
                        sku=s,
                        sku_code=s.code,
                        name=s.name,
                        unit="件",
                        unit_factor=1,
                        qty=qty,
                        qty_base=qty,
                        unit_price=s.list_price,
                        list_price=s.list_price,
                        amount=s.list_price * qty,
                        tax_rate=s.vat_rate,
                    )
                )
        _bulk(OrderLine, lines)
        with connection.cursor() as cursor:  # spread the orders over the last 90 days
            cursor.execute(
                "UPDATE orders_order SET created_at = created_at - (id %% 90) * interval '1 day' WHERE tenant_id = %s",
                [tenant.pk],
            )
        print(
            f"  stock and orders: {len(stock):,} stock rows, {len(lines):,} order lines ({time.perf_counter() - started:.0f} s)"
        )
        indexed_at = time.perf_counter()
        reindex_products()
        print(f"  reindex_products: {len(products):,} products in {time.perf_counter() - indexed_at:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - started:.0f} s")


TIER_ROWS = [("std", "普通", 1), ("silver", "银牌", 2), ("gold", "金牌", 3)]


def product_name(rng: random.Random, kind: str | None = None) -> str:
    """A realistic product name (brand + adjective + kind), for datasets that want searchable names."""
    kind = kind or rng.choice([k for kinds in TOPS.values() for k in kinds])
    return f"{rng.choice(BRANDS)}{rng.choice(ADJECTIVES)}{kind}"


def standalone_token() -> str:
    """A fresh API key for the bench dealer user (its own, dealer-specific prices): secrets are stored hashed."""
    from dinghuo.accounts.models import Membership
    from dinghuo.api.services import api_key_create
    from dinghuo.core.tenancy import Actor, all_tenants, tenant_context
    from dinghuo.tenancy.models import Tenant

    with all_tenants():
        tenant = Tenant.objects.get(code=TENANT)
    with tenant_context(tenant, Actor.system(tenant.pk, "bench")):
        membership = Membership.objects.select_related("user").get(user__username="bench-d01")
        return api_key_create(
            actor=Actor.system(tenant.pk, "bench"),
            name=f"bench-search {time.time():.0f}",
            membership=membership,
            scopes=["catalog"],
            rate_limit=100_000,
        ).secret


# --- the query mix ---------------------------------------------------------------------------------


def _get(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 — our server
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, {}


def discover(url: str, token: str, rng: random.Random) -> dict:
    """What the searches are drawn from, read through the API only (nothing written)."""
    api = f"{url}/api/v1"
    status, first = _get(f"{api}/catalog/search?q=&sort=newest&per_page=100&facets=false", token)
    if status != 200:
        raise SystemExit(f"GET /api/v1/catalog/search answered {status}: is the key valid and allowed the catalog?")
    items = list(first["items"])
    for page in rng.sample(range(2, first["pages"] + 1), min(5, first["pages"] - 1)):
        items += _get(f"{api}/catalog/search?q=&sort=newest&per_page=100&facets=false&page={page}", token)[1]["items"]
    categories = _get(f"{api}/catalog/categories", token)[1]
    dealers: list[int] = []
    status, page = _get(f"{api}/dealers?limit=200", token)
    if status == 200:
        dealers = [d["id"] for d in page["items"]]
        if page.get("next_cursor"):
            more = _get(f"{api}/dealers?limit=200&cursor={urllib.parse.quote(page['next_cursor'])}", token)[1]
            dealers += [d["id"] for d in more.get("items", [])]
    return {
        "names": sorted({i["product"]["name"] for i in items}),
        "codes": [(i["sku_code"], i["barcode"]) for i in items],
        "categories": [(c["id"], c["name"], c["depth"]) for c in categories if c["total_count"]],
        "dealers": dealers,
        "dealers_status": status,
    }


def discover_local(rng: random.Random) -> dict:
    """The same, read from the standalone tenant (selector mode)."""
    from dinghuo.catalog.models import Category, Product, Sku
    from dinghuo.dealers.models import Dealer

    products = list(Product.objects.filter(status="on_sale").order_by("?").values_list("name", flat=True)[:600])
    codes = list(Sku.objects.filter(is_active=True).order_by("?").values_list("code", "barcode")[:600])
    categories = list(Category.objects.values_list("pk", "name", "depth"))
    return {
        "names": sorted(set(products)),
        "codes": codes,
        "categories": categories,
        "dealers": list(Dealer.objects.values_list("pk", flat=True)),
        "dealers_status": 200,
    }


def _words(names: list[str]) -> list[str]:
    import jieba

    jieba.setLogLevel(60)
    words: Counter = Counter()
    for name in names:
        for word in jieba.cut(name):
            if 2 <= len(word) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in word):
                words[word] += 1
    return [w for w, _n in words.most_common(300)]


def build_mix(found: dict, rng: random.Random, size: int = 600) -> list[tuple[str, dict]]:
    """(kind, query parameters) pairs in realistic proportions."""
    from pypinyin import lazy_pinyin

    words = _words(found["names"]) or ["商品"]
    codes = found["codes"] or [("", "")]
    leaves = [c for c in found["categories"] if c[2] >= 1] or found["categories"] or [(None, "", 0)]
    brands = [w for w in words if len(w) == 2]
    picks: list[tuple[str, dict]] = []

    def weighted(kind: str, share: float, make: Callable[[], dict]) -> None:
        picks.extend((kind, make()) for _ in range(max(1, round(share * size))))

    weighted("word", 0.22, lambda: {"q": rng.choice(words)})
    weighted("two words", 0.06, lambda: {"q": f"{rng.choice(brands or words)} {rng.choice(words)}"})
    weighted("pinyin", 0.12, lambda: {"q": "".join(lazy_pinyin(rng.choice(words)))})
    weighted("initials", 0.08, lambda: {"q": "".join(s[0] for s in lazy_pinyin(rng.choice(words)))})
    weighted("code", 0.12, lambda: {"q": rng.choice(codes)[0]})
    weighted("code typo", 0.05, lambda: {"q": _typo(rng.choice(codes)[0], rng)})
    weighted("barcode", 0.05, lambda: {"q": rng.choice(codes)[1] or rng.choice(codes)[0]})
    weighted(
        "category + price band",
        0.12,
        lambda: {"category": rng.choice(leaves)[0], "price_min": 10, "price_max": 200, "sort": "price_asc"},
    )
    weighted(
        "category + in stock, sales",
        0.06,
        lambda: {"category": rng.choice(leaves)[0], "in_stock": "true", "sort": "sales"},
    )
    weighted(
        "word + in stock, price",
        0.07,
        lambda: {"q": rng.choice(words), "in_stock": "true", "sort": "price_desc"},
    )
    weighted("word, page 2", 0.05, lambda: {"q": rng.choice(words), "page": 2})
    rng.shuffle(picks)
    for _kind, params in picks:
        params.setdefault("per_page", 20)
        params.setdefault("facets", "true")
    return picks


def _typo(code: str, rng: random.Random) -> str:
    """One transposition of adjacent characters (or a changed digit): what a dealer mistypes."""
    if len(code) < 5:
        return code
    i = rng.randrange(2, len(code) - 1)
    if code[i] != code[i - 1]:
        return code[: i - 1] + code[i] + code[i - 1] + code[i + 1 :]
    digit = str((int(code[i]) + 1) % 10) if code[i].isdigit() else "X"
    return code[:i] + digit + code[i + 1 :]


# --- measuring ---------------------------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def server_pids(port: int) -> list[int]:
    """The processes listening on ``port`` (the server's master) and their children (its workers)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    pids, parents = set(), {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parents[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if inodes and any(os.readlink(fd).strip("socket:[]") in inodes for fd in (proc / "fd").iterdir()):
                pids.add(int(proc.name))
        except OSError:
            continue
    changed = True
    while changed:
        more = {pid for pid, parent in parents.items() if parent in pids} - pids
        pids |= more
        changed = bool(more)
    return sorted(pids)


class CpuMeter:
    """CPU seconds used by the server's processes and by the database's backends between start and stop."""

    def __init__(self, port: int | None):
        self.port = port
        self.db = None
        if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            try:
                import psycopg

                self.db = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
            except Exception:
                self.db = None

    def _backends(self) -> list[int]:
        if self.db is None:
            return []
        rows = self.db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return [r[0] for r in rows]

    def snapshot(self) -> dict[str, dict[int, int]]:
        return {
            "server": {pid: _ticks(pid) for pid in (server_pids(self.port) if self.port else [])},
            "db": {pid: _ticks(pid) for pid in self._backends()},
        }

    @staticmethod
    def used(before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]) -> dict[str, float]:
        hz = os.sysconf("SC_CLK_TCK")
        return {
            key: sum(ticks - before[key].get(pid, 0) for pid, ticks in after[key].items()) / hz
            for key in ("server", "db")
        }


async def _closed_loop(url: str, token: str, mix: list[tuple[str, dict]], dealers: list[int], args) -> dict:
    from load import Connection

    parts = urllib.parse.urlsplit(url)
    path = "/api/v1/catalog/search?"
    headers = {"Authorization": f"Bearer {token}"}
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    counter = iter(range(10**9))
    deadline = time.perf_counter() + args.seconds if args.seconds else None
    budget = args.requests

    def next_request() -> tuple[str, str] | None:
        i = next(counter)
        if (deadline is not None and time.perf_counter() >= deadline) or (deadline is None and i >= budget):
            return None
        kind, params = mix[i % len(mix)]
        if dealers:
            params = {**params, "dealer": dealers[i % len(dealers)]}
        return kind, path + urllib.parse.urlencode(params)

    async def send(conn: Connection, kind: str, target: str, started: float) -> None:
        try:
            status, _body = await conn.request("GET", target, b"", headers)
        except Exception:
            statuses[-1] += 1
            return
        statuses[status] += 1
        if status == 200:
            latencies[kind].append(time.perf_counter() - started)

    async def client() -> None:
        conn = Connection(parts.hostname, parts.port or 80)
        while (job := next_request()) is not None:
            await send(conn, *job, time.perf_counter())
        conn.close()

    async def open_loop() -> None:
        # arrivals at a fixed rate whatever the latency, at most --concurrency in flight; latency
        # counts from the scheduled time (a stall is not hidden by the senders waiting)
        idle = [Connection(parts.hostname, parts.port or 80) for _ in range(args.concurrency)]
        slots = asyncio.Semaphore(args.concurrency)
        tasks = []

        async def one(job: tuple[str, str], scheduled: float) -> None:
            async with slots:
                conn = idle.pop()
                try:
                    await send(conn, *job, scheduled)
                finally:
                    idle.append(conn)

        for i in range(10**9):
            scheduled = begin + i / args.rate
            if (delay := scheduled - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            if (job := next_request()) is None:
                break
            tasks.append(asyncio.create_task(one(job, scheduled)))
        await asyncio.gather(*tasks)
        for conn in idle:
            conn.close()

    begin = time.perf_counter()
    if args.rate:
        await open_loop()
    else:
        await asyncio.gather(*(client() for _ in range(args.concurrency)))
    return {"latencies": latencies, "statuses": statuses, "elapsed": time.perf_counter() - begin}


def run_http(args, token: str, mix: list[tuple[str, dict]], dealers: list[int]) -> dict:
    warm = argparse.Namespace(**{**vars(args), "seconds": 0, "requests": args.concurrency * 4, "rate": 0})
    asyncio.run(_closed_loop(args.url, token, mix, dealers, warm))  # warm up: connections, jieba, caches
    meter = CpuMeter(urllib.parse.urlsplit(args.url).port)
    before = meter.snapshot()
    run = asyncio.run(_closed_loop(args.url, token, mix, dealers, args))
    cpu = meter.used(before, meter.snapshot())
    return {**run, "cpu": cpu, "cpu_seen": {k: len(v) for k, v in before.items()}}


def run_selector(args, mix: list[tuple[str, dict]], dealers: list[int]) -> dict:
    from django.db import connection

    from dinghuo.accounts.models import Membership
    from dinghuo.catalog.search import SearchFilters, search_skus
    from dinghuo.catalog.selectors import pricing_dealer
    from dinghuo.core.tenancy import Actor, all_tenants, tenant_context
    from dinghuo.tenancy.models import Tenant

    with all_tenants():
        tenant = Tenant.objects.get(code=TENANT)
    with tenant_context(tenant):
        membership = Membership.objects.select_related("user").get(user__username="bench-d01")
    template = Actor.for_membership(membership, via="api")
    latencies: dict[str, list[float]] = defaultdict(list)
    cpu: list[float] = []
    statements: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        kind, p = mix[i % len(mix)]
        filters = SearchFilters(
            category_id=p.get("category"),
            price_min=Decimal(p["price_min"]) if "price_min" in p else None,
            price_max=Decimal(p["price_max"]) if "price_max" in p else None,
            in_stock=p.get("in_stock") == "true",
        )
        # every search as a dealer user of another dealer, so prices differ per search
        actor = Actor(**{**vars(template), "dealer_id": dealers[i % len(dealers)]})
        count = [0]

        def counting(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        started, cpu_started = time.perf_counter(), time.thread_time()
        with connection.execute_wrapper(counting), tenant_context(tenant, actor):
            dealer = pricing_dealer(actor=actor)
            search_skus(
                actor=actor, dealer=dealer, q=p.get("q", ""), filters=filters, sort=p.get("sort", "relevance"),
                page=p.get("page", 1), per_page=p["per_page"], facets=p["facets"] == "true",
            )  # fmt: skip
        elapsed, used = time.perf_counter() - started, time.thread_time() - cpu_started
        with lock:
            latencies[kind].append(elapsed)
            cpu.append(used)
            statements.append(count[0])

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(one, range(args.concurrency * 2)))  # warm up
        for values in (latencies, cpu, statements):
            values.clear()
        begin = time.perf_counter()
        if args.seconds:
            deadline = begin + args.seconds
            i = 0
            while time.perf_counter() < deadline:
                list(pool.map(one, range(i, i + args.concurrency * 4)))
                i += args.concurrency * 4
        else:
            list(pool.map(one, range(args.requests)))
        elapsed = time.perf_counter() - begin
    return {
        "latencies": latencies,
        "statuses": Counter({200: sum(len(v) for v in latencies.values())}),
        "elapsed": elapsed,
        "cpu_per_search_ms": statistics.fmean(cpu) * 1000,
        "statements": statements,
    }


def statements_per_request(token: str, mix: list[tuple[str, dict]], dealers: list[int], sample: int = 60) -> dict:
    """Replay part of the mix in-process through Django's test client, counting SQL statements."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, (kind, params) in enumerate(mix[:sample]):
        if dealers:
            params = {**params, "dealer": dealers[i % len(dealers)]}
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/catalog/search", params)
        if response.status_code == 200:
            by_kind[kind].append(len(queries))
    counts = [n for ns in by_kind.values() for n in ns]
    return {
        "mean": statistics.fmean(counts) if counts else float("nan"),
        "max": max(counts, default=0),
        "by_kind": {k: max(v) for k, v in sorted(by_kind.items())},
    }


def summarize(run: dict) -> dict:
    every = [s * 1000 for v in run["latencies"].values() for s in v]
    ok = len(every)
    out = {
        "requests": sum(run["statuses"].values()),
        "ok": ok,
        "seconds": run["elapsed"],
        "requests_per_s": ok / run["elapsed"] if run["elapsed"] else 0.0,
        "p50_ms": percentile(every, 50),
        "p95_ms": percentile(every, 95),
        "p99_ms": percentile(every, 99),
        "max_ms": max(every, default=float("nan")),
        "mean_ms": statistics.fmean(every) if every else float("nan"),
        "statuses": {str(k): v for k, v in sorted(run["statuses"].items())},
        "errors_5xx": sum(n for s, n in run["statuses"].items() if s >= 500 or s < 0),
        "by_kind": {
            kind: {"n": len(v), "p50_ms": percentile(v, 50) * 1000, "p95_ms": percentile(v, 95) * 1000}
            for kind, v in sorted(run["latencies"].items())
        },
    }
    if "cpu" in run and ok:
        out["server_cpu_ms_per_request"] = run["cpu"]["server"] * 1000 / ok if run["cpu_seen"]["server"] else None
        out["db_cpu_ms_per_request"] = run["cpu"]["db"] * 1000 / ok if run["cpu_seen"]["db"] else None
    if "cpu_per_search_ms" in run:
        out["app_cpu_ms_per_search"] = run["cpu_per_search_ms"]
        out["statements_per_search"] = {"mean": statistics.fmean(run["statements"]), "max": max(run["statements"])}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", help="measure GET /api/v1/catalog/search at this server (else the selector in-process)"
    )
    parser.add_argument("--token", help="the API key to search with (Bearer); default: a new key of the bench dealer")
    parser.add_argument("--measure-only", action="store_true", help="build nothing: discover the mix through the API")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=0, help="run for this long (default: --requests searches)")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument(
        "--rate", type=float, default=0, help="HTTP: an open loop at this many searches/s (default: a closed loop)"
    )
    parser.add_argument("--skus", type=int, default=100_000, help="standalone: the size of the generated catalog")
    parser.add_argument(
        "--json", nargs="?", const="-", help="print the figures as JSON last (and write them to a file)"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    database = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if args.measure_only:
        if not (args.url and args.token):
            sys.exit("--measure-only needs --url and --token")
    elif not database:
        sys.exit("set DATABASE_URL=postgres://… (a database of its own, e.g. dinghuo_bench_search)")
    if database:
        _setup()
    if not args.measure_only:
        generate(args.skus)
    if args.url:
        token = args.token or standalone_token()
        found = discover(args.url.rstrip("/"), token, rng)
    else:
        from dinghuo.core.tenancy import all_tenants, tenant_context
        from dinghuo.tenancy.models import Tenant

        with all_tenants():
            tenant = Tenant.objects.get(code=TENANT)
        with tenant_context(tenant):
            found = discover_local(rng)
    mix = build_mix(found, rng)
    dealers = list(found["dealers"])
    rng.shuffle(dealers)
    pricing = (
        f"dealer-specific prices of {len(dealers)} dealers"
        if dealers
        else f"the key's prices only (its dealer's, or list prices for staff; to price as every dealer in turn "
        f"give a staff key the dealers scope: the dealer list answered {found['dealers_status']})"
    )
    mode = f"HTTP {args.url}" if args.url else "selector search_skus()"
    length = f"{args.seconds:g} s" if args.seconds else f"{args.requests} searches"
    if args.rate and args.url:
        length += f", open loop at {args.rate:g}/s"
    print(f"measuring {mode}: {args.concurrency} concurrent, {length}, {len(mix)} queries, {pricing}", flush=True)
    run = run_http(args, token, mix, dealers) if args.url else run_selector(args, mix, dealers)
    result = summarize(run) | {"concurrency": args.concurrency, "dealers": len(dealers), "mode": mode}
    if args.rate and args.url:
        result["rate"] = args.rate
    if args.url and database:
        try:
            result["statements_per_request"] = statements_per_request(token, mix, dealers)
        except Exception as e:
            result["statements_per_request"] = {"error": str(e)[:200]}
    print(
        f"{result['ok']} searches in {result['seconds']:.1f} s: {result['requests_per_s']:.0f} searches/s; "
        f"latency ms p50 {result['p50_ms']:.1f}  p95 {result['p95_ms']:.1f}  p99 {result['p99_ms']:.1f}  "
        f"max {result['max_ms']:.1f}  (target p95 ≤ 50 ms); statuses {result['statuses']}"
    )
    for kind, figures in result["by_kind"].items():
        print(f"  {kind:28s} n={figures['n']:5d}  p50 {figures['p50_ms']:6.1f}  p95 {figures['p95_ms']:6.1f} ms")
    for key, label in (
        ("server_cpu_ms_per_request", "app server CPU per request"),
        ("db_cpu_ms_per_request", "PostgreSQL CPU per request"),
        ("app_cpu_ms_per_search", "app CPU per search (thread time)"),
    ):
        if result.get(key) is not None:
            print(f"{label}: {result[key]:.1f} ms")
    for key in ("statements_per_search", "statements_per_request"):
        if key in result:
            print(f"SQL {key.replace('_', ' ')}: {result[key]}")
    if args.json:
        text = json.dumps(result, default=str)
        if args.json != "-":
            Path(args.json).write_text(text)
        print(text)


if __name__ == "__main__":
    main()
