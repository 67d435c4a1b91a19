"""Spam never raises risk: spam scores negativity 0 and no topics, and adding spam never increases
a subject's negativity-derived values."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskwarn.features.text import score_texts
from riskwarn.features.text.clean import analyse
from riskwarn.features.text.spam import is_spam

SPAM_ITEMS = [
    "下载APP领取188元红包",
    "点击链接领取",
    "扫码关注公众号",
    "加微信abc12345",
    "加V私聊",
    "http://t.cn/A6xYz9",
    "www.jz-88.cn",
    "13912345678",
    "400-820-8820",
    "日赚500元",
    "兼职刷单",
    "代开各类发票",
    "注册就送",
    "首充送",
    "澳门首家线上赌场",
    "免费领取",
    "😀😀",
    "🔥",
    '<a href="http://promo.example.cn/?id=3">立即下载</a>',
    "<p>限时优惠</p>",
]
SEPARATORS = [" ", "，", "！", "!! ", "\n", " 👉 "]
REPORT_PIECES = [
    "这家饭店卖过期食品",
    "吃完肚子疼",
    "老板拖欠工资三个月",
    "健身房突然关门跑路",
    "燃气管道漏气没人管",
    "电梯经常困人",
    "服务很好",
    "环境干净",
    "请问怎么办理执照",
    "价格比别家贵",
    "，",
    "。",
    "！",
    "123",
    "abc",
    "的",
    "了",
]

spam_texts = st.lists(st.sampled_from(SPAM_ITEMS), min_size=1, max_size=6).flatmap(
    lambda items: st.lists(
        st.sampled_from(SEPARATORS), min_size=len(items), max_size=len(items)
    ).map(lambda seps: "".join(s + i for s, i in zip(seps, items, strict=True)).strip())
)
report_texts = st.one_of(
    st.lists(st.sampled_from(REPORT_PIECES), min_size=1, max_size=8).map("".join),
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["Lo", "Nd", "Po", "Zs"]), max_size=40
    ),
)


def test_spam_only_texts_score_zero_and_no_topics(model):
    texts = [
        "下载APP领取188元红包 http://t.cn/A6xYz",
        "加微信 vx8866 代开各类发票，正规渠道😀😀",
        '<p>点击领取优惠券&nbsp;<a href="http://promo.example.cn/?id=3">立即抢购</a></p>',
        "兼职刷单日结300元🔥 详情 www.jz-88.cn",
        "澳门首家线上赌场，注册就送，食品安全有保障，拖欠工资包赔",
    ]
    scored = score_texts(texts, model=model)
    assert scored["is_spam"].all()
    assert (scored["negativity"] == 0.0).all()
    assert all(len(t) == 0 for t in scored["risk_topics"])


def test_a_real_complaint_carrying_an_advert_is_not_spam(model):
    text = "小区门口的饭店卖变质食品，吃完全家拉肚子，请尽快处理 下载APP领取红包"
    scored = score_texts(
        [text, "小区门口的饭店卖变质食品，吃完全家拉肚子，请尽快处理"], model=model
    )
    assert not scored["is_spam"].any()
    assert scored["negativity"][0] == scored["negativity"][1]
    assert scored["risk_topics"][0] == ["food_safety"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=report_texts, spam=spam_texts)
def test_appending_spam_to_a_text_never_raises_its_negativity(model, report, spam):
    scored = score_texts([report, report + " " + spam], model=model)
    before, after = scored["negativity"].fillna(0.0)
    assert after <= before + 1e-12
    assert set(scored["risk_topics"][1]) <= set(scored["risk_topics"][0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reports=st.lists(report_texts, min_size=0, max_size=6),
    spams=st.lists(spam_texts, min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_adding_spam_texts_to_a_subject_never_raises_its_risk_values(model, reports, spams, seed):
    """Sum of negativity, count of negative texts and topic set never grow when spam is added."""
    base = score_texts(reports, model=model) if reports else None
    mixed = list(reports) + list(spams)
    np.random.default_rng(seed).shuffle(mixed)
    both = score_texts(mixed, model=model)

    def values(df):
        if df is None:
            return 0.0, 0, set()
        neg = df["negativity"].fillna(0.0)
        return float(neg.sum()), int((neg > 0.5).sum()), {t for ts in df["risk_topics"] for t in ts}

    s0, n0, t0 = values(base)
    s1, n1, t1 = values(both)
    assert s1 <= s0 + 1e-9
    assert n1 <= n0
    assert t1 <= t0


@given(spam=spam_texts, more=spam_texts)
@settings(max_examples=100, deadline=None)
def test_more_advert_evidence_never_unflags_spam(spam, more):
    if is_spam(analyse(spam)):
        assert is_spam(analyse(spam + " " + more))
