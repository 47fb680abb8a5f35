"""Demo tenants, staff and dealer networks.

清泉饮料 (bev): a beverage brand with ~50 dealers in eight provinces, three tiers and a three-level
network (金牌省代 → 银牌市代 → 普通门店). 精工工业配件 (parts): an industrial-parts brand with
distributors of bearings and fasteners.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from dinghuo.accounts.models import User
from dinghuo.accounts.roles import Role
from dinghuo.accounts.services import dealer_user_create, staff_create
from dinghuo.core import regions
from dinghuo.core.tenancy import Actor, tenant_context
from dinghuo.dealers.models import Dealer, DealerTier
from dinghuo.dealers.services import address_create, dealer_create, dealer_tier_create, price_group_create
from dinghuo.demo.logins import DEMO_PASSWORD
from dinghuo.tenancy.models import Tenant
from dinghuo.tenancy.services import tenant_create

BEV_PROVINCES = [
    ("gd", "440000", "广州市", "天河区"),
    ("zj", "330000", "杭州市", "西湖区"),
    ("js", "320000", "南京市", "鼓楼区"),
    ("sc", "510000", "成都市", "武侯区"),
    ("hb", "420000", "武汉市", "江汉区"),
    ("sd", "370000", "济南市", "历下区"),
    ("bj", "110000", "北京市", "朝阳区"),
    ("sh", "310000", "上海市", "浦东新区"),
]
TRADE_WORDS = [
    "恒达",
    "瑞丰",
    "鑫源",
    "万家",
    "嘉禾",
    "福满",
    "盛世",
    "宏图",
    "佳美",
    "永辉",
    "和顺",
    "通达",
    "金穗",
    "锦程",
]
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "长江路", "滨江路", "科技路", "文化路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "晓东",
    "海燕",
    "建华",
]


@dataclass
class DemoTenant:
    tenant: Tenant
    actor: Actor
    dealers: list[Dealer]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _staff(
    tenant: Tenant, actor: Actor, prefix: str, rng: random.Random, roles: list[tuple[str, str]]
) -> dict[str, User]:
    users = {}
    for suffix, role in roles:
        m = staff_create(
            actor=actor,
            username=f"{prefix}-{suffix}",
            role=role,
            password=DEMO_PASSWORD,
            display_name=_person(rng),
            email=f"{prefix}-{suffix}@demo.dinghuo.local",
            phone=_phone(rng),
        )
        users[suffix] = m.user
    return users


def _pick_district(city_code: str, rng: random.Random) -> regions.Region:
    kids = [r for r in regions.children(city_code) if r.level == regions.DISTRICT]
    return rng.choice(kids) if kids else regions.require(city_code)


def _cities(province_code: str) -> list[regions.Region]:
    prov = regions.require(province_code)
    cities = [r for r in regions.children(province_code) if r.level == regions.CITY]
    if not cities or all(c.name == prov.name for c in cities):
        # Municipalities: use their districts as "cities" for the network's middle level.
        return [d for c in cities for d in regions.children(c.code)] or cities
    return cities


def _address_text(region: regions.Region, rng: random.Random) -> str:
    return f"{regions.display_name(region.code)}{rng.choice(STREETS)}{rng.randrange(1, 300)}号"


def build_bev(rng: random.Random) -> DemoTenant:
    tenant = tenant_create(code="bev", name="清泉饮料", is_demo=True)
    actor = Actor.system(tenant.pk, "demo")
    with tenant_context(tenant, actor):
        staff = _staff(
            tenant,
            actor,
            "bev",
            rng,
            [
                ("owner", Role.OWNER),
                ("admin", Role.ADMIN),
                ("sales", Role.SALES_REP),
                ("sales2", Role.SALES_REP),
                ("review", Role.REVIEWER),
                ("wh", Role.WAREHOUSE),
                ("finance", Role.FINANCE),
            ],
        )
        gold = dealer_tier_create(actor=actor, code="gold", name="金牌", rank=3)
        silver = dealer_tier_create(actor=actor, code="silver", name="银牌", rank=2)
        normal = dealer_tier_create(actor=actor, code="normal", name="普通", rank=1)
        price_group_create(actor=actor, code="ka", name="连锁商超")
        price_group_create(actor=actor, code="horeca", name="餐饮渠道")
        reps = [staff["sales"], staff["sales2"]]
        dealers: list[Dealer] = []
        for i, (abbr, prov_code, _capital, _district) in enumerate(BEV_PROVINCES):
            prov = regions.require(prov_code)
            rep = reps[i % 2]
            province_agent = _dealer(
                actor,
                rng,
                code=f"{abbr.upper()}01",
                name=f"{prov.name.rstrip('省市')}{rng.choice(TRADE_WORDS)}饮品有限公司",
                tier=gold,
                region=prov,
                authorised=[prov.code],
                rep=rep,
                parent=None,
            )
            dealers.append(province_agent)
            cities = _cities(prov_code)
            for j, city in enumerate(rng.sample(cities, k=min(2, len(cities)))):
                city_agent = _dealer(
                    actor,
                    rng,
                    code=f"{abbr.upper()}{j + 2:02d}",
                    name=f"{city.name.rstrip('市')}{rng.choice(TRADE_WORDS)}商贸有限公司",
                    tier=silver,
                    region=city,
                    authorised=[city.code],
                    rep=rep,
                    parent=province_agent,
                )
                dealers.append(city_agent)
                for k in range(2 if i < 5 else 1):
                    district = _pick_district(city.code, rng)
                    store = _dealer(
                        actor,
                        rng,
                        code=f"{abbr.upper()}{j + 2:02d}{k + 1:02d}",
                        name=f"{district.name}{rng.choice(TRADE_WORDS)}便利店",
                        tier=normal,
                        region=district,
                        authorised=[district.code],
                        rep=rep,
                        parent=city_agent,
                    )
                    dealers.append(store)
        # Independent dealers without a parent, to reach ~50.
        n = 0
        while len(dealers) < 50:
            abbr, prov_code, _capital, _ = BEV_PROVINCES[n % len(BEV_PROVINCES)]
            city = rng.choice(_cities(prov_code))
            n += 1
            dealers.append(
                _dealer(
                    actor,
                    rng,
                    code=f"{abbr.upper()}9{n:02d}",
                    name=f"{city.name.rstrip('市')}{rng.choice(TRADE_WORDS)}批发部",
                    tier=rng.choice([normal, silver]),
                    region=city,
                    authorised=[city.code],
                    rep=reps[n % 2],
                    parent=None,
                )
            )
        by_code = {d.code: d for d in dealers}
        _dealer_users(actor, by_code["GD01"], "bev-gd01", rng, with_all_roles=True)
        _dealer_users(actor, by_code["ZJ01"], "bev-zj01", rng)
        for d in dealers[2:12]:
            if d.code not in {"GD01", "ZJ01"}:
                _dealer_users(actor, d, f"bev-{d.code.lower()}", rng)
    return DemoTenant(tenant, actor, dealers)


def build_parts(rng: random.Random) -> DemoTenant:
    tenant = tenant_create(code="parts", name="精工工业配件", is_demo=True)
    actor = Actor.system(tenant.pk, "demo")
    with tenant_context(tenant, actor):
        staff = _staff(
            tenant,
            actor,
            "parts",
            rng,
            [
                ("owner", Role.OWNER),
                ("admin", Role.ADMIN),
                ("sales", Role.SALES_REP),
                ("review", Role.REVIEWER),
                ("wh", Role.WAREHOUSE),
                ("finance", Role.FINANCE),
            ],
        )
        a = dealer_tier_create(actor=actor, code="a", name="A类经销商", rank=2)
        b = dealer_tier_create(actor=actor, code="b", name="B类经销商", rank=1)
        dealers = []
        for i, (_province, city_name) in enumerate(
            [
                ("440000", "佛山市"),
                ("440000", "东莞市"),
                ("320000", "苏州市"),
                ("320000", "无锡市"),
                ("330000", "宁波市"),
                ("370000", "青岛市"),
                ("120000", "天津市"),
                ("210000", "沈阳市"),
                ("500000", "重庆市"),
                ("420000", "武汉市"),
                ("430000", "长沙市"),
                ("410000", "郑州市"),
            ]
        ):
            parsed = regions.parse_address(city_name)
            region = parsed.city or parsed.province
            dealers.append(
                _dealer(
                    actor,
                    rng,
                    code=f"P{i + 1:02d}",
                    name=f"{city_name.rstrip('市')}{rng.choice(TRADE_WORDS)}机电设备有限公司",
                    tier=a if i < 4 else b,
                    region=region,
                    authorised=[region.province_code if i < 4 else region.code],
                    rep=staff["sales"],
                    parent=None,
                )
            )
        _dealer_users(actor, dealers[0], "parts-d01", rng)
    return DemoTenant(tenant, actor, dealers)


def _dealer(
    actor: Actor,
    rng: random.Random,
    *,
    code: str,
    name: str,
    tier: DealerTier,
    region: regions.Region,
    authorised: list[str],
    rep: User,
    parent: Dealer | None,
) -> Dealer:
    contact = _person(rng)
    dealer = dealer_create(
        actor=actor,
        code=code,
        name=name,
        tier=tier,
        region_code=region.code,
        authorised_regions=authorised,
        sales_rep=rep,
        parent=parent,
        contact_name=contact,
        contact_phone=_phone(rng),
        short_name=name[:8],
        tax_id=f"91{region.code}{rng.randrange(10**9):09d}X"[:18],
        invoice_title=name,
        bank_name="中国工商银行" + (regions.lineage(region.code)[1] or region).name.rstrip("市") + "分行",
        bank_account=f"6222{rng.randrange(10**15):015d}",
    )
    if region.level == regions.PROVINCE:
        region = rng.choice(_cities(region.code))
    target = region if region.level == regions.DISTRICT else _pick_district(region.code, rng)
    address_create(
        actor=actor,
        dealer=dealer,
        receiver=contact,
        phone=dealer.contact_phone,
        text=_address_text(target, rng),
        label="仓库",
    )
    return dealer


def _dealer_users(actor: Actor, dealer: Dealer, prefix: str, rng: random.Random, with_all_roles: bool = False) -> None:
    dealer_user_create(
        actor=actor,
        dealer=dealer,
        username=prefix,
        role=Role.DEALER_ADMIN,
        password=DEMO_PASSWORD,
        display_name=_person(rng),
        phone=_phone(rng),
    )
    if with_all_roles:
        dealer_user_create(
            actor=actor,
            dealer=dealer,
            username=f"{prefix}-buyer",
            role=Role.BUYER,
            password=DEMO_PASSWORD,
            display_name=_person(rng),
            phone=_phone(rng),
        )
        dealer_user_create(
            actor=actor,
            dealer=dealer,
            username=f"{prefix}-fin",
            role=Role.DEALER_FINANCE,
            password=DEMO_PASSWORD,
            display_name=_person(rng),
            phone=_phone(rng),
        )
