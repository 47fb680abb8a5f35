import pytest
from django.utils import translation

from dinghuo.core import regions


@pytest.mark.parametrize(
    ("text", "province", "city", "district", "detail"),
    [
        ("广东省深圳市南山区科技园科苑路15号", "广东省", "深圳市", "南山区", "科技园科苑路15号"),
        ("深圳南山区科苑路15号", "广东省", "深圳市", "南山区", "科苑路15号"),
        ("北京朝阳区建国路88号", "北京市", "北京市", "朝阳区", "建国路88号"),
        ("上海市浦东新区世纪大道100号", "上海市", "上海市", "浦东新区", "世纪大道100号"),
        ("浙江杭州西湖区 文三路 1 号", "浙江省", "杭州市", "西湖区", "文三路1号"),
        ("新疆乌鲁木齐市天山区解放北路", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "解放北路"),
        ("湖北省仙桃市仙桃大道1号", "湖北省", "仙桃市", "仙桃市", "仙桃大道1号"),
        ("四川省成都市", "四川省", "成都市", None, ""),
    ],
)
def test_free_text_addresses_are_parsed(text, province, city, district, detail):
    parsed = regions.parse_address(text)
    assert parsed.province.name == province
    assert (parsed.city.name if parsed.city else None) == city
    assert (parsed.district.name if parsed.district else None) == district
    assert parsed.detail == detail


@pytest.mark.parametrize("text", ["", "   ", "火星基地1号", "南山区科苑路"])
def test_unparseable_addresses_say_why(text):
    with pytest.raises(regions.AddressError) as info:
        regions.parse_address(text)
    assert info.value.code == "address_invalid"
    assert "address" in info.value.detail


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("广东省杭州市西湖区文三路90号", "“杭州市” is not in 广东省"),
        ("北京市南山区科苑路1号", "“南山区” is not in 北京市"),
        ("深圳市朝阳区建国路1号", "“朝阳区” is not in 广东省深圳市"),
        ("朝阳区建国路88号", "“朝阳区” is in more than one province"),
    ],
)
def test_contradictory_or_ambiguous_addresses_are_refused_not_guessed(text, says):
    # given an address whose parts contradict each other, or a district name found in several provinces
    # when it is parsed
    with translation.override("en"), pytest.raises(regions.AddressError) as info:
        regions.parse_address(text)
    # then it is refused with a message naming the place, instead of being filed under a wrong region
    with translation.override("en"):
        assert says in info.value.message
    assert info.value.detail == {"address": text}


def test_codes_names_and_distances():
    assert regions.get("440305").name == "南山区"
    assert regions.display_name("440305") == "广东省深圳市南山区"
    assert regions.require("440000").contains("440305")
    assert not regions.require("440300").contains("440106")
    assert 1000 < regions.distance_km("110000", "440300") < 2500
    assert len(regions.provinces()) == 34
