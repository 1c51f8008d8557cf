"""`smartcart serve --workers 2`: one port, two worker processes, one scheduler, clean stop, and
every worker's log lines in the configured format (JSON) with request ids."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from smartcart.cli import main
from smartcart.engine.store.store import Store
from smartcart.slack.lease import Lease
from tests.support import wait_for
from tests.support.signing import TEST_SIGNING_SECRET, get, post_signed, slash_command_body

SMARTCART = str(Path(sys.executable).parent / "smartcart")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health(base: str) -> dict | None:
    try:
        reply = get(f"{base}/healthz")
    except OSError:
        return None
    return reply.json() if reply.status == 200 else None


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # processes are slow to start
def test_serve_with_two_workers_answers_through_both_and_stops_cleanly(
    engine_settings, trained, slack_standin, tmp_path
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SMARTCART_RETRAIN_CRON": "0 3 * * sun",
        "SMARTCART_DATA": "unused.csv",
        "SMARTCART_LOG_FORMAT": "json",
    }
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                SMARTCART,
                "serve",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--workers",
                "2",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    store = Store(engine_settings.SMARTCART_DATABASE_URL)
    try:
        wait_for(lambda: health(base), every=0.2)
        workers: set[int] = set()
        with ThreadPoolExecutor(8) as pool:  # concurrent connections reach both workers

            def both_seen() -> bool:  # the second worker may still be loading the model
                workers.update(
                    h["process"] for h in pool.map(lambda _: health(base), range(8)) if h
                )
                return len(workers) >= 2

            wait_for(both_seen, every=0.2)
        assert len(workers) == 2 and server.pid not in workers

        ids = [int(i) for i in trained.data.customers["ID"].head(6)]
        for n, customer_id in enumerate(ids):
            response_url = slack_standin.response_url(f"w{n}")
            body = slash_command_body(f"customer {customer_id}", response_url)
            assert post_signed(f"{base}/slack/events", body).status == 200
            answer = slack_standin.wait_for_response(response_url, timeout=30)
            assert str(customer_id) in str(answer)
        unsigned = post_signed(f"{base}/slack/events", body, secret="wrong-secret")
        assert unsigned.status == 401

        # the scheduler runs in the supervising process, not in the workers
        holder = wait_for(lambda: Lease(store.engine).current_holder(), every=0.2)
        assert int(holder.split(":")[1]) == server.pid

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        wait_for(lambda: not any(alive(pid) for pid in workers), timeout=10, every=0.2)
        assert Lease(store.engine).current_holder() is None  # released on the way out
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        store.engine.dispose()
    text = log.read_text()
    assert "Traceback" not in text
    assert_json_logs_with_request_ids(text, workers, requests=len(ids) + 1)


def assert_json_logs_with_request_ids(text: str, workers: set[int], requests: int) -> None:
    """Every worker logs JSON lines at the default level; one line per Slack request, with its
    id; no uvicorn access lines (they carry no id); no secret."""
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert workers <= {line["process"] for line in lines}
    answered = [line for line in lines if line["message"].startswith("slack command /segment")]
    assert len(answered) == requests
    assert all(line["request_id"].startswith("slack-") for line in answered)
    assert {line["process"] for line in answered} <= workers
    assert "HTTP/1.1" not in text and " INFO " not in text
    assert TEST_SIGNING_SECRET not in text


def test_socket_mode_refuses_several_workers(settings_env, monkeypatch):
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code != 0
    assert "--workers: Socket Mode uses one connection" in result.output
