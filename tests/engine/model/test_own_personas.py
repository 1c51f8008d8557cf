"""A model carries its persona set (artifact format 3): one trained with a user's file answers
without the file, renders the file's playbooks, and flags segments no rule matched; a model
stored before sets were carried keeps answering with the built-in set."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from smartcart.engine import TrainingOptions
from smartcart.engine.data.synthetic import generate_customers, write_customers
from smartcart.engine.model import (
    PERSONAS,
    description_warnings,
    is_unmatched,
    load_live_model,
    save_model,
    segment_checks,
)
from smartcart.engine.model.artifact import load_model, make_live
from smartcart.engine.reports import compute_figures, render_playbook, templates_for
from smartcart.engine.scoring import explain
from smartcart.engine.training import publish, train
from tests.support.personas import IDS, write_personas


@pytest.fixture(scope="module")
def customers_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "customers.csv"
    write_customers(generate_customers(800, seed=3), path)
    return path


def test_a_model_trained_with_a_file_answers_without_it(tmp_path, customers_file):
    personas, templates = write_personas(tmp_path / "mine")
    options = TrainingOptions(
        algorithm="kmeans", k=5, refits=2, personas=personas, templates=templates
    )
    result = train(customers_file, tmp_path / "models", options)
    publish(result, tmp_path / "models")
    personas.unlink()

    model = load_live_model(tmp_path / "models")
    assert [p.id for p in model.personas] == IDS
    assert {s["persona"] for s in model.segments} <= set(IDS)
    assert len({s["persona"] for s in model.segments}) >= 4
    customers = result.data.customers
    explanation = explain(model, customers.iloc[:1])
    assert explanation.persona in IDS and explanation.drivers
    persona = model.persona(explanation.persona)
    assert explanation.reasons[0].feature in persona.rule_features

    figures = compute_figures(model, customers)
    book = render_playbook(templates_for(templates), persona, figures)
    assert book.markdown.startswith(f"# {persona.name} playbook")
    report = result.report.read_text()
    assert "### The personas (boutique set)" in report and "Spend the most" in report


def test_segments_no_rule_matches_are_flagged_and_personas_without_segment_listed(
    tmp_path, customers_file
):
    personas, templates = write_personas(tmp_path / "mine", NARROW)
    options = TrainingOptions(
        algorithm="kmeans", k=6, refits=2, personas=personas, templates=templates
    )
    result = train(customers_file, tmp_path / "models", options)
    model = result.model
    unmatched = [s for s in model.segments if is_unmatched(s["persona"])]
    assert unmatched, [s["persona"] for s in model.segments]
    assert "deal_seekers" in model.card.missing_personas
    report = result.report.read_text()
    assert "(no persona matched)" in report
    assert "Personas without a segment in this model (k=6): " in report
    assert any("matches no persona's rule" in w for w in description_warnings(model))
    checks = {c.cluster: c for c in segment_checks(model)}
    assert all(checks[s["cluster"]].persona is None for s in unmatched)


# Two personas for six segments: the richest segment only, and a discount share none reaches.
NARROW = """
[[persona]]
id = "big_spenders"
name = "Big Spenders"
description = "Spend the most."
template = "playbooks/boutique/big_spenders.md.j2"
high = { TotalSpending = 1.0 }
above = { TotalSpending = 1200 }

[[persona]]
id = "deal_seekers"
name = "Deal Seekers"
description = "Everything on discount."
template = "playbooks/boutique/deal_seekers.md.j2"
above = { DealShare = 2 }
"""


def drop_carried_set(path: Path) -> None:
    """Rewrite an artifact as a model of before persona sets were carried."""
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("model.json"))
        arrays = archive.read("arrays.npz")

    def strip(node):
        if isinstance(node, dict):
            if node.get("$own") == "PersonaNaming":
                pairs = node["state"]["$dict"]
                node["state"]["$dict"] = [
                    p for p in pairs if p[0] not in ("personas", "profiles_", "means_")
                ]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(document)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.json", json.dumps(document))
        archive.writestr("arrays.npz", arrays)
    path.write_bytes(buffer.getvalue())


def test_a_model_stored_before_sets_were_carried_answers_with_the_study_set(tmp_path, trained):
    path = save_model(trained.model, tmp_path / "models")
    drop_carried_set(path)
    make_live(tmp_path / "models", trained.model.version)
    model = load_model(path)
    assert model.naming.profiles_ is None and model.naming.personas == ()
    assert model.personas == PERSONAS
    explanation = explain(model, trained.data.customers.iloc[:1])
    assert explanation.persona in {p.id for p in PERSONAS} and explanation.drivers
    assert [c.persona for c in segment_checks(model)] == [s["persona"] for s in model.segments]
