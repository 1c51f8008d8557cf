"""A retailer's own five personas end to end in Slack: trained with `--personas`, the model
answers `/segment personas`, `customer`, `playbook`, `summary` and `campaign` through the real
server with signed requests, with the playbooks from the deployment's templates folder, and
without the personas file (the model carries its set)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from smartcart.engine import SegmentService, TrainingOptions
from smartcart.engine.data.synthetic import generate_customers, write_customers
from smartcart.engine.marketing import Targeting, campaign_groups, get_campaign, save_responses
from smartcart.engine.marketing.campaigns import record_campaign
from smartcart.engine.model import ALL_PERSONAS_BY_ID
from smartcart.engine.store import Store
from smartcart.slack.bot_engine import build_context, context_factory, health_report
from smartcart.slack.settings import load_settings
from tests.slack.subcommands.test_views import all_text
from tests.support.personas import IDS, write_personas


@dataclass
class OwnBot:
    bot: object
    service: SegmentService
    customer: int


@pytest.fixture
def own_bot(tmp_path, settings_env, database_url, monkeypatch, slack_bot) -> OwnBot:
    personas, templates = write_personas(tmp_path / "mine")
    data = tmp_path / "customers.csv"
    write_customers(generate_customers(800, seed=3), data)
    models = tmp_path / "models"
    store = Store(database_url)
    store.migrate()
    options = TrainingOptions(
        algorithm="kmeans", k=5, refits=2, personas=personas, templates=templates
    )
    SegmentService(models, store).train(str(data), options)
    store.engine.dispose()
    personas.unlink()  # the model answers without its file
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(models))
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(templates))
    context = build_context(load_settings())
    bot = slack_bot(context_factory(context), health_report(context))
    first = int(generate_customers(800, seed=3)["ID"].iloc[0])
    yield OwnBot(bot, context.service, first)
    context.service.store.engine.dispose()


def test_own_personas_name_the_segments_and_answer_in_slack(own_bot: OwnBot):
    model = own_bot.service.model
    assert model.card.persona_set == "boutique"
    assert [p.id for p in model.personas] == IDS
    assert {s["persona"] for s in model.segments} <= set(IDS) | {
        f"segment_{s['cluster']}" for s in model.segments
    }

    personas = all_text(own_bot.bot.ask("personas"))
    assert all(p.name in personas for p in model.personas)
    assert "Spend the most &amp; earn the most." in personas  # the file's text, escaped
    assert "(all " in personas  # the figures behind each description
    assert "Premium" not in personas

    explanation = own_bot.service.explain(own_bot.customer)
    answer = own_bot.bot.ask(f"customer {own_bot.customer}")
    text = all_text(answer)
    assert explanation.segment_name in text and "Why this persona" in text
    assert "this segment typically" in text
    if explanation.persona == "big_spenders":
        assert "&lt;shopping&gt;" in text and "<shopping>" not in text


def test_own_playbooks_render_from_the_templates_folder(own_bot: OwnBot):
    present = own_bot.service.model.segments[0]
    playbook = all_text(own_bot.bot.ask(f"playbook {present['persona']}"))
    assert f"{present['name']} playbook" in playbook
    assert "customers (" in playbook
    summary = all_text(own_bot.bot.ask("summary"))
    for segment in own_bot.service.model.segments:
        assert segment["name"] in summary


def test_a_segment_no_rule_matched_is_flagged_in_the_summary():
    from smartcart.slack.subcommands.summary import segment_line

    segment = {
        "persona": "segment_3",
        "name": "High catalog purchases, low website visits",
        "size": 120,
        "share": 0.1,
        "revenue_share": 0.2,
        "avg_spend": 900.0,
        "avg_income": 70000.0,
        "response_rate": 0.2,
        "lift": 1.3,
        "profile": {"Income": 70000.0},
    }
    line = segment_line(segment)
    assert line.startswith("*High catalog purchases, low website visits (no persona matched)*")


def test_campaigns_are_named_from_the_live_models_personas(own_bot: OwnBot):
    """`/segment campaign` names a campaign's persona from the live model's own set; one from
    before the retailer's file by the built-in name; one whose persona is gone by its id."""
    service = own_bot.service
    model = service.model
    persona = next(p for p in model.personas if p.id in {s["persona"] for s in model.segments})
    exported = own_bot.bot.ask(f"export {persona.id} --campaign spring --holdout 20%")
    assert "Campaign `spring`" in all_text(exported)
    waiting = all_text(own_bot.bot.ask("campaign spring"))
    assert f"*Campaign spring*: {persona.name}: " in waiting and persona.id not in waiting

    someone = pd.DataFrame({"customer_id": [own_bot.customer], "group": ["target"]})
    for name, old in (("autumn", "premium"), ("winter", "gone_persona")):
        record_campaign(
            service.store, Targeting.parse(campaign=name), old, someone, "U1", "C1", "v"
        )
    listed = all_text(own_bot.bot.ask("campaign"))
    assert f"*spring*: {persona.name}: " in listed and persona.id not in listed
    assert f"*autumn*: {ALL_PERSONAS_BY_ID['premium'].name}: " in listed
    assert "*winter*: gone_persona: " in listed

    spring = get_campaign(service.store, "spring")
    target = campaign_groups(service.store, spring).query("group == 'target'")["customer_id"]
    responses = pd.DataFrame({"customer_id": target.head(5), "revenue": float("nan")})
    save_responses(service.store, spring, responses, "responses.csv")
    readout = all_text(own_bot.bot.ask("campaign spring"))
    assert "Campaign spring: readout" in readout and f"{persona.name}: " in readout
    assert persona.id not in readout
