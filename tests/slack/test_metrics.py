"""Prometheus metrics: GET /metrics on a running `serve` (one process and --workers 2), the
scheduler's own port, and the multiprocess folder `serve` prepares."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from smartcart.slack import metrics
from smartcart.slack.settings import load_settings
from tests.slack.test_serve_workers import free_port, health
from tests.support import wait_for
from tests.support.signing import get, post_signed, slash_command_body

SMARTCART = str(Path(sys.executable).parent / "smartcart")


def samples(text: str) -> dict[tuple, float]:
    """`{(sample name, sorted labels): value}` of a Prometheus text exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str) -> dict[tuple, float]:
    reply = get(url)
    assert reply.status == 200
    headers = {name.lower(): value for name, value in reply.headers.items()}
    assert headers["content-type"].startswith("text/plain")
    return samples(reply.text)


def requests_counted(found: dict[tuple, float], subcommand: str, outcome: str = "ok") -> float:
    key = ("smartcart_slack_requests_total", (("outcome", outcome), ("subcommand", subcommand)))
    return found.get(key, 0.0)


def test_the_request_counter_moves_and_the_model_age_shows(segment_bot) -> None:
    before = scrape(f"{segment_bot.base_url}/metrics")
    segment_bot.ask("personas")
    segment_bot.ask("no-such-thing")
    after = scrape(f"{segment_bot.base_url}/metrics")
    assert requests_counted(after, "personas") == requests_counted(before, "personas") + 1
    assert requests_counted(after, "unknown", "unknown") == (
        requests_counted(before, "unknown", "unknown") + 1
    )
    acks = ("smartcart_slack_ack_seconds_count", (("kind", "command /segment"),))
    assert after[acks] >= before.get(acks, 0) + 2
    age = after[("smartcart_live_model_age_seconds", ())]
    assert 0 <= age < 24 * 3600  # the session's model was trained minutes ago


def test_a_refused_lookup_is_counted(slack_bot, bot_context, monkeypatch) -> None:
    from dataclasses import replace

    from smartcart.slack.bot_engine import context_factory

    monkeypatch.setenv("SMARTCART_ALLOWED_USERS", "U0SOMEONEELSE")
    settings = load_settings()
    # Access is decided by the request's context, so the allow-list goes into its settings.
    listed_only = replace(bot_context, settings=settings)
    bot = slack_bot(context_factory(listed_only), settings=settings)
    refused = ("smartcart_lookups_refused_total", ())
    before = scrape(f"{bot.base_url}/metrics").get(refused, 0.0)
    bot.ask("customer 1")
    after = scrape(f"{bot.base_url}/metrics")
    assert after[refused] == before + 1
    assert requests_counted(after, "customer", "refused") >= 1


def test_no_model_means_no_model_age(slack_bot) -> None:
    found = scrape(f"{slack_bot().base_url}/metrics")
    assert not [key for key in found if key[0] == "smartcart_live_model_age_seconds"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # processes are slow to start
def test_serve_with_workers_counts_requests_across_processes(
    engine_settings, trained, slack_standin, tmp_path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != metrics.MULTIPROCESS_FOLDER}
    folder = tmp_path / "prometheus"
    env[metrics.MULTIPROCESS_FOLDER] = str(folder)
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"stale")  # a previous run's: removed at start
    command = [SMARTCART, "serve", "--port", str(port), "--host", "127.0.0.1", "--workers", "2"]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "--no-scheduler"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: health(base), timeout=240, every=0.2)  # workers start slowly on a busy CI
        before = scrape(f"{base}/metrics")
        assert requests_counted(before, "customer") == 0
        for n, customer_id in enumerate(trained.data.customers["ID"].head(4)):
            response_url = slack_standin.response_url(f"m{n}")
            body = slash_command_body(f"customer {int(customer_id)}", response_url)
            assert post_signed(f"{base}/slack/events", body).status == 200
            slack_standin.wait_for_response(response_url, timeout=30)
        # Whichever worker answers the scrape, it counts every worker's requests.
        for _ in range(4):
            assert requests_counted(scrape(f"{base}/metrics"), "customer") == 4
        assert not (folder / "counter_999999.db").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_scheduler_serves_its_metrics_on_its_own_port(engine_settings, tmp_path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SMARTCART_RETRAIN_CRON": "0 3 * * sun",
        "SMARTCART_DATA": "unused.csv",
        "SMARTCART_METRICS_PORT": str(port),
    }
    env.pop(metrics.MULTIPROCESS_FOLDER, None)
    scheduler = subprocess.Popen(
        [SMARTCART, "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:

        def scraped() -> dict | None:
            try:
                return scrape(f"http://127.0.0.1:{port}/metrics")
            except OSError:
                return None

        found = wait_for(scraped, timeout=180, every=0.2)  # a deadline for a busy machine
        assert ("smartcart_live_model_age_seconds", ()) in found
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=30)


def test_a_given_multiprocess_folder_is_emptied_and_kept(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "given"
    folder.mkdir()
    (folder / "histogram_1.db").write_bytes(b"old")
    monkeypatch.setenv(metrics.MULTIPROCESS_FOLDER, str(folder))
    metrics.use_multiprocess_folder()()
    assert folder.is_dir() and not list(folder.iterdir())
    assert os.environ[metrics.MULTIPROCESS_FOLDER] == str(folder)


def test_without_a_folder_a_temporary_one_is_made_and_removed(monkeypatch) -> None:
    monkeypatch.delenv(metrics.MULTIPROCESS_FOLDER, raising=False)
    clean_up = metrics.use_multiprocess_folder()
    folder = Path(os.environ[metrics.MULTIPROCESS_FOLDER])
    assert folder.is_dir()
    clean_up()
    assert not folder.exists() and metrics.MULTIPROCESS_FOLDER not in os.environ


def test_model_age_in_seconds() -> None:
    from datetime import UTC, datetime, timedelta

    assert metrics.seconds_since(None) is None
    trained_at = (datetime.now(UTC) - timedelta(minutes=90)).isoformat(timespec="seconds")
    assert 90 * 60 - 5 <= metrics.seconds_since(trained_at) <= 90 * 60 + 5
