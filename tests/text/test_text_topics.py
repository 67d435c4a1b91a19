"""Risk topics are found from the keyword lexicon and counted only for the industries they apply to."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskwarn.errors import ConfigError
from riskwarn.features.text import load_topics, score_texts, topics_for_industry


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("在这家饭店吃完拉肚子，菜里有苍蝇", "food_safety"),
        ("包工头拖欠工资半年，讨薪无门", "wage_arrears"),
        ("楼下餐馆燃气泄漏，一股气味", "gas_safety"),
        ("公司承诺高额回报，现在无法兑付", "illegal_fundraising"),
        ("健身房办了年卡，现在闭店跑路了", "prepaid_card"),
        ("药店无处方卖处方药", "drug_safety"),
        ("小区电梯困人半小时", "special_equipment"),
        ("工地脚手架不牢，工人没戴安全帽", "construction_safety"),
        ("结账时乱收费，和标价不一样", "price"),
        ("买的热水器用了两天就坏了，质量问题", "quality"),
        ("商家虚假宣传，就是骗子", "fraud"),
    ],
)
def test_industry_keywords_find_their_topic(model, text, topic):
    assert topic in score_texts([text], model=model)["risk_topics"][0]


def test_plain_text_has_no_topic(model):
    assert score_texts(["今天天气不错，去公园散步"], model=model)["risk_topics"][0] == []


def test_topics_apply_only_to_their_industries(model):
    lex = load_topics()
    assert lex.topic("food_safety").applies_to("H6210")  # 正餐服务
    assert not lex.topic("food_safety").applies_to("E4710")  # 房屋建筑
    assert lex.topic("construction_safety").applies_to("E4710")
    assert lex.topic("fraud").applies_to(None)  # '*': every industry, even unknown
    assert not lex.topic("gas_safety").applies_to(None)
    found = ["food_safety", "fraud", "construction_safety"]
    assert topics_for_industry(found, "H6210") == ["food_safety", "fraud"]
    text = "饭店虚假宣传，菜里有苍蝇"
    scored = score_texts([text, text], industries=["H6210", "E4710"], model=model)
    assert scored["risk_topics"][0] == ["food_safety", "fraud"]
    assert scored["risk_topics"][1] == ["fraud"]


def test_every_topic_has_labels_keywords_and_valid_industries():
    lex = load_topics()
    assert len(lex.topics) >= 11
    assert len(set(lex.ids)) == len(lex.ids)
    for t in lex.topics:
        assert t.label_zh and t.label_en and t.keywords and t.industries
    assert lex.version.startswith("topics-")


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "risk_topics.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_malformed_topic_names_the_topic_and_field(tmp_path):
    path = _write(
        tmp_path,
        "topics:\n  - id: food_safety\n    label_zh: 食品安全\n    label_en: food\n"
        "    keywords: [变质]\n    industries: [h62x]\n",
    )
    with pytest.raises(ConfigError, match=r"topic 'food_safety'.*'industries'.*'h62x'"):
        load_topics(path)


def test_missing_label_and_duplicate_ids_are_rejected(tmp_path):
    no_label = _write(
        tmp_path,
        "topics:\n  - id: price\n    label_en: price\n    keywords: [涨价]\n    industries: ['*']\n",
    )
    with pytest.raises(ConfigError, match=r"topic 'price'.*'label_zh'"):
        load_topics(no_label)
    entry = "  - id: price\n    label_zh: 价格\n    label_en: price\n    keywords: [涨价]\n    industries: ['*']\n"
    dup = tmp_path / "dup.yaml"
    dup.write_text("topics:\n" + entry + entry, encoding="utf-8")
    with pytest.raises(ConfigError, match="declared twice"):
        load_topics(dup)
