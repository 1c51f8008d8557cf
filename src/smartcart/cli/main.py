"""The `smartcart` group itself (its options: --verbose, --version); commands join it from their modules."""

from __future__ import annotations

import logging
import os

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log what happens: -v for INFO, -vv for DEBUG (secrets are never logged).",
)
@click.version_option(package_name="smartcart-segments", prog_name="smartcart")
def main(verbose: int) -> None:
    """SmartCart Segments: customer segments for marketing teams, in Slack."""
    from smartcart.slack import configure_logging

    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    # The format is applied again from the settings (.env included) once a command reads them.
    configure_logging(level, os.environ.get("SMARTCART_LOG_FORMAT", "text").strip().lower())
