"""Logs: JSON lines with request ids, and never a token or the signing secret."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcart.engine.store.store import Store
from smartcart.slack.logs import (
    REDACTED,
    JsonFormatter,
    RedactSecrets,
    configure_logging,
    current_request_id,
    request_scope,
    use_settings,
)
from smartcart.slack.settings import load_settings
from tests.support.signing import TEST_BOT_TOKEN, TEST_SIGNING_SECRET
from tests.support.slack_client import SlackBot
from tests.support.slack_standin import SlackStandIn

APP_TOKEN = "xapp-1-A0SMARTCART-1234-0123456789abcdef"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger's output (as `smartcart` configures it) at DEBUG, in JSON."""
    stream = io.StringIO()
    handler = configure_logging(logging.DEBUG, "json", stream)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_request_id_of_their_scope(captured: io.StringIO) -> None:
    log = logging.getLogger("smartcart.test")
    log.info("outside")
    with request_scope("slack") as request_id:
        log.info("inside %s", "a request")
        assert current_request_id() == request_id
    first, second = lines(captured)
    assert "request_id" not in first
    assert second["request_id"] == request_id and request_id.startswith("slack-")
    assert second["message"] == "inside a request"
    assert second["level"] == "INFO" and second["logger"] == "smartcart.test"


def test_an_exception_is_one_json_line_with_its_traceback(captured: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("smartcart.test").exception("failed")
    (line,) = lines(captured)
    assert line["message"] == "failed" and "RuntimeError: boom" in line["exception"]


def test_tokens_and_registered_secrets_are_redacted_everywhere(
    captured: io.StringIO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", TEST_SIGNING_SECRET)
    monkeypatch.setenv("SMARTCART_DATABASE_URL", "postgresql+psycopg://bot:s3cr3t-pw@db/smartcart")
    use_settings(load_settings(env_file=None))
    log = logging.getLogger("smartcart.test")
    log.warning("token %s and %s", TEST_BOT_TOKEN, "xoxp-1-2-3-user")
    log.warning("secret=%s", TEST_SIGNING_SECRET)
    log.warning("url postgresql+psycopg://bot:s3cr3t-pw@db/smartcart")
    try:
        raise ValueError(f"bad app token {APP_TOKEN}")
    except ValueError:
        log.exception("while connecting")
    output = captured.getvalue()
    for secret in (TEST_BOT_TOKEN, "xoxp-1-2-3-user", TEST_SIGNING_SECRET, "s3cr3t-pw", APP_TOKEN):
        assert secret not in output
    assert output.count(REDACTED) == 5


def test_the_redacting_filter_leaves_ordinary_lines_alone() -> None:
    redactor = RedactSecrets()
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "GET %s -> %d", ("/healthz", 200), None
    )
    assert redactor.filter(record) and record.getMessage() == "GET /healthz -> 200"
    assert record.args == ("/healthz", 200)  # untouched: nothing to redact
    assert (
        redactor.redact("http://127.0.0.1:3000/slack/events")
        == "http://127.0.0.1:3000/slack/events"
    )


def test_work_after_the_ack_keeps_the_request_id(captured: io.StringIO) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from smartcart.slack.request_path import BotServices, after_ack

    services = BotServices(settings=None, ctx_factory=lambda: None, workers=ThreadPoolExecutor(1))
    with request_scope("slack") as request_id:
        after_ack(
            {"services": services}, logging.getLogger("smartcart.test").info, "later"
        ).result()
    services.workers.shutdown()
    (line,) = lines(captured)
    assert line == {**line, "message": "later", "request_id": request_id}


def test_text_lines_show_the_request_id() -> None:
    stream = io.StringIO()
    handler = configure_logging(logging.INFO, "text", stream)
    try:
        with request_scope("digest") as request_id:
            logging.getLogger("smartcart.test").info("posted")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    assert f"INFO smartcart.test [{request_id}]: posted" in stream.getvalue()


def test_the_log_format_setting_is_checked() -> None:
    from smartcart.slack.settings import SettingsError

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMARTCART_LOG_FORMAT", "JSON")
        assert load_settings(env_file=None).SMARTCART_LOG_FORMAT == "json"
        patch.setenv("SMARTCART_LOG_FORMAT", "xml")
        with pytest.raises(SettingsError, match="SMARTCART_LOG_FORMAT"):
            load_settings(env_file=None)


def test_json_formatter_is_one_line_per_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "two\nlines", None, None)
    assert "\n" not in JsonFormatter().format(record)


