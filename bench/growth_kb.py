"""Synthetic knowledge bases for the growth benchmark: the five real cities plus copies of their documents
renamed to other real prefecture-level cities, as a national rollout would add them.

Every synthetic city is a real prefecture-level division from China's gazetteer (the data of the `cpca`
package: province, prefecture, their counties), so the assistant's readers treat its names as proper
places. It gets one of the five real cities' region files and seed document (round robin), with every
place name of the template replaced by the new city's: the city's names, its province, its counties and
districts (paired in order with the new city's real counties; a development zone keeps its kind under
the new city's name), the document number (the template's place abbreviation replaced by the city's
short name, so each city has a number of its own) and the issuer and title. The seed text goes through
the same replacement as the facts' excerpts, so every fact still proves against its seed
(`bot.knowledge.sources.check_region`; `generate` refuses a KB with a problem).

Written to a directory of its own (regions/, seeds/, shared.yml, calendar/), never into knowledge/.
`shared.yml` loses from `other_places` the cities the synthetic KB now covers.

usage: python -m bench.growth_kb OUT_DIR [--cities 330]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pypinyin import lazy_pinyin

from bot.knowledge.service import KnowledgeBase
from bot.knowledge.sources import check_region
from bot.reading.places import GENERIC

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SEED_ORDER = 16  # the shuffle of the candidate cities (issue 16); the same order for every size
# a district of a template that is a zone rather than a county: it keeps its kind under the new city's name
ZONE_SUFFIXES = ("开发区", "新区", "示范区", "试验区", "名胜区", "高新区", "经开区")
CITY_SUFFIXES = ("市", "地区", "盟")
COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗")


@dataclass(frozen=True)
class County:
    name: str
    short: str | None  # the name without its suffix when that is a usable name of its own


@dataclass(frozen=True)
class City:
    code: str
    name: str  # full name: 杭州市, 大理白族自治州
    short: str  # 杭州, 大理
    province: str  # 浙江省
    province_short: str  # 浙江
    counties: tuple[County, ...]


@dataclass
class SyntheticCity:
    """A generated region: which template it copies and how names were replaced."""

    city: City
    region_id: str
    template_id: str
    document_number: str
    replacements: dict[str, str] = field(default_factory=dict)  # template name → new name
    dropped: tuple[str, ...] = ()  # template districts the new city had no county left for
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)
    _keys: dict[str, str] = field(default_factory=dict, repr=False)

    def rename(self, text: str) -> str:
        """The template's place names in `text` replaced by this city's (white space inside a name tolerated)."""
        if self._pattern is None:
            self._pattern = name_pattern(self.replacements)
            self._keys = {_squash(key): value for key, value in self.replacements.items()}
        return self._pattern.sub(lambda match: self._keys[_squash(match.group(0))], text)


@dataclass
class GrowthKB:
    directory: Path  # the KB directory (BANDIAN_KNOWLEDGE_DIR); seeds in directory / "seeds"
    synthetic: list[SyntheticCity]

    @property
    def seeds(self) -> Path:
        return self.directory / "seeds"


# ------------------------------------------------------------------------------------------ gazetteer

def _cpca_resource(name: str) -> Path:
    from importlib.util import find_spec

    spec = find_spec("cpca")  # located, not imported (importing it loads pandas)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package (China's administrative divisions) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / name


def _ethnic_stems() -> list[str]:
    """Names of China's ethnic groups as they appear inside division names: 苗族, 蒙古, 哈萨克 (two
    characters or more, so that 白 or 回 alone never cut a name)."""
    rows = _cpca_resource("56_nations.csv").read_text(encoding="utf-8").split()
    stems = {row.strip() for row in rows if row.strip().endswith("族")}
    stems |= {stem[:-1] for stem in stems if len(stem) >= 3}
    return sorted(stems, key=len, reverse=True)


def _before_ethnic(name: str, stems: list[str]) -> str | None:
    """延边朝鲜族自治州 → 延边: the name before the first ethnic group it names (None if it names none)."""
    cuts = [i for stem in stems for i in [name.find(stem, 2)] if i >= 2]
    return name[:min(cuts)] if cuts else None


def _city_short(name: str, stems: list[str]) -> str | None:
    if "自治" in name:
        return _before_ethnic(name, stems)
    for suffix in CITY_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _county_short(name: str, stems: list[str]) -> str | None:
    if "自治" in name:
        return _before_ethnic(name, stems)
    for suffix in COUNTY_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _province_short(name: str, stems: list[str]) -> str:
    if "自治区" in name:
        return _before_ethnic(name, stems) or name.removesuffix("自治区")
    return name.removesuffix("省").removesuffix("市")


def prefectures(reserved: Iterable[str] = ()) -> list[City]:
    """China's prefecture-level cities, autonomous prefectures, 地区 and 盟 (cpca's data), by code, whose
    names are unambiguous: no province or other city shares a city's name, and of each city only the
    counties no other city has a county or a name of the same name are listed (a short name only when
    it, too, is unique). `reserved` names (those of the real KB) and the ordinary words among division
    names (bot.reading.places.GENERIC: 安康, 城区 …) are never given to a synthetic place."""
    stems = _ethnic_stems()
    with _cpca_resource("adcodes.csv").open(encoding="utf-8") as file:
        names = {row["adcode"].strip(): row["name"].strip() for row in csv.DictReader(file)}
    provinces = {code[:2]: name for code, name in names.items() if code[2:] == "0000000000"}
    province_shorts = {_province_short(name, stems) for name in provinces.values()}
    cities: dict[str, tuple[str, str]] = {}  # prefix (4 digits) → (full, short)
    for code, name in names.items():
        if code[2:4] != "00" and code[4:] == "00000000":
            short = _city_short(name, stems)
            if short:
                cities[code[:4]] = (name, short)
    counties: dict[str, list[tuple[str, str, str | None]]] = {}  # prefix → [(code, full, short)]
    for code, name in sorted(names.items()):
        if code[4:6] != "00" and code[:4] in cities:
            counties.setdefault(code[:4], []).append((code, name, _county_short(name, stems)))
    reserved = set(reserved) | set(provinces.values()) | province_shorts | GENERIC
    city_names = Counter(n for full, short in cities.values() for n in {full, short})
    owners: dict[str, set[str]] = {}  # a county's full or short name → the cities that have such a county
    for prefix, rows in counties.items():
        for _, full, short in rows:
            for n in {full, short} - {None}:
                owners.setdefault(str(n), set()).add(prefix)
    found = []
    for prefix, (full, short) in sorted(cities.items()):
        if any(n in reserved or city_names[n] > 1 for n in (full, short)):
            continue
        usable = []
        for _code, county, county_short in counties.get(prefix, []):
            if county in reserved or county in city_names or owners[county] != {prefix}:
                continue
            if county_short and (county_short in reserved or county_short in city_names
                                 or owners[county_short] != {prefix} or county_short == county):
                county_short = None
            usable.append(County(county, county_short))
        province = provinces[prefix[:2]]
        found.append(City(prefix + "00000000", full, short, province, _province_short(province, stems),
                          tuple(usable)))
    return found


# ------------------------------------------------------------------------------------------ renaming

def _squash(text: str) -> str:
    return re.sub(r"[\s*|]+", "", text).translate(_FULL_WIDTH_DIGITS)


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_GAP = r"[ \t\r\u3000*|]*\n?[ \t\r\u3000*|]*"  # what may sit inside a name in a seed typed from a PDF


def _char(char: str) -> str:
    if char.isdigit() and char.isascii():
        return f"[{char}{chr(ord(char) + 0xFEE0)}]"
    return re.escape(char)


def name_pattern(replacements: dict[str, str]) -> re.Pattern[str]:
    """One regex for all keys, longest first (so 安阳县 is replaced as a county, not as 安阳 + 县), each
    matching across white space or a line break and full-width digits, as the source check's normalisation
    does."""
    keys = sorted(replacements, key=len, reverse=True)
    return re.compile("|".join(_GAP.join(_char(c) for c in key) for key in keys))


def _is_zone(name: str) -> bool:
    return name.endswith(ZONE_SUFFIXES)


def _abbreviation(number: str, name: str) -> str:
    """The place in a document number: 枣 of 枣能源字〔2021〕33号, 黔东南 of 黔东南发改能源〔2021〕57号."""
    size = 0
    while size < len(name) and size < len(number) and number[size] == name[size]:
        size += 1
    return number[:size]


def plan(city: City, template: dict[str, Any], region_id: str) -> SyntheticCity:
    """The replacements that turn a template region into `city`, and the districts it gets."""
    head = template["region"]
    old_name, old_full = head["name"], head["full_name"]
    replacements: dict[str, str] = {old_full: city.name, old_name: city.short}
    for alias in head.get("aliases") or ():  # 连云港市, 黔东南州 → the new city's full name; 港城, 枣州 → its short one
        full = alias == old_full or alias.endswith("市") or (alias.startswith(old_name) and alias.endswith("州"))
        replacements.setdefault(alias, city.name if full else city.short)
    if head["province"] != city.province:
        replacements[head["province"]] = city.province
        old_province_short = head["province"].removesuffix("省")
        if old_province_short != head["province"]:
            replacements[old_province_short] = city.province_short
    number = head["document"]["number"]
    abbreviation = _abbreviation(number, old_name)
    document_number = city.short + number[len(abbreviation):]
    replacements[number] = document_number
    counties = list(city.counties)
    dropped = []
    for district in head.get("districts") or ():
        name, aliases = (district, []) if isinstance(district, str) else (district["name"],
                                                                         list(district.get("aliases") or ()))
        if _is_zone(name) or not name.endswith(("区", "县", "市")):
            new = name.replace(old_name, city.short) if old_name in name else city.short + name
            replacements[name] = new
            for alias in aliases:
                replacements.setdefault(alias, alias.replace(old_name, city.short) if old_name in alias
                                        else city.short + alias)
        elif counties:
            county = counties.pop(0)
            replacements[name] = county.name
            for alias in aliases:
                replacements.setdefault(alias, county.short or county.name)
        else:
            dropped.append(name)
    return SyntheticCity(city, region_id, head["id"], document_number,
                         {k: v for k, v in replacements.items() if k != v}, tuple(dropped))


def _rename_all(data: Any, synthetic: SyntheticCity) -> Any:
    if isinstance(data, str):
        return synthetic.rename(data)
    if isinstance(data, list):
        return [_rename_all(item, synthetic) for item in data]
    if isinstance(data, dict):
        return {key: data[key] if key == "id" else _rename_all(data[key], synthetic) for key in data}
    return data


def synthetic_region(template: dict[str, Any], synthetic: SyntheticCity, seed_name: str) -> dict[str, Any]:
    """The region file of `synthetic`: the template's facts with the names replaced."""
    head = template["region"]
    city = synthetic.city
    districts = []
    for district in head.get("districts") or ():
        name, aliases = (district, []) if isinstance(district, str) else (district["name"],
                                                                         list(district.get("aliases") or ()))
        if name in synthetic.dropped:
            continue
        new_aliases = list(dict.fromkeys(synthetic.rename(a) for a in aliases))
        new_name = synthetic.rename(name)
        districts.append({"name": new_name, "aliases": [a for a in new_aliases if a != new_name]})
    kept = {d["name"] for d in districts}
    facts = []
    for fact in template["facts"] or []:
        fact = _rename_all(fact, synthetic)
        if isinstance(fact.get("districts"), list):
            fact["districts"] = [d for d in fact["districts"] if d in kept]
            if not fact["districts"]:
                continue  # every district it named is one the new city has no county for
        facts.append(fact)
    document = _rename_all(dict(head["document"]), synthetic)
    document["number"] = synthetic.document_number
    document["seed"] = seed_name
    region = {"id": synthetic.region_id, "name": city.short, "full_name": city.name, "province": city.province,
              "aliases": [city.short], "document": document, "districts": districts}
    data = {"region": region, "facts": facts}
    if template.get("silent"):
        data["silent"] = _rename_all(template["silent"], synthetic)
    return data


