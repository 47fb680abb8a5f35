"""China's administrative regions (province / city / district) and address parsing.

The codes, names and coordinates are the national adcodes shipped as data by the maintained
``cpca`` package (read directly from its CSV; the package's pandas-based API is not imported).
Codes are the six-digit official codes: 440000 广东省, 440300 深圳市, 440305 南山区.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from dinghuo.core.errors import ValidationError

PROVINCE, CITY, DISTRICT = 0, 1, 2
# Placeholder city rows under the municipalities (北京 110100 市辖区 …) take the province's name.
_PLACEHOLDER_CITIES = {"市辖区", "县"}
# Not real places: grouping rows for county-level cities directly under a province (仙桃, 济源 …),
# and the "市辖区" district rows some cities carry. Their children stand on their own.
_SKIP = {(1, "省直辖县级行政区划"), (1, "自治区直辖县级行政区划"), (2, "市辖区")}
_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_CITY_SUFFIX = re.compile(r"(市|地区|盟|自治州)$")


class AddressError(ValidationError):
    code = "address_invalid"
    message_template = _("The address could not be understood: %(reason)s")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: int
    lon: float
    lat: float

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str | None:
        return None if self.level == PROVINCE else self.code[:4] + "00"

    def contains(self, other: Region | str) -> bool:
        code = other if isinstance(other, str) else other.code
        if self.level == PROVINCE:
            return code[:2] == self.code[:2]
        if self.level == CITY:
            return code[:4] == self.code[:4]
        return code == self.code

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ParsedAddress:
    province: Region
    city: Region | None
    district: Region | None
    detail: str

    @property
    def region(self) -> Region:
        return self.district or self.city or self.province

    @property
    def full_name(self) -> str:
        parts = [self.province.name]
        if self.city and self.city.name != self.province.name:
            parts.append(self.city.name)
        if self.district:
            parts.append(self.district.name)
        return "".join(parts)


def _csv_path() -> Path:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package (administrative region data) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@cache
def _data() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    with _csv_path().open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["adcode"][:6]: r["name"] for r in rows}
    for row in rows:
        code = row["adcode"][:6]
        if code.endswith("0000"):
            level = PROVINCE
        elif code.endswith("00"):
            level = CITY
        else:
            level = DISTRICT
        name = row["name"]
        if (level, name) in _SKIP:
            continue
        if level == CITY and name in _PLACEHOLDER_CITIES:
            name = names.get(code[:2] + "0000", name)
        regions[code] = Region(code, name, level, float(row["longitude"] or 0), float(row["latitude"] or 0))
    return regions


def get(code: str) -> Region | None:
    return _data().get(str(code).strip())


def require(code: str, field: str = "region") -> Region:
    region = get(code)
    if region is None:
        raise AddressError(reason=_("unknown region code %(code)s") % {"code": code}, detail={field: code})
    return region


def provinces() -> list[Region]:
    return sorted((r for r in _data().values() if r.level == PROVINCE), key=lambda r: r.code)


def children(code: str) -> list[Region]:
    parent = require(code)
    out = []
    for r in _data().values():
        if r.level != parent.level + 1 or not parent.contains(r):
            continue
        out.append(r)
    if parent.level == PROVINCE:
        # County-level cities directly under a province (仙桃, 济源 …) behave as cities.
        out += [r for r in _data().values() if r.level == DISTRICT and parent.contains(r) and _city_of(r) is None]
    return sorted(out, key=lambda r: r.code)


def _city_of(district: Region) -> Region | None:
    return _data().get(district.code[:4] + "00")


def lineage(code: str) -> tuple[Region, Region | None, Region | None]:
    """(province, city, district) for any code."""
    r = require(code)
    prov = _data()[r.province_code]
    if r.level == PROVINCE:
        return prov, None, None
    if r.level == CITY:
        return prov, r, None
    city = _city_of(r)
    return prov, city or r, r


def display_name(code: str) -> str:
    prov, city, dist = lineage(code)
    parts = [prov.name]
    if city and city.name != prov.name:
        parts.append(city.name)
    if dist and dist is not city:
        parts.append(dist.name)
    return "".join(parts)


def distance_km(a: str, b: str) -> float:
    """Great-circle distance between two regions' reference points."""
    ra, rb = require(a), require(b)
    lat1, lon1, lat2, lon2 = map(math.radians, (ra.lat, ra.lon, rb.lat, rb.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _short(name: str, pattern: re.Pattern) -> str:
    short = pattern.sub("", name)
    return short if len(short) >= 2 else name


@cache
def _index() -> tuple[list[tuple[str, Region]], dict[str, list[tuple[str, Region]]]]:
    """Name variants for matching, longest first: full names, then names without their suffix."""
    provs: list[tuple[str, Region]] = []
    below: dict[str, list[tuple[str, Region]]] = {}
    for r in _data().values():
        if r.level == PROVINCE:
            provs += [(r.name, r), (_short(r.name, _PROVINCE_SUFFIX), r)]
        else:
            if r.level == CITY and r.name == _data()[r.province_code].name:
                continue  # municipality placeholder city: matched through the province
            variants = {r.name}
            if r.level == CITY:
                variants.add(_short(r.name, _CITY_SUFFIX))
            elif len(r.name) > 2 and r.name[-1] in "区县市旗":
                variants.add(r.name[:-1])
            for v in variants:
                below.setdefault(r.province_code, []).append((v, r))
    provs.sort(key=lambda t: -len(t[0]))
    for items in below.values():
        items.sort(key=lambda t: (-len(t[0]), t[1].level))
    return provs, below


@cache
def _full_names() -> dict[str, list[tuple[str, Region]]]:
    """Full names (three characters or more) of every city and district, by first character."""
    out: dict[str, list[tuple[str, Region]]] = {}
    for r in _data().values():
        if r.level != PROVINCE and len(r.name) >= 3 and r.name != _data()[r.province_code].name:
            out.setdefault(r.name[0], []).append((r.name, r))
    return out


def _stray_place(rest: str, inside: Region) -> str | None:
    """The full name of a city or district that ``rest`` starts with, when none of that name is inside."""
    if not rest:
        return None
    matches: dict[str, list[Region]] = {}
    for name, region in _full_names().get(rest[0], []):
        if rest.startswith(name):
            matches.setdefault(name, []).append(region)
    if not matches:
        return None
    name = max(matches, key=len)  # the longest name the text starts with is the place it names
    return None if any(inside.contains(r) for r in matches[name]) else name


def parse_address(text: str) -> ParsedAddress:
    """Split a free-text Chinese address into province, city, district and the rest.

    "广东省深圳市南山区科技园科苑路15号", "深圳南山区科苑路15号" and "北京朝阳区建国路88号" all
    resolve; a city or district named without its province is found by its unique name. Raises
    ``AddressError`` when no province can be determined or the parts contradict each other.
    """
    raw = re.sub(r"\s+", "", text or "")
    if not raw:
        raise AddressError(reason=_("it is empty"), detail={"address": text})
    provs, below = _index()
    rest = raw
    province: Region | None = None
    for name, region in provs:
        if rest.startswith(name):
            province, rest = region, rest[len(name) :]
            break
    if province is None:
        # No province written: find a city/district whose name the address starts with.
        hits: dict[str, tuple[str, Region]] = {}
        for items in below.values():
            for name, region in items:  # longest name first: a region is known by its longest match
                if len(name) >= 2 and rest.startswith(name):
                    hits.setdefault(region.code, (name, region))
        best = sorted(hits.values(), key=lambda t: (-len(t[0]), t[1].level))
        if not best:
            raise AddressError(reason=_("no province or city found at its start"), detail={"address": text})
        # The longest match wins, a city before a district; equals in different provinces are ambiguous.
        top = [r for name, r in best if len(name) == len(best[0][0]) and r.level == best[0][1].level]
        if len({r.province_code for r in top}) > 1:
            raise AddressError(
                reason=_("“%(name)s” is in more than one province; write the province first") % {"name": best[0][0]},
                detail={"address": text},
            )
        province = _data()[top[0].province_code]
    city: Region | None = None
    district: Region | None = None
    for _round in range(2):
        for name, region in below.get(province.code, []):
            if not rest.startswith(name):
                continue
            if region.level == CITY and city is None and district is None:
                city, rest = region, rest[len(name) :]
                break
            if region.level == DISTRICT and district is None and (city is None or city.contains(region)):
                district, rest = region, rest[len(name) :]
                break
        else:
            break
    if district is None:
        # "广东省杭州市…", "北京市南山区…": a place written after the region but not inside it.
        inside = city or province
        stray = _stray_place(rest, inside)
        if stray:
            raise AddressError(
                reason=_("“%(name)s” is not in %(region)s") % {"name": stray, "region": display_name(inside.code)},
                detail={"address": text},
            )
    if district is not None and city is None:
        city = _city_of(district) or district  # county-level cities under a province (仙桃) stand as cities
    if (
        city is None
        and _data().get(province.code[:2] + "0100")
        and _data()[province.code[:2] + "0100"].name == province.name
    ):
        city = _data()[province.code[:2] + "0100"]
    if city is not None and not province.contains(city):
        raise AddressError(reason=_("the city is not in the province"), detail={"address": text})
    return ParsedAddress(province=province, city=city, district=district, detail=rest.lstrip("，,") or "")
