"""Slice attributes of each (subject, as-of) row — city, industry section, subject type — point-in-time."""

from __future__ import annotations

import duckdb
import pandas as pd

from riskwarn.store.pit import as_of_cutoff, known_versions_sql

__all__ = ["subject_attributes"]


def subject_attributes(con: duckdb.DuckDBPyConnection, subjects: pd.DataFrame) -> pd.DataFrame:
    """slice_city (prefecture code), slice_industry_section (GB/T 4754 letter) and
    slice_entity_type per row of
    `subjects` (entity_id, as_of), from the registry version known at each as-of date."""
    frame = pd.DataFrame(
        {
            "entity_id": subjects["entity_id"].astype(str).to_numpy(),
            "as_of": pd.to_datetime(subjects["as_of"]).dt.date.to_numpy(),
            "_row": range(len(subjects)),
        }
    )
    parts = []
    for as_of, group in frame.groupby("as_of", sort=True):
        cutoff = as_of_cutoff(as_of).isoformat(sep=" ")
        con.register("_attr_subjects", group[["entity_id", "_row"]])
        try:
            parts.append(
                con.execute(
                    f"""
                    SELECT s._row,
                      CASE WHEN e.region_code LIKE '61%'
                        THEN substr(e.region_code, 1, 4) || '00' END AS slice_city,
                      upper(substr(e.industry_code, 1, 1)) AS slice_industry_section,
                      e.entity_type AS slice_entity_type
                    FROM _attr_subjects s LEFT JOIN (
                      {known_versions_sql("entities", f"TIMESTAMP '{cutoff}'")}
                    ) e ON e.entity_id = s.entity_id
                    """
                ).df()
            )
        finally:
            con.unregister("_attr_subjects")
    if not parts:
        return pd.DataFrame(columns=["slice_city", "slice_industry_section", "slice_entity_type"])
    out = pd.concat(parts).sort_values("_row")
    return out.drop(columns="_row").reset_index(drop=True)
