"""清泉饮料's catalog: categories, brands, attributes, package sizes and products.

A package size key reads "<size><package><per case>": "330C24" is a 330 ml can sold in cases of
24, "250T24" a 250 ml carton (利乐盒) in cases of 24, "5000J4" a 5 L jug in cases of 4, "70G24" a
70 g bag in cases of 24. Prices are the tax-inclusive list price per base unit (瓶/罐/盒/桶/袋).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dinghuo.demo.data.specs import HUNDRED, ProductSpec, SkuSpec, jitter, round_to
from dinghuo.demo.images import Picture

# (code, name, parent code)
CATEGORIES: list[tuple[str, str, str | None]] = [
    ("drinks", "饮料", None),
    ("soda", "碳酸饮料", "drinks"),
    ("juice", "果汁", "drinks"),
    ("tea", "茶饮料", "drinks"),
    ("water", "包装水", "drinks"),
    ("energy", "功能饮料", "drinks"),
    ("dairy", "乳饮料", "drinks"),
    ("plant", "植物蛋白饮料", "drinks"),
    ("snacks", "休闲零食", None),
    ("biscuit", "饼干", "snacks"),
    ("chips", "薯片膨化", "snacks"),
    ("nuts", "坚果炒货", "snacks"),
]

# (code, name)
BRANDS: list[tuple[str, str]] = [
    ("qingquan", "清泉"),
    ("shangu", "山谷"),
    ("guoyuan", "果园"),
    ("chayu", "茶语"),
    ("huoli", "活力源"),
    ("muchang", "牧场"),
    ("cuixiang", "脆香"),
]

# (code, name, colour)
TAGS: list[tuple[str, str, str]] = [
    ("new", "新品", "success"),
    ("hot", "爆款", "danger"),
    ("promo", "促销", "warning"),
    ("near_expiry", "临期", "secondary"),
]

# (code, name, kind, unit, category code or None, choices, is_spec)
ATTRIBUTES: list[tuple[str, str, str, str, str | None, list[str], bool]] = [
    ("volume", "容量", "number", "ml", "drinks", [], True),
    ("package", "包装", "choice", "", "drinks", ["瓶", "罐", "盒", "桶"], True),
    ("sugar_free", "无糖", "boolean", "", "drinks", [], False),
    (
        "soda_flavor",
        "口味",
        "choice",
        "",
        "soda",
        [
            "可乐",
            "柠檬",
            "橙",
            "葡萄",
            "苹果",
            "盐柠檬",
            "姜汁",
            "白桃",
            "青柠",
            "荔枝",
            "乌梅",
            "沙示",
            "蓝莓",
            "菠萝",
        ],
        False,
    ),
    (
        "juice_flavor",
        "口味",
        "choice",
        "",
        "juice",
        [
            "橙",
            "苹果",
            "葡萄",
            "芒果",
            "桃",
            "山楂",
            "番石榴",
            "西柚",
            "猕猴桃",
            "混合果蔬",
            "酸梅",
            "椰子",
            "杨梅",
            "石榴",
            "番茄",
        ],
        False,
    ),
    ("juice_content", "果汁含量", "number", "%", "juice", [], False),
    (
        "tea_flavor",
        "茶类",
        "choice",
        "",
        "tea",
        ["红茶", "绿茶", "茉莉花茶", "乌龙茶", "柠檬茶", "大麦茶", "普洱茶", "龙井", "菊花茶", "凉茶", "玄米茶"],
        False,
    ),
    ("water_type", "水源类型", "choice", "", "water", ["天然水", "矿泉水", "纯净水", "苏打水", "弱碱水"], False),
    (
        "energy_flavor",
        "口味",
        "choice",
        "",
        "energy",
        ["原味", "柠檬", "青柠", "西柚", "柑橘", "蓝莓", "橙", "咖啡", "人参", "荔枝"],
        False,
    ),
    ("function", "功能", "choice", "", "energy", ["能量补充", "电解质补充", "维生素补充"], False),
    (
        "dairy_flavor",
        "口味",
        "choice",
        "",
        "dairy",
        ["原味", "草莓", "黄桃", "香芋", "巧克力", "核桃", "蓝莓"],
        False,
    ),
    ("protein", "蛋白质", "number", "g/100ml", "dairy", [], False),
    ("plant_flavor", "口味", "choice", "", "plant", ["椰子", "杏仁", "核桃", "原味", "燕麦", "花生"], False),
    ("net_weight", "净含量", "number", "g", "snacks", [], True),
    (
        "snack_flavor",
        "口味",
        "choice",
        "",
        "snacks",
        ["原味", "巧克力", "草莓", "黄瓜", "番茄", "烧烤", "葱香", "五香", "混合", "海苔"],
        False,
    ),
]

# Package letter → (base unit, package attribute value, picture shape)
PACKAGES = {
    "B": ("瓶", "瓶", "bottle"),
    "C": ("罐", "罐", "can"),
    "T": ("盒", "盒", "box"),
    "J": ("桶", "桶", "jug"),
    "G": ("袋", "", "bag"),
}

# Category → package size (without the case count) → list price per base unit, in yuan.
BASE_PRICES: dict[str, dict[str, str]] = {
    "soda": {"200C": "1.60", "330C": "2.30", "500B": "2.80", "600B": "3.10", "1250B": "5.20", "2000B": "7.20"},
    "juice": {"250T": "2.60", "300B": "3.80", "450B": "4.20", "1000T": "7.80", "1500B": "7.50", "330B": "4.50"},
    "tea": {"250T": "2.00", "310C": "2.60", "500B": "2.90", "1000B": "4.80", "1500B": "6.20"},
    "water": {
        "380B": "1.10",
        "550B": "1.40",
        "1500B": "2.80",
        "5000J": "7.50",
        "350B": "2.40",
        "1000B": "3.60",
        "400B": "6.50",
    },
    "energy": {"250C": "4.50", "500B": "4.00", "600B": "4.20", "1000B": "6.50"},
    "dairy": {"250T": "3.10", "200T": "2.70", "100B": "1.20", "330B": "4.50", "1000T": "9.80"},
    "plant": {"245C": "3.20", "1000T": "9.50", "250T": "2.60"},
    "biscuit": {"100G": "3.50", "400G": "11.80"},
    "chips": {"70G": "4.20", "135G": "7.50"},
    "nuts": {"150G": "12.00", "175G": "18.00", "260G": "19.00"},
}


@dataclass(frozen=True)
class Drink:
    category: str
    brand: str
    name: str  # without the brand: "无糖可乐"
    flavor: str
    sizes: tuple[str, ...]
    color: tuple[int, int, int]
    sugar_free: bool = False
    premium: int = 0  # percent above the category's base price
    shelf_life: int = 365
    tags: tuple[str, ...] = ()
    status: str = "on_sale"
    regions: tuple[str, ...] = ()
    region_label: str = ""
    vat: str = "0.13"
    extra: dict = field(default_factory=dict)  # further attribute values: {"juice_content": "100"}
    subtitle: str = ""


def _d(category: str, brand: str, name: str, flavor: str, sizes: str, color, **kw) -> Drink:
    return Drink(category, brand, name, flavor, tuple(sizes.split()), color, **kw)


RED, BLACK, GREEN, ORANGE, PURPLE = (200, 30, 40), (45, 45, 50), (40, 150, 70), (235, 120, 20), (120, 50, 140)
BLUE, SKY, PINK, YELLOW, BROWN = (30, 90, 180), (40, 150, 220), (225, 100, 140), (230, 170, 20), (140, 90, 50)
TEAL, LIME, WINE, CREAM = (20, 140, 140), (120, 180, 40), (150, 30, 60), (200, 170, 120)

PRODUCTS: list[Drink] = [
    # 碳酸饮料
    _d(
        "soda",
        "qingquan",
        "可乐",
        "可乐",
        "200C24 330C24 330C12 500B24 500B12 600B24 1250B12 2000B6",
        RED,
        tags=("hot",),
    ),
    _d(
        "soda",
        "qingquan",
        "无糖可乐",
        "可乐",
        "200C24 330C24 330C12 500B24 500B12 600B24 1250B12 2000B6",
        BLACK,
        sugar_free=True,
        tags=("hot",),
    ),
    _d("soda", "qingquan", "柠檬汽水", "柠檬", "330C24 330C12 500B24 500B12 600B24 1250B12 2000B6", GREEN),
    _d("soda", "qingquan", "橙味汽水", "橙", "330C24 330C12 500B24 500B12 600B24 1250B12 2000B6", ORANGE),
    _d("soda", "qingquan", "葡萄味汽水", "葡萄", "330C24 500B24 600B24 1250B12 2000B6", PURPLE),
    _d("soda", "qingquan", "苹果味汽水", "苹果", "330C24 500B24 600B24 1250B12", LIME),
    _d("soda", "qingquan", "盐汽水", "盐柠檬", "500B24 500B12 600B24", SKY),
    _d("soda", "qingquan", "姜汁汽水", "姜汁", "330C24 330C12 500B24", YELLOW),
    _d(
        "soda",
        "qingquan",
        "白桃味苏打气泡水",
        "白桃",
        "330C24 330C12 500B24 500B12",
        PINK,
        sugar_free=True,
        premium=10,
        tags=("new",),
    ),
    _d(
        "soda", "qingquan", "青柠味苏打气泡水", "青柠", "330C24 330C12 500B24 500B12", LIME, sugar_free=True, premium=10
    ),
    _d(
        "soda",
        "qingquan",
        "荔枝味苏打气泡水（广东限定）",
        "荔枝",
        "330C24 330C12 500B24",
        PINK,
        sugar_free=True,
        premium=10,
        regions=("440000",),
        region_label="广东限定",
    ),
    _d("soda", "qingquan", "乌梅味气泡水", "乌梅", "330C24 500B24 500B12", WINE, sugar_free=True, premium=10),
    _d("soda", "qingquan", "冰柠可乐", "可乐", "330C24 500B24 1250B12", RED, tags=("promo",)),
    _d("soda", "qingquan", "零度橙味汽水", "橙", "330C24 500B24 1250B12", ORANGE, sugar_free=True),
    _d("soda", "qingquan", "沙示汽水", "沙示", "330C24", BROWN, status="discontinued"),
    _d(
        "soda",
        "qingquan",
        "樱花白桃气泡水（待上市）",
        "白桃",
        "500B24",
        PINK,
        sugar_free=True,
        premium=15,
        status="draft",
        tags=("new",),
    ),
    _d("soda", "qingquan", "蓝莓味汽水", "蓝莓", "330C24 500B24 600B24", PURPLE, tags=("new",)),
    _d("soda", "qingquan", "菠萝味汽水", "菠萝", "330C24 500B24 1250B12", YELLOW),
    # 果汁
    _d(
        "juice",
        "guoyuan",
        "100%橙汁",
        "橙",
        "250T24 250T12 300B24 1000T12 1000T6",
        ORANGE,
        premium=25,
        shelf_life=270,
        extra={"juice_content": "100"},
        tags=("hot",),
    ),
    _d(
        "juice",
        "guoyuan",
        "100%苹果汁",
        "苹果",
        "250T24 250T12 300B24 1000T12 1000T6",
        LIME,
        premium=20,
        shelf_life=270,
        extra={"juice_content": "100"},
    ),
    _d(
        "juice",
        "guoyuan",
        "100%葡萄汁",
        "葡萄",
        "250T24 250T12 300B24 1000T12 1000T6",
        PURPLE,
        premium=25,
        shelf_life=270,
        extra={"juice_content": "100"},
    ),
    _d(
        "juice",
        "guoyuan",
        "芒果汁饮料",
        "芒果",
        "250T24 450B15 450B24 1500B6",
        YELLOW,
        shelf_life=240,
        extra={"juice_content": "30"},
    ),
    _d(
        "juice",
        "guoyuan",
        "水蜜桃汁饮料",
        "桃",
        "250T24 450B15 450B24 1500B6",
        PINK,
        shelf_life=240,
        extra={"juice_content": "30"},
    ),
    _d(
        "juice",
        "guoyuan",
        "山楂汁",
        "山楂",
        "250T24 450B15 450B24 1500B6",
        WINE,
        shelf_life=240,
        extra={"juice_content": "20"},
    ),
    _d(
        "juice",
        "guoyuan",
        "番石榴汁",
        "番石榴",
        "250T24 450B15 450B24",
        PINK,
        shelf_life=240,
        extra={"juice_content": "25"},
    ),
    _d(
        "juice", "guoyuan", "西柚汁", "西柚", "450B15 450B24 1500B6", RED, shelf_life=240, extra={"juice_content": "30"}
    ),
    _d(
        "juice",
        "guoyuan",
        "猕猴桃汁",
        "猕猴桃",
        "450B15 450B24 1500B6",
        GREEN,
        shelf_life=240,
        extra={"juice_content": "30"},
    ),
    _d(
        "juice",
        "guoyuan",
        "NFC鲜榨橙汁",
        "橙",
        "300B24 300B12",
        ORANGE,
        premium=60,
        shelf_life=90,
        tags=("new",),
        extra={"juice_content": "100"},
        subtitle="非浓缩还原 · 冷藏保存",
    ),
    _d(
        "juice",
        "guoyuan",
        "混合果蔬汁",
        "混合果蔬",
        "250T24 250T12 1000T12",
        LIME,
        premium=15,
        shelf_life=270,
        extra={"juice_content": "100"},
    ),
    _d(
        "juice",
        "guoyuan",
        "酸梅汤",
        "酸梅",
        "250T24 450B15 450B24 1500B6",
        BROWN,
        shelf_life=300,
        extra={"juice_content": "10"},
    ),
    _d(
        "juice",
        "guoyuan",
        "椰子水",
        "椰子",
        "330B24 330B12 1000T12",
        CREAM,
        premium=20,
        shelf_life=270,
        extra={"juice_content": "100"},
    ),
    _d(
        "juice",
        "guoyuan",
        "杨梅汁（浙江限定）",
        "杨梅",
        "450B15 450B24 1500B6",
        WINE,
        premium=10,
        shelf_life=240,
        regions=("330000",),
        region_label="浙江限定",
        extra={"juice_content": "25"},
    ),
    _d(
        "juice",
        "guoyuan",
        "石榴汁",
        "石榴",
        "450B15 450B24 1500B6",
        WINE,
        premium=15,
        shelf_life=240,
        extra={"juice_content": "30"},
    ),
    _d(
        "juice",
        "guoyuan",
        "100%番茄汁",
        "番茄",
        "250T24 1000T12",
        RED,
        premium=10,
        shelf_life=270,
        extra={"juice_content": "100"},
    ),
    # 茶饮料
    _d("tea", "chayu", "冰红茶", "红茶", "250T24 500B15 500B24 1000B12 1500B6", BROWN, tags=("hot",)),
    _d("tea", "chayu", "绿茶", "绿茶", "250T24 500B15 500B24 1000B12 1500B6", GREEN),
    _d("tea", "chayu", "茉莉花茶", "茉莉花茶", "500B15 500B24 1000B12 1500B6", LIME, sugar_free=True),
    _d("tea", "chayu", "无糖乌龙茶", "乌龙茶", "500B15 500B24 1000B12 1500B6", BROWN, sugar_free=True, premium=5),
    _d("tea", "chayu", "无糖绿茶", "绿茶", "500B15 500B24 1000B12 1500B6", GREEN, sugar_free=True, premium=5),
    _d("tea", "chayu", "柠檬红茶", "柠檬茶", "250T24 500B15 500B24 1000B12", YELLOW),
    _d("tea", "chayu", "蜜桃乌龙茶", "乌龙茶", "500B15 500B24", PINK, tags=("new",)),
    _d("tea", "chayu", "大麦茶", "大麦茶", "500B15 500B24 1000B12", BROWN, sugar_free=True),
    _d("tea", "chayu", "普洱茶", "普洱茶", "500B15 500B24", WINE, sugar_free=True, premium=10),
    _d(
        "tea",
        "chayu",
        "龙井绿茶（华东限定）",
        "龙井",
        "500B15 500B24",
        GREEN,
        sugar_free=True,
        premium=10,
        regions=("330000", "320000", "310000"),
        region_label="华东限定",
    ),
    _d("tea", "chayu", "菊花茶", "菊花茶", "250T24 500B15 500B24", YELLOW),
    _d("tea", "chayu", "凉茶", "凉茶", "250T24 310C24 500B24", RED, tags=("hot",)),
    _d("tea", "chayu", "手打柠檬茶", "柠檬茶", "500B15 500B24", YELLOW, premium=15, tags=("new",)),
    _d("tea", "chayu", "奶香乌龙", "乌龙茶", "500B15", CREAM, status="discontinued"),
    _d("tea", "chayu", "桂花乌龙", "乌龙茶", "500B15 500B24 1000B12", YELLOW, premium=5),
    _d("tea", "chayu", "玄米茶", "玄米茶", "500B15 500B24", CREAM, sugar_free=True),
    # 包装水
    _d(
        "water",
        "shangu",
        "饮用天然水",
        "天然水",
        "380B24 550B24 550B12 1500B12 5000J4",
        SKY,
        shelf_life=540,
        tags=("hot",),
    ),
    _d("water", "shangu", "天然矿泉水", "矿泉水", "380B24 550B24 1500B12 5000J4", BLUE, premium=15, shelf_life=540),
    _d("water", "shangu", "饮用纯净水", "纯净水", "380B24 550B24 1500B12 5000J4", SKY, premium=-5, shelf_life=540),
    _d("water", "shangu", "苏打水 原味", "苏打水", "350B24 350B12", TEAL, shelf_life=360),
    _d("water", "shangu", "苏打水 柠檬味", "苏打水", "350B24 350B12", LIME, shelf_life=360),
    _d("water", "shangu", "弱碱性水", "弱碱水", "550B24 1500B12", TEAL, premium=10, shelf_life=540),
    _d("water", "shangu", "婴儿饮用水", "天然水", "1000B12", PINK, shelf_life=360),
    _d(
        "water",
        "shangu",
        "玻璃瓶矿泉水（餐饮专供）",
        "矿泉水",
        "400B24",
        BLUE,
        shelf_life=540,
        subtitle="餐饮渠道专供 · 玻璃瓶",
    ),
    # 功能饮料
    _d(
        "energy",
        "huoli",
        "能量饮料 牛磺酸强化型",
        "原味",
        "250C24 250C12 500B15",
        YELLOW,
        tags=("hot",),
        extra={"function": "能量补充"},
    ),
    _d(
        "energy",
        "huoli",
        "能量饮料 无糖型",
        "原味",
        "250C24 250C12",
        BLACK,
        sugar_free=True,
        extra={"function": "能量补充"},
    ),
    _d(
        "energy",
        "huoli",
        "电解质水 柠檬味",
        "柠檬",
        "500B15 600B15 1000B12",
        LIME,
        sugar_free=True,
        extra={"function": "电解质补充"},
    ),
    _d(
        "energy",
        "huoli",
        "电解质水 青柠味",
        "青柠",
        "500B15 600B15 1000B12",
        GREEN,
        sugar_free=True,
        extra={"function": "电解质补充"},
    ),
    _d(
        "energy",
        "huoli",
        "电解质水 西柚味",
        "西柚",
        "500B15 600B15 1000B12",
        PINK,
        sugar_free=True,
        extra={"function": "电解质补充"},
    ),
    _d("energy", "huoli", "维生素饮料 柑橘味", "柑橘", "500B15 500B24", ORANGE, extra={"function": "维生素补充"}),
    _d("energy", "huoli", "维生素饮料 蓝莓味", "蓝莓", "500B15 500B24", PURPLE, extra={"function": "维生素补充"}),
    _d("energy", "huoli", "运动饮料 橙味", "橙", "600B15 600B24", ORANGE, extra={"function": "电解质补充"}),
    _d(
        "energy",
        "huoli",
        "咖啡能量饮料",
        "咖啡",
        "250C24",
        BROWN,
        premium=10,
        tags=("new",),
        extra={"function": "能量补充"},
    ),
    _d("energy", "huoli", "人参能量饮料", "人参", "250C24", WINE, premium=15, extra={"function": "能量补充"}),
    _d(
        "energy",
        "huoli",
        "维生素水 柠檬味",
        "柠檬",
        "500B15 500B24",
        LIME,
        sugar_free=True,
        extra={"function": "维生素补充"},
    ),
    _d(
        "energy",
        "huoli",
        "电解质水 荔枝味（待上市）",
        "荔枝",
        "500B15",
        PINK,
        sugar_free=True,
        status="draft",
        tags=("new",),
        extra={"function": "电解质补充"},
    ),
    # 乳饮料（纯牛奶是灭菌乳：增值税 9%）
    _d(
        "dairy",
        "muchang",
        "纯牛奶",
        "原味",
        "250T24 250T12 200T24 1000T12",
        BLUE,
        shelf_life=180,
        vat="0.09",
        extra={"protein": "3.2"},
        tags=("hot",),
    ),
    _d(
        "dairy",
        "muchang",
        "低脂纯牛奶",
        "原味",
        "250T24 250T12 1000T12",
        SKY,
        shelf_life=180,
        vat="0.09",
        extra={"protein": "3.2"},
    ),
    _d(
        "dairy",
        "muchang",
        "高钙牛奶",
        "原味",
        "250T24 250T12",
        TEAL,
        shelf_life=180,
        vat="0.09",
        premium=5,
        extra={"protein": "3.0"},
    ),
    _d(
        "dairy",
        "muchang",
        "有机纯牛奶",
        "原味",
        "250T24 250T12 200T24",
        GREEN,
        shelf_life=180,
        vat="0.09",
        premium=35,
        extra={"protein": "3.6"},
    ),
    _d(
        "dairy",
        "muchang",
        "乳酸菌饮品 原味",
        "原味",
        "100B20 330B24 330B12",
        RED,
        shelf_life=120,
        extra={"protein": "1.0"},
        tags=("near_expiry",),
    ),
    _d(
        "dairy",
        "muchang",
        "乳酸菌饮品 草莓味",
        "草莓",
        "100B20 330B24 330B12",
        PINK,
        shelf_life=120,
        extra={"protein": "1.0"},
        tags=("near_expiry",),
    ),
    _d(
        "dairy",
        "muchang",
        "酸奶饮品 原味",
        "原味",
        "200T24 200T12 330B24",
        CREAM,
        shelf_life=150,
        extra={"protein": "2.3"},
    ),
    _d(
        "dairy",
        "muchang",
        "酸奶饮品 黄桃味",
        "黄桃",
        "200T24 200T12 330B24",
        YELLOW,
        shelf_life=150,
        extra={"protein": "2.3"},
    ),
    _d("dairy", "muchang", "奶茶 原味", "原味", "330B24 330B12", CREAM, shelf_life=270, extra={"protein": "1.0"}),
    _d("dairy", "muchang", "奶茶 香芋味", "香芋", "330B24 330B12", PURPLE, shelf_life=270, extra={"protein": "1.0"}),
    _d("dairy", "muchang", "巧克力牛奶", "巧克力", "250T24 200T24", BROWN, shelf_life=180, extra={"protein": "2.5"}),
    _d("dairy", "muchang", "核桃早餐奶", "核桃", "250T24 250T12", CREAM, shelf_life=180, extra={"protein": "2.3"}),
    _d(
        "dairy",
        "muchang",
        "风味酸奶 蓝莓味",
        "蓝莓",
        "200T24 200T12 330B24",
        PURPLE,
        shelf_life=150,
        extra={"protein": "2.3"},
    ),
    # 植物蛋白饮料
    _d("plant", "guoyuan", "椰汁", "椰子", "245C24 245C12 1000T12", CREAM, shelf_life=540, tags=("hot",)),
    _d("plant", "guoyuan", "杏仁露", "杏仁", "245C24 245C12", CREAM, shelf_life=540),
    _d("plant", "guoyuan", "核桃乳", "核桃", "245C24 245C12 250T24", BROWN, shelf_life=540),
    _d("plant", "guoyuan", "原味豆奶", "原味", "250T24 250T12", YELLOW, shelf_life=270),
    _d("plant", "guoyuan", "燕麦奶", "燕麦", "250T24 1000T12", CREAM, premium=20, shelf_life=270, tags=("new",)),
    _d("plant", "guoyuan", "花生牛奶", "花生", "245C24 250T24 250T12", CREAM, shelf_life=270),
    # 休闲零食
    _d("biscuit", "cuixiang", "苏打饼干", "原味", "100G24 400G12", CREAM, shelf_life=270),
    _d("biscuit", "cuixiang", "夹心饼干 巧克力味", "巧克力", "100G24 400G12", BROWN, shelf_life=270),
    _d("biscuit", "cuixiang", "夹心饼干 草莓味", "草莓", "100G24 400G12", PINK, shelf_life=270),
    _d("biscuit", "cuixiang", "消化饼干", "原味", "400G12", CREAM, shelf_life=270, premium=10),
    _d("biscuit", "cuixiang", "葱香苏打饼干", "葱香", "100G24 400G12", LIME, shelf_life=270),
    _d("biscuit", "cuixiang", "蛋黄酥", "原味", "100G24 400G12", YELLOW, shelf_life=180, premium=20, tags=("new",)),
    _d("chips", "cuixiang", "薯片 原味", "原味", "70G24 135G12", YELLOW, shelf_life=270, tags=("hot",)),
    _d("chips", "cuixiang", "薯片 黄瓜味", "黄瓜", "70G24 135G12", GREEN, shelf_life=270),
    _d("chips", "cuixiang", "薯片 番茄味", "番茄", "70G24 135G12", RED, shelf_life=270),
    _d("chips", "cuixiang", "玉米片 烧烤味", "烧烤", "70G24 135G12", ORANGE, shelf_life=270),
    _d("chips", "cuixiang", "鲜虾条", "原味", "70G24 135G12", PINK, shelf_life=270, premium=-10),
    _d("chips", "cuixiang", "海苔卷", "海苔", "70G24 135G12", GREEN, shelf_life=270),
    _d("nuts", "cuixiang", "每日坚果", "混合", "175G12", BROWN, shelf_life=240, tags=("hot",)),
    _d("nuts", "cuixiang", "盐焗开心果", "原味", "150G12 260G12", LIME, shelf_life=300, premium=20),
    _d("nuts", "cuixiang", "五香瓜子", "五香", "150G12 260G12", BROWN, shelf_life=240, premium=-60),
    _d("nuts", "cuixiang", "蟹黄瓜子仁", "原味", "150G12", ORANGE, shelf_life=240, status="discontinued", premium=-10),
    _d("nuts", "cuixiang", "琥珀核桃仁", "原味", "150G12 260G12", BROWN, shelf_life=240, premium=10),
]

# Pairs of product names (without brand) related in the catalog: (product, related, kind).
RELATED: list[tuple[str, str, str]] = [
    ("可乐", "无糖可乐", "substitute"),
    ("无糖可乐", "可乐", "substitute"),
    ("可乐", "冰柠可乐", "substitute"),
    ("橙味汽水", "零度橙味汽水", "substitute"),
    ("零度橙味汽水", "橙味汽水", "substitute"),
    ("绿茶", "无糖绿茶", "substitute"),
    ("无糖绿茶", "绿茶", "substitute"),
    ("无糖乌龙茶", "茉莉花茶", "substitute"),
    ("饮用天然水", "天然矿泉水", "substitute"),
    ("饮用天然水", "饮用纯净水", "substitute"),
    ("纯牛奶", "低脂纯牛奶", "substitute"),
    ("低脂纯牛奶", "纯牛奶", "substitute"),
    ("沙示汽水", "姜汁汽水", "substitute"),
    ("奶香乌龙", "蜜桃乌龙茶", "substitute"),
    ("可乐", "薯片 原味", "accessory"),
    ("无糖可乐", "薯片 原味", "accessory"),
    ("冰红茶", "鲜虾条", "accessory"),
    ("柠檬汽水", "玉米片 烧烤味", "accessory"),
    ("纯牛奶", "苏打饼干", "complement"),
    ("100%橙汁", "消化饼干", "complement"),
    ("核桃早餐奶", "夹心饼干 巧克力味", "complement"),
    ("椰汁", "每日坚果", "complement"),
    ("薯片 原味", "可乐", "complement"),
    ("每日坚果", "燕麦奶", "complement"),
    ("电解质水 柠檬味", "运动饮料 橙味", "substitute"),
]


# ---------------------------------------------------------------------------------------------
# Specs

_SIZE = re.compile(r"(\d+)([BCTJG])(\d+)")
_FLAVOR_ATTRIBUTE = {
    "soda": "soda_flavor",
    "juice": "juice_flavor",
    "tea": "tea_flavor",
    "water": "water_type",
    "energy": "energy_flavor",
    "dairy": "dairy_flavor",
    "plant": "plant_flavor",
    "biscuit": "snack_flavor",
    "chips": "snack_flavor",
    "nuts": "snack_flavor",
}
_TAGLINES = {
    "soda": "冰镇口感更佳",
    "tea": "冰镇口感更佳",
    "energy": "运动加班好伙伴",
    "water": "优质水源",
    "dairy": "优选奶源",
    "plant": "植物蛋白",
    "biscuit": "下午茶好搭档",
    "chips": "追剧必备",
    "nuts": "独立小包装",
}
_STORAGE = {
    "dairy": "常温避光保存，开启后请冷藏并尽快饮用。",
    "juice": "常温避光保存，开启后请冷藏并于24小时内饮用。",
    "snacks": "请置于阴凉干燥处，开袋后请尽快食用。",
}


def _flavor_phrase(drink: Drink) -> str:
    if drink.category == "water":
        return f"水源类型：{drink.flavor}"
    if drink.category == "tea":
        return f"茶类：{drink.flavor}"
    return drink.flavor if drink.flavor.endswith("味") else f"{drink.flavor}口味"


def _size_label(amount: int, letter: str) -> str:
    if letter == "G":
        return f"{amount}g"
    if amount >= 1000:
        litres = Decimal(amount) / 1000
        return f"{litres.normalize():f}L"
    return f"{amount}ml"


def _sku(drink: Drink, code: str, key: str, rng: random.Random) -> SkuSpec:
    amount_s, letter, case_s = _SIZE.fullmatch(key).groups()
    amount, case = int(amount_s), int(case_s)
    base_unit, package, _shape = PACKAGES[letter]
    size = _size_label(amount, letter)
    price = Decimal(BASE_PRICES[drink.category][f"{amount}{letter}"]) * (HUNDRED + drink.premium) / HUNDRED
    # The same size in a smaller case costs a little more per unit.
    if any(k.startswith(f"{amount}{letter}") and int(_SIZE.fullmatch(k).group(3)) > case for k in drink.sizes):
        price *= Decimal("1.04")
    price = round_to(price * jitter(rng), "0.05")
    packs: list[tuple[str, int, bool]] = []
    if letter == "C" and case == 24:
        packs.append(("提", 6, False))
    elif letter == "T" and case == 24 and drink.category == "dairy":
        packs.append(("提", 12, False))
    elif letter == "B" and amount == 100:
        packs.append(("排", 5, False))
    packs.append(("箱", case, True))
    # Order rules, in base units: most SKUs sell by whole cases; cans by whole 提; some need 5 cases.
    roll = rng.randrange(100)
    if drink.category == "water" or letter == "J" or roll < 45:
        moq, multiple = case, case
    elif roll < 65 and packs[0][0] in {"提", "排"}:
        moq, multiple = case, packs[0][1]
    elif roll < 78:
        moq, multiple = 5 * case, case
    else:
        moq, multiple = 1, 1
    if letter == "G":
        weight = Decimal(amount) / 1000 + Decimal("0.006")
        values: dict[str, Any] = {"net_weight": amount}
        spec = {"净含量": size, "包装": f"{case}{base_unit}/箱"}
    else:
        tare = {"B": "0.025", "C": "0.014", "T": "0.010", "J": "0.150"}[letter]
        if amount == 400 and drink.category == "water":
            tare = "0.320"  # glass
        weight = Decimal(amount) * Decimal("1.03") / 1000 + Decimal(tare)
        values = {"volume": amount, "package": package}
        spec = {"容量": size, "包装": f"{case}{base_unit}/箱"}
    return SkuSpec(
        code=f"{code}-{key}",
        name=f"{size}×{case}{base_unit}",
        base_unit=base_unit,
        list_price=price,
        packs=packs,
        spec=spec,
        values=values,
        vat_rate=Decimal(drink.vat),
        moq=moq,
        multiple=multiple,
        weight_kg=weight.quantize(Decimal("0.001")),
        is_active=drink.status != "discontinued",
    )


def product_specs(rng: random.Random) -> list[ProductSpec]:
    brand_names = dict(BRANDS)
    snacks = {"biscuit", "chips", "nuts"}
    specs = []
    for n, drink in enumerate(PRODUCTS, start=1):
        code = f"BV{1000 + n}"
        skus = [_sku(drink, code, key, rng) for key in drink.sizes]
        short = re.sub(r"（.*?）", "", drink.name)
        values: dict[str, Any] = {_FLAVOR_ATTRIBUTE[drink.category]: drink.flavor, **drink.extra}
        if drink.category not in snacks:
            values["sugar_free"] = drink.sugar_free
        first = _SIZE.fullmatch(drink.sizes[0]).groups()
        subtitle = drink.subtitle or " · ".join(
            x
            for x in (
                drink.region_label,
                "无糖 0卡" if drink.sugar_free else "",
                f"果汁含量≥{drink.extra['juice_content']}%" if "juice_content" in drink.extra else "",
                _TAGLINES.get(drink.category, ""),
            )
            if x
        )
        storage = _STORAGE.get(
            "snacks" if drink.category in snacks else drink.category, "请置于阴凉干燥处，避免阳光直射。"
        )
        specs.append(
            ProductSpec(
                code=code,
                name=f"{brand_names[drink.brand]} {drink.name}",
                category=drink.category,
                brand=drink.brand,
                picture=Picture(PACKAGES[first[1]][2], short, _size_label(int(first[0]), first[1]), drink.color),
                skus=skus,
                subtitle=subtitle,
                description=(
                    f"{brand_names[drink.brand]}{short}，{_flavor_phrase(drink)}。"
                    f"规格：{'、'.join(s.name for s in skus)}。保质期{drink.shelf_life}天。{storage}"
                ),
                status=drink.status,
                shelf_life_days=drink.shelf_life,
                expiry_sensitive=drink.category in {"dairy", "juice"},
                sale_regions=list(drink.regions),
                tags=list(drink.tags),
                values=values,
            )
        )
    return specs


def related(specs: list[ProductSpec]) -> list[tuple[str, str, str]]:
    by_name = {s.name.split(" ", 1)[1]: s.code for s in specs}
    return [(by_name[a], by_name[b], kind) for a, b, kind in RELATED]
