"""Personas files (smartcart/engine/model/persona_files.py): the built-in sets are files of the
same shape; a broken file stops training in one line naming the persona, with nothing stored."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from smartcart.engine import DataError, TrainingOptions
from smartcart.engine.data.synthetic import generate_customers, write_customers
from smartcart.engine.model import ORDER_PERSONAS, PERSONAS, read_persona_file
from smartcart.engine.model.naming import name_segments
from smartcart.engine.model.persona_rules import check_rule, rule_matches
from smartcart.engine.reports import Templates, missing_playbook
from smartcart.engine.training import train
from tests.support.personas import FIVE_PERSONAS, write_personas


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [("persona_rules.toml", PERSONAS), ("persona_rules_orders.toml", ORDER_PERSONAS)],
)
def test_the_built_in_sets_are_personas_files(file_name, expected):
    path = Path(str(resources.files("smartcart.engine.model").joinpath(file_name)))
    _, personas = read_persona_file(path)
    assert personas == expected
    assert all(missing_playbook(Templates(), p) is None for p in personas)


def test_a_five_persona_file_reads_with_its_name(tmp_path):
    path, templates = write_personas(tmp_path)
    name, personas = read_persona_file(path)
    assert name == "boutique" and len(personas) == 5
    assert personas[1].short == "Young Families"  # short defaults to the name
    assert all(missing_playbook(Templates(templates), p) is None for p in personas)


BROKEN = {
    "duplicate id": (
        FIVE_PERSONAS.replace('id = "seniors"', 'id = "browsers"'),
        "persona 'browsers': duplicate id",
    ),
    "no rule": (
        FIVE_PERSONAS.replace("high = { Age = 1.0 }\nlow = { Children = 0.5 }\n", ""),
        "persona 'seniors': no rule",
    ),
    "missing template": (
        FIVE_PERSONAS.replace("boutique/browsers.md.j2", "boutique/nowhere.md.j2"),
        "persona 'browsers': template playbooks/boutique/nowhere.md.j2 is in neither",
    ),
    "unknown feature": (
        FIVE_PERSONAS.replace("NumDealsPurchases = 1.0", "NumDeals = 1.0"),
        "persona 'deal_seekers': unknown feature NumDeals",
    ),
    "template outside the folder": (
        FIVE_PERSONAS.replace("playbooks/boutique/seniors", "../seniors"),
        "persona 'seniors': template must name a .j2 file inside the templates folder",
    ),
    "not TOML": ("[[persona]\nid = ", "not a TOML file"),
}


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    write_customers(generate_customers(300, seed=2), path)
    return path


@pytest.mark.parametrize("problem", sorted(BROKEN))
def test_a_broken_file_stops_training_in_one_line_and_stores_nothing(problem, tmp_path, small_data):
    text, expected = BROKEN[problem]
    path, templates = write_personas(tmp_path, text)
    options = TrainingOptions(algorithm="kmeans", refits=1, personas=path, templates=templates)
    with pytest.raises(DataError) as raised:
        train(small_data, tmp_path / "models", options)
    message = str(raised.value)
    assert expected in message and "\n" not in message and str(path) in message
    assert not (tmp_path / "models").exists()


def profiles(rows: dict[int, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index")


def test_a_segment_no_rule_matches_is_named_from_its_profile():
    _, personas = read_persona_file_text(FIVE_PERSONAS)
    z = profiles(
        {
            0: {"TotalSpending": 1.5, "Income": 1.2, "Children": -1.0, "Age": 0.1},
            1: {"TotalSpending": -0.2, "Income": -0.1, "Children": 0.1, "Age": -0.1},
        }
    )
    means = z.copy()
    names = name_segments(z, personas[:1], means, {})
    assert [(n.cluster, n.persona, n.matched) for n in names] == [
        (0, "big_spenders", True),
        (1, "segment_1", False),
    ]
    assert names[1].name == "Low spending, low income"


def test_a_threshold_must_hold_for_a_rule_to_match():
    _, personas = read_persona_file_text(FIVE_PERSONAS)
    deals = personas[3]  # high NumDealsPurchases, DealShare >= 0.1
    z = {"NumDealsPurchases": 1.0, "DealShare": 0.5}
    assert rule_matches(check_rule(deals, z, {"NumDealsPurchases": 4, "DealShare": 0.3}, {}))
    checks = check_rule(deals, z, {"NumDealsPurchases": 4, "DealShare": 0.05}, {})
    assert not rule_matches(checks)
    assert "misses by 0.05" in checks[-1].words()


def read_persona_file_text(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.toml"
        path.write_text(text)
        return read_persona_file(path)
