"""Shared by the command modules: one clear error line, settings, the engine, read options."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path

import click

from smartcart.engine import SegmentationError
from smartcart.engine.data import DEFAULT_TABLE

DEMO_ROWS = 2240
DEMO_SEED = 42


def friendly_errors(command: Callable) -> Callable:
    """One clear line and a non-zero exit for a user's mistake; never a traceback."""

    @wraps(command)
    def run(*args, **kwargs):
        from smartcart.slack import SettingsError

        try:
            return command(*args, **kwargs)
        except click.ClickException:
            raise  # already one clear line (a usage error exits with 2)
        except (SegmentationError, SettingsError, LookupError) as error:
            raise click.ClickException(str(error).strip("'\"")) from None
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as error:
            if os.environ.get("SMARTCART_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(error).__name__}: {error} (set SMARTCART_DEBUG=1 for details)"
            ) from None

    return run


def progress(message: str) -> None:
    """A step of long work, on the terminal only (nothing extra in a pipe, a log or CI)."""
    if on_terminal():
        click.echo(f"  · {message}", err=True)


def on_terminal() -> bool:
    return sys.stderr.isatty()


@contextlib.contextmanager
def row_progress(label: str, total: int | None, quiet: bool = False) -> Iterator[Callable]:
    """`advance(rows)` for long work: a bar with rows done and an estimate on a terminal;
    nothing at all with --json (`quiet`) or when stderr is not a terminal."""
    if quiet or not on_terminal():
        yield lambda rows: None
        return
    with _bar(label, total) as bar:
        yield bar.update


@contextlib.contextmanager
def step_progress(total: int | None, quiet: bool = False) -> Iterator[Callable]:
    """`advance(step, fraction, rows=None)` for work in steps over `total` rows (or the step's
    own `rows`): a bar a step, shown from its first report (rows done of the rows, an
    estimate) and closed when it is done; nothing with --json (`quiet`) or off a terminal."""
    if quiet or not on_terminal():
        yield lambda step, fraction, rows=None: None
        return
    with contextlib.ExitStack() as bars:
        shown: dict = {"step": None, "bar": None, "done": 0, "length": 100}

        def advance(step: str, fraction: float, rows: int | None = None) -> None:
            if step != shown["step"]:
                bars.close()
                length = rows or total or 100  # unknown rows: the bar counts percent
                bar = bars.enter_context(_bar(step, length))
                shown.update(step=step, done=0, bar=bar, length=length)
            done = round(shown["length"] * fraction)
            shown["bar"].update(max(done - shown["done"], 0))
            shown["done"] = max(done, shown["done"])
            if fraction >= 1.0:
                bars.close()
                shown["step"] = None

        yield advance


def _bar(label: str, length: int | None):
    return click.progressbar(
        length=length, label=label, file=sys.stderr, show_pos=True, show_eta=True
    )


def rows_in(source) -> int | None:
    """How many data rows a local file, Parquet folder or glob holds (for the bar's estimate);
    None when unknown."""
    text = str(getattr(source, "location", source))
    path = Path(text)
    try:
        if path.is_dir() or any(c in text for c in "*?["):
            import pyarrow.parquet as pq

            from smartcart.engine.data import dataset_files

            return sum(pq.ParquetFile(f).metadata.num_rows for f in dataset_files(text))
        if path.suffix.lower() == ".parquet" and path.is_file():
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        if path.suffix.lower() in (".csv", ".tsv", ".txt") and path.is_file():
            with path.open("rb") as handle:
                lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
            return max(lines - 1, 0)
    except (OSError, SegmentationError):
        return None
    return None


def settings():
    from smartcart.slack import load_settings, use_settings

    config = load_settings()
    use_settings(config)
    return config


def service(config=None):
    from smartcart.engine import SegmentService
    from smartcart.slack.migrations import open_store

    config = config or settings()
    store = open_store(config.SMARTCART_DATABASE_URL)
    return SegmentService(config.SMARTCART_MODEL_DIR, store, config.erasure_key)


def data_source(
    given: str | None,
    config,
    table: str = DEFAULT_TABLE,
    query: str | None = None,
    sheet: str | None = None,
    mapping: Path | None = None,
):
    """Where and how to read customers: --data (else SMARTCART_DATA) with the read options,
    through --mapping (else SMARTCART_MAPPING)."""
    from smartcart.engine.data import DataSource, is_sql_url

    source = given or config.SMARTCART_DATA
    if not source:
        raise click.UsageError(
            "no data: pass --data FILE (or an SQLAlchemy URL) or set SMARTCART_DATA"
        )
    if query and not is_sql_url(source):
        raise click.UsageError("--query reads from a database: --data must be an SQLAlchemy URL")
    return DataSource(
        source, table=table, query=query, sheet=sheet, mapping=mapping or config.SMARTCART_MAPPING
    )


def read_options(command: Callable) -> Callable:
    """--query, --sheet and --mapping: how --data is read (handed to the loader as they are)."""
    command = click.option(
        "--mapping",
        type=click.Path(dir_okay=False, path_type=Path),
        help="TOML file naming your columns and values for the contract's. "
        "Default: SMARTCART_MAPPING.",
    )(command)
    command = click.option("--sheet", help="Sheet of an Excel workbook. Default: the first.")(
        command
    )
    return query_option(command)


def query_option(command: Callable) -> Callable:
    """--query alone, for a command that reads no workbook (`customers`: order lines)."""
    return click.option(
        "--query", help='SQL query when --data is a SQL URL, e.g. "SELECT * FROM crm_export".'
    )(command)


def engine_options(command: Callable) -> Callable:
    """--engine and --scheduler, shared by train and score."""
    command = click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (--engine dask). Default: a local cluster.",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="local: this process. dask: a Dask cluster, for a folder or glob of Parquet files.",
    )(command)


def dask_location(source) -> str:
    """The data set the Dask engine reads: Parquet files as they are, no mapping or query
    (customer tables, or order lines: `train` derives their customers on the cluster)."""
    if source.mapping is not None or source.query or source.sheet:
        raise click.UsageError(
            "--engine dask reads Parquet files in the contract's columns: "
            "no --mapping, --query or --sheet (map the columns first with the local engine)"
        )
    return source.location


def check_engine(engine: str, scheduler: str | None) -> None:
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    if engine == "dask":
        from smartcart.engine.scoring import require_dask

        require_dask()


def live_personas(config) -> list:
    """The live model's personas (whose playbooks are rendered); none without a model that
    reads (what needs one says so when asked)."""
    from smartcart.engine.model import load_live_model

    try:
        return load_live_model(config.SMARTCART_MODEL_DIR).personas
    except SegmentationError:
        return []


def emit_json(payload: object) -> None:
    click.echo(json.dumps(payload, indent=2, default=str))
