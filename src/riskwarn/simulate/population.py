"""The supervised subjects: types, regions, industries, USCCs, names and static latent traits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskwarn.contract.regions import CITIES, COUNTIES, YANGLING_CODE
from riskwarn.contract.uscc import CHARSET, WEIGHTS
from riskwarn.simulate.tables import INDUSTRIES, TYPE_SHARES, YANGLING_SHARE, industry_arrays

__all__ = ["Population", "cat", "county_table", "make_population", "pick", "uscc_codes"]

_SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉鹏飞红玲海波斌宁浩凯")
_ZH_A = list("秦华长兴宏盛鑫隆泰安康瑞丰汇源聚德福顺和祥金龙凤云海天宇博新恒通达信诚佳美乐惠")
_ZH_B = list("兴盛达源丰祥泰隆昌华宇辉鑫悦嘉诚旺福佳和顺鼎辰川远峰晟安邦")
_PERSONAL = ("老{s}", "{s}记", "{s}家", "小{s}", "{s}氏", "阿{s}", "{s}姐", "{s}师傅")
_BRANDS = (
    "老碗",
    "秦味",
    "长安",
    "大唐",
    "陕味",
    "西府",
    "关中",
    "百姓",
    "好邻居",
    "唐都",
    "古城",
    "三秦",
    "华府",
    "一品",
    "城南",
)
_STREETS = (
    "长安路",
    "解放路",
    "建设路",
    "人民路",
    "朱雀大街",
    "太白路",
    "东风路",
    "文化路",
    "中山街",
    "新华路",
    "北大街",
    "南关正街",
    "友谊路",
    "环城路",
    "滨河路",
)
_ORG_FORMS = ("有限公司", "有限责任公司", "股份有限公司", "集团有限公司")
_TYPE_PREFIX = (("91",), ("92",), ("93",), ("12", "52"))
_CHARS = np.array(list(CHARSET))


def cat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and literals (vectorised, nulls stay null)."""
    arrays = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*arrays, "")


