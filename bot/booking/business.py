"""Business types a pre-booking can be for, each tied to a customer category of the KB vocabulary."""

from __future__ import annotations

from dataclasses import dataclass

from bot.booking.text import Parsed, fold


@dataclass(frozen=True)
class BusinessType:
    id: str
    name: str
    category: str          # a category id of knowledge/shared.yml: materials and time limits follow it
    synonyms: tuple[str, ...]
    asks_capacity: bool = True


BUSINESS_TYPES: tuple[BusinessType, ...] = (
    BusinessType("resident_new", "居民新装", "resident",
                 ("居民新装", "居民用电", "居民生活用电", "家里装电", "家庭用电", "住宅用电", "新房装电", "装个电表",
                  "家用", "居民"), asks_capacity=False),
    BusinessType("nonresident_new", "非居民新装（低压）", "lv_nonresident",
                 ("非居民新装", "低压非居民", "非居民", "商铺", "门面", "店铺", "饭店", "超市", "商业用电", "小作坊",
                  "办厂", "厂房", "工厂", "企业用电", "公司用电", "经营用电")),
    BusinessType("hv_new", "高压新装", "hv",
                 ("高压新装", "高压用电", "高压", "专变", "专用变压器", "10千伏", "35千伏")),
    BusinessType("capacity_increase", "增容", "all", ("增容", "扩容", "加容量", "增加容量", "容量不够")),
    BusinessType("charging_resident", "居民充电桩", "charging_resident",
                 ("家用充电桩", "私人充电桩", "个人充电桩", "居民充电桩", "自家充电桩", "车位充电桩"),
                 asks_capacity=False),
    BusinessType("charging", "充电设施", "charging_nonresident",
                 ("充电设施", "充电站", "充换电", "换电站", "充电桩")),
    BusinessType("well", "机井", "well_individual", ("机井", "农田灌溉", "灌溉", "浇地", "打井", "水井")),
    BusinessType("base_5g", "5G基站", "base_5g", ("5G基站", "5g基站", "5G 基站", "通信基站", "基站")),
    BusinessType("temporary", "临时用电", "temporary", ("临时用电", "临时电", "施工用电", "工地用电", "临时接电")),
)
BY_ID = {b.id: b for b in BUSINESS_TYPES}
NAMES = "、".join(b.name for b in BUSINESS_TYPES)


def business(business_id: str) -> BusinessType:
    return BY_ID[business_id]


def find_business(text: str) -> Parsed[BusinessType]:
    """The business type named in the text: the longest synonym wins (非居民 beats 居民)."""
    folded = fold(text)
    best: tuple[int, int, BusinessType] | None = None
    for order, item in enumerate(BUSINESS_TYPES):
        for synonym in item.synonyms:
            start = folded.find(fold(synonym))
            if start >= 0 and (best is None or len(synonym) > best[1] - best[0]
                               or (len(synonym) == best[1] - best[0] and order < BUSINESS_TYPES.index(best[2]))):
                best = (start, start + len(synonym), item)
    if best is None:
        return Parsed()
    return Parsed(best[2], span=(best[0], best[1]))


def parse_business(text: str) -> Parsed[BusinessType]:
    found = find_business(text)
    if found.ok:
        return found
    return Parsed(error=f"请问办理哪类业务？可选：{NAMES}。")
