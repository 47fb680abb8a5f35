"""Chinese (zh-Hans) translations for the catalog: models, services' errors, the Excel import and the admin."""

ZH = {
    # catalog/models.py: verbose names, help texts, choices
    "sort order": "排序",
    "category": "分类",
    "categories": "分类",
    "parent": "上级分类",
    "brand": "品牌",
    "brands": "品牌",
    "unit": "单位",
    "units": "单位",
    "choices": "可选值",
    "filterable": "可筛选",
    "distinguishes SKUs": "区分规格",
    "attribute": "属性",
    "attributes": "属性",
    "colour": "颜色",
    "tag": "标签",
    "tags": "标签",
    "product code": "商品编码",
    "subtitle": "副标题",
    "description": "描述",
    "shelf life (days)": "保质期（天）",
    "expiry-sensitive": "临期敏感",
    "sale regions": "销售区域",
    "updated at": "更新时间",
    "product": "商品",
    "products": "商品",
    "SKU code": "SKU编码",
    "barcode": "条码",
    "spec": "规格",
    "spec values": "规格值",
    "base unit": "基本单位",
    "minimum order quantity": "起订量",
    "order multiple": "订货倍数",
    "list price": "指导价",
    "VAT rate": "税率",
    "allow backorders": "允许缺货下单",
    "weight (kg)": "重量（千克）",
    "SKU": "SKU",
    "SKUs": "SKU",
    "base units per unit": "折合基本单位数",
    "default order unit": "默认订货单位",
    "whole units only": "仅限整数",
    "attribute value": "属性值",
    "attribute values": "属性值",
    "related product": "关联商品",
    "related products": "关联商品",
    "image": "图片",
    "thumbnail": "缩略图",
    "product image": "商品图片",
    "product images": "商品图片",
    "Number": "数字",
    "Text": "文本",
    "Choice": "单选",
    "Yes/no": "是/否",
    "For numbers, e.g. mm, ml, kg.": "用于数字属性，例如 mm、ml、kg。",
    "e.g. 口味, 规格": "例如 口味、规格",
    "Draft": "草稿",
    "On sale": "在售",
    "Discontinued": "停售",
    "e.g. 500ml×24瓶 无糖": "例如 500ml×24瓶 无糖",
    "Accessory (搭配)": "搭配",
    "Complement (互补)": "互补",
    "Substitute (替代)": "替代",
    # catalog/errors.py
    "a number (at most 4 decimal places)": "数字（最多 4 位小数）",
    "yes or no": "是或否",
    "text of at most 200 characters": "不超过 200 个字符的文本",
    "one of %(choices)s": "以下之一：%(choices)s",
    "zero or more, with at most 3 decimal places": "大于或等于 0，最多 3 位小数",
    "more than zero, with at most 3 decimal places": "大于 0，最多 3 位小数",
    "a whole number of days": "整数天数",
    "Category not found.": "找不到该分类。",
    "Brand not found.": "找不到该品牌。",
    "Tag not found.": "找不到该标签。",
    "Product not found.": "找不到该商品。",
    "SKU not found.": "找不到该 SKU。",
    "“%(value)s” is not a valid code: use at most %(max)s characters without spaces.": (
        "“%(value)s”不是有效的编码：最多 %(max)s 个字符，且不能包含空格。"
    ),
    "The code “%(value)s” is already used.": "编码“%(value)s”已被使用。",
    "A category with code “%(value)s” already exists.": "编码为“%(value)s”的分类已存在。",
    "A brand with code “%(value)s” already exists.": "编码为“%(value)s”的品牌已存在。",
    "An attribute with code “%(value)s” already exists.": "编码为“%(value)s”的属性已存在。",
    "A tag with code “%(value)s” already exists.": "编码为“%(value)s”的标签已存在。",
    "A product with code “%(value)s” already exists.": "编码为“%(value)s”的商品已存在。",
    "A SKU with code “%(value)s” already exists.": "编码为“%(value)s”的 SKU 已存在。",
    "A category cannot be moved under itself or one of its subcategories.": "分类不能移动到自身或其下级分类之下。",
    "The category tree would be too deep (at most %(max)s levels).": "分类层级过深（最多 %(max)s 级）。",
    "Products use attributes that would no longer apply after this change: %(attributes)s. "
    "Remove those values first.": "有商品使用了修改后将不再适用的属性：%(attributes)s。请先删除这些属性值。",
    "“%(value)s” is not an attribute kind (number, text, choice or boolean).": (
        "“%(value)s”不是属性类型（数字、文本、单选或是/否）。"
    ),
    "A choice attribute needs a list of distinct, non-empty choices; other kinds take none.": (
        "单选属性需要一组互不相同且非空的可选值；其他类型不能设置可选值。"
    ),
    "Unknown attribute “%(attribute)s”: it is not defined for category %(category)s.": (
        "未知属性“%(attribute)s”：分类“%(category)s”未定义该属性。"
    ),
    "“%(value)s” is not a valid value of %(attribute)s: expected %(expected)s.": (
        "“%(value)s”不是%(attribute)s的有效值：应为%(expected)s。"
    ),
    "A product cannot go from “%(current)s” to “%(wanted)s”.": "商品状态不能从“%(current)s”变为“%(wanted)s”。",
    "“%(value)s” is not a product status (草稿, 在售 or 停售).": "“%(value)s”不是商品状态（草稿、在售或停售）。",
    "“%(value)s” is not a valid barcode: its check digit should be %(expected)s.": (
        "“%(value)s”不是有效的条码：校验位应为 %(expected)s。"
    ),
    "“%(value)s” is not a valid barcode: at most 32 characters without spaces.": (
        "“%(value)s”不是有效的条码：最多 32 个字符，且不能包含空格。"
    ),
    "“%(value)s” is not a valid price: zero or more, with at most two decimal places.": (
        "“%(value)s”不是有效的价格：应大于或等于 0，最多两位小数。"
    ),
    "“%(value)s” is not a valid quantity: %(expected)s.": "“%(value)s”不是有效的数量：应%(expected)s。",
    "“%(value)s” is not a VAT rate: use 13%%, 9%%, 6%% or 0%%.": "“%(value)s”不是有效的税率：请使用 13%%、9%%、6%% 或 0%%。",
    "“%(value)s” is not a valid unit name (at most 10 characters, no digits).": (
        "“%(value)s”不是有效的单位名称（最多 10 个字符，不含数字）。"
    ),
    "Unit “%(unit)s” has no conversion to the base unit %(base)s (write it like 箱=24).": (
        "单位“%(unit)s”没有与基本单位“%(base)s”的换算关系（请写成 箱=24 的形式）。"
    ),
    "Unit “%(unit)s” must hold more than 0 base units (at most 3 decimal places).": (
        "单位“%(unit)s”折合的基本单位数必须大于 0（最多 3 位小数）。"
    ),
    "Unit “%(unit)s” is given more than once.": "单位“%(unit)s”重复出现。",
    "The base unit “%(unit)s” always holds exactly 1.": "基本单位“%(unit)s”的换算数始终为 1。",
    "A product cannot be related to itself.": "商品不能关联自身。",
    "“%(value)s” is not a kind of related product (accessory, complement or substitute).": (
        "“%(value)s”不是关联类型（搭配、互补或替代）。"
    ),
    "“%(value)s” is not a tag colour.": "“%(value)s”不是标签颜色。",
    "The file is not an image we accept (JPEG, PNG, WebP or GIF).": "该文件不是可接受的图片（JPEG、PNG、WebP 或 GIF）。",
    "The image is too large (%(size)s MB); the limit is %(limit)s MB.": "图片过大（%(size)s MB），上限为 %(limit)s MB。",
    "The image is too large (%(width)s×%(height)s pixels); the limit is %(limit)s megapixels.": (
        "图片尺寸过大（%(width)s×%(height)s 像素），上限为 %(limit)s 百万像素。"
    ),
    # catalog/services.py
    "Only number attributes have a unit.": "只有数字属性可以设置单位。",
    "At most %(n)s characters.": "最多 %(n)s 个字符。",
    # catalog/importers.py
    "%(created)s products created, %(updated)s updated; %(skus)s SKUs created, %(sku_updated)s updated.": (
        "新建商品 %(created)s 个，更新 %(updated)s 个；新建 SKU %(skus)s 个，更新 %(sku_updated)s 个。"
    ),
    "Product code. Rows with the same product code are SKUs of one product.": "商品编码。商品编码相同的行是同一商品的不同 SKU。",
    "Required for a new product.": "新商品必填。",
    "Category code; required for a new product.": "分类编码；新商品必填。",
    "Brand code; blank for none.": "品牌编码；留空表示无品牌。",
    "草稿, 在售 or 停售; blank keeps the current status (new products: 草稿).": (
        "草稿、在售或停售；留空则保持当前状态（新商品为草稿）。"
    ),
    "SKU code, unique in the file.": "SKU编码，在文件中不能重复。",
    "The SKU's spec as dealers see it.": "经销商看到的规格描述。",
    "Optional; EAN-13 and UPC barcodes are checked.": "选填；EAN-13 和 UPC 条码会校验校验位。",
    "The unit prices, MOQ and stock count in (default 件).": "价格、起订量和库存所用的单位（默认为“件”）。",
    "Pack units with their size in base units, e.g. 箱=24 or 箱=24;提=6.": (
        "包装单位及其折合的基本单位数，例如 箱=24 或 箱=24;提=6。"
    ),
    "The base unit or one of the pack units.": "基本单位或某个包装单位。",
    "Minimum order quantity in base units (2箱 is converted).": "按基本单位计的起订量（填 2箱 会自动换算）。",
    "Order in multiples of this many base units (6瓶 or 1箱).": "订货数量须为该基本单位数的整数倍（如 6瓶 或 1箱）。",
    "Tax-inclusive price per base unit; required for a new SKU.": "每个基本单位的含税价；新 SKU 必填。",
    "The VAT rate in per cent: 13, 9, 6 or 0 (blank: 13 for a new SKU).": (
        "增值税税率（百分比）：13、9、6 或 0（留空时新 SKU 为 13）。"
    ),
    "Shelf life in days; blank for none.": "保质期天数；留空表示无。",
    "Tag codes or names, separated by commas.": "标签编码或名称，用逗号分隔。",
    "Required for a new SKU.": "新 SKU 必填。",
    "Reading the file…": "正在读取文件…",
    "Saving…": "正在保存…",
    "a number": "数字",
    "是 or 否": "是或否",
    "text": "文本",
    "Unknown category code “%(code)s”.": "未知的分类编码“%(code)s”。",
    "Unknown brand code “%(code)s”.": "未知的品牌编码“%(code)s”。",
    "Unknown tag “%(tag)s”.": "未知的标签“%(tag)s”。",
    "SKU “%(code)s” belongs to product %(product)s.": "SKU“%(code)s”属于商品 %(product)s。",
    "“%(value)s” is not valid": "“%(value)s”无效",
    "Differs from row %(row)s of the same product.": "与同一商品第 %(row)s 行不一致。",
    "Attribute %(code)s: %(hint)s": "属性 %(code)s：%(hint)s",
    "SKU code “%(code)s” is also in row %(row)s.": "SKU编码“%(code)s”与第 %(row)s 行重复。",
    # catalog/admin.py
    "Excel import / export": "Excel 导入 / 导出",
    "Export the selected products to Excel": "将所选商品导出为 Excel",
    "Products: Excel import / export": "商品：Excel 导入 / 导出",
    "Tenant": "品牌商",
    "File (.xlsx)": "文件（.xlsx）",
    "Choose exactly one default order unit.": "请只选择一个默认订货单位。",
    "Enter a value.": "请输入一个值。",
    "Choose products of one tenant.": "请选择同一品牌商的商品。",
    "Download the template": "下载模板",
    "Export products": "导出商品",
    "Import": "导入",
    "Recent imports": "最近的导入",
    "Choose a tenant. The import runs in the background: nothing is saved unless every row is valid, and a file "
    "listing the errors by row and column is offered when some are not.": (
        "请选择品牌商。导入在后台进行：只有所有行都正确时才会保存；有错误时，可下载按行和列列出错误的文件。"
    ),
    "Product import #%(id)s": "商品导入 #%(id)s",
    "Progress": "进度",
    "Message": "消息",
    "Result": "结果",
    "Download the error report": "下载错误报告",
    "Back": "返回",
    "This belongs to another tenant.": "这属于其他品牌商。",
    "Choose a file.": "请选择文件。",
}
