"""精工工业配件's catalog: bearings (with their standard boundary dimensions), fasteners and seals.

Dimensions are the ISO 15 / ISO 355 boundary dimensions of the bearing series (d × D × B in mm;
for tapered roller bearings the total width T) and the GB/T dimensions of washers; lengths and
sizes of bolts are the usual stock ranges of a distributor.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from dinghuo.core.money import quantize
from dinghuo.demo.data.specs import ProductSpec, SkuSpec, jitter, round_to
from dinghuo.demo.images import Picture

# (code, name, parent code)
CATEGORIES: list[tuple[str, str, str | None]] = [
    ("bearing", "轴承", None),
    ("deep_groove", "深沟球轴承", "bearing"),
    ("tapered", "圆锥滚子轴承", "bearing"),
    ("self_aligning", "调心球轴承", "bearing"),
    ("fastener", "紧固件", None),
    ("bolt", "螺栓", "fastener"),
    ("nut", "螺母", "fastener"),
    ("washer", "垫圈", "fastener"),
    ("seal", "密封件", None),
    ("oil_seal", "油封", "seal"),
    ("o_ring", "O型圈", "seal"),
]

BRANDS: list[tuple[str, str]] = [
    ("huazhou", "华轴"),
    ("luoshen", "洛申"),
    ("jinggong", "精工"),
    ("donggu", "东固"),
    ("hengfeng", "恒封"),
]

TAGS: list[tuple[str, str, str]] = [
    ("new", "新品", "success"),
    ("hot", "热销", "danger"),
    ("promo", "促销", "warning"),
    ("clearance", "清仓", "secondary"),
]

MATERIALS = ["轴承钢", "不锈钢", "碳钢", "合金钢", "丁腈橡胶", "氟橡胶"]

# (code, name, kind, unit, category code or None, choices, is_spec)
ATTRIBUTES: list[tuple[str, str, str, str, str | None, list[str], bool]] = [
    ("inner_d", "内径", "number", "mm", None, [], False),
    ("outer_d", "外径", "number", "mm", None, [], False),
    ("width", "宽度", "number", "mm", None, [], False),
    ("material", "材质", "choice", "", None, MATERIALS, False),
    ("seal_type", "密封形式", "choice", "", "bearing", ["开式", "2RS", "ZZ"], False),
    ("clearance", "游隙", "choice", "", "bearing", ["CN", "C3"], True),
    ("precision", "精度等级", "choice", "", "bearing", ["P0", "P6", "P5"], False),
    ("bore", "内孔", "choice", "", "self_aligning", ["圆柱孔", "圆锥孔"], False),
    ("thread", "螺纹规格", "text", "", "fastener", [], False),
    ("diameter", "直径", "number", "mm", "fastener", [], False),
    ("length", "长度", "number", "mm", "bolt", [], True),
    ("grade", "强度等级", "choice", "", "fastener", ["4.8", "8.8", "10.9", "8", "10", "A2-70"], False),
    ("finish", "表面处理", "choice", "", "fastener", ["镀锌", "发黑", "本色", "达克罗"], False),
    ("standard", "执行标准", "text", "", "fastener", [], False),
    ("thickness", "厚度", "number", "mm", "washer", [], False),
    ("cross_section", "线径", "number", "mm", "o_ring", [], False),
]

# Deep-groove ball bearings: (basic designation, d, D, B)
DEEP_GROOVE: list[tuple[str, int, int, int]] = [
    ("6000", 10, 26, 8),
    ("6001", 12, 28, 8),
    ("6002", 15, 32, 9),
    ("6003", 17, 35, 10),
    ("6004", 20, 42, 12),
    ("6005", 25, 47, 12),
    ("6006", 30, 55, 13),
    ("6007", 35, 62, 14),
    ("6008", 40, 68, 15),
    ("6009", 45, 75, 16),
    ("6010", 50, 80, 16),
    ("6200", 10, 30, 9),
    ("6201", 12, 32, 10),
    ("6202", 15, 35, 11),
    ("6203", 17, 40, 12),
    ("6204", 20, 47, 14),
    ("6205", 25, 52, 15),
    ("6206", 30, 62, 16),
    ("6207", 35, 72, 17),
    ("6208", 40, 80, 18),
    ("6209", 45, 85, 19),
    ("6210", 50, 90, 20),
    ("6300", 10, 35, 11),
    ("6301", 12, 37, 12),
    ("6302", 15, 42, 13),
    ("6303", 17, 47, 14),
    ("6304", 20, 52, 15),
    ("6305", 25, 62, 17),
    ("6306", 30, 72, 19),
    ("6307", 35, 80, 21),
    ("6308", 40, 90, 23),
]
# Sizes also stocked in stainless steel (prefix S, 9Cr18), sealed or shielded.
STAINLESS = ["6000", "6001", "6002", "6003", "6004", "6005", "6200", "6201", "6202", "6203", "6204", "6205", "6206"]
STAINLESS += ["6300", "6301", "6302", "6010", "6210"]

# Tapered roller bearings: (designation, d, D, T)
TAPERED: list[tuple[str, int, int, str]] = [
    ("30203", 17, 40, "13.25"),
    ("30204", 20, 47, "15.25"),
    ("30205", 25, 52, "16.25"),
    ("30206", 30, 62, "17.25"),
    ("30207", 35, 72, "18.25"),
    ("30208", 40, 80, "19.75"),
    ("30209", 45, 85, "20.75"),
    ("30210", 50, 90, "21.75"),
]

# Self-aligning ball bearings: (designation, d, D, B); a "K" suffix means a tapered bore.
SELF_ALIGNING: list[tuple[str, int, int, int]] = [
    ("1200", 10, 30, 9),
    ("1201", 12, 32, 10),
    ("1202", 15, 35, 11),
    ("1203", 17, 40, 12),
    ("1204", 20, 47, 14),
    ("1205", 25, 52, 15),
    ("1206", 30, 62, 16),
    ("1207", 35, 72, 17),
    ("1208", 40, 80, 18),
    ("1209", 45, 85, 19),
    ("1210", 50, 90, 20),
    ("2204", 20, 47, 18),
    ("2205", 25, 52, 18),
    ("2206", 30, 62, 20),
    ("2207", 35, 72, 23),
    ("2208", 40, 80, 23),
]
TAPERED_BORE = ["1205", "1206", "1207", "1208"]

# Hex bolts: thread → stocked lengths (mm)
BOLT_LENGTHS: dict[int, list[int]] = {
    6: [12, 16, 20, 25, 30, 35, 40, 50],
    8: [16, 20, 25, 30, 35, 40, 50, 60],
    10: [20, 25, 30, 35, 40, 50, 60, 80],
    12: [25, 30, 35, 40, 50, 60, 80, 100],
    14: [30, 40, 50, 60, 80, 100],
    16: [40, 50, 60, 80, 100, 120],
}
# (grade, finish, material, brand, price factor, colour)
BOLT_GRADES: list[tuple[str, str, str, str, str, tuple[int, int, int]]] = [
    ("4.8", "镀锌", "碳钢", "donggu", "1.00", (175, 180, 188)),
    ("8.8", "发黑", "碳钢", "donggu", "1.45", (70, 72, 78)),
    ("10.9", "发黑", "合金钢", "donggu", "2.10", (55, 57, 62)),
    ("A2-70", "本色", "不锈钢", "jinggong", "3.20", (200, 204, 210)),
]
BOLT_STANDARD = "GB/T 5783 六角头螺栓 全螺纹"

# Nuts, a SKU per thread: (code, name, grade, finish, material, brand, standard, price factor, colour)
NUTS: list[tuple[str, str, str, str, str, str, str, str, tuple[int, int, int]]] = [
    ("HN-8ZN", "六角螺母 8级 镀锌", "8", "镀锌", "碳钢", "donggu", "GB/T 6170", "1.00", (175, 180, 188)),
    ("HN-10BK", "六角螺母 10级 发黑", "10", "发黑", "合金钢", "donggu", "GB/T 6170", "1.60", (70, 72, 78)),
    ("HN-A2", "不锈钢304 六角螺母", "A2-70", "本色", "不锈钢", "jinggong", "GB/T 6170", "3.00", (200, 204, 210)),
    ("NL-8ZN", "尼龙锁紧螺母 镀锌", "8", "镀锌", "碳钢", "donggu", "GB/T 889.1", "1.80", (175, 180, 188)),
]
NUT_THREADS = [6, 8, 10, 12, 14, 16]
# Flat washers GB/T 97.1: thread → (d1, d2, h); spring washers GB/T 93: thread → (d, s)
FLAT_WASHERS: dict[int, tuple[str, str, str]] = {
    6: ("6.4", "12", "1.6"),
    8: ("8.4", "16", "1.6"),
    10: ("10.5", "20", "2"),
    12: ("13", "24", "2.5"),
    14: ("15", "28", "2.5"),
    16: ("17", "30", "3"),
}
SPRING_WASHERS: dict[int, tuple[str, str]] = {
    6: ("6.1", "1.6"),
    8: ("8.1", "2.1"),
    10: ("10.2", "2.6"),
    12: ("12.2", "3.1"),
    14: ("14.2", "3.6"),
    16: ("16.2", "4.1"),
}
# Rotary shaft oil seals, type TC (double lip, rubber covered), NBR: (d, D, B)
OIL_SEALS: list[tuple[int, int, int]] = [
    (20, 35, 7),
    (20, 47, 7),
    (25, 40, 7),
    (25, 52, 7),
    (30, 47, 7),
    (30, 62, 7),
    (35, 52, 7),
    (35, 72, 8),
    (40, 62, 8),
    (40, 80, 8),
    (45, 62, 8),
    (50, 72, 8),
]
# O-rings GB/T 3452.1: (inner diameter d1, cross-section d2)
O_RINGS: list[tuple[str, str]] = [
    ("10", "1.8"),
    ("15", "1.8"),
    ("20", "2.65"),
    ("25", "2.65"),
    ("30", "3.55"),
    ("40", "3.55"),
    ("50", "3.55"),
]


# ---------------------------------------------------------------------------------------------
# Specs


def _bearing_mass(d: int, outer: int, width: Decimal) -> Decimal:
    """Approximate mass (kg) of a ball bearing from its boundary dimensions."""
    return max(Decimal("0.005"), Decimal("0.0000041") * (outer * outer - d * d) * width).quantize(Decimal("0.001"))


def _bearing_packs(outer: int) -> tuple[list[tuple[str, int, bool]], int]:
    """Pack units and order multiple of a bearing of outer diameter ``outer``."""
    if outer <= 47:
        return [("盒", 10, True), ("箱", 100, False)], 10 if outer <= 35 else 1
    if outer <= 62:
        return [("盒", 10, True), ("箱", 50, False)], 1
    return [("箱", 20, False)], 1


_SEAL_LABEL = {"": "开式", "-ZZ": "ZZ", "-2RS": "2RS"}
_SEAL_TEXT = {"": "开式（无密封）", "-ZZ": "双面金属防尘盖（ZZ）", "-2RS": "双面橡胶密封（2RS）"}
_SEAL_COLOR = {"": (0, 0, 0), "-ZZ": (150, 155, 165), "-2RS": (205, 90, 30)}


def _deep_groove_specs(rng: random.Random) -> list[ProductSpec]:
    specs = []
    for code, d, outer, width in DEEP_GROOVE:
        mass = _bearing_mass(d, outer, Decimal(width))
        packs, multiple = _bearing_packs(outer)
        base = Decimal("2.50") + mass * 60
        for variant in ("", "-ZZ", "-2RS"):
            model = f"{code}{variant}"
            if variant == "-ZZ":
                price = (base + Decimal("0.60")) * Decimal("1.05")
            elif variant == "-2RS":
                price = (base + Decimal("0.80")) * Decimal("1.10")
            else:
                price = base
            price = round_to(price * jitter(rng), "0.10")
            skus = [
                SkuSpec(
                    code=model,
                    name="标准游隙 CN",
                    base_unit="件",
                    list_price=price,
                    packs=packs,
                    spec={"游隙": "CN"},
                    values={"clearance": "CN"},
                    moq=multiple,
                    multiple=multiple,
                    weight_kg=mass,
                )
            ]
            if variant and code[:2] in {"62", "63"}:  # motor bearings: a C3 clearance version
                skus.append(
                    SkuSpec(
                        code=f"{model}/C3",
                        name="大游隙 C3",
                        base_unit="件",
                        list_price=round_to(price * Decimal("1.08"), "0.10"),
                        packs=packs,
                        spec={"游隙": "C3"},
                        values={"clearance": "C3"},
                        moq=multiple,
                        multiple=multiple,
                        weight_kg=mass,
                    )
                )
            specs.append(
                ProductSpec(
                    code=model,
                    name=f"深沟球轴承 {model}",
                    category="deep_groove",
                    brand="huazhou",
                    picture=Picture("bearing_open" if not variant else "bearing", model, "", _SEAL_COLOR[variant]),
                    skus=skus,
                    subtitle=f"{d}×{outer}×{width}mm · {_SEAL_LABEL[variant]}",
                    description=(
                        f"内径{d}mm × 外径{outer}mm × 宽度{width}mm，{_SEAL_TEXT[variant]}，轴承钢GCr15，P0级精度。"
                        "适用于电机、水泵、减速机、农机等。"
                    ),
                    shelf_life_days=None,
                    tags=(["hot"] if code in {"6204", "6205", "6206", "6305"} and variant == "-2RS" else [])
                    + (["promo"] if model == "6205-2RS" else []),
                    values={
                        "inner_d": d,
                        "outer_d": outer,
                        "width": width,
                        "material": "轴承钢",
                        "seal_type": _SEAL_LABEL[variant],
                        "precision": "P0",
                    },
                )
            )
    dims = {code: (d, outer, width) for code, d, outer, width in DEEP_GROOVE}
    for code in STAINLESS:
        d, outer, width = dims[code]
        mass = _bearing_mass(d, outer, Decimal(width))
        packs, multiple = _bearing_packs(outer)
        for variant in ("-2RS", "-ZZ"):
            model = f"S{code}{variant}"
            price = round_to(((Decimal("2.50") + mass * 60) * Decimal("2.8") + 2) * jitter(rng), "0.10")
            specs.append(
                ProductSpec(
                    code=model,
                    name=f"不锈钢深沟球轴承 {model}",
                    category="deep_groove",
                    brand="jinggong",
                    picture=Picture("bearing", model, "", _SEAL_COLOR[variant]),
                    skus=[
                        SkuSpec(
                            code=model,
                            name="标准游隙 CN",
                            base_unit="件",
                            list_price=price,
                            packs=packs,
                            spec={"游隙": "CN"},
                            values={"clearance": "CN"},
                            moq=multiple,
                            multiple=multiple,
                            weight_kg=mass,
                        )
                    ],
                    subtitle=f"{d}×{outer}×{width}mm · 不锈钢 · {_SEAL_LABEL[variant]}",
                    description=(
                        f"内径{d}mm × 外径{outer}mm × 宽度{width}mm，{_SEAL_TEXT[variant]}，不锈钢9Cr18，耐腐蚀。"
                        "适用于食品机械、医疗器械、潮湿环境。"
                    ),
                    tags=["new"] if code in {"6010", "6210"} else [],
                    values={
                        "inner_d": d,
                        "outer_d": outer,
                        "width": width,
                        "material": "不锈钢",
                        "seal_type": _SEAL_LABEL[variant],
                        "precision": "P0",
                    },
                )
            )
    return specs


def _other_bearing_specs(rng: random.Random) -> list[ProductSpec]:
    specs = []
    for code, d, outer, t in TAPERED:
        width = Decimal(t)
        mass = _bearing_mass(d, outer, width) * Decimal("1.15")
        packs, _multiple = _bearing_packs(outer)
        price = round_to((Decimal("2.50") + mass * 60) * Decimal("1.35") * jitter(rng), "0.10")
        specs.append(
            ProductSpec(
                code=code,
                name=f"圆锥滚子轴承 {code}",
                category="tapered",
                brand="luoshen",
                picture=Picture("tapered", code, "", (0, 0, 0)),
                skus=[
                    SkuSpec(
                        code=f"{code}{suffix}",
                        name=f"{grade}级精度",
                        base_unit="件",
                        list_price=p,
                        packs=packs,
                        spec={"精度等级": grade},
                        values={"precision": grade},
                        weight_kg=mass.quantize(Decimal("0.001")),
                    )
                    for suffix, grade, p in (
                        ("", "P0", price),
                        ("/P6", "P6", round_to(price * Decimal("1.25"), "0.10")),
                    )
                ],
                subtitle=f"{d}×{outer}×{width.normalize():f}mm",
                description=f"内径{d}mm × 外径{outer}mm × 总宽{t}mm，可承受径向与单向轴向联合载荷。适用于轮毂、变速箱。",
                values={"inner_d": d, "outer_d": outer, "width": width, "material": "轴承钢"},
            )
        )
    for code, d, outer, width in SELF_ALIGNING:
        mass = _bearing_mass(d, outer, Decimal(width))
        packs, multiple = _bearing_packs(outer)
        price = round_to((Decimal("2.50") + mass * 60) * Decimal("1.50") * jitter(rng), "0.10")
        for model, bore in [(code, "圆柱孔")] + ([(f"{code}K", "圆锥孔")] if code in TAPERED_BORE else []):
            specs.append(
                ProductSpec(
                    code=model,
                    name=f"调心球轴承 {model}",
                    category="self_aligning",
                    brand="huazhou",
                    picture=Picture("bearing_open", model, "", (0, 0, 0)),
                    skus=[
                        SkuSpec(
                            code=model,
                            name="标准型",
                            base_unit="件",
                            list_price=price if bore == "圆柱孔" else round_to(price * Decimal("1.1"), "0.10"),
                            packs=packs,
                            moq=multiple,
                            multiple=multiple,
                            weight_kg=mass,
                        )
                    ],
                    subtitle=f"{d}×{outer}×{width}mm · {bore}",
                    description=f"内径{d}mm × 外径{outer}mm × 宽度{width}mm，双列钢球，{bore}，可自动调心。",
                    values={"inner_d": d, "outer_d": outer, "width": width, "material": "轴承钢", "bore": bore},
                    # the smallest sizes are being cleared out
                    tags=["clearance"] if code in {"1200", "1201"} else [],
                )
            )
    return specs


def _fastener_packs(dia: int, per_box_small: int) -> tuple[list[tuple[str, int, bool]], int]:
    box = per_box_small if dia <= 10 else per_box_small // 2
    return [("盒", box, True), ("箱", box * 10, False)], box


def _fastener_specs(rng: random.Random) -> list[ProductSpec]:
    specs = []
    steel = Decimal("0.00000785")  # kg per mm³
    for grade, finish, material, brand, factor, color in BOLT_GRADES:
        grade_code = grade.replace(".", "").replace("-", "")
        for dia, lengths in BOLT_LENGTHS.items():
            code = f"HB{grade_code}-M{dia}"
            packs, box = _fastener_packs(dia, 100)
            skus = []
            for length in lengths:
                mass = steel * (Decimal("0.785") * dia * dia * length + Decimal("0.7") * dia**3)
                price = quantize(max(Decimal("0.05"), (Decimal("0.03") + mass * 12) * Decimal(factor) * jitter(rng)))
                skus.append(
                    SkuSpec(
                        code=f"{code}X{length}",
                        name=f"M{dia}×{length}",
                        base_unit="件",
                        list_price=price,
                        packs=packs,
                        spec={"规格": f"M{dia}×{length}"},
                        values={"length": length},
                        moq=box,
                        multiple=box,
                        weight_kg=mass.quantize(Decimal("0.001")),
                    )
                )
            stainless = material == "不锈钢"
            name = f"不锈钢304外六角螺栓 M{dia}" if stainless else f"外六角螺栓 M{dia} {grade}级 {finish}"
            specs.append(
                ProductSpec(
                    code=code,
                    name=name,
                    category="bolt",
                    brand=brand,
                    picture=Picture("bolt", f"M{dia}", f"{grade}级 {finish}", color),
                    skus=skus,
                    subtitle=f"{BOLT_STANDARD} · {grade}级",
                    description=f"{BOLT_STANDARD}，螺纹M{dia}，性能等级{grade}，{material}{finish}。按盒销售。",
                    tags=["hot"] if dia in {8, 10} and grade == "8.8" else [],
                    values={
                        "thread": f"M{dia}",
                        "diameter": dia,
                        "grade": grade,
                        "finish": finish,
                        "material": material,
                        "standard": BOLT_STANDARD,
                    },
                )
            )
    for code, name, grade, finish, material, brand, standard, factor, color in NUTS:
        skus = []
        for dia in NUT_THREADS:
            packs, box = _fastener_packs(dia, 200)
            mass = Decimal("0.00001") * dia**3
            price = quantize(max(Decimal("0.03"), (Decimal("0.02") + mass * 14) * Decimal(factor) * jitter(rng)))
            skus.append(
                SkuSpec(
                    code=f"{code}-M{dia}",
                    name=f"M{dia}",
                    base_unit="件",
                    list_price=price,
                    packs=packs,
                    spec={"规格": f"M{dia}"},
                    values={"thread": f"M{dia}", "diameter": dia},
                    moq=box,
                    multiple=box,
                    weight_kg=mass.quantize(Decimal("0.001")),
                )
            )
        specs.append(
            ProductSpec(
                code=code,
                name=name,
                category="nut",
                brand=brand,
                picture=Picture("nut", name.split(" ")[0], "", color),
                skus=skus,
                subtitle=f"{standard} · M6–M16",
                description=f"{standard} {name}，{material}{finish}，M6–M16 全规格。按盒销售。",
                values={"grade": grade, "finish": finish, "material": material, "standard": standard},
            )
        )
    washers = [
        ("FW-ZN", "平垫圈 镀锌", "donggu", "碳钢", "镀锌", "GB/T 97.1", "1.00", (175, 180, 188)),
        ("FW-A2", "不锈钢304 平垫圈", "jinggong", "不锈钢", "本色", "GB/T 97.1", "3.00", (200, 204, 210)),
        ("SW-ZN", "弹簧垫圈 镀锌", "donggu", "合金钢", "镀锌", "GB/T 93", "1.40", (175, 180, 188)),
    ]
    for code, name, brand, material, finish, standard, factor, color in washers:
        skus = []
        for dia in NUT_THREADS:
            packs, box = _fastener_packs(dia, 200)
            if code.startswith("FW"):
                d1, d2, h = FLAT_WASHERS[dia]
                values: dict[str, Any] = {"thread": f"M{dia}", "inner_d": d1, "outer_d": d2, "thickness": h}
            else:
                d1, h = SPRING_WASHERS[dia]
                values = {"thread": f"M{dia}", "inner_d": d1, "thickness": h}
            price = quantize(max(Decimal("0.02"), (Decimal("0.01") + Decimal("0.004") * dia) * Decimal(factor)))
            skus.append(
                SkuSpec(
                    code=f"{code}-M{dia}",
                    name=f"M{dia}",
                    base_unit="件",
                    list_price=price,
                    packs=packs,
                    spec={"规格": f"M{dia}"},
                    values=values,
                    moq=box,
                    multiple=box,
                )
            )
        specs.append(
            ProductSpec(
                code=code,
                name=name,
                category="washer",
                brand=brand,
                picture=Picture("washer", name.split(" ")[0], "", color),
                skus=skus,
                subtitle=f"{standard} · M6–M16",
                description=f"{standard} {name}，{material}{finish}。按盒销售。",
                values={"material": material, "finish": finish, "standard": standard},
            )
        )
    return specs


def _seal_specs(rng: random.Random) -> list[ProductSpec]:
    specs = []
    for d, outer, width in OIL_SEALS:
        code = f"TC{d}X{outer}X{width}"
        price = round_to((Decimal("1.20") + Decimal("0.03") * outer) * jitter(rng), "0.10")
        specs.append(
            ProductSpec(
                code=code,
                name=f"骨架油封 TC {d}×{outer}×{width}",
                category="oil_seal",
                brand="hengfeng",
                picture=Picture("seal", f"TC {d}×{outer}×{width}", "", (40, 40, 40)),
                skus=[
                    SkuSpec(
                        code=f"{code}-{rubber}",
                        name=label,
                        base_unit="件",
                        list_price=p,
                        packs=[("盒", 10, False), ("箱", 200, False)],
                        spec={"材质": label},
                        values={"material": material},
                    )
                    for rubber, label, material, p in (
                        ("NBR", "丁腈橡胶 NBR", "丁腈橡胶", price),
                        ("FKM", "氟橡胶 FKM", "氟橡胶", round_to(price * 3, "0.10")),
                    )
                ],
                subtitle=f"{d}×{outer}×{width}mm · 双唇带弹簧",
                description=f"TC型骨架油封，内径{d}mm × 外径{outer}mm × 厚度{width}mm，双唇口，外包橡胶。",
                values={"inner_d": d, "outer_d": outer, "width": width},
            )
        )
    for code, label, material, factor, color in (
        ("OR-NBR", "O型圈 丁腈橡胶 NBR70", "丁腈橡胶", "1.00", (30, 30, 30)),
        ("OR-FKM", "O型圈 氟橡胶 FKM75", "氟橡胶", "3.50", (120, 60, 40)),
    ):
        skus = [
            SkuSpec(
                code=f"{code}-{d1}X{d2}",
                name=f"{d1}×{d2}",
                base_unit="件",
                list_price=round_to((Decimal("0.10") + Decimal("0.01") * Decimal(d1)) * Decimal(factor), "0.05"),
                packs=[("袋", 50, True), ("箱", 1000, False)],
                spec={"规格": f"{d1}×{d2}"},
                values={"inner_d": d1, "cross_section": d2},
                moq=50,
                multiple=50,
            )
            for d1, d2 in O_RINGS
        ]
        specs.append(
            ProductSpec(
                code=code,
                name=label,
                category="o_ring",
                brand="hengfeng",
                picture=Picture("seal", "O型圈", "", color),
                skus=skus,
                subtitle="GB/T 3452.1 · 按袋销售",
                description=f"GB/T 3452.1 {label}，内径×线径（mm），每袋50件。",
                values={"material": material},
            )
        )
    return specs


def related(specs: list[ProductSpec]) -> list[tuple[str, str, str]]:
    codes = {s.code for s in specs}
    pairs = []
    seals = {(d, outer): f"TC{d}X{outer}X{w}" for d, outer, w in OIL_SEALS}
    for code, d, outer, _w in DEEP_GROOVE:
        pairs += [(f"{code}-2RS", f"{code}-ZZ", "substitute"), (f"{code}-ZZ", f"{code}-2RS", "substitute")]
        pairs += [(code, f"{code}-ZZ", "substitute")]
        for variant in ("-2RS", "-ZZ"):
            if f"S{code}{variant}" in codes:
                pairs += [(f"{code}{variant}", f"S{code}{variant}", "substitute")]
                pairs += [(f"S{code}{variant}", f"{code}{variant}", "substitute")]
        if (d, outer) in seals:
            pairs += [(f"{code}{v}", seals[(d, outer)], "complement") for v in ("", "-ZZ", "-2RS")]
    for code, d, outer, _t in TAPERED:
        if (d, outer) in seals:
            pairs.append((code, seals[(d, outer)], "complement"))
    nut_for = {"4.8": "HN-8ZN", "8.8": "HN-8ZN", "10.9": "HN-10BK", "A2-70": "HN-A2"}
    washer_for = {"4.8": "FW-ZN", "8.8": "FW-ZN", "10.9": "FW-ZN", "A2-70": "FW-A2"}
    for grade, *_rest in BOLT_GRADES:
        grade_code = grade.replace(".", "").replace("-", "")
        for dia in BOLT_LENGTHS:
            bolt = f"HB{grade_code}-M{dia}"
            pairs += [(bolt, nut_for[grade], "accessory"), (bolt, washer_for[grade], "accessory")]
            if grade != "A2-70":
                pairs.append((bolt, "SW-ZN", "accessory"))
    pairs += [("NL-8ZN", "HN-8ZN", "substitute"), ("HN-8ZN", "NL-8ZN", "substitute")]
    return [p for p in pairs if p[0] in codes and p[1] in codes]


def product_specs(rng: random.Random) -> list[ProductSpec]:
    return _deep_groove_specs(rng) + _other_bearing_specs(rng) + _fastener_specs(rng) + _seal_specs(rng)
