"""Revenue at risk in Slack, end to end through the signed HTTP path: a bot trained on 600
customers' order lines (with a lifetime model) shows each persona's predicted value and the
revenue at risk in the summary and the Home tab, counts the customers at high churn risk with
`/segment at-risk [persona]`, and its export button sends those customers' file to the DM,
checked and audited as an export; a retailer's own personas are named as the model names them.
A model without a lifetime model answers as before."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from smartcart.engine.reports import money
from smartcart.slack.subcommands import EXPORT_AT_RISK_ACTION
from tests.slack.listeners.test_export_form import submit, values
from tests.slack.listeners.test_home import open_home
from tests.slack.subcommands.test_views import all_text
from tests.support.lifetime_bot import start_bot
from tests.support.personas import renamed_order_personas

# Slack behaviour rather than storage: SQLite is enough for the form and the options.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def lifetime_bot(tmp_path, settings_env, database_url, monkeypatch, slack_bot):
    started = start_bot(600, tmp_path, database_url, monkeypatch, slack_bot)
    yield started
    started.service.store.engine.dispose()


def high_risk(stored: pd.DataFrame) -> pd.DataFrame:
    return stored[stored["churn_risk"] == "high"]


def persona_of(service) -> pd.Series:
    members = pd.concat([service.store.members(p.id) for p in service.model.personas])
    return members.set_index("customer_id")["persona"]


def test_summary_at_risk_and_home_show_the_revenue_at_risk(lifetime_bot):
    service = lifetime_bot.service
    stored = service.store.all_customers()
    at_risk = high_risk(stored)
    assert 0 < len(at_risk) < len(stored)
    revenue_at_risk = float(at_risk["predicted_clv_365d"].sum())

    summary = all_text(lifetime_bot.bot.ask("summary", timeout=15))
    assert (
        f"*Revenue at risk*: {money(revenue_at_risk)} of the "
        f"{money(stored['predicted_clv_365d'].sum())} predicted over the next 12 months, from "
        f"{len(at_risk):,} customers at high churn risk"
    ) in summary

    answer = lifetime_bot.bot.ask("at-risk")
    text = all_text(answer)
    assert f"{len(at_risk):,} of {len(stored):,} customers" in text
    assert money(revenue_at_risk) in text
    personas = persona_of(service).reindex(at_risk["ID"].to_numpy())
    biggest = personas.value_counts().index[0]
    worth = at_risk.loc[personas.eq(biggest).to_numpy(), "predicted_clv_365d"].sum()
    name = next(p.name for p in service.model.personas if p.id == biggest)
    assert f"*{name}*: {personas.eq(biggest).sum():,} of" in text and money(worth) in text
    buttons = [
        e["action_id"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert f"{EXPORT_AT_RISK_ACTION}:{biggest}" in buttons

    one = all_text(lifetime_bot.bot.ask(f"at-risk {biggest}"))
    assert f"*{name}*" in one and one.count(" customers at high risk ") == 1

    home = json.dumps(open_home(lifetime_bot.bot), ensure_ascii=False)
    assert f"*Revenue at risk*: {money(revenue_at_risk)}" in home
    assert f"{money(worth)} ({personas.eq(biggest).sum():,} customers)" in home


def test_the_export_button_sends_the_high_risk_customers_to_the_dm(lifetime_bot):
    service = lifetime_bot.service
    stored = service.store.all_customers()
    personas = persona_of(service)
    at_risk = high_risk(stored)
    persona = personas.reindex(at_risk["ID"].to_numpy()).value_counts().index[0]
    wanted = set(at_risk.loc[personas.reindex(at_risk["ID"]).eq(persona).to_numpy(), "ID"])

    bot = lifetime_bot.bot
    assert bot.click(f"{EXPORT_AT_RISK_ACTION}:{persona}", persona).status == 200
    (complete,) = bot.standin.wait_for("files.completeUploadExternal", timeout=10)
    file_id = json.loads(complete.body["files"])[0]["id"]
    upload = bot.standin.uploaded(file_id)
    assert "-high-risk-" in upload["filename"]
    table = pd.read_csv(io.BytesIO(upload["content"]))
    assert set(table["customer_id"]) == wanted
    assert set(table["churn_risk"]) == {"high"}
    (entry,) = service.store.audit_entries("export")
    assert entry["allowed"] and entry["detail"].startswith(f"{persona} format=csv churn-risk=high")


@SQLITE_ONLY
def test_the_export_options_filter_by_churn_risk_and_top_value(lifetime_bot):
    service = lifetime_bot.service
    stored = service.store.all_customers()
    persona = persona_of(service).value_counts().index[0]
    members = service.store.members(persona)
    answer = lifetime_bot.bot.ask(f"export {persona} top-clv=5 campaign=keep holdout=20%")
    assert "5 customers" in all_text(answer)
    (complete,) = lifetime_bot.bot.standin.wait_for("files.completeUploadExternal", timeout=10)
    upload = lifetime_bot.bot.standin.uploaded(json.loads(complete.body["files"])[0]["id"])
    table = pd.read_csv(io.BytesIO(upload["content"]))
    values = stored.set_index("ID").loc[members["customer_id"], "predicted_clv_365d"]
    assert set(table["customer_id"]) == set(values.sort_values(ascending=False).index[:5])
    assert set(table["group"]) <= {"target", "control"} and len(table) == 5

    for words, problem in (
        ("churn-risk=soon", "--churn-risk 'soon': choose high, medium or low"),
        ("top-clv=0%", "--top-clv '0%': write a share like 10%"),
    ):
        assert problem in all_text(lifetime_bot.bot.ask(f"export {persona} {words}"))


@SQLITE_ONLY
def test_without_a_lifetime_model_nothing_changes(
    tmp_path, settings_env, database_url, monkeypatch, slack_bot
):
    started = start_bot(120, tmp_path, database_url, monkeypatch, slack_bot)
    assert started.service.model.lifetime is None
    summary = all_text(started.bot.ask("summary", timeout=15))
    assert "predicted over the next 12 months" not in summary and "at risk" not in summary
    assert "no lifetime model" in all_text(started.bot.ask("at-risk"))
    assert "Revenue at risk" not in json.dumps(open_home(started.bot))
    persona = persona_of(started.service).value_counts().index[0]
    assert "no lifetime value" in all_text(started.bot.ask(f"export {persona} churn-risk=high"))
    started.service.store.engine.dispose()


@SQLITE_ONLY
def test_the_export_form_offers_and_checks_churn_risk_and_top_value(lifetime_bot):
    bot, service = lifetime_bot.bot, lifetime_bot.service
    assert bot.command("export").status == 200
    bot.standin.wait_for("views.open")
    (form,) = bot.standin.opened_views()
    assert {"churn_risk", "top_clv"} <= {b.get("block_id") for b in form["blocks"]}

    persona = persona_of(service).value_counts().index[0]
    wrong = form_values(persona, churn="high", top="none")
    reply = submit(bot, wrong)
    errors = reply.json()["errors"]
    assert list(errors) == ["top_clv"] and "a share like 10%" in errors["top_clv"]

    assert submit(bot, form_values(persona, churn="high", top="3")).status == 200
    (complete,) = bot.standin.wait_for("files.completeUploadExternal", timeout=10)
    upload = bot.standin.uploaded(json.loads(complete.body["files"])[0]["id"])
    table = pd.read_csv(io.BytesIO(upload["content"]))
    assert 0 < len(table) <= 3 and set(table["churn_risk"]) == {"high"}
    (entry,) = service.store.audit_entries("export")
    assert "churn-risk=high top-clv=3" in entry["detail"]


def form_values(persona: str, churn: str | None = None, top: str = "") -> dict:
    """The export form's state with the lifetime fields, as Slack sends it."""
    chosen = values(persona)
    option = None if churn is None else {"text": plain(churn), "value": churn}
    chosen["churn_risk"] = {"churn_risk": {"type": "static_select", "selected_option": option}}
    chosen["top_clv"] = {"top_clv": {"type": "plain_text_input", "value": top or None}}
    return chosen


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


