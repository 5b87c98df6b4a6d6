"""The knowledge-base entity extractor: realistic sentences, odd input, and the Rasa integration.

Most tests build a tiny knowledge base in a temporary folder (shared.yml from the project, three
small region files), so they do not depend on the real region files; two tests use the real KB.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import jieba
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.knowledge.service import KnowledgeBase
from bot.nlu.dictionary import domain_words
from bot.nlu.entities import KnowledgeEntityExtractor
from bot.nlu.entity_matcher import EntityMatcher, values
from bot.nlu.tokenizer import BlankFreeJiebaTokenizer
from bot.reading.quantities import fold, format_amount, parse_number
from tests.conftest import KNOWLEDGE

DOCUMENT = "document: {{number: 测〔2021〕{n}号, title: 标题, issuer: 测试局, date: 2021-01-01, seed: {n}.txt}}"
FACT = """\
  - id: {code}-1
    topic: time_limit
    category: resident
    value: {{amount: 3, unit: 工作日}}
    statement: 居民用户3个工作日
    source: {{section: 一、, excerpt: 居民用户3个工作日}}
"""
REGIONS = {
    "zaozhuang": ("枣庄", "枣庄市", "山东省", "[枣庄]",
                  "[{name: 滕州市, aliases: [滕州]}, {name: 市中区}, {name: 薛城区}]"),
    "yantai": ("烟台", "烟台市", "山东省", "[]",
               "[{name: 莱州市, aliases: [莱州]}, {name: 海阳市, aliases: [海阳]}]"),
    "lianyungang": ("连云港", "连云港市", "江苏省", "[港城]",
                    "[{name: 东海县, aliases: [东海]}, {name: 赣榆区, aliases: [赣榆]}]"),
}


def write_kb(directory: Path) -> Path:
    """shared.yml from the project and three small region files (docs/kb-authoring.md layout)."""
    (directory / "regions").mkdir(parents=True)
    shutil.copy(KNOWLEDGE / "shared.yml", directory / "shared.yml")
    for n, (region_id, (name, full_name, province, aliases, districts)) in enumerate(REGIONS.items()):
        text = (
            f"region:\n  id: {region_id}\n  name: {name}\n  full_name: {full_name}\n  province: {province}\n"
            f"  aliases: {aliases}\n  {DOCUMENT.format(n=n)}\n  districts: {districts}\n"
            f"facts:\n{FACT.format(code=region_id[:2])}"
        )
        (directory / "regions" / f"{region_id}.yml").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kb(tmp_path_factory.mktemp("kb"))


@pytest.fixture(scope="module")
def matcher(kb_dir: Path) -> EntityMatcher:
    return EntityMatcher(KnowledgeBase.load(kb_dir))


def pairs(matcher: EntityMatcher, text: str) -> list[tuple[str, str, str]]:
    """(entity, surface text, value) for each entity found."""
    return [(e["entity"], text[e["start"]:e["end"]], e["value"]) for e in matcher.extract(text)]


# ---- realistic sentences ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我在滕州开了个150千瓦的厂子",
         [("district", "滕州", "滕州市"), ("capacity", "150千瓦", "150千瓦"), ("customer_type", "厂子", "企业")]),
        ("莱州农村80千伏安的作坊",
         [("district", "莱州", "莱州市"), ("area", "农村", "农村地区"), ("capacity", "80千伏安", "80千伏安"),
          ("customer_type", "作坊", "低压小微企业")]),
        ("１０ＫＶ双电源", [("voltage", "１０ＫＶ", "10千伏"), ("supply", "双电源", "双电源")]),
        ("十千伏", [("voltage", "十千伏", "10千伏")]),
        ("一百六十千瓦", [("capacity", "一百六十千瓦", "160千瓦")]),
        ("杭州的企业", [("region", "杭州", "杭州"), ("customer_type", "企业", "企业")]),
        ("杭州市的工厂办电要多久", [("region", "杭州", "杭州"), ("customer_type", "工厂", "企业")]),
        ("枣庄和连云港的居民分别要几天",
         [("region", "枣庄", "枣庄"), ("region", "连云港", "连云港"), ("customer_type", "居民", "居民用户")]),
        ("港城小微企业接电", [("region", "港城", "连云港"), ("customer_type", "小微企业", "低压小微企业")]),
        ("10千伏单电源用户办电多久", [("customer_type", "10千伏单电源用户", "10千伏单电源用户")]),
        ("35kV双回路供电要几个环节", [("voltage", "35kV", "35千伏"), ("supply", "双回路", "双电源")]),
        ("10（20）千伏单电源", [("voltage", "10（20）千伏", "10千伏"), ("supply", "单电源", "单电源")]),
        ("0.4千伏低压接入", [("voltage", "0.4千伏", "0.4千伏"), ("voltage", "低压", "低压")]),
        ("三十五千伏及以上", [("voltage", "三十五千伏", "35千伏")]),
        ("一百一十千伏变电站", [("voltage", "一百一十千伏", "110千伏")]),
        ("家里380V进线", [("customer_type", "家里", "居民用户"), ("voltage", "380V", "380伏")]),
        ("高压用户要带什么", [("customer_type", "高压用户", "高压用户")]),
        ("我是高压客户", [("voltage", "高压", "高压")]),
        ("烟台市区低压非居民用户",
         [("region", "烟台", "烟台"), ("area", "市区", "市区"), ("customer_type", "低压非居民用户", "低压非居民用户")]),
        ("非居民企业", [("customer_type", "非居民企业", "低压非居民用户")]),
        ("城市中心区的可靠性", [("area", "城市中心区", "中心区")]),
        ("镇上开超市", [("area", "镇上", "城镇"), ("customer_type", "超市", "企业")]),
        ("开发区充电桩", [("area", "开发区", "园区"), ("customer_type", "充电桩", "充电设施")]),
        ("村集体的机井", [("customer_type", "机井", "机井")]),
        ("5G基站接电", [("customer_type", "5G基站", "5G基站")]),
        ("线路300米以内", [("length", "300米", "300米")]),
        ("距离1.5km", [("length", "1.5km", "1.5公里")]),
        ("两公里外", [("length", "两公里", "2公里")]),
        ("今天天气怎么样", []),
    ],
)
def test_realistic_sentences(matcher, text, expected):
    assert pairs(matcher, text) == expected


def test_a_district_gives_its_region_through_a_lookup(matcher):
    assert values(matcher.extract("我在滕州开了个150千瓦的厂子"), "district") == ["滕州市"]
    assert values(matcher.extract("我在滕州开了个150千瓦的厂子"), "region") == []
    assert matcher.region_of("滕州市") == "枣庄"
    assert matcher.region_of("东海县") == "连云港"
    assert matcher.region_of("杭州") is None


@pytest.mark.parametrize(
    ("text", "capacity"),
    [
        ("150千瓦", "150千瓦"), ("１６０ｋＷ", "160千瓦"), ("80kva的作坊", "80千伏安"), ("80 KVA", "80千伏安"),
        ("８０ｋＶＡ", "80千伏安"), ("八十千伏安", "80千伏安"), ("容量是90.5千伏安", "90.5千伏安"),
        ("两百千瓦", "200千瓦"), ("一百五千瓦", "150千瓦"), ("1,000千瓦", "1000千瓦"), ("100kW", "100千瓦"),
        ("100kVA", "100千伏安"), ("10kVA变压器", "10千伏安"), ("两千五千伏安", "2500千伏安"), ("一五〇千瓦", "150千瓦"),
        ("100，150千瓦", "150千瓦"),  # a Chinese comma separates numbers, it does not group digits
    ],
)
def test_capacity_keeps_the_unit_as_written(matcher, text, capacity):
    found = matcher.extract(text)
    assert values(found, "capacity") == [capacity]
    assert values(found, "voltage") == []  # 千伏安 / kVA is never read as a voltage


@pytest.mark.parametrize(
    "text", ["100千瓦时", "用了100kWh", "千瓦是什么单位", "上百千瓦", "多少千伏安", "100平方米", "5mm"]
)
def test_things_that_are_not_capacities_or_lengths(matcher, text):
    found = matcher.extract(text)
    assert values(found, "capacity") == [] and values(found, "length") == []


# ---- overlaps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("东海县居民", [("district", "东海县", "东海县"), ("customer_type", "居民", "居民用户")]),  # not 东海 again
        ("枣庄市中区", [("region", "枣庄", "枣庄"), ("district", "市中区", "市中区")]),
        ("枣庄市", [("region", "枣庄市", "枣庄")]),
        ("东海县城", [("district", "东海", "东海县"), ("area", "县城", "县城区")]),
        ("江苏连云港", [("region", "连云港", "连云港")]),  # the covered region's province adds nothing
        ("山东海阳", [("district", "海阳", "海阳市")]),  # not 东海
        ("江苏", [("region", "江苏", "江苏")]),
        ("杭州和烟台比一比", [("region", "杭州", "杭州"), ("region", "烟台", "烟台")]),
        ("中心城区", [("area", "中心城区", "中心区")]),
        ("城市规划区", [("area", "城市规划区", "城市规划区")]),
    ],
)
def test_longest_cover_wins(matcher, text, expected):
    assert pairs(matcher, text) == expected


def test_entities_never_overlap_and_come_in_text_order(matcher):
    text = "烟台市区和滕州市区的10千伏双电源用户、低压小微企业，150千瓦，300米，杭州市"
    found = matcher.extract(text)
    assert len(found) >= 8
    for before, after in zip(found, found[1:], strict=False):
        assert before["end"] <= after["start"]


# ---- odd input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", None, "   ", "😀😀😀", "🔌⚡️👍", "\u200b\u200b", "\x00\x01", "ＡＢＣ", "a" * 10])
def test_odd_input_gives_nothing_and_does_not_raise(matcher, text):
    assert matcher.extract(text) == []


def test_emoji_and_mixed_scripts_keep_offsets_right(matcher):
    text = "😀我在滕州 open a factory, 150 KW ⚡️ thanks"
    found = matcher.extract(text)
    assert pairs(matcher, text) == [("district", "滕州", "滕州市"), ("capacity", "150 KW", "150千瓦")]
    assert all(text[e["start"]:e["end"]] for e in found)


def test_long_input_is_truncated_and_fast(matcher):
    text = "我在滕州开了个150千瓦的厂子，" * 320  # 5,120 characters
    started = time.perf_counter()
    found = matcher.extract(text)
    elapsed = time.perf_counter() - started
    assert found and all(e["end"] <= matcher.max_chars for e in found)
    assert elapsed < 1.0


def test_typical_messages_take_well_under_two_milliseconds(matcher):
    texts = ["我在滕州开了个150千瓦的厂子，接电要带什么", "莱州农村80千伏安的作坊多久能通电",
             "１０ＫＶ双电源办电几个环节", "杭州的企业", "烟台市区低压非居民用户收费吗"]
    for text in texts:
        matcher.extract(text)
    rounds = 50
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            matcher.extract(text)
    per_message = (time.perf_counter() - started) / (rounds * len(texts))
    assert per_message < 0.004  # ~0.3 ms here; generous for a busy CI machine


def test_every_entity_has_the_rasa_fields(matcher):
    for entity in matcher.extract("莱州农村80千伏安的作坊"):
        assert set(entity) == {"entity", "start", "end", "value", "confidence_entity", "extractor"}
        assert entity["extractor"] == "KnowledgeEntityExtractor"
        assert entity["confidence_entity"] == 1.0


def test_without_spacy_the_character_scan_gives_the_same_entities(kb_dir, matcher):
    plain = EntityMatcher(KnowledgeBase.load(kb_dir), use_spacy=False)
    for text in ("我在滕州开了个150千瓦的厂子", "莱州农村80千伏安的作坊", "江苏连云港东海县城10kv双电源"):
        assert plain.extract(text) == matcher.extract(text)


# ---- tokens ------------------------------------------------------------------------------------


def test_spans_widen_to_rasa_tokens_unless_that_eats_another_entity(matcher):
    text = "滕州人开厂子"
    tokens = [Token("滕州人", 0), Token("开", 3), Token("厂子", 4)]
    found = matcher.extract(text, tokens)
    assert [(e["start"], e["end"], e["value"]) for e in found] == [(0, 3, "滕州市"), (4, 6, "企业")]
    text = "滕州市区"  # jieba: 滕州市 / 区; widening 滕州 would swallow 市区
    found = matcher.extract(text, [Token("滕州市", 0), Token("区", 3)])
    assert [(text[e["start"]:e["end"]], e["value"]) for e in found] == [("滕州", "滕州市"), ("市区", "市区")]


def test_kb_words_go_into_jieba_so_names_stay_whole(kb_dir, matcher):
    words = domain_words(KnowledgeBase.load(kb_dir))
    assert {"滕州市", "港城", "双回路", "杭州"} <= set(words)  # KB names, supply terms, uncovered places
    assert "港城" in jieba.lcut("港城的企业")
    assert "滕州" in jieba.lcut("我在滕州开了个厂子")


# ---- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [("150", 150), ("１５０", 150), ("1,000", 1000), ("90.5", 90.5), ("一百六十", 160), ("一百五", 150),
     ("两千五", 2500), ("一万五", 15000), ("两万", 20000), ("零点四", 0.4), ("一五〇", 150), ("三百零五", 305),
     ("十", 10), ("abc", None), ("", None)],
)
def test_numbers(text, number):
    assert parse_number(text) == number


def test_folding_keeps_offsets_and_amounts_print_cleanly():
    for text in ("１０ＫＶ", "㎾ 𝟙𝟘 ½ ﬁ 😀", "İstanbul", "中文ＡＢＣ（２０）"):
        assert len(fold(text)) == len(text)
    assert fold("１０ＫＶ（２０）") == "10kv(20)"
    assert (format_amount(150.0), format_amount(0.4), format_amount(90.5)) == ("150", "0.4", "90.5")


# ---- Rasa --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def component(kb_dir: Path) -> KnowledgeEntityExtractor:
    return KnowledgeEntityExtractor.create(
        {**KnowledgeEntityExtractor.get_default_config(), "knowledge_dir": str(kb_dir)},
        LocalModelStorage(kb_dir / "model"), Resource("entities"), ExecutionContext(GraphSchema({})),
    )


def test_the_rasa_component_adds_entities_aligned_to_tokens(kb_dir, component):
    tokenizer = BlankFreeJiebaTokenizer.create(
        {**BlankFreeJiebaTokenizer.get_default_config(), "dictionary_path": None},
        LocalModelStorage(kb_dir / "model"), Resource("tokenizer"), ExecutionContext(GraphSchema({})),
    )
    message = Message.build(text="我在滕州开了个150千瓦的厂子")
    [message] = component.process(tokenizer.process([message]))
    entities = message.get(ENTITIES)
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("district", "滕州市"), ("capacity", "150千瓦"), ("customer_type", "企业")]
    starts = {t.start for t in message.get(TOKENS_NAMES[TEXT])}
    ends = {t.end for t in message.get(TOKENS_NAMES[TEXT])}
    assert all(e["start"] in starts and e["end"] in ends for e in entities)
    assert all(e["extractor"] == "KnowledgeEntityExtractor" for e in entities)
    assert ENTITIES in message.as_dict_nlu() or message.get(ENTITIES)


def test_the_rasa_component_keeps_other_extractors_entities_and_needs_no_tokens(component):
    earlier = {"entity": "x", "start": 0, "end": 1, "value": "x", "extractor": "Other"}
    message = Message(data={TEXT: "１０ＫＶ双电源", ENTITIES: [earlier]})
    [message] = component.process([message])
    assert message.get(ENTITIES)[0] == earlier
    assert [e["value"] for e in message.get(ENTITIES)[1:]] == ["10千伏", "双电源"]
    [empty] = component.process([Message(data={TEXT: ""})])
    assert empty.get(ENTITIES) == []


def test_the_component_is_registered_and_validates_in_a_pipeline(kb_dir):
    from rasa.engine.validation import validate
    from rasa.shared.data import TrainingType

    registered = DefaultV1Recipe._from_registry("bot.nlu.entities.KnowledgeEntityExtractor")
    assert registered.clazz is KnowledgeEntityExtractor
    assert DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR in registered.types
    assert not registered.is_trainable
    config = {"recipe": "default.v1", "language": "zh", "policies": [], "pipeline": [
        {"name": "bot.nlu.tokenizer.BlankFreeJiebaTokenizer", "dictionary_path": None},
        {"name": "bot.nlu.entities.KnowledgeEntityExtractor", "knowledge_dir": str(kb_dir)},
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 1, "entity_recognition": False},
    ]}
    validate(DefaultV1Recipe().graph_config_for_recipe(config, {}, TrainingType.NLU))


# ---- the real knowledge base (knowledge/regions/*.yml) ------------------------------------------

needs_real_kb = pytest.mark.skipif(
    not any((KNOWLEDGE / "regions").glob("*.yml")), reason="knowledge/regions/*.yml not written yet"
)


@pytest.fixture(scope="module")
def real_matcher() -> EntityMatcher:
    return EntityMatcher(KnowledgeBase.load(KNOWLEDGE))


@needs_real_kb
@pytest.mark.parametrize(
    ("text", "region"),
    [("我在滕州开了个150千瓦的厂子", "枣庄"), ("林州的居民", "安阳"), ("凯里城区", "黔东南"),
     ("东海县开超市", "连云港"), ("莱州农村80千伏安的作坊", "烟台")],
)
def test_real_kb_districts_map_to_their_region(kb, real_matcher, text, region):
    [district] = values(real_matcher.extract(text), "district")
    assert real_matcher.region_of(district) == region
    assert kb.resolve_region(district).name == region


@needs_real_kb
def test_real_kb_regions_and_uncovered_places(real_matcher):
    found = real_matcher.extract("枣庄、烟台、黔东南、连云港、安阳和杭州比一比")
    assert values(found, "region") == ["枣庄", "烟台", "黔东南", "连云港", "安阳", "杭州"]
