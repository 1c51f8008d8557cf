"""`/segment export` through the real HTTP server and the Slack stand-in; `smartcart export`."""

from __future__ import annotations

import csv
import getpass
import io
import json
from collections.abc import Iterator
from datetime import date

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.context import BotContext, build_context, context_factory, health
from bot.settings import load_settings
from segmentation.generate import generate_customers, write_customers
from segmentation.personas import PERSONAS_BY_ID
from segmentation.scoring import score
from segmentation.store import Store
from segmentation.training import TrainingOptions, TrainingResult, publish, train
from tests.bot.views.test_views import all_text
from tests.slack_client import SlackBot

HEADER = [
    "customer_id",
    "persona",
    "segment",
    "confidence",
    "days_since_last_purchase",
    "total_spending_2y",
    "income",
    "kids_at_home",
    "teens_at_home",
    "education",
    "marital_status",
    "propensity",
]


def expected_ids(result: TrainingResult, persona_id: str) -> set[int]:
    scores = score(result.model, result.data.customers)
    return {int(i) for i in scores.loc[scores["persona"] == persona_id, "customer_id"]}


def uploaded_csv(bot: SlackBot) -> tuple[dict, list[dict]]:
    """The one file uploaded (what the stand-in got for it) and its rows."""
    (complete,) = bot.standin.wait_for("files.completeUploadExternal")
    file_id = json.loads(complete.body["files"])[0]["id"]
    upload = bot.standin.uploaded(file_id) | {"channel": complete.body["channel_id"]}
    rows = list(csv.DictReader(io.StringIO(upload["content"].decode("utf-8"))))
    return upload, rows


def test_export_uploads_the_audience_to_the_asker_and_audits_it(
    segment_bot: SlackBot, trained, bot_context
):
    message = segment_bot.ask("export premium", user_id="U0PLANNER")
    filename = f"smartcart-premium-{date.today().isoformat()}.csv"
    ids = expected_ids(trained, "premium")
    assert message["response_type"] == "ephemeral"
    assert f"{len(ids):,} customers, as `{filename}`" in all_text(message)
    upload, rows = uploaded_csv(segment_bot)
    assert (upload["filename"], upload["channel"]) == (filename, "D0PLANNER")
    assert upload["title"] == f"High-Value Premium Customers: {len(ids):,} customers"
    assert list(rows[0]) == HEADER
    assert {int(r["customer_id"]) for r in rows} == ids and len(rows) == len(ids)
    assert {r["persona"] for r in rows} == {"premium"}
    assert {r["segment"] for r in rows} == {"High-Value Premium Customers"}
    assert all(0 < float(r["confidence"]) <= 1 for r in rows)
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert (entry["user_id"], entry["channel_id"], entry["target"]) == (
        "U0PLANNER",
        "C0MARKETING",
        "premium",
    )
    assert (entry["allowed"], entry["rows"], entry["detail"]) == (True, len(ids), "premium")
    assert entry["at"] is not None


def test_export_takes_a_persona_by_name_prefix_or_label(segment_bot: SlackBot, trained):
    segment_bot.ask("export Family Budget")
    _, rows = uploaded_csv(segment_bot)
    assert {int(r["customer_id"]) for r in rows} == expected_ids(trained, "family_budget")


@pytest.mark.parametrize("text", ["export", "export nobody", "export <!here>"])
def test_export_of_no_or_an_unknown_persona_lists_the_choices(segment_bot: SlackBot, text):
    body = all_text(segment_bot.ask(text))
    assert "hoose one of: premium, family_budget, digital_active, moderate_loyal" in body
    assert "Try `/segment export premium`" in body and "<!here>" not in body
    assert segment_bot.standin.calls("files.getUploadURLExternal") == []


