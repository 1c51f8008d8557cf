"""Prometheus metrics of the bot: what `serve` answers at GET /metrics, and the scheduler on
SMARTCART_METRICS_PORT.

The metrics are created on first use, not at import: prometheus-client picks its storage when it
is first imported (one process's memory, or files in PROMETHEUS_MULTIPROC_DIR shared by
`serve --workers N`), and `serve` chooses that folder before anything here is used
(`use_multiprocess_folder`). Labels have few values (the registered subcommands, a handful of
outcomes and states): no user, channel or customer ever becomes a label.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MULTIPROCESS_FOLDER = "PROMETHEUS_MULTIPROC_DIR"
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Slack wants its ack within 3 s; answers (charts, files) may take several seconds.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)

ModelAge = Callable[[], float | None]
CREATING = threading.Lock()


@dataclass(frozen=True)
class Instruments:
    requests: Any  # Counter: Slack requests by subcommand and outcome
    ack_seconds: Any  # Histogram: from a request's arrival to its HTTP response (the ack)
    answer_seconds: Any  # Histogram: from after the ack to the answer sent, by subcommand
    digest_runs: Any  # Counter: digest runs by the state they ended in
    rows_scored: Any  # Counter: customers scored (scheduled retraining)
    lookups_refused: Any  # Counter: customer lookups the allow-lists refused


def instruments() -> Instruments:
    """The bot's metrics, created once per process (after `serve` chose where they live).

    Locked: the ack thread and the answer threads may ask at the same moment, and a metric
    registered twice is an error."""
    with CREATING:
        return create_instruments()


@functools.cache
def create_instruments() -> Instruments:
    from prometheus_client import Counter, Histogram

    return Instruments(
        requests=Counter(
            "smartcart_slack_requests",
            "Slack /segment requests answered, by subcommand and outcome",
            ["subcommand", "outcome"],
        ),
        ack_seconds=Histogram(
            "smartcart_slack_ack_seconds",
            "Seconds from a Slack request's arrival to its acknowledgement, by kind",
            ["kind"],
            buckets=ACK_BUCKETS,
        ),
        answer_seconds=Histogram(
            "smartcart_slack_answer_seconds",
            "Seconds from the ack to the answer sent to Slack, by subcommand",
            ["subcommand"],
            buckets=ANSWER_BUCKETS,
        ),
        digest_runs=Counter(
            "smartcart_digest_runs", "Digest runs by the state they ended in", ["state"]
        ),
        rows_scored=Counter("smartcart_rows_scored", "Customers scored by scheduled work"),
        lookups_refused=Counter(
            "smartcart_lookups_refused", "Customer lookups refused by the allow-lists"
        ),
    )


def count_request(subcommand: str, outcome: str) -> None:
    instruments().requests.labels(subcommand=subcommand, outcome=outcome).inc()


def observe_ack(kind: str, seconds: float) -> None:
    instruments().ack_seconds.labels(kind=kind).observe(seconds)


def observe_answer(subcommand: str, seconds: float) -> None:
    instruments().answer_seconds.labels(subcommand=subcommand).observe(seconds)


def count_digest_run(state: str) -> None:
    instruments().digest_runs.labels(state=state).inc()


def count_rows_scored(rows: int) -> None:
    instruments().rows_scored.inc(rows)


def count_refused_lookup() -> None:
    instruments().lookups_refused.inc()


def seconds_since(trained_at: str | None) -> float | None:
    """Seconds from an ISO 8601 moment (a model card's `trained_at`) to now; None for None."""
    if not trained_at:
        return None
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(trained_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, time.time() - moment.timestamp())


def live_model_age(service: Any) -> ModelAge:
    """Seconds since the `SegmentService`'s live model was trained (None while there is none)."""

    def age() -> float | None:
        if not service.has_model():
            return None
        return seconds_since(service.model.card.trained_at)

    return age


class LiveModelAge:
    """A collector asked at each scrape: the live model's age (absent while there is none)."""

    def __init__(self, model_age: ModelAge) -> None:
        self.model_age = model_age

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(
            "smartcart_live_model_age_seconds", "Seconds since the live model was trained"
        )
        age = self.model_age()
        if age is not None:
            family.add_metric([], age)
        yield family


def exposition(model_age: ModelAge) -> bytes:
    """The text a scrape of GET /metrics gets: every process's metrics, and the model's age."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get(MULTIPROCESS_FOLDER):
        from prometheus_client.multiprocess import MultiProcessCollector

        shared = CollectorRegistry()
        MultiProcessCollector(shared)
    else:
        shared = REGISTRY
    own = CollectorRegistry()
    own.register(LiveModelAge(model_age))
    return generate_latest(shared) + generate_latest(own)


def use_multiprocess_folder() -> Callable[[], None]:
    """Point prometheus-client's multiprocess mode at a folder for `serve --workers N`.

    An operator's PROMETHEUS_MULTIPROC_DIR is used (emptied of a previous run's files, which
    would otherwise be counted again); else a fresh temporary folder, removed by the returned
    clean-up. Must run before this process or its workers first use a metric.
    """
    given = os.environ.get(MULTIPROCESS_FOLDER)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return lambda: None
    folder = Path(tempfile.mkdtemp(prefix="smartcart-metrics-"))
    os.environ[MULTIPROCESS_FOLDER] = str(folder)

    def clean_up() -> None:
        os.environ.pop(MULTIPROCESS_FOLDER, None)
        shutil.rmtree(folder, ignore_errors=True)

    return clean_up


def serve_metrics(port: int, model_age: ModelAge) -> None:
    """The scheduler's metrics at http://0.0.0.0:`port`/metrics (a daemon thread)."""
    from prometheus_client import start_http_server
    from prometheus_client.registry import REGISTRY

    REGISTRY.register(LiveModelAge(model_age))
    start_http_server(port)
