"""Segmentation keeps supervision-domain words whole."""

from __future__ import annotations

from riskwarn.features.text.segment import domain_words, segment


def test_domain_words_stay_whole():
    words = segment("老板跑路了，预付卡退费难，还拖欠工资，涉嫌无证经营和虚假宣传")
    for w in ("跑路", "预付卡", "退费难", "拖欠工资", "无证经营", "虚假宣传"):
        assert w in words, (w, words)
    assert " " not in words


def test_domain_words_include_topic_keywords_and_complaint_terms():
    words = set(domain_words())
    assert {"燃气泄漏", "非法集资", "拒不退款", "12345热线"} <= words
