"""`smartcart ask` and `export` (smartcart/cli/local.py): answers and exports through the Slack request path, audited as the local user."""

from __future__ import annotations

import csv
import getpass
import json

from click.testing import CliRunner

from smartcart.cli import main
from tests.slack.subcommands.test_export import (
    HEADER,
    expected_ids,
    missing_persona,
    sha256,
)
from tests.slack.subcommands.test_views import known_customer
from tests.support.contacts import (
    opted_out,
    unusable,
    write_contacts,
)


def test_ask_prints_the_same_answer_locally(engine_settings, trained):
    result = CliRunner().invoke(main, ["ask", "--json", f"customer {known_customer(trained)}"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["response_type"] == "ephemeral" and payload["blocks"]
    readable = CliRunner().invoke(main, ["ask", "summary"])
    assert "Customer segments" in readable.stdout


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
    assert (entry["rows"], entry["detail"], entry["allowed"]) == (
        len(ids),
        "premium format=csv",
        True,
    )


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


def test_cli_export_writes_a_google_file_with_counts_and_audits_it(
    engine_settings, trained, tmp_path, bot_context
):
    ids = [int(i) for i in trained.data.customers["ID"]]
    written = write_contacts(ids, tmp_path / "contacts.parquet")
    out = tmp_path / "google.csv"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "premium",
            "--out",
            str(out),
            "--format",
            "google",
            "--contacts",
            str(tmp_path / "contacts.parquet"),
            "--default-country",
            "US",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["Email", "Phone"]
    premium = expected_ids(trained, "premium")
    expected = (premium & set(written.index)) - opted_out(written) - unusable(written)
    assert len(rows) == len(expected)
    uk = next(i for i in sorted(expected) if i % 7 == 0)
    uk_phone = "+" + "".join(c for c in written.loc[uk, "Phone"] if c.isdigit())
    assert sha256(uk_phone) in {r["Phone"] for r in rows}
    assert f"Wrote {len(expected):,} customers of High-Value Premium Customers" in result.stdout
    assert f"Left out: {len(opted_out(written) & premium):,} opted out" in result.stdout
    entry = bot_context.service.store.audit_entries("export")[-1]
    assert entry["rows"] == len(expected) and entry["detail"].startswith("premium format=google")


def test_cli_export_of_a_platform_format_needs_contacts(engine_settings, tmp_path):
    result = CliRunner().invoke(
        main, ["export", "premium", "--out", str(tmp_path / "x.csv"), "--format", "meta"]
    )
    assert result.exit_code == 2 and "needs contact details: pass --contacts" in result.output


def test_cli_export_of_changes_before_a_digest_fails_clearly(engine_settings, tmp_path):
    result = CliRunner().invoke(
        main, ["export", "premium", "--out", str(tmp_path / "x.csv"), "--changes"]
    )
    assert result.exit_code == 1 and "no digest yet" in result.output
    assert "Traceback" not in result.output