def pick(choice: np.ndarray, *options: pa.Array | None) -> pa.Array:
    """Row i of options[choice[i]] (None = null), without materialising Python strings."""
    n = len(choice)
    arrays = [pa.nulls(n, pa.string()) if o is None else o.cast(pa.string()) for o in options]
    combined = pa.concat_arrays(
        [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    )
    return combined.take(pa.array(np.asarray(choice, dtype=np.int64) * n + np.arange(n)))


def county_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(county codes, their probabilities, their Chinese names) from the cities' shares.

    Within a city the first-listed (central) districts get more subjects (weights 1/rank^0.6).
    """
    codes: list[str] = []
    probs: list[float] = []
    total_share = sum(c.share for c in CITIES.values())
    for city in CITIES.values():
        counties = [k for k in COUNTIES if k[:4] == city.code[:4] and k != YANGLING_CODE]
        w = 1.0 / np.arange(1, len(counties) + 1) ** 0.6
        w = w / w.sum() * city.share / total_share * (1 - YANGLING_SHARE)
        codes += counties
        probs += list(w)
    codes.append(YANGLING_CODE)
    probs.append(YANGLING_SHARE)
    p = np.array(probs)
    return np.array(codes), p / p.sum(), np.array([COUNTIES[c] for c in codes])


def uscc_codes(prefix2: np.ndarray, region6: np.ndarray, serial: np.ndarray) -> pa.Array:
    """Valid USCCs: 2 type chars + 6 region digits + 9-char organisation code + check char.

    The organisation code is a bijective scramble of the global serial number, so codes are
    unique across chunks without coordination.
    """
    n = len(serial)
    mod = 31**9
    scrambled = (serial.astype(np.int64) * 1_000_000_000_039 + 3_456_789_012) % mod
    org = np.empty((n, 9), dtype=np.int64)
    v = scrambled.copy()
    for k in range(8, -1, -1):
        org[:, k] = v % 31
        v //= 31
    head = np.char.add(prefix2.astype("U2"), region6.astype("U6"))
    # the head is digits only, so a character's value is its code point minus ord('0')
    head_codes = np.frombuffer(np.ascontiguousarray(head, dtype="U8").tobytes(), dtype=np.uint32)
    vals = np.concatenate([head_codes.reshape(n, 8).astype(np.int64) - 48, org], axis=1)
    check = (31 - (vals * np.array(WEIGHTS)).sum(axis=1) % 31) % 31
    chars = np.ascontiguousarray(_CHARS[np.concatenate([vals, check[:, None]], axis=1)])
    return pa.array(chars.view("U18").reshape(n))


@dataclass
class Population:
    """One chunk of subjects: static attributes and latent traits, all arrays of length n."""

    serial: np.ndarray
    entity_id: pa.Array
    name: pa.Array
    short_name: pa.Array  # 字号+行业词 as a caller might say it
    type_idx: np.ndarray
    industry_idx: np.ndarray
    region_code: np.ndarray
    county_name: np.ndarray
    established_day: np.ndarray  # days since the simulation's first month (negative = before)
    capital_wan: np.ndarray  # NaN when not declared
    size: np.ndarray  # standardised log size
    negligence: np.ndarray  # persistent management-quality trait (higher = riskier)
    is_chain: np.ndarray
    competitor_target: np.ndarray
    drift_slope: np.ndarray  # logit change per month once drift starts (0 for most)
    drift_start: np.ndarray  # month index the drift starts
    legal_rep: pa.Array
    address: pa.Array
    tags: pa.Array

    def __len__(self) -> int:
        return len(self.serial)


def _pick(rng: np.random.Generator, pool: list[str] | tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(pool)[rng.integers(0, len(pool), n)]


def make_population(rng: np.random.Generator, offset: int, n: int, total_months: int) -> Population:
    """Draw `n` subjects with global serials offset..offset+n-1."""
    ind = industry_arrays()
    serial = np.arange(offset, offset + n, dtype=np.int64)
    type_idx = rng.choice(4, size=n, p=np.array(TYPE_SHARES))
    industry_idx = np.empty(n, dtype=np.int64)
    for t in range(4):
        sel = np.flatnonzero(type_idx == t)
        w = ind["weights"][:, t]
        industry_idx[sel] = rng.choice(len(INDUSTRIES), size=len(sel), p=w / w.sum())
    codes, probs, names = county_table()
    c_idx = rng.choice(len(codes), size=n, p=probs)
    region = codes[c_idx]
    county_name = names[c_idx]
    city_code = np.char.add(np.char.ljust(region.astype("U4"), 4), "00")

    prefix = np.where(type_idx == 0, "91", np.where(type_idx == 1, "92", "93")).astype("U2")
    nm = type_idx == 3
    prefix[nm] = np.where(rng.random(nm.sum()) < 0.5, "12", "52")
    reg6 = np.where((type_idx == 0) & (rng.random(n) < 0.15), city_code, region)
    entity_id = uscc_codes(prefix, reg6, serial)

    # established: 80% before the simulated window (recent years more common), 20% inside it
    before = rng.random(n) < 0.8
    est = np.where(
        before,
        -np.minimum(rng.exponential(6 * 365, n), 30 * 365).astype(np.int64) - 1,
        rng.integers(0, total_months * 30, n),
    )
    log_cap = np.select(
        [type_idx == 0, type_idx == 1, type_idx == 2],
        [
            rng.normal(np.log(200), 1.5, n),
            rng.normal(np.log(5), 1.0, n),
            rng.normal(np.log(50), 1.0, n),
        ],
        rng.normal(np.log(300), 1.0, n),
    )
    capital = np.round(np.exp(log_cap), 2)
    capital[(type_idx == 3) | ((type_idx == 1) & (rng.random(n) < 0.5))] = np.nan
    size = (log_cap - 2.5) / 2.0

    consumer = ind["consumer"][industry_idx]
    is_chain = (type_idx == 0) & consumer & (rng.random(n) < 0.10)
    negligence = rng.normal(0.0, 1.0, n)
    negligence[is_chain] = negligence[is_chain] * 0.6 - 0.4
    competitor_target = consumer & ~is_chain & (rng.random(n) < 0.03)
    u = rng.random(n)
    drift_slope = np.where(
        u < 0.12, rng.uniform(0.03, 0.10, n), np.where(u < 0.17, -rng.uniform(0.02, 0.05, n), 0.0)
    )
    drift_start = rng.integers(0, max(total_months, 1), n)

    city_name = np.array([CITIES[c].name_zh.removesuffix("市") for c in city_code])
    name, short = _names(rng, type_idx, industry_idx, county_name, city_name, is_chain)
    # genuine collisions: some individual businesses carry another one's name (and county)
    ib = np.flatnonzero(type_idx == 1)
    if len(ib) > 10:
        copies = ib[rng.random(len(ib)) < 0.02]
        sources = rng.choice(ib, size=len(copies))
        name_np = np.asarray(name.to_numpy(zero_copy_only=False), dtype=object)
        short_np = np.asarray(short.to_numpy(zero_copy_only=False), dtype=object)
        name_np[copies] = name_np[sources]
        short_np[copies] = short_np[sources]
        region[copies] = region[sources]
        county_name[copies] = county_name[sources]
        name, short = pa.array(name_np, pa.string()), pa.array(short_np, pa.string())

    legal_rep = cat(
        pa.array(_pick(rng, _SURNAMES, n)),
        pa.array(_pick(rng, _GIVEN, n)),
        pa.array(np.where(rng.random(n) < 0.6, _pick(rng, _GIVEN, n), "")),
    )
    address = cat(
        pa.array(county_name),
        pa.array(_pick(rng, _STREETS, n)),
        pa.array(rng.integers(1, 400, n).astype(str)),
        "号",
    )
    group = ind["group"][industry_idx]
    tag1 = np.where(
        np.isin(group, ["food_service", "food_retail"]),
        "食品",
        np.where(group == "ordinary", "一般", "重点行业"),
    )
    tag2 = np.where(rng.random(n) < 0.08, ";学校周边", "")
    tag3 = np.where(ind["tier"][industry_idx] == 2, ";重点监管", "")
    tags = cat(pa.array(tag1), pa.array(tag2), pa.array(tag3))

    return Population(
        serial=serial,
        entity_id=entity_id,
        name=name,
        short_name=short,
        type_idx=type_idx,
        industry_idx=industry_idx,
        region_code=region,
        county_name=county_name,
        established_day=est,
        capital_wan=capital,
        size=size,
        negligence=negligence,
        is_chain=is_chain,
        competitor_target=competitor_target,
        drift_slope=drift_slope,
        drift_start=drift_start,
        legal_rep=legal_rep,
        address=address,
        tags=tags,
    )


def _names(
    rng: np.random.Generator,
    type_idx: np.ndarray,
    industry_idx: np.ndarray,
    county_name: np.ndarray,
    city_name: np.ndarray,
    is_chain: np.ndarray,
) -> tuple[pa.Array, pa.Array]:
    """Registered names (行政区划/字号/行业词/组织形式) and the short form people use."""
    n = len(type_idx)
    words = [i.words for i in INDUSTRIES]
    w_idx = rng.integers(0, 16, n)
    # a (industry, 16) table of words, indexed per row
    table = np.array([[ws[k % len(ws)] for k in range(16)] for ws in words])
    word = table[industry_idx, w_idx]
    zh = np.char.add(_pick(rng, _ZH_A, n), _pick(rng, _ZH_B, n))
    personal = np.array([p.format(s=s) for p in _PERSONAL for s in _SURNAMES])
    zh_ind = np.where(rng.random(n) < 0.6, personal[rng.integers(0, len(personal), n)], zh)
    prefix_ent = np.where(rng.random(n) < 0.3, "陕西", city_name)
    form = np.asarray(_ORG_FORMS)[rng.choice(4, n, p=[0.7, 0.2, 0.05, 0.05])]
    brand = _pick(rng, _BRANDS, n)
    branch_no = rng.integers(1, 30, n).astype(str)
    county_short = np.array([c[:-1] if len(c) > 2 else c for c in county_name])
    coop_word = np.where(
        np.char.find(word.astype(str), "合作社") >= 0, word, np.char.add(word, "专业合作社")
    )

    ent = np.char.add(np.char.add(np.char.add(prefix_ent, zh), word), form)
    chain = np.char.add(
        np.char.add(
            np.char.add(np.char.add(np.char.add("陕西", brand), word), "连锁有限公司（"),
            np.char.add(county_short, branch_no),
        ),
        "店）",
    )
    ind_name = np.char.add(np.char.add(county_name, zh_ind), word)
    coop = np.char.add(np.char.add(county_name, zh), coop_word)
    nonm = np.char.add(np.char.add(county_name, zh), word)
    name = np.select(
        [is_chain, type_idx == 0, type_idx == 1, type_idx == 2], [chain, ent, ind_name, coop], nonm
    )
    short = np.select(
        [is_chain, type_idx == 1],
        [np.char.add(brand, word), np.char.add(zh_ind, word)],
        np.char.add(zh, word),
    )
    return pa.array(name), pa.array(short)