# ----------------------------------------------------------------------------------------------
# A whole session, as deployed: `smartcart -vv serve` answering signed requests, then
# `smartcart -vv digest --now`, JSON logs at DEBUG. No secret may appear in anything they print.
# ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def session_env(tmp_path: Path, trained, slack_standin: SlackStandIn) -> dict[str, str]:
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    data = trained.artifact.parent.parent.parent / "customers.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMARTCART_"))}
    env.update(
        SLACK_BOT_TOKEN=TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET=TEST_SIGNING_SECRET,
        SLACK_API_URL=slack_standin.api_url,
        SMARTCART_MODEL_DIR=str(trained.artifact.parent.parent),
        SMARTCART_DATABASE_URL=store_url,
        SMARTCART_DATA=str(data),
        SMARTCART_DIGEST_CHANNEL="C0DIGEST",
        SMARTCART_LOG_FORMAT="json",
        SMARTCART_HEALTH_FILE=str(tmp_path / "health.json"),
    )
    store = Store(store_url)
    store.migrate()
    from smartcart.engine.scoring.scoring import score

    customers = trained.data.customers
    store.save_customers(customers, score(trained.model, customers), trained.model.version, True)
    store.engine.dispose()
    return env


def smartcart_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from smartcart.cli import main; main()", *args]


def test_a_whole_session_logs_json_with_request_ids_and_no_secret(
    session_env: dict[str, str], slack_standin: SlackStandIn, trained, tmp_path: Path
) -> None:
    port = free_port()
    serve = smartcart_command(
        "-vv", "serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)
    )
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"  # files: DEBUG would fill a pipe
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            serve, cwd=tmp_path, env=session_env, stdout=stdout, stderr=stderr
        )
    answered = False
    try:
        wait_for_port(port, server)
        bot = SlackBot(None, f"http://127.0.0.1:{port}", slack_standin, None)
        customer = int(trained.data.customers["ID"].iloc[0])
        for text in ("summary", f"customer {customer}", "playbook premium", "model"):
            bot.ask(text, timeout=60)
        answered = True
    finally:
        server.terminate()
        server.wait(timeout=60)
        served_out, served_err = out.read_text(), err.read_text()
        assert answered, served_err[-3000:]
    digest = subprocess.run(
        smartcart_command("-vv", "digest", "--now"),
        cwd=tmp_path,
        env=session_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert digest.returncode == 0, digest.stderr[-2000:]
    slack_standin.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == "C0DIGEST")

    everything = served_out + served_err + digest.stdout + digest.stderr
    for secret in (TEST_BOT_TOKEN, TEST_SIGNING_SECRET):
        assert secret not in everything
    logs = [
        json.loads(line)
        for line in (served_err + digest.stderr).splitlines()
        if line.startswith("{")
    ]
    assert any(line["level"] == "DEBUG" for line in logs)  # the session really logged at DEBUG
    answered = [line for line in logs if line["message"].startswith("slack command /segment")]
    assert len(answered) == 4
    assert len({line["request_id"] for line in answered}) == 4
    assert all(line["request_id"].startswith("slack-") for line in answered)
    digest_logs = [json.loads(line) for line in digest.stderr.splitlines() if line.startswith("{")]
    digest_ids = {line["request_id"] for line in digest_logs if "request_id" in line}
    assert len(digest_ids) == 1 and next(iter(digest_ids)).startswith("digest-"), digest_ids
    transitions = [line for line in digest_logs if "digest" in line["logger"]]  # the run's ledger
    assert transitions and all("request_id" in line for line in transitions), transitions


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped with exit code {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the server did not start")


@pytest.mark.usefixtures("isolated_registry")
def test_socket_mode_requests_get_their_id_and_the_app_token_stays_out(
    captured: io.StringIO, settings_env, slack_standin: SlackStandIn, monkeypatch
) -> None:
    from smartcart.slack.app import create_app
    from smartcart.slack.server import socket_mode_handler
    from tests.slack.test_socket_mode import slash_command_envelope

    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    settings = load_settings()
    handler = socket_mode_handler(settings, create_app(settings, lambda: None))
    handler.connect()
    try:
        response_url = slack_standin.response_url("socket")
        slack_standin.send_envelope(slash_command_envelope("help", response_url))
        slack_standin.wait_for_response(response_url)
    finally:
        handler.client.auto_reconnect_enabled = False
        slack_standin.disconnect_websockets()
        handler.close()
    output = captured.getvalue()
    assert APP_TOKEN not in output and TEST_BOT_TOKEN not in output
    (line,) = [
        line for line in lines(captured) if line["message"].startswith("slack command /segment")
    ]
    assert line["message"].startswith("slack command /segment by U0MARKETER in C0MARKETING: 200")
    assert line["request_id"].startswith("slack-")
