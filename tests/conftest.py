"""Shared fixtures. Each block is owned by one part of the project; add yours in a block of its own."""

from __future__ import annotations

# ==============================================================================================
# Slack plumbing: the Slack stand-in, settings pointing at it, the real HTTP server.
# ==============================================================================================
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import uvicorn
from slack_bolt import App

from smartcart.slack.app import create_app
from smartcart.slack.dispatch import registry_restored, restore_registry, snapshot_registry
from smartcart.slack.server import http_server
from smartcart.slack.settings import Settings, load_settings
from tests.support import REAL_DATA, STUDY_DATA
from tests.support.signing import TEST_BOT_TOKEN, TEST_SIGNING_SECRET
from tests.support.slack_client import SlackBot
from tests.support.slack_standin import SlackStandIn, invalid_blocks


def pytest_sessionstart(session: pytest.Session) -> None:
    """With SMARTCART_REQUIRE_REAL_DATA=1 (CI), missing real data fails the run instead of skipping."""
    if os.environ.get("SMARTCART_REQUIRE_REAL_DATA") != "1":
        return
    missing = [str(path) for path in (REAL_DATA, STUDY_DATA) if not path.exists()]
    if missing:
        raise pytest.UsageError(
            f"SMARTCART_REQUIRE_REAL_DATA=1 but the real data is missing: {', '.join(missing)}"
        )


# Hypothesis explores new inputs on every local run; CI (HYPOTHESIS_PROFILE=ci, set by .ci/run)
# runs the same examples each time, so a submission never lands or fails on the draw.
hypothesis.settings.register_profile("ci", derandomize=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


SLACK_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "SMARTCART_DATABASE_URL",
    "SMARTCART_MODEL_DIR",
    "SMARTCART_DATA",
    "SMARTCART_TEMPLATES",
    "SMARTCART_CONTACTS",
    "SMARTCART_DEFAULT_COUNTRY",
    "SMARTCART_DIGEST_CHANNEL",
    "SMARTCART_DIGEST_CRON",
    "SMARTCART_TIMEZONE",
    "SMARTCART_RETRAIN_CRON",
    "SMARTCART_LEASE_SECONDS",
    "SMARTCART_ALLOWED_CHANNELS",
    "SMARTCART_ALLOWED_USERS",
    "SMARTCART_CUSTOMER_ACCESS",
    "SMARTCART_LOOKUP_LIMIT",
    "SMARTCART_ADMIN_USERS",
    "SMARTCART_LOG_FORMAT",
    "SMARTCART_HEALTH_FILE",
    "SMARTCART_ERASURE_KEY",
    "SMARTCART_AUDIT_RETENTION_DAYS",
    "SMARTCART_HISTORY_RETENTION_PERIODS",
)


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    """Slack's Web API and response_urls, on a free local port, recording every request.

    At teardown every message it received must be valid Block Kit by slack_sdk's models.
    """
    standin = SlackStandIn(expected_token=TEST_BOT_TOKEN).start()
    try:
        yield standin
    finally:
        standin.stop()
    problems = [(m.get("text"), p) for m in standin.messages() if (p := invalid_blocks(m))]
    assert not problems, f"invalid Block Kit messages sent to Slack: {problems}"


@pytest.fixture
def settings_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, slack_standin: SlackStandIn
) -> Settings:
    """The environment of a bot talking to the stand-in, in a fresh working directory.

    SLACK_* and SMARTCART_* variables from the outer environment are removed; the current
    directory is a temporary one (so no `.env` of the developer is read). Customer data is open
    to everyone (`SMARTCART_CUSTOMER_ACCESS=everyone`): the tests of the default (refused until
    an admin sets who may see it) delete it. Returns the Settings.
    """
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TEST_BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", TEST_SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", slack_standin.api_url)
    monkeypatch.setenv("SMARTCART_CUSTOMER_ACCESS", "everyone")
    return load_settings()


