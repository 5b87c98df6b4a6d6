"""Region, district and address, checked against the knowledge base's gazetteer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.booking.text import Parsed, fold
from bot.knowledge.service import KnowledgeBase

_ADDRESS_MARK = re.compile(r"路|街|道|巷|弄|胡同|号|村|组|屯|庄|镇|乡|小区|花园|苑|大厦|广场|楼|栋|幢|单元|室|园|社区"
                           r"|公寓|家园|新城|中心|市场|基地|厂|站|学校|医院|宾馆|酒店|宿舍|院")
_ADDRESS_PREFIX = re.compile(r"^(?:用电地址|地址|住址|装电地址|我家在|我家住|我住在|我在|在|是)"
                             r"(?:是|在|改成|改为|应该是)?[:：\s]*")
_ADDRESS_CORRECTION = re.compile(r"地址(?:写错了|错了|不对|有误)?[,，\s]*(?:是|改成|改为|应该是|换成)[:：\s]*(.+)$")


@dataclass(frozen=True)
class Location:
    region: str | None
    district: str | None = None
    address: str | None = None


def region_names(kb: KnowledgeBase) -> str:
    return "、".join(region.name for region in kb.regions)


def find_place(kb: KnowledgeBase, text: str) -> Parsed[Location]:
    """The one covered region (and district) named in the text; an error for two regions or other cities."""
    places = kb.places_in(fold(text))
    regions = {p.region.id for p in places}
    if len(regions) > 1:
        names = "、".join(sorted({p.region.name for p in places}))
        return Parsed(error=f"同时提到了{names}，请问用电地址在哪个城市？")
    if not regions:
        other = next((name for name in kb.vocab.other_places if name in text), None)
        if other:
            return Parsed(error=f"目前只能预约{region_names(kb)}的办电业务，{other}的业务请拨打95598。")
        return Parsed()
    districts = [p.district for p in places if p.district]
    return Parsed(Location(places[0].region.id, districts[0] if len(set(districts)) == 1 else None))


def looks_like_address(text: str, kb: KnowledgeBase) -> bool:
    rest = fold(text)
    for name in sorted(kb.gazetteer, key=len, reverse=True):
        rest = rest.replace(name, "")
    return bool(_ADDRESS_MARK.search(rest)) and len(re.sub(r"\s", "", rest)) >= 3


def find_address_correction(kb: KnowledgeBase, text: str) -> Parsed[Location]:
    match = _ADDRESS_CORRECTION.search(fold(text))
    return parse_address(kb, match[1]) if match else Parsed()


def parse_address(kb: KnowledgeBase, text: str) -> Parsed[Location]:
    """A street address (with region and district when it names them)."""
    corrected = _ADDRESS_CORRECTION.search(fold(text))
    address = _ADDRESS_PREFIX.sub("", (corrected[1] if corrected else fold(text)).strip()).strip(" 。.，,")
    if not looks_like_address(address, kb):
        return Parsed(error="请告诉我详细的用电地址，要具体到街道、门牌号或村组，例如“安阳市文峰区中华路1号”。")
    if len(address) > 120:
        return Parsed(error="地址太长了，请控制在120个字以内。")
    place = find_place(kb, address)
    if place.error:
        return Parsed(error=place.error)
    where = place.value or Location(None)
    return Parsed(Location(where.region, where.district, address))


def parse_region(kb: KnowledgeBase, text: str) -> Parsed[Location]:
    payload = text.strip().lstrip("/")
    for region in kb.regions:
        if payload == region.id:
            return Parsed(Location(region.id))
    found = find_place(kb, text)
    if found.ok or found.error:
        return found
    return Parsed(error=f"请问用电地址在哪个城市？目前可预约：{region_names(kb)}。")


def parse_district(kb: KnowledgeBase, region_id: str, text: str) -> Parsed[str]:
    region = kb.region(region_id)
    folded = fold(text).strip()
    for district in sorted(region.districts, key=lambda d: -len(d.name)):
        names = sorted((district.name, *district.aliases), key=len, reverse=True)
        if any(name and name in folded for name in names):
            return Parsed(district.name)
    found = find_place(kb, text)
    if found.value and found.value.region and found.value.region != region_id:
        other = kb.region(found.value.region).name
        return Parsed(error=f"{folded}不在{region.name}，请说{region.name}的区县；"
                            f"如果用电地址在{other}，请直接告诉我新地址。")
    listed = "、".join(d.name for d in region.districts)
    return Parsed(error=f"请问在{region.name}的哪个区县？可选：{listed}。")
