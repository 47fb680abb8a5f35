"""Chinese (zh-Hans) translations for catalog reads: search, facets, parameter matching, the catalog API."""

ZH = {
    # catalog/search_errors.py
    "The search could not be understood: %(reason)s": "无法理解该搜索：%(reason)s",
    "Describe the part or product you need, e.g. “内径25 外径52 不锈钢” or “6205-2RS”.": (
        "请描述您需要的配件或商品，例如“内径25 外径52 不锈钢”或“6205-2RS”。"
    ),
    # catalog/selectors.py: stock hints
    "In stock": "有货",
    "Available on backorder": "可预订",
    "Out of stock": "缺货",
    # catalog/search.py: sort orders, why a result matched, facets, refusals
    "Relevance": "相关度",
    "Price, low to high": "价格从低到高",
    "Price, high to low": "价格从高到低",
    "Best-selling in your region": "本地区热销",
    "Newest": "最新上架",
    "SKU code": "SKU编码",
    "Barcode": "条码",
    "Similar SKU code": "相近的SKU编码",
    "Name": "名称",
    "Spec": "规格",
    "Brand": "品牌",
    "Category": "分类",
    "Pinyin": "拼音",
    "Pinyin initials": "拼音首字母",
    "Keyword": "关键词",
    "All products": "全部商品",
    "Tags": "标签",
    "Yes": "是",
    "No": "否",
    "unknown sort order": "未知的排序方式",
    "page out of range": "页码超出范围",
    "the lowest price is above the highest": "最低价高于最高价",
    # catalog/matching.py: constraint kinds, checks, grades
    "Size": "尺寸/数值",
    "Property": "属性",
    "Model code": "型号",
    "Pack size": "包装规格",
    "matches": "符合",
    "has %(actual)s": "实际为 %(actual)s",
    "not specified": "未标注",
    "Exact match": "精确匹配",
    "Declared substitute": "指定替代品",
    "Near match": "相近匹配",
    # catalog/api.py
    "an attribute filter is code:value or code:min..max": "属性筛选的格式为 编码:值 或 编码:最小值..最大值",
    "a range needs numbers": "范围必须是数字",
}
