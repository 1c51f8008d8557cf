"""Why a customer is in their persona, by contrast with the nearest other segment
(smartcart/engine/scoring/reasons.py), on the real 2,240 customers: the built-in personas name
the segments as before, every persona's top reason is a feature its rule names, and training
warns where a profile contradicts its description (Digitally Active spend least)."""

from __future__ import annotations

import numpy as np
import pytest

from smartcart.engine import TrainingOptions
from smartcart.engine.model import PERSONAS, description_warnings
from smartcart.engine.scoring import explain
from smartcart.engine.scoring.reasons import contrast_reasons
from smartcart.engine.training import train

CONFIDENT = 50  # the most confident customers of each persona


@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    from tests.support import REAL_DATA

    if not REAL_DATA.exists():
        pytest.skip(f"reference data not found at {REAL_DATA}")
    folder = tmp_path_factory.mktemp("real")
    return train(REAL_DATA, folder / "models", TrainingOptions(algorithm="kmeans", refits=2))


def test_the_built_in_personas_name_the_real_segments_as_before(real_model):
    names = [(s["persona"], s["name"]) for s in real_model.model.segments]
    assert names == [(p.id, p.name) for p in PERSONAS]


def test_every_personas_top_reason_is_a_feature_its_rule_names(real_model):
    model, customers = real_model.model, real_model.data.customers
    assignment = model.assign(customers)
    table = assignment.table().reset_index(drop=True)
    for persona in PERSONAS:
        members = table[table["persona"] == persona.id]
        confident = members.sort_values("confidence", ascending=False).head(CONFIDENT)
        for position in confident.index:
            features = assignment.features.iloc[[position]]
            reasons = contrast_reasons(model, features, int(table["cluster"][position]), persona)
            assert reasons, (persona.id, position)
            assert reasons[0].feature in persona.rule_features, (persona.id, reasons)
            assert all(r.margin > 0 for r in reasons)
        explanation = explain(model, customers.iloc[[int(confident.index[0])]])
        assert explanation.reasons[0].feature in persona.rule_features
        assert explanation.drivers[0].startswith(
            ("Income", "Total spending", "Children", "Website", "Discount", "Customer for")
        )


def test_a_reason_shows_the_customer_the_segment_and_everyone(real_model):
    model, customers = real_model.model, real_model.data.customers
    explanation = explain(model, customers.iloc[[0]])
    reason = explanation.reasons[0]
    assert np.isfinite([reason.value, reason.typical, reason.population]).all()
    assert "this segment typically" in explanation.drivers[0]
    assert "all customers" in explanation.drivers[0]


def test_training_warns_that_digitally_active_spend_least(real_model):
    warnings = description_warnings(real_model.model)
    assert len(warnings) == 1
    (warning,) = warnings
    assert warning.startswith("Digitally Active Individuals (digital_active)")
    assert "moderate TotalSpending does not hold" in warning
    assert "the lowest of the 4 segments" in warning
    assert "### Warnings" in real_model.report.read_text()
