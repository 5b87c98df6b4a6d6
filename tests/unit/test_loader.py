"""The loader validates the KB and reports every mistake with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge.loader import KnowledgeError, load_regions, load_vocabulary
from tests.conftest import KNOWLEDGE

REGION_HEAD = """\
region:
  id: testcity
  name: 测试
  full_name: 测试市
  province: 测试省
  document: {number: 测〔2021〕1号, title: 标题, issuer: 测试局, date: 2021-01-01, seed: x.txt}
  districts: [{name: 甲区, aliases: [甲]}]
facts:
"""
GOOD_FACT = """\
  - id: t-1
    topic: time_limit
    category: resident
    value: {amount: 3, unit: 工作日}
    statement: 居民用户3个工作日
    source: {section: 一、, excerpt: 居民用户3个工作日}
"""


def load_text(tmp_path: Path, text: str):
    regions = tmp_path / "regions"
    regions.mkdir(exist_ok=True)
    (regions / "testcity.yml").write_text(text, encoding="utf-8")
    shutil.copy(KNOWLEDGE / "shared.yml", tmp_path / "shared.yml")
    return load_regions(regions, load_vocabulary(tmp_path / "shared.yml"))


def test_a_valid_file_loads(tmp_path):
    [region] = load_text(tmp_path, REGION_HEAD + GOOD_FACT)
    assert region.facts[0].value.amount == 3
    assert region.districts[0].aliases == ("甲",)


@pytest.mark.parametrize(
    ("fact", "message"),
    [
        (GOOD_FACT.replace("topic: time_limit", "topic: weather"), "unknown topic 'weather'"),
        (GOOD_FACT.replace("category: resident", "category: martian"), "unknown category 'martian'"),
        (GOOD_FACT + "    colour: red\n", "unknown key(s) in fact: ['colour']"),
        (GOOD_FACT.replace("    source: {section: 一、, excerpt: 居民用户3个工作日}\n", ""), "missing key(s) in fact"),
        (GOOD_FACT.replace("unit: 工作日", "unit: 光年"), "unknown unit '光年'"),
        (GOOD_FACT.replace("excerpt: 居民用户3个工作日", "excerpt: ''"), "excerpt must be a non-empty"),
        (GOOD_FACT + GOOD_FACT, "duplicate fact id 't-1'"),
    ],
)
def test_mistakes_are_reported_with_file_and_line(tmp_path, fact, message):
    with pytest.raises(KnowledgeError) as error:
        load_text(tmp_path, REGION_HEAD + fact)
    text = str(error.value)
    assert message in text
    assert "testcity.yml:" in text
    line = int(text.split("testcity.yml:")[1].split(":")[0])
    assert line >= 9  # the fact's own line, after the 8-line region head


def test_yaml_syntax_error_names_the_file(tmp_path):
    with pytest.raises(KnowledgeError, match="testcity.yml: YAML syntax error"):
        load_text(tmp_path, REGION_HEAD + "  - id: [unclosed\n")


def test_an_empty_folder_is_an_error(tmp_path):
    (tmp_path / "regions").mkdir()
    with pytest.raises(KnowledgeError, match="no region files"):
        load_regions(tmp_path / "regions", load_vocabulary(KNOWLEDGE / "shared.yml"))


def test_the_real_knowledge_base_covers_the_five_documents(kb):
    documents = {r.name: r.document.number for r in kb.regions}
    assert documents == {
        "烟台": "烟发改能源〔2020〕205号",
        "枣庄": "枣能源字〔2021〕33号",
        "黔东南": "黔东南发改能源〔2021〕57号",
        "连云港": "连政办传〔2021〕56号",
        "安阳": "安供电营销〔2022〕24号",
    }
    for region in kb.regions:
        assert len(region.facts) >= 30, region.name
        assert region.silences, f"{region.name} has no explicit 'document is silent' entries"
