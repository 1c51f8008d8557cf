"""`smartcart db upgrade` and `db current`: the store's schema (Alembic revisions, smartcart.slack.migrations).

`db upgrade` is the release step: it creates or upgrades the engine's and the bot's tables under
the migration lock (other processes wait) and prints what it did. Processes that open the store
do the same on start, so it is never required; running it first keeps the upgrade out of the
start of the bot and the scheduler.
"""

from __future__ import annotations

import click

from smartcart.cli.common import friendly_errors, settings
from smartcart.cli.main import main


@main.group()
def db() -> None:
    """The store's schema: upgrade it (the release step), or show where it is."""


def _store():
    from smartcart.engine.store import Store

    store = Store(settings().SMARTCART_DATABASE_URL)
    click.echo(f"Database: {store.engine.url.render_as_string(hide_password=True)}")
    return store


def _summary(statuses) -> str:
    return ", ".join(f"{s.name} at {', '.join(s.current) or 'nothing'}" for s in statuses)


@db.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Create or upgrade every table to the latest revision, under the lock; print what ran."""
    from smartcart.slack.migrations import status, upgrade

    store = _store()
    done = upgrade(store)
    for step in done:
        if step.adopted:
            version, revision = step.adopted
            made = f"made before Alembic (smartcart_schema version {version})"
            if revision:
                click.echo(f"{step.name}: adopted the database {made} as {revision}")
            else:
                click.echo(f"{step.name}: the database {made} had none of these tables")
        for revision in step.applied:
            click.echo(f"{step.name}: applied {revision.id} ({revision.doc})")
    lead = "Nothing to apply. " if not any(s.applied or s.adopted for s in done) else ""
    click.echo(f"{lead}Schema up to date: {_summary(status(store))}.")
    store.engine.dispose()


@db.command("current")
@friendly_errors
def db_current() -> None:
    """Each set of tables' revision and whether it is up to date (exit 1 when not)."""
    from smartcart.slack.migrations import status

    store = _store()
    statuses = status(store)
    store.engine.dispose()
    for s in statuses:
        heads = ", ".join(s.heads)
        if s.up_to_date:
            click.echo(f"{s.name}: {heads} (head), up to date")
        elif s.unknown:
            click.echo(
                f"{s.name}: {', '.join(s.unknown)}, newer than this version of smartcart "
                f"(its head: {heads}): upgrade smartcart"
            )
        elif s.current:
            click.echo(f"{s.name}: {', '.join(s.current)}, out of date (head: {heads})")
        elif s.legacy_version is not None:
            made = f"made before Alembic (smartcart_schema version {s.legacy_version})"
            click.echo(f"{s.name}: {made}, out of date (head: {heads})")
        else:
            click.echo(f"{s.name}: no tables yet, out of date (head: {heads})")
    if any(not s.up_to_date and not s.unknown for s in statuses):
        click.echo("Out of date: run `smartcart db upgrade`.")
    if not all(s.up_to_date for s in statuses):
        raise SystemExit(1)
