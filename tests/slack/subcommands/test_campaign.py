"""Targeting, control groups and readouts through Slack (real server, stand-in) and the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from smartcart.cli import main
from smartcart.engine.marketing.campaigns import get_campaign
from smartcart.engine.scoring.scoring import score
from tests.slack.subcommands.test_export import uploaded_csv
from tests.slack.subcommands.test_views import PNG, all_text, known_customer
from tests.support.slack_client import SlackBot

EXPORT = "export premium --top 30% --campaign Spring --holdout 10%"


def premium_scores(trained) -> pd.DataFrame:
    scores = score(trained.model, trained.data.customers)
    return scores[scores["persona"] == "premium"]


def test_export_with_top_and_campaign_in_slack(segment_bot: SlackBot, trained, bot_context):
    message = segment_bot.ask(EXPORT, user_id="U0PLANNER")
    premium = premium_scores(trained)
    kept = -(-len(premium) * 3 // 10)
    text = all_text(message)
    assert f"{kept:,} customers (top 30% most likely to respond)" in text
    assert "Campaign `spring`" in text and "Do not contact the control group" in text
    upload, rows = uploaded_csv(segment_bot)
    assert upload["filename"].startswith("smartcart-premium-spring-")
    assert len(rows) == kept and list(rows[0])[-2:] == ["propensity", "group"]
    propensities = [float(r["propensity"]) for r in rows]
    assert propensities == sorted(propensities, reverse=True)
    assert min(propensities) >= premium["propensity"].nlargest(kept).min()
    assert {r["group"] for r in rows} == {"target", "control"}
    found = get_campaign(bot_context.service.store, "spring")
    assert (found.persona, found.filters, found.created_by) == (
        "premium",
        {"top": "30%"},
        "U0PLANNER",
    )
    assert found.target_size + found.control_size == kept
    assert found.control_size == sum(r["group"] == "control" for r in rows)
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert entry["detail"].startswith("premium format=csv top=30% campaign=spring holdout=10%")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("export premium --top", "`--top` needs a value"),
        ("export premium --top lots", "--top lots: give a share"),
        ("export premium --holdout 10%", "--holdout needs --campaign"),
        ("export premium --budget 5", "Unknown option `budget=5`"),
        ("export premium --campaign <b>x</b>", "campaign name"),
    ],
)
def test_bad_export_options_get_a_friendly_line(segment_bot: SlackBot, text, expected):
    message = segment_bot.ask(text)
    assert expected in message["text"].replace("&lt;", "<").replace("&gt;", ">")
    assert "<b>" not in message["text"]
    assert segment_bot.standin.calls("files.getUploadURLExternal") == []


def test_campaign_list_and_readout_in_slack_and_the_cli(
    segment_bot: SlackBot, engine_settings, bot_context, tmp_path
):
    assert "No campaigns yet" in segment_bot.ask("campaign")["text"]
    out = tmp_path / "spring.csv"
    runner = CliRunner()
    exported = runner.invoke(
        main,
        ["export", "premium", "--campaign", "spring", "--holdout", "20%", "--out", str(out)],
    )
    assert exported.exit_code == 0, exported.output
    assert "Campaign spring:" in exported.stdout
    rows = pd.read_csv(out)
    again = runner.invoke(
        main,
        ["export", "premium", "--campaign", "spring", "--holdout", "20%", "--out", str(out)],
    )
    assert again.exit_code == 0 and pd.read_csv(out).equals(rows)  # same groups again
    listed = segment_bot.ask("campaign")
    assert "spring" in all_text(listed) and "no responses yet" in all_text(listed)
    assert "No responses loaded yet" in segment_bot.ask("campaign spring")["text"]

    target = rows[rows["group"] == "target"]["customer_id"]
    control = rows[rows["group"] == "control"]["customer_id"]
    responders = [*target.head(len(target) // 2), *control.head(len(control) // 10)]
    responses = tmp_path / "responses.csv"
    responses.write_text("customer_id\n" + "\n".join(str(i) for i in responders) + "\n")
    chart = tmp_path / "readout.png"
    read = runner.invoke(
        main,
        ["campaign", "readout", "spring", "--responses", str(responses), "--json"]
        + ["--chart", str(chart)],
    )
    assert read.exit_code == 0, read.output
    figures = json.loads(read.stdout)
    assert figures["target"] == {
        "size": len(target),
        "responders": len(target) // 2,
        "rate": round(len(target) // 2 / len(target), 6),
    }
    assert figures["control"]["size"] == len(control)
    assert figures["ci95"][0] < figures["lift_absolute"] < figures["ci95"][1]

    answer = segment_bot.ask("campaign spring")
    text = all_text(answer)
    assert "Campaign spring: readout" in text and figures["verdict"][:30] in text
    assert "Newcombe" in text and "z-test" in text
    assert chart.read_bytes().startswith(PNG)
    (image,) = [b for b in answer["blocks"] if b["type"] == "image"]
    uploads = segment_bot.standin.calls("files.completeUploadExternal")
    titles = {f["id"]: f["title"] for c in uploads for f in json.loads(c.body["files"])}
    assert titles[image["slack_file"]["id"]] == "Campaign spring: target vs control"
    listed = runner.invoke(main, ["campaign", "list"])
    assert "spring" in listed.stdout and "premium" in listed.stdout


def test_readout_refuses_unknown_campaigns_and_ids_in_one_line(engine_settings, tmp_path):
    runner = CliRunner()
    responses = tmp_path / "responses.csv"
    responses.write_text("customer_id\n1\n")
    unknown = runner.invoke(main, ["campaign", "readout", "autumn", "--responses", str(responses)])
    assert unknown.exit_code == 1
    assert (
        unknown.output.strip().count("\n") == 0 and "no campaign named 'autumn'" in unknown.output
    )
    out = tmp_path / "a.csv"
    runner.invoke(main, ["export", "premium", "--campaign", "autumn", "--out", str(out)])
    responses.write_text("customer_id\n123456789\n")
    stranger = runner.invoke(main, ["campaign", "readout", "autumn", "--responses", str(responses)])
    assert stranger.exit_code == 1 and stranger.output.strip().count("\n") == 0
    assert "1 customer id(s) are not in campaign 'autumn'" in stranger.output


def test_customer_and_summary_show_the_likelihood_to_respond(segment_bot: SlackBot, trained):
    text = all_text(segment_bot.ask(f"customer {known_customer(trained)}"))
    assert "Next offer:" in text and "to respond" in text
    summary = all_text(segment_bot.ask("summary"))
    assert summary.count("expected responders") == len(trained.model.segments)


def test_model_card_shows_the_response_model(segment_bot: SlackBot, trained):
    figures = trained.model.card.response_model
    text = all_text(segment_bot.ask("model"))
    assert f"Response model: {figures.estimator}, 5-fold CV AUC {figures.auc:.3f}" in text