# ------------------------------------------------------------------------------------------ generation

def _region_id(city: City, used: set[str]) -> str:
    base = "".join(lazy_pinyin(city.short))
    region_id, n = base, 2
    while region_id in used:
        region_id, n = f"{base}{n}", n + 1
    used.add(region_id)
    return region_id


def candidate_cities(knowledge_dir: Path = KNOWLEDGE) -> list[City]:
    """The real prefecture-level cities a synthetic KB may add, in the benchmark's fixed order."""
    real = KnowledgeBase.load(knowledge_dir)
    reserved = set(real.gazetteer)
    cities = prefectures(reserved)
    random.Random(SEED_ORDER).shuffle(cities)
    return cities


def generate(out: Path, cities: int, knowledge_dir: Path = KNOWLEDGE, seeds_dir: Path | None = None,
             check: bool = True) -> GrowthKB:
    """Write a KB of `cities` regions into `out`: the real ones of `knowledge_dir`, then synthetic copies.

    Raises ValueError if there are not enough usable cities or a generated fact does not prove against
    its seed (check=False skips the proof)."""
    seeds_dir = seeds_dir or knowledge_dir / "seeds"
    if out.exists():
        shutil.rmtree(out)
    (out / "regions").mkdir(parents=True)
    (out / "seeds").mkdir()
    if (knowledge_dir / "calendar").is_dir():
        shutil.copytree(knowledge_dir / "calendar", out / "calendar")
    templates = {}
    for path in sorted((knowledge_dir / "regions").glob("*.yml")):
        shutil.copy(path, out / "regions" / path.name)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        templates[data["region"]["id"]] = data
        seed = data["region"]["document"]["seed"]
        shutil.copy(seeds_dir / seed, out / "seeds" / seed)
    wanted = cities - len(templates)
    pool = candidate_cities(knowledge_dir) if wanted > 0 else []
    if wanted > len(pool):
        raise ValueError(f"{cities} cities asked for, but only {len(templates)} real and {len(pool)} usable "
                         "prefecture-level cities exist")
    used = set(templates)
    order = sorted(templates)
    synthetic = []
    for index, city in enumerate(pool[:max(wanted, 0)]):
        template = templates[order[index % len(order)]]
        plan_ = plan(city, template, _region_id(city, used))
        seed_text = (seeds_dir / template["region"]["document"]["seed"]).read_text(encoding="utf-8")
        new_seed = plan_.rename(seed_text)
        seed_name = f"{900 + index:04d}_{hashlib.sha256(new_seed.encode()).hexdigest()[:16]}.txt"
        (out / "seeds" / seed_name).write_text(new_seed, encoding="utf-8")
        region = synthetic_region(template, plan_, seed_name)
        (out / "regions" / f"{plan_.region_id}.yml").write_text(
            f"# synthetic (bench/growth_kb.py): {template['region']['name']}'s document renamed to {city.name}\n"
            + yaml.safe_dump(region, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
        synthetic.append(plan_)
    shared = yaml.safe_load((knowledge_dir / "shared.yml").read_text(encoding="utf-8"))
    covered = {s.city.short for s in synthetic} | {s.city.name for s in synthetic}
    shared["other_places"] = [p for p in shared.get("other_places") or [] if p not in covered]
    (out / "shared.yml").write_text(yaml.safe_dump(shared, allow_unicode=True, sort_keys=False, width=200),
                                    encoding="utf-8")
    result = GrowthKB(out, synthetic)
    if check:
        problems = provenance_problems(result)
        if problems:
            raise ValueError(f"{len(problems)} provenance problems in the synthetic KB, e.g.:\n  "
                             + "\n  ".join(problems[:10]))
    return result


def provenance_problems(kb: GrowthKB) -> list[str]:
    """Every fact of every region proved against its seed (bot.knowledge.sources.check_region)."""
    loaded = KnowledgeBase.load(kb.directory, kb.seeds)
    return [problem for region in loaded.regions for problem in check_region(region, kb.seeds)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.growth_kb", description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="directory to write the KB into (emptied first; not knowledge/)")
    ap.add_argument("--cities", type=int, default=330, help="regions in all, the five real ones included")
    a = ap.parse_args(argv)
    if a.out.resolve() == KNOWLEDGE.resolve() or KNOWLEDGE.resolve() in a.out.resolve().parents:
        raise SystemExit("refusing to write a synthetic KB into knowledge/")
    kb = generate(a.out, a.cities)
    print(f"wrote {len(kb.synthetic) + 5} regions ({len(kb.synthetic)} synthetic) to {a.out}; "
          f"BANDIAN_KNOWLEDGE_DIR={a.out} BANDIAN_SEEDS_DIR={kb.seeds}")


if __name__ == "__main__":
    main()
