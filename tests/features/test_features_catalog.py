"""The catalog validates, names the entry and field when it does not, and versions its content."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from riskwarn.errors import CatalogError
from riskwarn.features.catalog import default_catalog_dir, load_catalog
from riskwarn.features.describe import describe_catalog

FAMILIES = {"subject", "complaints", "inspections", "penalties", "blacklist", "sentiment",
            "judgments", "cross"}  # fmt: skip


def test_shipped_catalog_validates_with_at_least_60_indicators_in_every_family() -> None:
    catalog = load_catalog()
    ids = catalog.ids
    assert len(ids) >= 60
    assert len(ids) == len(set(ids))
    assert {f.id for f in catalog.families} == FAMILIES
    assert set(Counter(i.family for i in catalog.indicators)) == FAMILIES
    for ind in catalog.indicators:
        assert ind.label_zh and ind.label_en and ind.description, ind.id
        assert ind.direction in (-1, 0, 1)
    assert len(catalog.version) == 16


def test_catalog_covers_what_the_issue_names() -> None:
    catalog = load_catalog()
    aggs = {i.agg for i in catalog.indicators}
    assert {"count", "sum", "mean", "max", "min", "exists", "days_since", "share", "trend",
            "decayed", "group_rate"} <= aggs  # fmt: skip
    windows = {i.window for i in catalog.indicators if i.feed == "complaints"}
    assert {30, 90, 365} <= windows
    revocation_aware = [i for i in catalog.indicators
                        if i.feed == "penalties" and i.direction == 1]  # fmt: skip
    assert all(any(c.column == "revoked_on" for c in i.filter) for i in revocation_aware)
    spam_aware = [i for i in catalog.indicators
                  if i.feed in ("complaints", "sentiment") and i.direction == 1]  # fmt: skip
    assert all(any(c.column == "is_spam" for c in i.filter) for i in spam_aware)


def _copy_catalog(tmp_path: Path) -> Path:
    dst = tmp_path / "catalog"
    shutil.copytree(default_catalog_dir(), dst, ignore=shutil.ignore_patterns("text", "*.md"))
    return dst


def _edit(path: Path, ind_id: str, **changes: object) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(e for e in doc["indicators"] if e["id"] == ind_id)
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"label_zh": None}, "label_zh"),
        ({"label_en": "  "}, "label_en"),
        ({"feed": "tweets"}, "feed"),
        ({"window": 0}, "window"),
        ({"window": "90d"}, "window"),
        ({"agg": "median"}, "agg"),
        ({"filter": [{"column": "colour", "in": ["red"]}]}, "filter"),
        ({"filter": [{"column": "channel", "like": "web"}]}, "filter"),
        ({"direction": 2}, "direction"),
        ({"fill": "zero"}, "fill"),
        ({"kind": "ordinal"}, "kind"),
        ({"agg": "sum"}, "column"),
        ({"agg": "decayed"}, "half_life"),
        ({"agg": "trend"}, "windows"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_malformed_entry_fails_naming_entry_and_field(
    tmp_path: Path, changes: dict, field: str
) -> None:
    catalog_dir = _copy_catalog(tmp_path)
    _edit(catalog_dir / "complaints.yaml", "cmp_cnt_90d", **changes)
    with pytest.raises(CatalogError) as err:
        load_catalog(catalog_dir)
    message = str(err.value)
    assert "cmp_cnt_90d" in message and field in message
    assert "complaints.yaml" in message


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    catalog_dir = _copy_catalog(tmp_path)
    _edit(catalog_dir / "penalties.yaml", "pen_cnt_all", id="cmp_cnt_90d")
    with pytest.raises(CatalogError, match=r"cmp_cnt_90d.*'id'.*(complaints|penalties)\.yaml"):
        load_catalog(catalog_dir)


def test_derived_indicator_must_refer_to_known_indicators(tmp_path: Path) -> None:
    catalog_dir = _copy_catalog(tmp_path)
    _edit(catalog_dir / "cross.yaml", "x_cooccur_complaint_penalty_365d",
          of=["cmp_substantiated_cnt_365d", "no_such_indicator"])  # fmt: skip
    with pytest.raises(CatalogError, match=r"x_cooccur_complaint_penalty_365d.*'of'.*no_such"):
        load_catalog(catalog_dir)


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    catalog_dir = _copy_catalog(tmp_path)
    first = load_catalog(catalog_dir).version
    assert load_catalog(catalog_dir).version == first
    assert first == load_catalog().version
    _edit(catalog_dir / "complaints.yaml", "cmp_cnt_90d", weight=3)
    assert load_catalog(catalog_dir).version != first


def test_reference_page_lists_every_indicator_in_both_languages() -> None:
    catalog = load_catalog()
    page = describe_catalog(catalog)
    assert catalog.version in page
    for ind in catalog.indicators:
        assert f"### {ind.label_zh} / {ind.label_en} — `{ind.id}`" in page
    for fam in catalog.families:
        assert f"## {fam.label_zh} / {fam.label_en}" in page
