"""Shaanxi administrative divisions (GB/T 2260) and how region codes are judged.

Cities carry an approximate share of the province's market subjects (rounded from
public 2023 statistics; used only to weight the simulated province).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CITIES",
    "COUNTIES",
    "PROVINCE_CODE",
    "YANGLING_CODE",
    "RegionVerdict",
    "city_of",
    "judge_region",
    "region_name",
]

PROVINCE_CODE = "610000"
YANGLING_CODE = "610403"  # 杨凌示范区 subjects carry 杨陵区's code (under 咸阳市)


@dataclass(frozen=True)
class City:
    code: str
    name_zh: str
    name_en: str
    share: float  # approximate share of market subjects (杨凌 split out of 咸阳)


CITIES: dict[str, City] = {
    c.code: c
    for c in (
        City("610100", "西安市", "Xi'an", 0.385),
        City("610200", "铜川市", "Tongchuan", 0.020),
        City("610300", "宝鸡市", "Baoji", 0.080),
        City("610400", "咸阳市", "Xianyang", 0.095),
        City("610500", "渭南市", "Weinan", 0.090),
        City("610600", "延安市", "Yan'an", 0.045),
        City("610700", "汉中市", "Hanzhong", 0.070),
        City("610800", "榆林市", "Yulin", 0.085),
        City("610900", "安康市", "Ankang", 0.060),
        City("611000", "商洛市", "Shangluo", 0.040),
    )
}

COUNTIES: dict[str, str] = {
    # 西安市
    "610102": "新城区",
    "610103": "碑林区",
    "610104": "莲湖区",
    "610111": "灞桥区",
    "610112": "未央区",
    "610113": "雁塔区",
    "610114": "阎良区",
    "610115": "临潼区",
    "610116": "长安区",
    "610117": "高陵区",
    "610118": "鄠邑区",
    "610122": "蓝田县",
    "610124": "周至县",
    # 铜川市
    "610202": "王益区",
    "610203": "印台区",
    "610204": "耀州区",
    "610222": "宜君县",
    # 宝鸡市
    "610302": "渭滨区",
    "610303": "金台区",
    "610304": "陈仓区",
    "610305": "凤翔区",
    "610323": "岐山县",
    "610324": "扶风县",
    "610326": "眉县",
    "610327": "陇县",
    "610328": "千阳县",
    "610329": "麟游县",
    "610330": "凤县",
    "610331": "太白县",
    # 咸阳市
    "610402": "秦都区",
    "610403": "杨陵区",
    "610404": "渭城区",
    "610422": "三原县",
    "610423": "泾阳县",
    "610424": "乾县",
    "610425": "礼泉县",
    "610426": "永寿县",
    "610428": "长武县",
    "610429": "旬邑县",
    "610430": "淳化县",
    "610431": "武功县",
    "610481": "兴平市",
    "610482": "彬州市",
    # 渭南市
    "610502": "临渭区",
    "610503": "华州区",
    "610522": "潼关县",
    "610523": "大荔县",
    "610524": "合阳县",
    "610525": "澄城县",
    "610526": "蒲城县",
    "610527": "白水县",
    "610528": "富平县",
    "610581": "韩城市",
    "610582": "华阴市",
    # 延安市
    "610602": "宝塔区",
    "610603": "安塞区",
    "610621": "延长县",
    "610622": "延川县",
    "610625": "志丹县",
    "610626": "吴起县",
    "610627": "甘泉县",
    "610628": "富县",
    "610629": "洛川县",
    "610630": "宜川县",
    "610631": "黄龙县",
    "610632": "黄陵县",
    "610681": "子长市",
    # 汉中市
    "610702": "汉台区",
    "610703": "南郑区",
    "610722": "城固县",
    "610723": "洋县",
    "610724": "西乡县",
    "610725": "勉县",
    "610726": "宁强县",
    "610727": "略阳县",
    "610728": "镇巴县",
    "610729": "留坝县",
    "610730": "佛坪县",
    # 榆林市
    "610802": "榆阳区",
    "610803": "横山区",
    "610822": "府谷县",
    "610824": "靖边县",
    "610825": "定边县",
    "610826": "绥德县",
    "610827": "米脂县",
    "610828": "佳县",
    "610829": "吴堡县",
    "610830": "清涧县",
    "610831": "子洲县",
    "610881": "神木市",
    # 安康市
    "610902": "汉滨区",
    "610921": "汉阴县",
    "610922": "石泉县",
    "610923": "宁陕县",
    "610924": "紫阳县",
    "610925": "岚皋县",
    "610926": "平利县",
    "610927": "镇坪县",
    "610929": "白河县",
    "610981": "旬阳市",
    # 商洛市
    "611002": "商州区",
    "611021": "洛南县",
    "611022": "丹凤县",
    "611023": "商南县",
    "611024": "山阳县",
    "611025": "镇安县",
    "611026": "柞水县",
}

Verdict = Literal["known", "unknown_county", "invalid"]


@dataclass(frozen=True)
class RegionVerdict:
    verdict: Verdict
    reason: str = ""


def city_of(code: str) -> str | None:
    """The prefecture city code a 6-digit Shaanxi code belongs to, or None."""
    if len(code) != 6 or not code.isdigit() or not code.startswith("61"):
        return None
    city = code[:4] + "00"
    return city if city in CITIES else None


def judge_region(code: str) -> RegionVerdict:
    """Known code, unknown county under a known city (accepted and flagged), or invalid."""
    if code == PROVINCE_CODE or code in CITIES or code in COUNTIES:
        return RegionVerdict("known")
    if len(code) != 6 or not code.isdigit():
        return RegionVerdict("invalid", f"{code!r} is not a 6-digit division code")
    if not code.startswith("61"):
        return RegionVerdict("invalid", f"{code!r} is outside Shaanxi (61xxxx)")
    if city_of(code) is None:
        return RegionVerdict("invalid", f"{code!r} is under no Shaanxi prefecture city")
    return RegionVerdict(
        "unknown_county", f"{code!r} is a county code the local table does not list"
    )


def region_name(code: str) -> str:
    """Chinese name of a code, or the code itself when unknown."""
    if code in COUNTIES:
        return COUNTIES[code]
    if code in CITIES:
        return CITIES[code].name_zh
    return "陕西省" if code == PROVINCE_CODE else code
