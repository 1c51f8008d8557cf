"""`/segment export` through the real HTTP server and the Slack stand-in; `smartcart export`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest

from smartcart.engine.data.synthetic.generate import generate_customers, write_customers
from smartcart.engine.model.personas import PERSONAS_BY_ID
from smartcart.engine.scoring.scoring import score
from smartcart.engine.store.store import Store
from smartcart.engine.training import TrainingOptions, TrainingResult, publish, train
from smartcart.slack.bot_engine import BotContext, build_context, context_factory, health_report
from smartcart.slack.settings import load_settings
from tests.slack.subcommands.test_views import all_text
from tests.support.contacts import (
    BAD_EMAIL,
    opted_out,
    save_digest_snapshot,
    unusable,
    write_contacts,
)
from tests.support.slack_client import SlackBot

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
    assert (entry["allowed"], entry["rows"]) == (True, len(ids))
    assert entry["detail"] == "premium format=csv"
    assert entry["at"] is not None


def test_export_takes_a_persona_by_name_prefix_or_label(segment_bot: SlackBot, trained):
    segment_bot.ask("export Family Budget")
    _, rows = uploaded_csv(segment_bot)
    assert {int(r["customer_id"]) for r in rows} == expected_ids(trained, "family_budget")


@pytest.mark.parametrize("text", ["export nobody", "export <!here>", "export --format csv"])
def test_export_of_no_or_an_unknown_persona_lists_the_choices(segment_bot: SlackBot, text):
    body = all_text(segment_bot.ask(text))
    assert "hoose one of: premium, family_budget, digital_active, moderate_loyal" in body
    assert "Try `/segment export premium`" in body and "<!here>" not in body
    assert segment_bot.standin.calls("files.getUploadURLExternal") == []


def test_export_outside_the_allowed_channels_is_refused_and_audited(slack_bot, bot_context):
    bot_context.settings.SMARTCART_ALLOWED_CHANNELS = ["C0ALLOWED"]
    bot = slack_bot(
        context_factory(bot_context), health_report(bot_context), settings=bot_context.settings
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
    bot = slack_bot(context_factory(k3_context), health_report(k3_context))
    missing = missing_persona(k3_context)
    body = all_text(bot.ask(f"export {missing}"))
    name = PERSONAS_BY_ID[missing].name
    assert f"Nothing to export: no customers in *{name}*" in body
    assert "the current model has no segment for it" in body
    entry = k3_context.service.store.audit_entries("export")[-1]
    assert (entry["target"], entry["rows"], entry["detail"]) == (
        missing,
        0,
        f"{missing} format=csv",
    )
    playbook = all_text(bot.ask(f"playbook {missing}"))
    assert "*No customers in this persona in the current model.*" in playbook
    assert "has 3 segments" in playbook
    assert bot.standin.calls("files.getUploadURLExternal") == []


# ----------------------------------------------------------------------------------------------
# smartcart export


# ----------------------------------------------------------------------------------------------
# Formats, contacts and options (issue 11)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def contacts_file(bot_context, trained, tmp_path) -> pd.DataFrame:
    """Generated contacts for every stored customer, set as SMARTCART_CONTACTS (US default)."""
    ids = [int(i) for i in trained.data.customers["ID"]]
    (tmp_path / "crm").mkdir()
    written = write_contacts(ids, tmp_path / "crm" / "contacts.csv")
    bot_context.settings.SMARTCART_CONTACTS = str(tmp_path / "crm" / "contacts.csv")
    bot_context.settings.SMARTCART_DEFAULT_COUNTRY = "US"
    return written


def everything_said_in_slack(bot: SlackBot) -> str:
    """Every request the bot sent to Slack, except the uploaded file's bytes."""
    return "\n".join(
        call.raw.decode("utf-8", "replace") for call in bot.standin.calls() if call.kind != "upload"
    )


