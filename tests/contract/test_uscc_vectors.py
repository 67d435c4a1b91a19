"""USCC validation: the published vectors, and Python and the SQL macro agreeing on every code."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskwarn.contract.uscc import CHARSET, is_valid_uscc, uscc_problem
from riskwarn.ingest.macros import install_macros

VALID = [
    "91110000600037341L",
    "91310115MA1K3BTP2B",
    "121200004013590816",
    "92340602MA2PBMEM24",
    "91610000220522345A",
]
INVALID = ["91110000600037341N"]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    install_macros(c)
    return c


def sql_problem(con: duckdb.DuckDBPyConnection, code: str) -> str | None:
    row = con.execute("SELECT rw_uscc_problem(?)", [code]).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("code", VALID)
def test_published_valid_codes_pass_in_python_and_sql(con, code: str) -> None:
    assert is_valid_uscc(code)
    assert uscc_problem(code) is None
    assert sql_problem(con, code) is None


def test_published_invalid_code_names_the_check_character(con) -> None:
    assert not is_valid_uscc(INVALID[0])
    assert uscc_problem(INVALID[0]) == "check character 'N', expected 'L'"
    assert sql_problem(con, INVALID[0]) == "check character 'N', expected 'L'"


def test_lower_case_is_normalised_before_checking() -> None:
    assert is_valid_uscc("91310115ma1k3btp2b")


# any character a hostile feed might put in: the USCC set, excluded letters, lower case, CJK
_ANY_CHAR = st.sampled_from(CHARSET + "IOSVZabcz-_ 中")


@settings(max_examples=300, deadline=None)
@given(code=st.sampled_from(VALID), pos=st.integers(0, 17), ch=_ANY_CHAR)
def test_every_single_character_substitution_is_rejected(con, code: str, pos: int, ch: str) -> None:
    if ch == code[pos]:
        return
    bad = code[:pos] + ch + code[pos + 1 :]
    py = uscc_problem(bad)
    assert py is not None, bad
    assert sql_problem(con, bad) == py


def test_exhaustive_substitutions_agree_between_python_and_sql(con) -> None:
    """All 18 × 30 substitutions from the USCC set of every vector, in one SQL pass."""
    codes = [
        c[:i] + ch + c[i + 1 :] for c in VALID for i in range(18) for ch in CHARSET if ch != c[i]
    ]
    got = con.execute(
        "SELECT c, rw_uscc_problem(c) FROM unnest(?::VARCHAR[]) t(c)", [codes]
    ).fetchall()
    assert len(got) == len(codes) == 5 * 18 * 30
    for c, problem in got:
        assert problem is not None and problem == uscc_problem(c), c


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(CHARSET + "IOZa中 "), min_size=0, max_size=20))
def test_python_and_sql_agree_on_arbitrary_strings(con, text: str) -> None:
    assert sql_problem(con, text) == uscc_problem(text)


def sql_ok(con: duckdb.DuckDBPyConnection, codes: list[str | None]) -> list[bool | None]:
    """rw_uscc_ok (the vectorised test ingest runs on every row) of each code, in order."""
    rows = con.execute(
        "SELECT rw_uscc_ok(c) FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(c, i) ORDER BY i",
        [codes],
    ).fetchall()
    return [r[0] for r in rows]


def test_vectorised_check_agrees_on_vectors_and_every_substitution(con) -> None:
    codes = (
        VALID
        + INVALID
        + [
            c[:i] + ch + c[i + 1 :]
            for c in VALID
            for i in range(18)
            for ch in CHARSET + "IOSVZa中"
            if ch != c[i]
        ]
    )
    assert sql_ok(con, codes) == [uscc_problem(c) is None for c in codes]
    assert sql_ok(con, [None, "", VALID[0]]) == [None, False, True]


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(
        st.text(alphabet=st.sampled_from(CHARSET + "IOZa中é "), min_size=0, max_size=20),
        max_size=30,
    )
)
def test_vectorised_check_agrees_with_python_on_arbitrary_strings(con, texts: list[str]) -> None:
    assert sql_ok(con, texts) == [uscc_problem(t) is None for t in texts]
