"""The indicator catalog (预警指标体系): YAML declarations in features/, loaded and validated.

Each family file holds `family`, `label_zh`, `label_en`, optional `sources` (unions of
feeds, e.g. negative signals across departments) and `indicators`. The catalog version
is a content hash of the family files, recorded with every feature matrix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from riskwarn.contract.schema import FEEDS
from riskwarn.errors import CatalogError

__all__ = [
    "AGGREGATIONS",
    "Catalog",
    "Condition",
    "Family",
    "Indicator",
    "SourcePart",
    "TEXT_SCORE_COLUMNS",
    "UnionSource",
    "default_catalog_dir",
    "load_catalog",
]

# columns joined onto complaints/sentiment versions from the text_scores table
TEXT_SCORE_COLUMNS: dict[str, str] = {
    "is_spam": "bool",
    "negativity": "float",
    "risk_topics": "array",
}
TEXT_FEEDS = ("complaints", "sentiment")

# aggregation -> (needs column, needs window list of two, needs half_life)
AGGREGATIONS: dict[str, str] = {
    "count": "events in the window",
    "exists": "1 if any event in the window, else 0",
    "sum": "sum of a column over events in the window",
    "mean": "mean of a column over events in the window",
    "max": "maximum of a column over events in the window",
    "min": "minimum of a column over events in the window",
    "distinct": "number of distinct values of a column in the window",
    "days_since": "days from the latest event to the as-of date",
    "days_since_first": "days from the earliest event to the as-of date",
    "share": "events matching `numerator` / events in the window (missing if none)",
    "trend": "events in the recent window minus the earlier window's rate scaled to it",
    "decayed": "events weighted 0.5^(age/half_life)",
    "weighted_mean": "mean of a column weighted by ln(2 + weight column)",
    "latest": "the column's value at the latest event (ties: larger record_id)",
    "attribute": "a subject attribute from the registry version known at the as-of date",
    "count_positive": "how many of the listed indicators are > 0",
    "all_positive": "1 if every listed indicator is > 0, else 0",
    "group_rate": "smoothed rate of `numerator` among events of the subject's peer group",
}
_COLUMN_AGGS = {"sum", "mean", "max", "min", "distinct", "weighted_mean", "latest", "attribute"}
_DERIVED_AGGS = {"count_positive", "all_positive"}
_ATTRIBUTE_TRANSFORMS = {
    "value",
    "industry_section",
    "city",
    "years_since",
    "has_tag",
    "in",
    "contains_any",
    "map_prefix",
}
_GROUP_KEYS = {"industry_section", "industry_code", "city", "entity_type"}
_CONDITION_OPS = {
    "in",
    "not_in",
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "is_null",
    "contains",
    "null_or_after_as_of",
}
_INDICATOR_KEYS = {
    "id", "label_zh", "label_en", "description", "feed", "filter", "window", "windows",
    "agg", "column", "weight_column", "half_life", "numerator", "event_column", "unit",
    "direction", "fill", "weight", "threshold", "kind", "transform", "values", "tag",
    "mapping", "default", "of", "group_by", "prior", "exclude_self",
}  # fmt: skip
_REQUIRED = ("id", "label_zh", "label_en", "description", "feed", "agg", "unit", "direction",
             "fill", "weight", "kind")  # fmt: skip


@dataclass(frozen=True)
class Condition:
    """One filter condition on a column; conditions of a filter are ANDed.

    Null handling is explicit: in/eq/gt/… are false on NULL; not_in/ne are true on NULL
    (IS DISTINCT FROM); is_null tests NULL; null_or_after_as_of means "not yet happened".
    """

    column: str
    op: str
    value: Any


@dataclass(frozen=True)
class Indicator:
    """One indicator, declared once; every builder and the reference read this."""

    id: str
    label_zh: str
    label_en: str
    description: str
    family: str
    feed: str
    kind: str
    agg: str
    unit: str
    direction: int
    weight: float
    threshold: float | None
    fill: Any
    column: str | None = None
    filter: tuple[Condition, ...] = ()
    numerator: tuple[Condition, ...] = ()
    window: int | None = None
    windows: tuple[int, int] | None = None
    half_life: float | None = None
    weight_column: str | None = None
    event_column: str | None = None
    transform: str | None = None
    values: tuple[str, ...] = ()
    tag: str | None = None
    mapping: tuple[tuple[str, str], ...] = ()
    default: str | None = None
    of: tuple[str, ...] = ()
    group_by: tuple[str, ...] = ()
    prior: float = 0.0
    exclude_self: bool = False

    @property
    def max_days(self) -> int | None:
        """The oldest event age (days) this indicator looks at; None = all history."""
        if self.windows is not None:
            return self.windows[0] + self.windows[1]
        return self.window


@dataclass(frozen=True)
class SourcePart:
    """One feed's contribution to a union source: its filter and department."""

    feed: str
    filter: tuple[Condition, ...] = ()
    department: str | None = None  # a column of the feed
    department_literal: str | None = None