def free_socket(host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


def start_server(server: uvicorn.Server, sock: socket.socket) -> threading.Thread:
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the HTTP server did not start")
        time.sleep(0.01)
    return thread


@pytest.fixture(scope="session")
def stopping_servers() -> Iterator[list[threading.Thread]]:
    """Threads of servers told to stop; they wind down in the background, joined at the end."""
    threads: list[threading.Thread] = []
    yield threads
    for thread in threads:
        thread.join(timeout=10)


@pytest.fixture
def running_server(stopping_servers: list[threading.Thread]) -> Iterator[Callable[..., str]]:
    """Start the real uvicorn server for a Bolt app: `base_url = running_server(app, health)`.

    The server listens on a free port of 127.0.0.1 in a background thread; after the test it
    is told to exit (uvicorn takes ~0.2 s to wind down, so that happens in the background).
    Slack requests go to `base_url + "/slack/events"`.
    """
    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(
        bolt_app: App,
        health: Callable[[], dict] | None = None,
        model_age: Callable[[], float | None] = lambda: None,
    ) -> str:
        sock = free_socket()
        health = health or (lambda: {"status": "ok"})
        server = http_server(bolt_app, health, log_level="warning", model_age=model_age)
        started.append((server, start_server(server, sock)))
        host, port = sock.getsockname()[:2]
        return f"http://{host}:{port}"

    yield start
    for server, thread in started:
        server.should_exit = True
        stopping_servers.append(thread)


@pytest.fixture
def isolated_registry() -> Iterator[None]:
    """Only the built-in `help` is registered during the test; the registry is restored after."""
    with registry_restored():
        builtin = {name: sub for name, sub in snapshot_registry().items() if name == "help"}
        restore_registry(builtin)
        yield


@pytest.fixture
def slack_bot(
    settings_env: Settings, slack_standin: SlackStandIn, running_server: Callable[..., str]
) -> Callable[..., SlackBot]:
    """Start the whole bot over HTTP: `bot = slack_bot(ctx_factory, health=None, settings=None)`.

    `ctx_factory` is what `create_app` gets (the engine's context; `lambda: None` by default);
    `settings` defaults to `settings_env`'s. Use `bot.ask("customer 5524")` and friends.
    """

    def start(
        ctx_factory: Callable[[], Any] = lambda: None,
        health: Callable[[], dict] | None = None,
        settings: Settings | None = None,
        model_age: Callable[[], float | None] = lambda: None,
    ) -> SlackBot:
        chosen = settings or settings_env
        app = create_app(chosen, ctx_factory)
        return SlackBot(app, running_server(app, health, model_age), slack_standin, chosen)

    return start


# ==============================================================================================
# (end of the Slack plumbing block)
# ==============================================================================================


# ==============================================================================================
# Engine: a trained model (once per session), a store on SQLite and PostgreSQL, the real bot.
# ==============================================================================================
from smartcart.engine.data.synthetic import generate_customers, write_customers  # noqa: E402
from smartcart.engine.scoring.scoring import score  # noqa: E402
from smartcart.engine.store.store import Store  # noqa: E402
from smartcart.engine.training import TrainingOptions, TrainingResult, publish, train  # noqa: E402
from smartcart.slack.bot_engine import BotContext, build_context, context_factory, health_report  # noqa: E402
from smartcart.slack.metrics import live_model_age  # noqa: E402

# tests.support provides `database_url` (each test using it runs on SQLite and PostgreSQL).
pytest_plugins = ["tests.support"]


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    """A live model trained on 2,240 generated customers (K-Means, k=4)."""
    folder = tmp_path_factory.mktemp("trained")
    data = folder / "customers.csv"
    write_customers(generate_customers(2240, seed=7), data)
    result = train(data, folder / "models", TrainingOptions(algorithm="kmeans", refits=3))
    publish(result, folder / "models")
    return result


@pytest.fixture
def engine_settings(
    settings_env: Settings, database_url: str, trained: TrainingResult, monkeypatch
) -> Settings:
    """Settings of a bot with the trained model live and its customers in the store."""
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(trained.artifact.parent.parent))
    monkeypatch.setenv("SMARTCART_DATABASE_URL", database_url)
    store = Store(database_url)
    store.migrate()
    customers = trained.data.customers
    store.save_customers(customers, score(trained.model, customers), trained.model.version, True)
    store.engine.dispose()
    return load_settings()


@pytest.fixture
def bot_context(engine_settings: Settings) -> Iterator[BotContext]:
    context = build_context(engine_settings)
    yield context
    context.service.store.engine.dispose()


@pytest.fixture
def segment_bot(slack_bot: Callable[..., SlackBot], bot_context: BotContext) -> SlackBot:
    """The whole bot over real HTTP with the real engine behind it."""
    age = live_model_age(bot_context.service)
    return slack_bot(context_factory(bot_context), health_report(bot_context), model_age=age)
