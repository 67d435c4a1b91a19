"""Why a row is rejected (quarantined) or accepted with a flag: one shared vocabulary.

The simulator's dirt log names the code each injected fault must produce, and ingest
writes the same codes to the quarantine table, so the two reconcile exactly.
"""

from __future__ import annotations

__all__ = ["FLAGS", "REJECT_REASONS"]

REJECT_REASONS: dict[str, tuple[str, str]] = {
    "missing_required": ("必填字段为空", "a required field is empty"),
    "invalid_uscc": ("统一社会信用代码无效", "not a valid unified social credit code"),
    "invalid_enum": ("枚举值无效", "value outside the field's allowed values"),
    "invalid_date": ("日期格式无效", "not a YYYY-MM-DD date"),
    "invalid_time": ("时间格式无效", "not an ISO 8601 time"),
    "invalid_number": ("数值无效", "not a number of the field's kind"),
    "invalid_bool": ("布尔值无效", "not a true/false value"),
    "invalid_region": ("行政区划代码无效", "not a Shaanxi division code"),
    "invalid_industry": ("行业代码无效", "not a GB/T 4754 industry code"),
    "future_date": ("日期晚于交付时间", "date later than the delivery's delivered_at"),
    "duplicate_row": ("重复行", "exact duplicate of an earlier row in the same delivery"),
    "duplicate_key": (
        "同一交付内主键重复",
        "same key as an earlier, different row in the same delivery",
    ),
    "unreadable_row": (
        "无法解析的行",
        "the row cannot be parsed (encoding, quoting or column count)",
    ),
}

FLAGS: dict[str, tuple[str, str]] = {
    "unknown_county": ("区县代码未收录", "county code not in the local table, under a known city"),
    "normalised_id": ("代码已规范化", "identifier upper-cased or trimmed"),
}
