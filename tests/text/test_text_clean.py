"""Cleaning strips markup, links, contacts, emoji and spam phrases and keeps the report itself."""

from __future__ import annotations

from riskwarn.features.text.clean import analyse, clean_batch, clean_text


def test_html_tags_and_entities_are_removed():
    c = analyse("<p>这家店卖<b>过期</b>食品&nbsp;&amp;&#x53d8;质</p><script>var a=1;</script>")
    assert "<" not in c.text and ">" not in c.text and "&nbsp;" not in c.text
    assert "var a" not in c.text
    assert "这家店卖过期食品" in c.text
    assert "变质" in c.text  # numeric entity decoded


def test_urls_emails_phones_and_messenger_ids_are_removed_and_counted():
    c = analyse(
        "退款难 https://t.cn/A6xYz 详见www.jz-88.cn 或 shop.example.com/p?id=3 "
        "邮箱 kefu@example.com 电话13912345678 座机029-88886666 加微信abc12345"
    )
    for gone in ("http", "t.cn", "www", "example", "@", "13912345678", "88886666", "abc12345"):
        assert gone not in c.text, gone
    assert c.links == 7
    assert c.text.startswith("退款难")


def test_numbers_that_are_not_phones_are_kept():
    c = analyse("订单号20231234567890123，金额12345元，12345热线")
    assert "20231234567890123" in c.text and "12345元" in c.text
    assert c.links == 0


def test_emoji_and_invisible_characters_are_removed():
    c = analyse("太坑了😡😡👎\u200b🇨🇳，退钱⭐")
    assert c.text == "太坑了,退钱"
    assert c.emoji >= 2


def test_spam_phrases_are_removed_and_counted():
    c = analyse("饭菜里有头发。下载APP领取优惠券！扫码关注公众号 日赚500元")
    assert "APP" not in c.text and "扫码" not in c.text and "日赚" not in c.text
    assert c.spam_phrases >= 4
    assert c.text == "饭菜里有头发"


def test_nfkc_turns_full_width_into_half_width():
    assert clean_text("ＡＰＰ下载　价格１２３元") == "价格123元"


def test_whitespace_between_chinese_is_dropped_and_punctuation_runs_collapse():
    assert clean_text("  服务  很差 ！！！！ ？？ 再也不来了。。。 ") == "服务很差!再也不来了"


def test_none_and_empty_clean_to_empty():
    batch = clean_batch([None, "", "   ", "😀"])
    assert batch.texts.to_pylist() == ["", "", "", ""]
    assert batch.content.tolist() == [0, 0, 0, 0]


def test_batch_and_single_agree():
    texts = ["<b>欠薪</b> 13912345678", "正常文本", None]
    batch = clean_batch(texts)
    assert [batch.row(i) for i in range(3)] == [analyse(t) for t in texts]