@SQLITE_ONLY
def test_without_export_access_no_button_and_a_click_is_refused_and_audited(
    tmp_path, settings_env, database_url, monkeypatch, slack_bot
):
    monkeypatch.setenv("SMARTCART_ALLOWED_USERS", "U0ANALYST")
    started = start_bot(600, tmp_path, database_url, monkeypatch, slack_bot)
    answer = started.bot.ask("at-risk", user_id="U0INTERN")
    assert "customers at high risk" in all_text(answer)  # counts are for everyone
    assert not [b for b in answer["blocks"] if b["type"] == "actions"]
    assert "not enabled here" in all_text(answer)

    persona = persona_of(started.service).value_counts().index[0]
    response_url = started.bot.new_response_url()
    click = started.bot.click(
        f"{EXPORT_AT_RISK_ACTION}:{persona}", persona, response_url, user_id="U0INTERN"
    )
    assert click.status == 200
    refusal = started.bot.standin.wait_for_response(response_url)
    assert "aren't enabled here" in all_text(refusal)
    assert started.bot.standin.calls("files.completeUploadExternal") == []
    (entry,) = started.service.store.audit_entries("export")
    assert (entry["user_id"], entry["allowed"]) == ("U0INTERN", False)
    started.service.store.engine.dispose()


@SQLITE_ONLY
def test_at_risk_names_a_retailers_own_personas(
    tmp_path, settings_env, database_url, monkeypatch, slack_bot
):
    """Trained with a personas file of its own, the answer, its buttons and the summary's value
    lines name the personas as the model does, never by their ids."""
    personas = renamed_order_personas(tmp_path / "mine")
    started = start_bot(600, tmp_path, database_url, monkeypatch, slack_bot, personas)
    model = started.service.model
    rows = started.service.figures().lifetime
    shown = [p for p in model.personas if rows.get(p.id, {}).get("customers")]
    assert shown and all(p.id.startswith("shop_") for p in shown)
    answer = started.bot.ask("at-risk")
    text = all_text(answer)
    actions = [b for b in answer["blocks"] if b["type"] == "actions"]
    labels = [e["text"]["text"] for b in actions for e in b["elements"]]
    for persona in shown:
        assert f"*{persona.name}*: " in text and persona.id not in text
    assert labels and all(label.startswith("Export Shop ") for label in labels)
    assert all(p.name in answer["text"] for p in shown)
    summary = all_text(started.bot.ask("summary", timeout=15))
    for persona in shown:
        assert (
            f"*{persona.name}*: {money(rows[persona.id]['predicted_value'])} predicted" in summary
        )
    started.service.store.engine.dispose()
