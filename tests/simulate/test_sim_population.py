"""Subjects look like Shaanxi's: valid USCCs with Shaanxi region codes, the right mix, real name clashes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from riskwarn.contract.regions import CITIES, city_of, judge_region
from riskwarn.contract.uscc import uscc_problem
from riskwarn.errors import ConfigError
from riskwarn.simulate import simulate
from riskwarn.simulate.population import make_population
from riskwarn.simulate.tables import ENTITY_TYPES


@pytest.fixture(scope="module")
def pop():
    return make_population(np.random.default_rng(3), 1_000_000, 20_000, 48)


def test_usccs_are_valid_unique_and_typed(pop):
    ids = pop.entity_id.to_pylist()
    assert len(set(ids)) == len(ids)
    assert all(uscc_problem(i) is None for i in ids)
    for code, t in zip(ids, pop.type_idx, strict=True):
        assert code[:2] in {0: ("91",), 1: ("92",), 2: ("93",), 3: ("12", "52")}[int(t)]
        assert city_of(code[2:8]) is not None


def test_regions_weighted_by_city_share(pop):
    assert all(judge_region(r).verdict == "known" for r in pop.region_code)
    cities = Counter(city_of(r) for r in pop.region_code)
    assert cities.most_common(1)[0][0] == "610100"  # 西安 has the most subjects
    assert cities["610100"] / len(pop) == pytest.approx(CITIES["610100"].share, abs=0.03)
    assert (pop.region_code == "610403").any()  # 杨凌


def test_individual_businesses_are_the_majority_and_names_clash(pop):
    types = Counter(ENTITY_TYPES[t] for t in pop.type_idx)
    assert types["individual_business"] > len(pop) / 2
    assert set(types) == set(ENTITY_TYPES)
    names = np.asarray(pop.name.to_pylist())
    ib = names[pop.type_idx == 1]
    assert len(set(ib)) < len(ib), "some individual businesses share a name"
    assert any(n.endswith("有限公司") for n in names[pop.type_idx == 0])


def test_bad_parameters_are_refused_with_the_parameter_named(tmp_path):
    with pytest.raises(ConfigError, match="entities"):
        simulate(tmp_path / "x", entities=0, months=2)
    with pytest.raises(ConfigError, match="dirt_rate"):
        simulate(tmp_path / "x", entities=10, months=2, dirt_rate=0.9)
    simulate(tmp_path / "y", entities=10, months=1, progress=False)
    with pytest.raises(ConfigError, match="already holds"):
        simulate(tmp_path / "y", entities=10, months=1, progress=False)