def test_a_meta_export_from_slack_is_hashed_consented_and_contacts_stay_in_the_file(
    segment_bot: SlackBot, trained, bot_context, contacts_file
):
    message = segment_bot.ask("export premium format=meta min-confidence=0.5", user_id="U0PLANNER")
    scores = score(trained.model, trained.data.customers)
    confident = scores[(scores["persona"] == "premium") & (scores["confidence"] >= 0.5)]
    ids = {int(i) for i in confident["customer_id"]}
    expected = (ids & set(contacts_file.index)) - opted_out(contacts_file) - unusable(contacts_file)
    upload, rows = uploaded_csv(segment_bot)
    assert upload["filename"] == f"smartcart-premium-meta-{date.today().isoformat()}.csv"
    assert list(rows[0]) == ["email", "phone", "extern_id"]
    assert {int(r["extern_id"]) for r in rows} == expected
    some = next(r for r in rows if contacts_file.loc[int(r["extern_id"]), "Email"] != BAD_EMAIL)
    assert some["email"] == sha256(f"customer.{some['extern_id']}@example.com")
    body = all_text(message)
    assert f"{len(expected):,} customers, as `{upload['filename']}`" in body
    assert "(Meta custom audience, hashed)" in body
    assert f"{len(opted_out(contacts_file) & ids):,} opted out" in body
    said = everything_said_in_slack(segment_bot)
    assert "example.com" not in said.lower() and "555" not in said
    assert not any(r["email"] and r["email"] in said for r in rows)
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert entry["target"] == "premium format=meta min-confidence=0.5"
    assert entry["rows"] == len(expected)
    assert entry["detail"].startswith("premium format=meta min-confidence=0.5; left out: ")


def test_a_csv_export_from_slack_carries_no_contact_details(segment_bot, trained, contacts_file):
    segment_bot.ask("export premium")
    _, rows = uploaded_csv(segment_bot)
    assert list(rows[0]) == HEADER  # SMARTCART_CONTACTS is set, and still no email or phone
    assert {int(r["customer_id"]) for r in rows} == expected_ids(trained, "premium")


def test_a_klaviyo_export_from_slack_is_refused_and_audited(
    segment_bot, bot_context, contacts_file
):
    body = all_text(segment_bot.ask("export premium format=klaviyo"))
    assert "never posted in Slack" in body
    assert "smartcart export --format klaviyo" in body
    assert segment_bot.standin.calls("files.getUploadURLExternal") == []
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert (entry["target"], entry["allowed"]) == ("premium format=klaviyo", False)
    assert entry["detail"] == "plain contacts format"


def test_a_platform_format_without_configured_contacts_says_what_is_missing(segment_bot):
    body = all_text(segment_bot.ask("export premium format=google"))
    assert "needs contact details, and none are configured" in body
    assert "SMARTCART_CONTACTS" in body
    assert segment_bot.standin.calls("files.getUploadURLExternal") == []


OPTION_MISTAKES = {
    "export premium format=tiktok": "Unknown format `tiktok`; choose one of: csv, meta",
    "export premium colour=red": "Unknown option `colour=red`. Options: `format=",
    "export premium min-confidence=2": "takes a number from 0 to 1",
    "export premium changes": "Cannot export changes: no digest yet",
}


def test_export_options_are_checked_with_a_clear_answer(segment_bot):
    for text, says in OPTION_MISTAKES.items():
        assert says in all_text(segment_bot.ask(text)), text
    assert segment_bot.standin.calls("files.getUploadURLExternal") == []


def test_a_broken_contacts_file_is_explained_without_its_values(segment_bot, bot_context, tmp_path):
    broken = tmp_path / "contacts.csv"
    broken.write_text("customer_id,email,consent\n1,secret@example.com,perhaps\n")
    bot_context.settings.SMARTCART_CONTACTS = str(broken)
    body = all_text(segment_bot.ask("export premium format=meta"))
    assert "cannot be used right now" in body and "row 2, column consent" in body
    assert "secret" not in body and "perhaps" not in body


def test_export_changes_from_slack_lists_who_joined_and_left_since_the_digest(
    segment_bot: SlackBot, bot_context
):
    service = bot_context.service
    premium = service.audience("premium")["customer_id"].astype(int).tolist()
    others = service.store.members("digital_active")["customer_id"].astype(int).tolist()
    move = {i: "digital_active" for i in premium[:4]} | {i: "premium" for i in others[:2]}
    save_digest_snapshot(service, move)
    body = all_text(segment_bot.ask("export premium changes format=meta"))
    assert "needs contact details" in body  # meta needs contacts; csv does not
    message = segment_bot.ask("export premium changes")
    assert "6 changes since the digest of 2020-W01, as `smartcart-premium-changes-" in all_text(
        message
    )
    _, rows = uploaded_csv(segment_bot)
    assert list(rows[0])[:2] == ["customer_id", "change"]
    changes = {int(r["customer_id"]): r["change"] for r in rows}
    assert changes == {i: "joined" for i in premium[:4]} | {i: "left" for i in others[:2]}
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert (entry["rows"], entry["detail"]) == (6, "premium format=csv changes")
