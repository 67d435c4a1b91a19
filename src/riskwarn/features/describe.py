"""The analysts' reference page (指标说明): every indicator, in Chinese and English, as markdown."""

from __future__ import annotations

from riskwarn.features.catalog import AGGREGATIONS, Catalog, Condition, Indicator

__all__ = ["describe_catalog", "describe_indicator"]

_AGG_ZH = {
    "count": "计数", "exists": "是否存在", "sum": "求和", "mean": "平均", "max": "最大值",
    "min": "最小值", "distinct": "不同取值数", "days_since": "距最近一次天数",
    "days_since_first": "距最早一次天数", "share": "占比", "trend": "趋势",
    "decayed": "衰减计数", "weighted_mean": "加权平均", "latest": "最近一次取值",
    "attribute": "登记属性", "count_positive": "为正的指标数", "all_positive": "全部为正",
    "group_rate": "同组平滑比率",
}  # fmt: skip
_DIRECTION = {1: "越高越危险 / higher = riskier", -1: "越低越危险 / lower = riskier",
              0: "中性 / neutral"}  # fmt: skip
_OPS = {
    "in": "∈", "not_in": "∉ (或为空 / or empty)", "eq": "=", "ne": "≠ (或为空 / or empty)",
    "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "contains": "包含 / contains",
}  # fmt: skip


def _condition(c: Condition) -> str:
    if c.op == "is_null":
        return f"`{c.column}` {'为空 / is empty' if c.value else '不为空 / is present'}"
    if c.op == "null_or_after_as_of":
        return (f"`{c.column}` 为空或晚于截至日 / empty or after the as-of date" if c.value
                else f"`{c.column}` 不晚于截至日 / on or before the as-of date")  # fmt: skip
    value = ", ".join(map(str, c.value)) if isinstance(c.value, tuple) else str(c.value)
    return f"`{c.column}` {_OPS[c.op]} {value}"


def _window(ind: Indicator) -> str:
    if ind.windows:
        return f"近{ind.windows[0]}天 vs 此前{ind.windows[1]}天 / {ind.windows[0]} d vs prior {ind.windows[1]} d"
    if ind.window:
        return f"近{ind.window}天 / last {ind.window} days"
    if ind.agg in ("attribute", "count_positive", "all_positive"):
        return "—"
    return "全部历史 / all history"


def describe_indicator(ind: Indicator) -> str:
    """One indicator's entry: labels, definition, window, filter, direction, weight, threshold."""
    agg = f"{_AGG_ZH[ind.agg]} / {ind.agg}"
    if ind.column:
        agg += f"(`{ind.column}`)"
    if ind.half_life:
        agg += f", 半衰期 / half-life {ind.half_life:g} d"
    if ind.of:
        agg += ": " + ", ".join(f"`{o}`" for o in ind.of)
    if ind.group_by:
        agg += f" by {' × '.join(ind.group_by)}, prior {ind.prior:g}"
    lines = [
        f"### {ind.label_zh} / {ind.label_en} — `{ind.id}`",
        "",
        ind.description,
        "",
        f"- 数据源 / source: `{ind.feed}`; 计算 / aggregation: {agg} ({AGGREGATIONS[ind.agg]})",
        f"- 时间窗 / window: {_window(ind)}"
        + (f"; 时间列 / event column: `{ind.event_column}`" if ind.event_column else ""),
    ]
    if ind.filter:
        lines.append("- 条件 / filter: " + "; ".join(_condition(c) for c in ind.filter))
    if ind.numerator:
        lines.append("- 分子 / numerator: " + "; ".join(_condition(c) for c in ind.numerator))
    fill = "保持缺失 / left missing" if ind.fill is None else f"填充 / filled with {ind.fill!r}"
    threshold = "—" if ind.threshold is None else f"{ind.threshold:g}"
    lines += [
        f"- 类型 / kind: {ind.kind}; 单位 / unit: {ind.unit or '—'}; 缺失 / missing: {fill}",
        f"- 方向 / direction: {_DIRECTION[ind.direction]}; 权重 / weight: {ind.weight:g}; "
        f"预警阈值 / warning threshold: {threshold}",
        "",
    ]
    return "\n".join(lines)


def describe_catalog(catalog: Catalog) -> str:
    """The whole reference page, grouped by family, with a summary table first."""
    out = [
        "# 预警指标体系 / Indicator catalog",
        "",
        f"目录版本 / catalog version: `{catalog.version}` · 指标数 / indicators: {len(catalog.indicators)}",
        "",
        "所有指标均按截至日（含当日）已知的数据计算：记录取截至日结束前已交付的最新版本，"
        "事件取发生在截至日当天或之前的。All indicators use only what was known by the end of the "
        "as-of date: the latest version delivered by then, and events on or before that date.",
        "",
        "| 类别 / family | 指标数 / indicators |",
        "|---|---|",
    ]
    for fam in catalog.families:
        n = sum(1 for i in catalog.indicators if i.family == fam.id)
        out.append(f"| {fam.label_zh} / {fam.label_en} | {n} |")
    out.append("")
    for fam in catalog.families:
        out += [f"## {fam.label_zh} / {fam.label_en}", "", fam.description, ""]
        for name, src in catalog.sources.items():
            if not any(i.feed == name and i.family == fam.id for i in catalog.indicators):
                continue
            out.append(f"**{src.label_zh} / {src.label_en}** (`{name}`):")
            for p in src.parts:
                cond = "; ".join(_condition(c) for c in p.filter) or "全部 / all"
                dept = p.department and f"`{p.department}`" or p.department_literal or "—"
                out.append(f"- `{p.feed}`: {cond}; 部门 / department: {dept}")
            out.append("")
        out += [describe_indicator(i) for i in catalog.indicators if i.family == fam.id]
    return "\n".join(out).rstrip() + "\n"
