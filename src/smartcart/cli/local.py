"""`smartcart ask`, `export` and `demo`: the bot's answers, locally, through the Slack request path."""

from __future__ import annotations

from pathlib import Path

import click

from smartcart.cli.common import (
    DEMO_ROWS,
    DEMO_SEED,
    emit_json,
    friendly_errors,
    progress,
    service,
    settings,
    step_progress,
)
from smartcart.cli.main import main
from smartcart.cli.training import print_training


@main.command()
@click.option("--rows", default=DEMO_ROWS, show_default=True, type=click.IntRange(100, 1_000_000))
@friendly_errors
def demo(rows) -> None:
    """Generate data, train, score and show the answers, with no Slack and no files of yours."""
    from smartcart.engine import TrainingOptions
    from smartcart.engine.data.synthetic import generate_customers, write_customers

    config = settings()
    data_file = Path("var") / "demo" / "customers.csv"
    data_file.parent.mkdir(parents=True, exist_ok=True)
    click.echo(f"1. Generating {rows} customers (seed {DEMO_SEED}) -> {data_file}")
    write_customers(generate_customers(rows, seed=DEMO_SEED), data_file)
    click.echo(f"2. Training (model dir {config.SMARTCART_MODEL_DIR})")
    engine = service(config)
    result = engine.train(str(data_file), TrainingOptions(), progress=progress)
    print_training(result)
    click.echo("3. Scoring the same export again (as a weekly refresh would)")
    run = engine.score_file(str(data_file), replace=True)
    click.echo(f"   {run.rows['used']} customers scored with model {run.model_version}")
    first = run.most_confident
    explanation = engine.explain(first)
    click.echo(
        f"4. Customer {first}: {explanation.segment_name} "
        f"(confidence {explanation.confidence:.0%}, {explanation.confidence_label})"
    )
    for driver in explanation.drivers:
        click.echo(f"   - {driver}")
    run_demo_questions(first)


def run_demo_questions(customer_id: int) -> None:
    """The Slack answers, rendered locally through the same handlers as the bot."""
    for text in ("summary", f"customer {customer_id}", "personas"):
        click.echo(f'\n$ smartcart ask "/segment {text}"')
        click.echo(local_answer(text).rendered)


@main.command()
@click.argument("text", nargs=-1, required=False)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the Slack payload (response_type, text, blocks)."
)
@click.option("--user", default=None, help="User id to answer as (default: cli:<your login>).")
@click.option("--channel", default="local", show_default=True, help="Channel id to answer in.")
@friendly_errors
def ask(text, as_json, user, channel) -> None:
    """Answer a /segment text locally, through the bot's own handlers (no Slack needed)."""
    answer = local_answer(" ".join(text), user, channel)
    if as_json:
        emit_json(answer.answer.payload())
        return
    click.echo(answer.rendered)
    for upload in answer.saved_uploads:
        click.echo(f"(file: {upload})")


class LocalAnswer:
    def __init__(self, answer, rendered: str, saved_uploads: list[Path]) -> None:
        self.answer = answer
        self.rendered = rendered
        self.saved_uploads = saved_uploads


def local_answer(text: str, user: str | None = None, channel: str = "local") -> LocalAnswer:
    """Answer like Slack does (`smartcart.slack.request_path.answer_with`), as a request of origin
    `cli`: not limited by `smartcart.slack.access`; lookups are audited as the local user; files
    saved under var/."""
    from smartcart.slack import Request, answer_with, local_user, render_text

    config = settings()
    request = Request(text=text, user_id=local_user(user), channel_id=channel, origin="cli")
    answer = answer_with(local_context(config), request)
    saved = []
    for upload in answer.uploads:
        path = Path("var") / "answers" / upload.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.content)
        saved.append(path)
    return LocalAnswer(answer, render_text(answer), saved)


def local_context(config, contacts=None):
    """The CLI's context factory: never fails itself, so 'no model yet' is answered by the
    handler that needs the model (as `help` needs none), and lookups are still audited.
    `contacts` stand for SMARTCART_CONTACTS (`export --contacts`)."""
    from smartcart.slack import build_context, context_factory

    context = build_context(config)
    context.contacts = contacts
    return lambda: _LocalContext(context, context_factory(context))


class _LocalContext:
    """Resolves the context lazily (once), so 'no model yet' is answered like in Slack."""

    def __init__(self, context, factory) -> None:
        self._factory = factory
        self._resolved = None
        self.audit = context.audit
        self.decide = context.decide

    def __getattr__(self, name: str):
        if self._resolved is None:
            self._resolved = self._factory()
        return getattr(self._resolved, name)