@dataclass(frozen=True)
class UnionSource:
    """A source built as the union of filtered events of several feeds."""

    name: str
    label_zh: str
    label_en: str
    parts: tuple[SourcePart, ...]


@dataclass(frozen=True)
class Family:
    """A signal family (one YAML file)."""

    id: str
    label_zh: str
    label_en: str
    description: str
    file: str


@dataclass(frozen=True)
class Catalog:
    """The loaded catalog: families, union sources and indicators in declaration order."""

    version: str
    families: tuple[Family, ...]
    sources: dict[str, UnionSource]
    indicators: list[Indicator] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    def indicator(self, ind_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == ind_id:
                return ind
        raise KeyError(f"no indicator {ind_id!r} in the catalog")


def default_catalog_dir() -> Path:
    """features/ at the repository root (RISKWARN_CATALOG_DIR overrides)."""
    import os

    env = os.environ.get("RISKWARN_CATALOG_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "features"


def _catalog_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CatalogError(f"catalog path {path} does not exist")
    files = sorted(path.glob("*.yaml"))
    if not files:
        raise CatalogError(f"catalog directory {path} holds no *.yaml family files")
    return sorted(files, key=lambda f: (_declared_order(f), f.name))


def _declared_order(f: Path) -> int:
    """A family file's `order:` (first lines), so families appear in a fixed sequence."""
    for line in f.read_text(encoding="utf-8").splitlines()[:5]:
        if line.startswith("order:"):
            try:
                return int(line.split(":", 1)[1])
            except ValueError:
                raise CatalogError(f"{f.name}: field 'order' must be a whole number") from None
    return 1000


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate every family file under `path` (a directory or one YAML file)."""
    files = _catalog_files(Path(path) if path is not None else default_catalog_dir())
    digest = hashlib.sha256()
    families: list[Family] = []
    sources: dict[str, UnionSource] = {}
    raw_indicators: list[tuple[str, str, dict[str, Any]]] = []
    for f in files:
        text = f.read_bytes()
        digest.update(f.name.encode() + b"\0" + text + b"\0")
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise CatalogError(f"{f.name}: not valid YAML: {e}") from None
        if not isinstance(doc, dict):
            raise CatalogError(f"{f.name}: expected a mapping with family/indicators")
        fam = _family(doc, f.name)
        families.append(fam)
        for name, src in (doc.get("sources") or {}).items():
            if name in sources or name in FEEDS:
                raise CatalogError(f"{f.name}: source {name!r}: name already used")
            sources[name] = _union_source(name, src, f.name)
        entries = doc.get("indicators")
        if not isinstance(entries, list) or not entries:
            raise CatalogError(f"{f.name}: field 'indicators' must be a non-empty list")
        for n, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                raise CatalogError(f"{f.name}: indicator #{n}: expected a mapping")
            raw_indicators.append((f.name, fam.id, entry))
    indicators: list[Indicator] = []
    seen: dict[str, str] = {}
    for fname, fam_id, entry in raw_indicators:
        ind = _indicator(entry, fam_id, fname, sources)
        if ind.id in seen:
            raise CatalogError(
                f"{fname}: indicator {ind.id!r}: field 'id' duplicates the one in {seen[ind.id]}"
            )
        seen[ind.id] = fname
        indicators.append(ind)
    _check_derived(indicators)
    return Catalog(
        version=digest.hexdigest()[:16],
        families=tuple(families),
        sources=sources,
        indicators=indicators,
    )


def _family(doc: dict[str, Any], fname: str) -> Family:
    for key in ("family", "label_zh", "label_en"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            raise CatalogError(f"{fname}: field {key!r} is missing or empty")
    return Family(
        doc["family"], doc["label_zh"], doc["label_en"], str(doc.get("description", "")), fname
    )


def _feed_columns(feed: str, sources: dict[str, UnionSource]) -> set[str]:
    if feed in sources:
        return {"entity_id", "record_id", "feed", "department"}
    cols = set(FEEDS[feed].column_names) | {"record_id"}
    if feed in TEXT_FEEDS:
        cols |= set(TEXT_SCORE_COLUMNS)
    return cols


def _conditions(raw: Any, where: str, field_name: str, columns: set[str]) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CatalogError(f"{where}: field {field_name!r} must be a list of conditions")
    out = []
    for c in raw:
        if not isinstance(c, dict) or "column" not in c:
            raise CatalogError(f"{where}: field {field_name!r}: each condition needs 'column'")
        ops = [k for k in c if k != "column"]
        if len(ops) != 1 or ops[0] not in _CONDITION_OPS:
            raise CatalogError(
                f"{where}: field {field_name!r}: condition on {c['column']!r} needs exactly one "
                f"operator of {sorted(_CONDITION_OPS)}, got {ops}"
            )
        if c["column"] not in columns:
            raise CatalogError(
                f"{where}: field {field_name!r}: unknown column {c['column']!r}; "
                f"known: {sorted(columns)}"
            )
        op = ops[0]
        value = c[op]
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise CatalogError(f"{where}: field {field_name!r}: {op!r} needs a non-empty list")
            value = tuple(value)
        out.append(Condition(c["column"], op, value))
    return tuple(out)


def _union_source(name: str, raw: Any, fname: str) -> UnionSource:
    where = f"{fname}: source {name!r}"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected a mapping")
    parts = []
    for p in raw.get("parts") or []:
        feed = p.get("feed")
        if feed not in FEEDS or feed == "entities":
            raise CatalogError(f"{where}: field 'feed': unknown event feed {feed!r}")
        cols = _feed_columns(feed, {})
        dept = p.get("department")
        if dept is not None and dept not in cols:
            raise CatalogError(f"{where}: field 'department': {feed} has no column {dept!r}")
        parts.append(
            SourcePart(
                feed,
                _conditions(p.get("filter"), f"{where} part {feed}", "filter", cols),
                dept,
                p.get("department_literal"),
            )
        )
    if not parts:
        raise CatalogError(f"{where}: field 'parts' must list at least one feed")
    return UnionSource(name, str(raw.get("label_zh", name)), str(raw.get("label_en", name)),
                       tuple(parts))  # fmt: skip


def _column_type(feed: str, column: str) -> str | None:
    spec = FEEDS.get(feed)
    if spec is None or column not in spec.column_names:
        return None
    return spec.column(column).type


def _positive_int(value: Any, where: str, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CatalogError(f"{where}: field {field_name!r} must be a positive whole number of days")
    return value


def _indicator(
    e: dict[str, Any], family: str, fname: str, sources: dict[str, UnionSource]
) -> Indicator:
    where = f"{fname}: indicator {e.get('id', '?')!r}"
    unknown = set(e) - _INDICATOR_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {sorted(unknown)}")
    for key in _REQUIRED:
        if key not in e:
            raise CatalogError(f"{where}: field {key!r} is missing")
    for key in ("id", "label_zh", "label_en", "description", "unit"):
        if not isinstance(e[key], str) or (key != "unit" and not e[key].strip()):
            raise CatalogError(f"{where}: field {key!r} must be a non-empty string")
    if not e["id"].isidentifier() or e["id"] != e["id"].lower():
        raise CatalogError(f"{where}: field 'id' must be a lower-case identifier")
    agg = e["agg"]
    if agg not in AGGREGATIONS:
        raise CatalogError(f"{where}: field 'agg': {agg!r} is not one of {sorted(AGGREGATIONS)}")
    feed = e["feed"]
    if agg in _DERIVED_AGGS:
        if feed != "derived":
            raise CatalogError(f"{where}: field 'feed' must be 'derived' for agg {agg!r}")
    elif feed not in FEEDS and feed not in sources:
        raise CatalogError(
            f"{where}: field 'feed': unknown feed {feed!r}; known: {sorted(FEEDS) + sorted(sources)}"
        )
    if (agg == "attribute") != (feed == "entities"):
        raise CatalogError(f"{where}: field 'agg': feed entities takes agg 'attribute' only")
    kind = e["kind"]
    if kind not in ("numeric", "categorical"):
        raise CatalogError(f"{where}: field 'kind' must be 'numeric' or 'categorical'")
    if e["direction"] not in (-1, 0, 1):
        raise CatalogError(f"{where}: field 'direction' must be -1, 0 or +1")
    if isinstance(e["weight"], bool) or not isinstance(e["weight"], int | float):
        raise CatalogError(f"{where}: field 'weight' must be a number")
    threshold = e.get("threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float)
    ):
        raise CatalogError(f"{where}: field 'threshold' must be a number or null")
    fill = e["fill"]
    if (
        kind == "numeric"
        and fill is not None
        and (isinstance(fill, bool) or not isinstance(fill, int | float))
    ):
        raise CatalogError(
            f"{where}: field 'fill' must be a number or null for a numeric indicator"
        )
    if kind == "categorical" and not isinstance(fill, str):
        raise CatalogError(f"{where}: field 'fill' must be a string for a categorical indicator")
    columns = _feed_columns(feed, sources) if feed != "derived" else set()
    column = e.get("column")
    if agg in _COLUMN_AGGS:
        if column not in columns:
            raise CatalogError(
                f"{where}: field 'column': {column!r} is not a column of {feed}; known: {sorted(columns)}"
            )
    elif column is not None:
        raise CatalogError(f"{where}: field 'column' is not used by agg {agg!r}")
    window = e.get("window")
    if window is not None:
        window = _positive_int(window, where, "window")
    windows = e.get("windows")
    if agg == "trend":
        if not (isinstance(windows, list) and len(windows) == 2):
            raise CatalogError(f"{where}: field 'windows' must be [recent_days, earlier_days]")
        windows = (
            _positive_int(windows[0], where, "windows"),
            _positive_int(windows[1], where, "windows"),
        )
        if window is not None:
            raise CatalogError(f"{where}: field 'window' is not used by trend (use 'windows')")
    elif windows is not None:
        raise CatalogError(f"{where}: field 'windows' is only used by agg 'trend'")
    half_life = e.get("half_life")
    if agg == "decayed" and (
        isinstance(half_life, bool) or not isinstance(half_life, int | float) or half_life <= 0
    ):
        raise CatalogError(f"{where}: field 'half_life' must be a positive number of days")
    if agg == "weighted_mean" and e.get("weight_column") not in columns:
        raise CatalogError(f"{where}: field 'weight_column' must name a column of {feed}")
    numerator = _conditions(e.get("numerator"), where, "numerator", columns)
    if agg in ("share", "group_rate") and not numerator:
        raise CatalogError(f"{where}: field 'numerator' is required for agg {agg!r}")
    event_column = e.get("event_column")
    if event_column is not None and _column_type(feed, event_column) not in ("date", "time"):
        raise CatalogError(f"{where}: field 'event_column' must be a date/time column of {feed}")
    transform = e.get("transform")
    if agg == "attribute":
        if transform not in _ATTRIBUTE_TRANSFORMS:
            raise CatalogError(
                f"{where}: field 'transform' must be one of {sorted(_ATTRIBUTE_TRANSFORMS)}"
            )
        if transform == "has_tag" and not e.get("tag"):
            raise CatalogError(f"{where}: field 'tag' is required by transform has_tag")
        if transform in ("in", "contains_any") and not e.get("values"):
            raise CatalogError(f"{where}: field 'values' is required by transform {transform!r}")
        if transform == "map_prefix" and (
            not isinstance(e.get("mapping"), dict) or "default" not in e
        ):
            raise CatalogError(
                f"{where}: field 'mapping' (prefix: group) and 'default' are required"
            )
    group_by = tuple(e.get("group_by") or ())
    if agg == "group_rate" and (not group_by or set(group_by) - _GROUP_KEYS):
        raise CatalogError(f"{where}: field 'group_by' must list keys of {sorted(_GROUP_KEYS)}")
    of = tuple(e.get("of") or ())
    if agg in _DERIVED_AGGS and len(of) < 2:
        raise CatalogError(f"{where}: field 'of' must list at least two indicator ids")
    mapping = e.get("mapping") or {}
    return Indicator(
        id=e["id"],
        label_zh=e["label_zh"].strip(),
        label_en=e["label_en"].strip(),
        description=e["description"].strip(),
        family=family,
        feed=feed,
        kind=kind,
        agg=agg,
        unit=e["unit"],
        direction=int(e["direction"]),
        weight=float(e["weight"]),
        threshold=float(threshold) if threshold is not None else None,
        fill=fill,
        column=column,
        filter=_conditions(e.get("filter"), where, "filter", columns),
        numerator=numerator,
        window=window,
        windows=windows,
        half_life=float(half_life) if half_life is not None else None,
        weight_column=e.get("weight_column"),
        event_column=event_column,
        transform=transform,
        values=tuple(e.get("values") or ()),
        tag=e.get("tag"),
        mapping=tuple((str(k), str(v)) for k, v in mapping.items()),
        default=e.get("default"),
        of=of,
        group_by=group_by,
        prior=float(e.get("prior", 0.0)),
        exclude_self=bool(e.get("exclude_self", False)),
    )


def _check_derived(indicators: list[Indicator]) -> None:
    by_id = {i.id: i for i in indicators}
    for ind in indicators:
        for ref in ind.of:
            target = by_id.get(ref)
            if target is None:
                raise CatalogError(f"indicator {ind.id!r}: field 'of': unknown indicator {ref!r}")
            if target.feed == "derived" or target.kind != "numeric":
                raise CatalogError(
                    f"indicator {ind.id!r}: field 'of': {ref!r} must be a numeric, non-derived indicator"
                )