def test_export_outside_the_allowed_channels_is_refused_and_audited(slack_bot, bot_context):
    bot_context.settings.SMARTCART_ALLOWED_CHANNELS = ["C0ALLOWED"]
    bot = slack_bot(
        context_factory(bot_context), health(bot_context), settings=bot_context.settings
    )
    refused = bot.ask("export premium", channel_id="C0OTHER")
    assert "aren't enabled here" in refused["text"]
    assert bot.standin.calls("files.getUploadURLExternal") == []
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert (entry["channel_id"], entry["allowed"], entry["rows"]) == ("C0OTHER", False, None)


# ----------------------------------------------------------------------------------------------
# A model with three clusters: one persona has no customers


@pytest.fixture(scope="module")
def trained_k3(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    folder = tmp_path_factory.mktemp("trained-k3")
    data = folder / "customers.csv"
    write_customers(generate_customers(2240, seed=7), data)
    result = train(data, folder / "models", TrainingOptions(algorithm="kmeans", k=3, refits=2))
    publish(result, folder / "models")
    return result


@pytest.fixture
def k3_context(
    settings_env, database_url: str, trained_k3: TrainingResult, monkeypatch
) -> Iterator[BotContext]:
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(trained_k3.artifact.parent.parent))
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)
    store = Store(database_url)
    store.migrate()
    customers = trained_k3.data.customers
    scores = score(trained_k3.model, customers)
    store.save_customers(customers, scores, trained_k3.model.version, replace=True)
    store.engine.dispose()
    context = build_context(load_settings())
    yield context
    context.service.store.engine.dispose()


def missing_persona(context: BotContext) -> str:
    (missing,) = context.service.figures().missing_personas
    return missing


def test_an_empty_persona_gets_a_clear_message_and_no_file(slack_bot, k3_context):
    bot = slack_bot(context_factory(k3_context), health(k3_context))
    missing = missing_persona(k3_context)
    body = all_text(bot.ask(f"export {missing}"))
    name = PERSONAS_BY_ID[missing].name
    assert f"Nothing to export: no customers in *{name}*" in body
    assert "the current model has no segment for it" in body
    entry = k3_context.service.store.audit_entries("export")[-1]
    assert (entry["target"], entry["rows"], entry["detail"]) == (missing, 0, missing)
    playbook = all_text(bot.ask(f"playbook {missing}"))
    assert "*No customers in this persona in the current model.*" in playbook
    assert "has 3 segments" in playbook
    assert bot.standin.calls("files.getUploadURLExternal") == []


# ----------------------------------------------------------------------------------------------
# smartcart export


def test_cli_export_writes_the_csv_and_records_the_local_user(
    engine_settings, trained, tmp_path, bot_context
):
    out = tmp_path / "exports" / "premium.csv"
    result = CliRunner().invoke(main, ["export", "prem", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ids = expected_ids(trained, "premium")
    assert f"Wrote {len(ids):,} customers of High-Value Premium Customers" in result.stdout
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == HEADER and {int(r["customer_id"]) for r in rows} == ids
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert (entry["user_id"], entry["channel_id"], entry["target"]) == (
        f"cli:{getpass.getuser()}",
        "local",
        "prem",
    )
    assert (entry["rows"], entry["detail"], entry["allowed"]) == (len(ids), "premium", True)


def test_cli_export_of_an_empty_persona_fails_clearly(k3_context, tmp_path):
    missing = missing_persona(k3_context)
    out = tmp_path / "empty.csv"
    result = CliRunner().invoke(main, ["export", missing, "--out", str(out), "--user", "ana"])
    assert result.exit_code == 1
    assert "Nothing to export: no customers in" in result.output and "*" not in result.output
    assert not out.exists()
    entry = k3_context.service.store.audit_entries("export")[-1]
    assert (entry["user_id"], entry["rows"]) == ("ana", 0)


def test_cli_export_needs_an_out_file(engine_settings):
    result = CliRunner().invoke(main, ["export", "premium"])
    assert result.exit_code == 2 and "--out" in result.output
