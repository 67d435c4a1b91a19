"""Row-level behaviour: every bad shape is quarantined with the right reason naming the field,
times become naive CST, backfill rows are known from their own event date, formats all read."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from tests.ingest.conftest import query
from tests.ingest.factories import make_uscc

from riskwarn.ingest import ingest

HEADER = (
    "entity_id,name,entity_type,region_code,industry_code,established_on,"
    "registered_capital_wan,status,tags,legal_rep_name,address,updated_at"
)
GOOD = "91610000220522345A,西安甲公司,enterprise,610103,H6210,2020-01-01,100,active,,,,2024-04-01T10:00:00"


def write(
    folder: Path, name: str, text: str, manifest: dict | None = None, bom: bool = False
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    (folder / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


MANIFEST = {"delivery_id": "d1", "delivered_at": "2024-05-01T02:00:00+08:00"}

# (row, reason code, text the reason must contain)
BAD_ENTITY_ROWS = [
    (
        "91110000600037341N,乙,enterprise,610103,H6210,2020-01-01,,active,,,,2024-04-01",
        "invalid_uscc",
        "entity_id: check character 'N', expected 'L'",
    ),
    (
        "{id},,enterprise,610103,H6210,2020-01-01,,active,,,,2024-04-01",
        "missing_required",
        "name: required field is empty",
    ),
    (
        "{id},丙,company,610103,H6210,2020-01-01,,active,,,,2024-04-01",
        "invalid_enum",
        "entity_type: 'company' is not one of",
    ),
    (
        "{id},丁,non_market,620100,H6210,2020-01-01,,active,,,,2024-04-01",
        "invalid_region",
        "region_code: '620100' is outside Shaanxi",
    ),
    (
        "{id},戊,enterprise,610103,Z12345,2020-01-01,,active,,,,2024-04-01",
        "invalid_industry",
        "industry_code: 'Z12345'",
    ),
    (
        "{id},己,enterprise,610103,H6210,2020/01/01,,active,,,,2024-04-01",
        "invalid_date",
        "established_on: '2020/01/01' is not a YYYY-MM-DD date",
    ),
    (
        "{id},庚,enterprise,610103,H6210,2020-01-01,12万,active,,,,2024-04-01",
        "invalid_number",
        "registered_capital_wan: '12万'",
    ),
    (
        "{id},辛,enterprise,610103,H6210,2020-01-01,,active,,,,yesterday",
        "invalid_time",
        "updated_at: 'yesterday' is not an ISO 8601 time",
    ),
    (
        "{id},壬,enterprise,610103,H6210,2024-05-04,,active,,,,2024-04-01",
        "future_date",
        "established_on: 2024-05-04 is later than the delivery's delivered_at",
    ),
    (
        "{id},癸,enterprise,610103,H6210,2020-01-01,,active,,,,2024-04-01,surplus",
        "unreadable_row",
        "TOO MANY COLUMNS",
    ),
]


def test_every_bad_shape_is_quarantined_with_its_reason_naming_the_field(
    tmp_path, settings
) -> None:
    rng = random.Random(7)
    rows = [GOOD] + [r.format(id=make_uscc(rng)) for r, _, _ in BAD_ENTITY_ROWS]
    folder = write(
        tmp_path / "d1", "entities.csv", HEADER + "\n" + "\n".join(rows) + "\n", MANIFEST
    )
    [report] = ingest([folder], settings, progress=False)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (11, 1, 10)
    got = {
        line: (codes, text)
        for line, codes, text in query(
            settings, "SELECT source_line, reason_codes, reasons FROM quarantine"
        )
    }
    for i, (_, code, text) in enumerate(BAD_ENTITY_ROWS, start=2):
        codes, reasons = got[i]
        assert codes == [code], (i, codes, reasons)
        assert text in reasons, (i, reasons)
    assert query(settings, "SELECT entity_id, source_line FROM v_entities") == [
        ("91610000220522345A", 1)
    ]


def test_a_row_with_several_faults_gets_every_reason(tmp_path, settings) -> None:
    row = "91110000600037341N,,firm,999999,?,2030-01-01,x,gone,,,,2030-01-01T00:00:00Z"
    folder = write(tmp_path / "d1", "entities.csv", HEADER + "\n" + row + "\n", MANIFEST)
    ingest([folder], settings, progress=False)
    [(codes, reasons, raw)] = query(settings, "SELECT reason_codes, reasons, raw FROM quarantine")
    assert set(codes) == {
        "invalid_uscc",
        "missing_required",
        "invalid_enum",
        "invalid_region",
        "invalid_industry",
        "future_date",
        "invalid_number",
    }
    for field in (
        "entity_id:",
        "name:",
        "entity_type:",
        "status:",
        "region_code:",
        "industry_code:",
        "established_on:",
        "registered_capital_wan:",
        "updated_at:",
    ):
        assert field in reasons
    assert json.loads(raw)["entity_type"] == "firm"


def test_unknown_county_is_accepted_and_flagged_and_lower_case_ids_normalised(
    tmp_path, settings
) -> None:
    rows = [
        "91610000220522345a,甲,enterprise,610199,H6210,2020-01-01,,active,,,,2024-04-01",
        "91110000600037341L,乙,enterprise,610403,H,2020-01-01,,active,,,,2024-04-01",
    ]
    folder = write(
        tmp_path / "d1", "entities.csv", HEADER + "\n" + "\n".join(rows) + "\n", MANIFEST
    )
    [report] = ingest([folder], settings, progress=False)
    assert report.rows_rejected == 0 and report.rows_flagged == 1
    got = query(
        settings,
        "SELECT entity_id, region_code, list_sort(flags) FROM v_entities ORDER BY source_line",
    )
    assert got == [
        ("91610000220522345A", "610199", ["normalised_id", "unknown_county"]),
        ("91110000600037341L", "610403", []),
    ]


def test_times_with_offsets_become_naive_china_standard_time(tmp_path, settings) -> None:
    header = (
        "record_id,entity_id,entity_name,received_at,channel,category,text,substantiated,department"
    )
    rows = [
        "c1,91610000220522345A,,2024-04-02T10:00:00+08:00,web,价格,,,SAMR",
        "c2,91610000220522345A,,2024-04-02T02:00:00Z,web,价格,,,SAMR",
        "c3,91610000220522345A,,2024-04-02 10:00:00,web,价格,,,SAMR",
        "c4,91610000220522345A,,2024-04-01T21:00:00-05:00,web,价格,,,SAMR",
    ]
    folder = write(
        tmp_path / "d1", "complaints.csv", header + "\n" + "\n".join(rows) + "\n", MANIFEST
    )
    ingest([folder], settings, progress=False)
    got = query(settings, "SELECT DISTINCT received_at FROM v_complaints")
    assert got == [(dt.datetime(2024, 4, 2, 10, 0),)]


def test_backfill_rows_are_known_from_their_own_event_date(tmp_path, settings) -> None:
    header = "record_id,entity_id,inspected_on,department,matter_code,inspection_type,draw_probability,result,findings_text"
    rows = [
        "i1,91610000220522345A,2022-03-04,SAMR,M1,random_draw,0.05,compliant,",
        "i2,91610000220522345A,2023-07-08,SAMR,M1,targeted,,violation,",
    ]
    backfill = {"delivery_id": "bf", "delivered_at": "2024-01-01T02:00:00+08:00", "backfill": True}
    monthly = {"delivery_id": "m1", "delivered_at": "2024-02-01T02:00:00+08:00"}
    bf = write(tmp_path / "bf", "inspections.csv", header + "\n" + "\n".join(rows) + "\n", backfill)
    m1 = write(
        tmp_path / "m1",
        "inspections.csv",
        header + "\ni3,91610000220522345A,2024-01-15,SAMR,M1,routine,,compliant,\n",
        monthly,
    )
    ingest([bf, m1], settings, progress=False)
    got = query(settings, "SELECT record_id, known_at FROM v_inspections ORDER BY record_id")
    assert got == [
        ("i1", dt.datetime(2022, 3, 4)),
        ("i2", dt.datetime(2023, 7, 8)),
        ("i3", dt.datetime(2024, 2, 1, 2, 0)),
    ]


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet", "jsonl"])
def test_every_format_reads_with_extra_columns_kept(tmp_path, settings, fmt) -> None:
    from tests.ingest.factories import write_file

    from riskwarn.contract.schema import FEEDS

    rows = [
        {
            "record_id": "b1",
            "entity_id": "91610000220522345A",
            "list_type": "other",
            "listed_on": "2024-01-02",
            "reason": '含逗号, "引号"\n和换行',
            "removed_on": None,
            "source_system": "CREDIT-SX",
        },
        {
            "record_id": "b2",
            "entity_id": "91610000220522345A",
            "list_type": "bogus",
            "listed_on": "2024-01-02",
            "reason": None,
            "removed_on": None,
            "source_system": "x",
        },
    ]
    folder = tmp_path / "d1"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    write_file(
        folder / f"blacklist_2024.{fmt}", FEEDS["blacklist"], rows, fmt, extra=["source_system"]
    )
    [report] = ingest([folder], settings, progress=False)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    [(reason, extra, line)] = query(settings, "SELECT reason, extra, source_line FROM v_blacklist")
    assert reason == '含逗号, "引号"\n和换行' and json.loads(extra) == {
        "source_system": "CREDIT-SX"
    }
    assert line == 1
    assert query(settings, "SELECT source_line, reason_codes FROM quarantine") == [
        (2, ["invalid_enum"])
    ]


def test_csv_records_after_multiline_and_broken_records_keep_their_numbers(
    tmp_path, settings
) -> None:
    data = (
        b"record_id,entity_id,listed_on,list_type,reason,removed_on\n"
        b'b1,91610000220522345A,2024-01-02,other,"two\nlines",\n'
        b"b2,91610000220522345A,2024-01-02,other,too,many,columns\n"
        b"b3,91610000220522345A,2024-01-02,other,,\n"
        b"b4,91610000220522345A,2024-01-02,other,\xff\xfe,\n"  # not UTF-8
        b"b5,91610000220522345A,2024-01-02,other,,\n"
    )
    folder = tmp_path / "d1"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    (folder / "blacklist.csv").write_bytes(data)
    [report] = ingest([folder], settings, progress=False)
    assert report.rows_read == 5 and report.rows_rejected == 2
    assert query(settings, "SELECT record_id, source_line FROM v_blacklist ORDER BY 2") == [
        ("b1", 1),
        ("b3", 3),
        ("b5", 5),
    ]
    assert query(settings, "SELECT source_line, reason_codes FROM quarantine ORDER BY 1") == [
        (2, ["unreadable_row"]),
        (4, ["unreadable_row"]),
    ]


def test_duplicates_within_a_delivery(tmp_path, settings) -> None:
    header = "record_id,entity_id,listed_on,list_type,reason,removed_on"
    rows = [
        "b1,91610000220522345A,2024-01-02,other,,",
        "b1,91610000220522345A,2024-01-02,other,,",
        "b1,91610000220522345A,2024-01-03,other,,",
        "b2,91610000220522345A,2024-01-02,other,,",
    ]
    folder = write(
        tmp_path / "d1", "blacklist.csv", header + "\n" + "\n".join(rows) + "\n", MANIFEST
    )
    ingest([folder], settings, progress=False)
    assert query(
        settings, "SELECT source_line, reason_codes, reasons FROM quarantine ORDER BY 1"
    ) == [
        (2, ["duplicate_row"], "row: exact duplicate of blacklist.csv record 1 in this delivery"),
        (
            3,
            ["duplicate_key"],
            "record_id: 'b1' already delivered in blacklist.csv record 1 of this "
            "delivery, with different content",
        ),
    ]


def test_a_file_that_cannot_be_read_is_one_quarantined_record_and_the_rest_goes_in(
    tmp_path, settings
) -> None:
    folder = write(tmp_path / "d1", "entities_a.csv", HEADER + "\n" + GOOD + "\n", MANIFEST)
    (folder / "entities_b.csv.gz").write_bytes(b"not gzip at all")
    (folder / "penalties.parquet").write_bytes(b"PAR1 not parquet PAR1")
    [report] = ingest([folder], settings, progress=False)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    got = query(
        settings, "SELECT source_file, source_line, reason_codes FROM quarantine ORDER BY 1"
    )
    assert got == [
        ("entities_b.csv.gz", 0, ["unreadable_row"]),
        ("penalties.parquet", 0, ["unreadable_row"]),
    ]


def test_part_files_of_a_feed_keep_their_own_record_numbers(tmp_path, settings) -> None:
    header = "record_id,entity_id,listed_on,list_type,reason,removed_on"
    folder = write(
        tmp_path / "d1",
        "blacklist_part0.csv",
        header + "\nb1,91610000220522345A,2024-01-02,other,,\n"
        "b2,91610000220522345A,2024-01-02,other,too,many,columns\n"
        "b3,91610000220522345A,2024-01-02,other,,\n",
        MANIFEST,
    )
    (folder / "blacklist_part1.csv").write_text(
        header
        + "\nb4,91610000220522345A,2024-01-02,other,,\nb5,91610000220522345A,2024-01-02,other,,\n"
    )
    [report] = ingest([folder], settings, progress=False)
    assert (report.rows_read, report.rows_rejected) == (5, 1)
    assert query(
        settings, "SELECT record_id, source_file, source_line FROM v_blacklist ORDER BY 1"
    ) == [
        ("b1", "blacklist_part0.csv", 1),
        ("b3", "blacklist_part0.csv", 3),
        ("b4", "blacklist_part1.csv", 1),
        ("b5", "blacklist_part1.csv", 2),
    ]
