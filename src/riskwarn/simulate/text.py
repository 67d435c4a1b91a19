"""Chinese texts of complaints, posts and inspection findings, by vectorised template choice.

A template is `head{n}tail`; the subject's name (as people say it) goes in `{n}`. What a
text says depends on why it was written (a real problem, a mild gripe, a crisis, a
malicious competitor, spam), so the words carry the latent risk, but imperfectly.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskwarn.simulate.population import cat

__all__ = [
    "TemplatePool",
    "COMPLAINT_SERIOUS",
    "COMPLAINT_MILD",
    "COMPLAINT_CRISIS",
    "COMPLAINT_MALICIOUS",
    "SPAM",
    "FINDINGS",
    "POST_RISK",
    "POST_MILD",
    "POST_PROMO",
    "TITLES",
    "LEGAL_BASIS",
    "CAUSES",
    "BLACKLIST_REASONS",
    "decorate",
]


class TemplatePool:
    """Templates grouped by key (e.g. topic id); `render` fills them for many rows at once."""

    def __init__(self, by_key: dict[str, list[str]]) -> None:
        self.keys = list(by_key)
        heads: list[str] = []
        tails: list[str] = []
        self.start: list[int] = []
        self.count: list[int] = []
        for key in self.keys:
            self.start.append(len(heads))
            self.count.append(len(by_key[key]))
            for tpl in by_key[key]:
                h, _, t = tpl.partition("{n}")
                heads.append(h)
                tails.append(t)
        self.heads, self.tails = pa.array(heads), pa.array(tails)
        self.has_name = np.array(["{n}" in tpl for k in self.keys for tpl in by_key[k]])
        self.start_a, self.count_a = np.array(self.start), np.array(self.count)
        self.index = {k: i for i, k in enumerate(self.keys)}

    def key_index(self, keys: np.ndarray) -> np.ndarray:
        """Positions of `keys` (unknown keys fall back to the first key); use on small lookup arrays."""
        return np.array([self.index.get(str(k), 0) for k in keys], dtype=np.int64)

    def render(self, rng: np.random.Generator, keys: np.ndarray, names: pa.Array) -> pa.Array:
        """One text per row: a random template of the row's key (position, or name) with its name filled in."""
        k = keys if np.issubdtype(np.asarray(keys).dtype, np.integer) else self.key_index(keys)
        pick = self.start_a[k] + (rng.random(len(k)) * self.count_a[k]).astype(np.int64)
        idx = pa.array(pick)
        filled = pc.if_else(
            pa.array(self.has_name[pick]), names.fill_null("这家店"), pa.scalar("", pa.string())
        )
        return cat(self.heads.take(idx), filled, self.tails.take(idx))

    def keys_for(self, keys: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Key positions for rows given a small lookup array `keys` and each row's index into it."""
        return self.key_index(keys)[idx]


COMPLAINT_SERIOUS = TemplatePool(
    {
        "food_safety": [
            "在{n}就餐后全家出现腹泻呕吐，怀疑食材不新鲜，请求查处",
            "{n}后厨卫生脏乱，看到有老鼠，餐具没有消毒",
            "在{n}买的熟食已过保质期，还在继续销售",
            "{n}使用地沟油，味道刺鼻，顾客吃完肚子疼",
            "{n}的凉菜里吃出了虫子，商家拒不处理",
        ],
        "drug_safety": [
            "{n}无处方销售处方药，还推荐抗生素",
            "在{n}买到的药品批号查不到，怀疑是假药",
            "{n}的执业药师长期不在岗",
        ],
        "gas_safety": [
            "{n}送来的液化气罐没有检验标识，存在安全隐患",
            "{n}充装的气瓶漏气，差点出事",
            "{n}私自改装燃气管道",
        ],
        "special_equipment": [
            "小区电梯（{n}管理）经常困人，维保记录造假",
            "{n}的电梯检验合格证过期仍在运行",
            "{n}的锅炉没有定期检验",
        ],
        "construction_safety": [
            "{n}施工现场不戴安全帽，脚手架摇晃",
            "{n}装修用的材料甲醛超标，还有刺鼻气味",
            "{n}违规存放危险化学品，离居民区很近",
        ],
        "wage_arrears": [
            "{n}拖欠农民工工资三个月，老板电话打不通",
            "我们在{n}干了半年活，工钱一分没拿到",
            "{n}以各种理由克扣工资",
        ],
        "prepaid_card": [
            "{n}办卡时承诺随时可退，现在拒绝退费",
            "在{n}充值5000元，课程还没上完就换了老板",
            "{n}诱导办理年卡，服务缩水",
        ],
        "illegal_fundraising": [
            "{n}以高息为诱饵向老年人吸收资金，年化承诺18%",
            "{n}搞理财讲座，推销保本高收益产品",
            "{n}到期不兑付本金，工作人员推诿",
        ],
        "price": [
            "{n}结账时多收钱，价格与标价不符",
            "{n}维修收费远高于报价，存在价格欺诈",
            "{n}未明码标价，随意要价",
        ],
        "quality": [
            "在{n}买的商品质量很差，用一次就坏了",
            "{n}加的油有问题，车子开了就抖",
            "{n}卖假冒名牌商品",
        ],
        "fraud": ["{n}签合同后不履行，收了定金不干活", "{n}虚假宣传，实际服务与宣传严重不符"],
    }
)
COMPLAINT_MILD = TemplatePool(
    {
        "any": [
            "{n}服务态度差，排队时间太长",
            "{n}门口乱停车，影响通行",
            "{n}营业时间太晚，噪音扰民",
            "{n}的服务员说话不耐烦",
            "{n}的会员积分规则看不懂，希望解释",
            "{n}外卖送得太慢了",
            "对{n}的服务不太满意，希望改进",
        ]
    }
)
COMPLAINT_CRISIS = TemplatePool(
    {
        "prepaid_card": [
            "{n}突然关门跑路了，卡里还有3000多元没用",
            "{n}已经停业，老板联系不上，几十名会员的钱退不了",
        ],
        "wage_arrears": ["{n}工地停工，包工头失联，工资没人管", "{n}资金链断了，拖欠全体员工工资"],
        "illegal_fundraising": [
            "{n}人去楼空，投资人的钱拿不回来",
            "{n}暂停兑付，门口聚集了很多投资人",
        ],
        "any": [
            "{n}最近经常关门，货架都空了，预付的钱怎么办",
            "{n}欠供应商货款不还，还在继续收定金",
            "{n}拖欠员工工资，老板躲着不见",
        ],
    }
)
COMPLAINT_MALICIOUS = TemplatePool(
    {
        "any": [
            "{n}卫生极差，大家千万别去！！！",
            "强烈要求查封{n}，黑心商家，坑人",
            "{n}用的全是过期原料，我亲眼所见，必须严查",
            "{n}无证经营，赶紧取缔",
            "举报{n}各种违法，希望相关部门彻查",
        ]
    }
)
SPAM = TemplatePool(
    {
        "any": [
            "下载【惠生活】APP，新人立领188元红包 http://t.cn/A6x{n}",
            "加微信 vx8866 代开各类发票，正规渠道😀😀",
            '<p>点击领取优惠券&nbsp;<a href="http://promo.example.cn/?id={n}">立即抢购</a></p>',
            "兼职刷单日结300元🔥 详情 www.jz-88.cn",
            "恭喜您获得免费体检名额，回复1领取 📱",
            '<div class="ad">全场一折起！！</div>{n}',
        ]
    }
)
FINDINGS = TemplatePool(
    {
        "violation": [
            "检查发现存放过期原料，违反相关法律规定，已立案调查",
            "现场发现未按规定进行进货查验，记录缺失，已立案",
            "发现安全隐患未整改，设备未按期检验，已依法查处",
            "检查发现无证经营，已责令停止并立案",
        ],
        "minor_issue": [
            "发现从业人员健康证过期，已责令限期改正",
            "台账记录不完整，已责令改正",
            "公示信息未及时更新，已当场整改",
            "消防通道有杂物堆放，已责令清理",
        ],
        "compliant": [
            "现场检查未发现问题",
            "经检查，各项制度落实到位，未发现违法违规行为",
            "证照齐全，现场管理规范",
        ],
        "not_found_at_address": [
            "经现场核查，通过登记的住所无法联系该主体",
            "现场已人去楼空，无法取得联系",
        ],
        "closed": ["现场检查时该店已停业", "检查时大门紧锁，处于停业状态"],
    }
)
POST_RISK = TemplatePool(
    {
        "food_safety": [
            "曝光！{n}后厨脏乱差，顾客吃出异物",
            "网友反映在{n}就餐后身体不适，多人就医",
        ],
        "drug_safety": ["{n}被指销售假药，监管部门已介入"],
        "gas_safety": ["{n}燃气安全隐患引关注，附近居民担心"],
        "special_equipment": ["{n}电梯又坏了，业主被困半小时"],
        "construction_safety": ["{n}工地发生险情，所幸无人受伤"],
        "wage_arrears": ["{n}工人讨薪无门，求助媒体"],
        "prepaid_card": ["又一家倒了？{n}关门，会员维权难"],
        "illegal_fundraising": ["警惕！{n}涉嫌非法集资，投资人报警"],
        "price": ["{n}价格欺诈被网友曝光"],
        "quality": ["{n}商品质量问题频发"],
        "fraud": ["{n}被指合同欺诈"],
    }
)
POST_MILD = TemplatePool(
    {
        "any": [
            "今天去了{n}，体验一般般吧",
            "{n}人好多，等了一个小时",
            "打卡{n}，环境还可以，就是有点贵",
            "{n}服务还行，下次再来",
        ]
    }
)
POST_PROMO = TemplatePool(
    {
        "any": [
            "{n}新店开业，全场八折🎉🎉 地址见评论区",
            "{n}周年庆，充值送好礼",
            "推荐{n}，良心商家👍",
        ]
    }
)
TITLES = TemplatePool(
    {
        "risk": ["消费者反映：{n}问题多", "关注｜{n}相关情况", "{n}被投诉"],
        "mild": ["探店{n}", "{n}体验分享"],
        "promo": ["{n}优惠活动", "好消息"],
        "spam": ["广告", "速看"],
    }
)
LEGAL_BASIS = TemplatePool(
    {
        "food_service": [
            "《中华人民共和国食品安全法》第一百二十四条",
            "《中华人民共和国食品安全法》第一百二十六条",
        ],
        "food_retail": [
            "《中华人民共和国食品安全法》第一百二十四条",
            "《陕西省食品小作坊小餐饮及摊贩管理条例》第四十条",
        ],
        "drugs": [
            "《中华人民共和国药品管理法》第一百二十六条",
            "《医疗器械监督管理条例》第八十六条",
        ],
        "hazchem": ["《危险化学品安全管理条例》第八十条", "《中华人民共和国安全生产法》第九十九条"],
        "gas": ["《城镇燃气管理条例》第四十五条"],
        "special_equipment": ["《中华人民共和国特种设备安全法》第八十四条"],
        "construction": [
            "《建设工程安全生产管理条例》第六十二条",
            "《保障农民工工资支付条例》第五十五条",
        ],
        "fuel_retail": ["《中华人民共和国产品质量法》第五十条"],
        "prepaid_card": ["《单用途商业预付卡管理办法（试行）》第三十六条"],
        "fireworks": ["《烟花爆竹安全管理条例》第三十六条"],
        "labour_intensive": ["《保障农民工工资支付条例》第五十四条"],
        "illegal_finance": ["《防范和处置非法集资条例》第三十条"],
        "ordinary": [
            "《中华人民共和国产品质量法》第四十九条",
            "《中华人民共和国价格法》第四十二条",
        ],
    }
)
CAUSES = TemplatePool(
    {
        "civil": [
            "买卖合同纠纷",
            "借款合同纠纷",
            "劳动争议",
            "建设工程施工合同纠纷",
            "服务合同纠纷",
            "房屋租赁合同纠纷",
        ],
        "enforcement": ["申请执行人民币给付", "首次执行"],
        "administrative": ["不服行政处罚决定"],
        "criminal": [
            "非法吸收公众存款罪",
            "生产、销售不符合安全标准的食品罪",
            "重大责任事故罪",
            "拒不支付劳动报酬罪",
        ],
    }
)
BLACKLIST_REASONS = TemplatePool(
    {
        "abnormal_operation": ["未按规定期限公示年度报告", "通过登记的住所或者经营场所无法联系"],
        "serious_dishonesty": ["因严重违法行为受到较重行政处罚", "提交虚假材料取得登记"],
        "dishonest_debtor": ["有履行能力而拒不履行生效法律文书确定义务"],
        "other": ["其他失信情形"],
    }
)

_EXTRAS = pa.array(
    [
        "",
        "，请尽快处理。",
        "\n联系电话：138****5678",
        '，商家说"爱找谁找谁"',
        "。\n（来电人要求回复）",
    ]
)


def decorate(rng: np.random.Generator, texts: pa.Array, share: float = 0.15) -> pa.Array:
    """Append, to a share of texts, endings with commas, ASCII quotes or newlines (as real feeds have)."""
    pick = np.where(rng.random(len(texts)) < share, rng.integers(1, len(_EXTRAS), len(texts)), 0)
    return cat(texts, _EXTRAS.take(pa.array(pick)))