@main.command()
@click.argument("persona", nargs=-1, required=True)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.csv"
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "meta", "google", "klaviyo"]),
    default="csv",
    show_default=True,
    help="csv, a Meta custom audience, Google Customer Match (both hashed) or a Klaviyo import.",
)
@click.option(
    "--contacts",
    help="Contacts (CSV, Parquet or SQLAlchemy URL): customer_id, email, phone[, consent]. "
    "Default: SMARTCART_CONTACTS.",
)
@click.option(
    "--contacts-table",
    default="contacts",
    show_default=True,
    help="Table, when --contacts is a SQL URL.",
)
@click.option(
    "--default-country",
    help="Country of phones written without a country code (e.g. US). "
    "Default: SMARTCART_DEFAULT_COUNTRY.",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    help="Keep only customers placed with at least this confidence (0 to 1).",
)
@click.option(
    "--changes", is_flag=True, help="Who joined and who left the persona since the last digest."
)
@click.option("--user", default=None, help="User id for the audit trail (default: cli:<login>).")
@click.option("--top", default=None, help="Keep the most likely to respond: a share (30%) or 500.")
@click.option(
    "--churn-risk",
    default=None,
    help="Keep the customers at this churn risk: high, medium or low (a lifetime model).",
)
@click.option(
    "--top-clv",
    default=None,
    help="Keep the highest predicted 12-month values: a share (10%) or a number (500).",
)
@click.option("--campaign", default=None, help="Record a campaign of this name (with --holdout).")
@click.option("--holdout", default=None, help="Control group share with --campaign (default 10%).")
@friendly_errors
def export(
    persona,
    out,
    fmt,
    contacts,
    contacts_table,
    default_country,
    min_confidence,
    changes,
    user,
    top,
    churn_risk,
    top_clv,
    campaign,
    holdout,
) -> None:
    """Write a persona's audience for a campaign tool (recorded in the audit trail)."""
    from smartcart.engine.marketing import hearing_export_rows, load_contacts
    from smartcart.slack import LOCAL_CHANNEL, Request, answer_with, local_user, unescape_slack

    config = settings()
    source = contacts or config.SMARTCART_CONTACTS
    if source is None and fmt != "csv":
        raise click.UsageError(
            f"--format {fmt} needs contact details: pass --contacts FILE or set SMARTCART_CONTACTS"
        )
    country = default_country or config.SMARTCART_DEFAULT_COUNTRY
    config = config.model_copy(update={"SMARTCART_DEFAULT_COUNTRY": country})
    known = load_contacts(source, contacts_table) if source else None
    keyed = {
        "top": top,
        "churn-risk": churn_risk,
        "top-clv": top_clv,
        "campaign": campaign,
        "holdout": holdout,
    }
    words = export_words(" ".join(persona), fmt, min_confidence, changes, keyed)
    request = Request(
        text=f"export {words}", user_id=local_user(user), channel_id=LOCAL_CHANNEL, origin="cli"
    )
    with step_progress(None) as advance, hearing_export_rows(advance):
        answer = answer_with(local_context(config, known), request)
    made = answer.result
    if made is None:
        raise click.ClickException(unescape_slack(answer.text))
    if not made.result.rows:
        click.echo(unescape_slack(answer.text).replace("*", ""), err=True)
        raise SystemExit(1)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.result.content)
    what = "changes" if changes else "customers"
    since = f" since the digest of {made.since_period}" if made.since_period else ""
    click.echo(
        f"Wrote {made.result.rows:,} {what} of {made.persona.name}{since} to {out} (format {fmt})"
    )
    for line in made.result.summary_lines():
        click.echo(line)
    if made.campaign is not None:
        c = made.campaign
        click.echo(
            f"Campaign {c.name}: {c.target_size:,} target, {c.control_size:,} control "
            f"({c.holdout:.0%} held out; the group column). Do not contact the control group."
        )


def export_words(
    persona: str,
    fmt: str,
    min_confidence: float | None,
    changes: bool,
    keyed: dict[str, str | None],
) -> str:
    """`smartcart export`'s options as `/segment export`'s words (defaults left out; `keyed`:
    the options written `key=value`, such as `top`, `churn-risk`, `campaign`)."""
    words = [persona]
    if fmt != "csv":
        words.append(f"format={fmt}")
    if min_confidence is not None:
        words.append(f"min-confidence={min_confidence!r}")
    if changes:
        words.append("changes")
    words += [f"{key}={value}" for key, value in keyed.items() if value is not None]
    return " ".join(words)
