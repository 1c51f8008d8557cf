"""`smartcart forget`: erase a customer on request, or stop leaving them out (`--undo`).

The erasure itself is the engine's (smartcart/engine/store/erasure.py): one transaction over
every table that holds the customer, the audit trail rewritten to a keyed hash, the erasure
recorded under that hash. The key is SMARTCART_ERASURE_KEY, from the environment only.
"""

from __future__ import annotations

import click

from smartcart.cli.common import emit_json, friendly_errors, settings
from smartcart.cli.main import main

# What each table's rows are, in the sentence printed after an erasure.
TABLE_WORDS = {
    "customers": "customer rows",
    "assignments": "segment assignments",
    "history_members": "digest snapshot rows",
    "campaign_members": "campaign group rows",
    "campaign_responses": "campaign responses",
    "audit_log": "audit rows rewritten",
}
OUTSIDE_THE_STORE = (
    "Files outside the store are not changed: delete the customer from score --out files, "
    "audience exports and model reports' quarantine.csv yourself."
)


@main.command()
@click.argument("customer")
@click.option("--reason", help="Why (e.g. the request's reference); kept with the erasure.")
@click.option("--undo", is_flag=True, help="Stop leaving the customer out of later runs (audited).")
@click.option("--user", help="Who asks, for the audit trail. Default: cli:<your login>.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@friendly_errors
def forget(customer: str, reason: str | None, undo: bool, user: str | None, as_json: bool) -> None:
    """Erase a customer (an id or an email) from the store; later runs leave them out."""
    from smartcart.slack import local_user
    from smartcart.slack.migrations import open_store

    if undo and reason:
        raise click.UsageError("--reason goes with an erasure, not with --undo")
    config = settings()
    store = open_store(config.SMARTCART_DATABASE_URL)
    who = local_user(user)
    if undo:
        erasure = store.unforget(config.erasure_key, customer, who)
    else:
        erasure = store.forget(config.erasure_key, customer, who, reason)
    if as_json:
        emit_json(
            {
                "customer": erasure.label,
                "undone": undo,
                "was_stored": erasure.stored,
                "already_forgotten": erasure.already,
                "removed": {} if undo else erasure.removed,
            }
        )
        return
    click.echo(describe(erasure, undo))


def describe(erasure, undo: bool) -> str:
    if undo:
        return (
            f"{erasure.label} is no longer forgotten: later score and train runs include them "
            "again (nothing erased comes back)."
        )
    counts = ", ".join(
        f"{TABLE_WORDS.get(table, table)} {count}" for table, count in erasure.removed.items()
    )
    first = "Forgot" if not erasure.already else "Forgot again"
    stored = "" if erasure.stored else " (not in the customers table now)"
    return (
        f"{first} {erasure.label}{stored}: {counts}. Later score and train runs leave them "
        f"out until `smartcart forget --undo`.\n{OUTSIDE_THE_STORE}"
    )
