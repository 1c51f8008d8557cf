"""Serving the Bolt app: over HTTP (ASGI under uvicorn) or through Socket Mode.

HTTP routes: `POST /slack/events` (slash commands, interactivity, events, url_verification,
ssl_check: all Bolt's, signature-checked), `GET /healthz` (200 with `health()` as JSON, 503
when it raises) and `GET /metrics` (Prometheus, `smartcart.slack.metrics`); anything else is 404.

With `workers > 1` (`smartcart serve --workers N`), uvicorn binds the port once and runs N worker
processes on it (the kernel spreads connections among them); each worker builds its own app from
the environment with `worker_asgi()` (the import string `WORKER_APP`). The scheduler is not in
the workers: `smartcart serve` runs it in the supervising process, under the lease.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from smartcart.slack.logs import configure_logging, use_settings
from smartcart.slack.metrics import METRICS_CONTENT_TYPE, ModelAge, exposition, live_model_age
from smartcart.slack.settings import Settings

logger = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
WORKER_APP = "smartcart.slack.server:worker_asgi"
WORKER_LOG_LEVEL = "SMARTCART_WORKER_LOG_LEVEL"  # set by `serve` for its worker processes
DISPATCH_THREADS = 32
# Seconds a worker may take to answer uvicorn's health ping. Its default (5 s) is shorter than a
# worker's start on a busy machine (imports, the model, auth.test): uvicorn then killed and
# restarted every worker in a loop and `serve --workers N` never answered.
WORKER_PING_SECONDS = 60

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ThreadedSlackRequestHandler(SlackRequestHandler):
    """Bolt's ASGI handler, with the synchronous `App.dispatch` run off the event loop.

    Bolt's builtin ASGI handler calls `App.dispatch` on the event loop: one slow listener would
    then stall every other request (and /healthz). Here each dispatch (signature check,
    middleware, the listener up to its ack) runs in a thread of the handler's own pool.
    """

    def __init__(self, app: App, path: str = SLACK_EVENTS_PATH) -> None:
        super().__init__(app, path)
        self.executor = ThreadPoolExecutor(DISPATCH_THREADS, "slack-dispatch")

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        bolt_request = BoltRequest(
            body=await request.get_raw_body(),
            query=request.query_string,
            headers=request.get_headers(),
        )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.app.dispatch, bolt_request)


def create_asgi(
    bolt_app: App, health: Callable[[], dict], model_age: ModelAge = lambda: None
) -> ASGIApp:
    """The ASGI app: Slack's requests at /slack/events, GET /healthz, GET /metrics, else 404."""
    slack = ThreadedSlackRequestHandler(bolt_app, SLACK_EVENTS_PATH)

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            await answer_health(scope, send, health)
        elif scope["type"] == "http" and scope["path"] == METRICS_PATH:
            await answer_metrics(scope, send, model_age)
        else:
            await slack(scope, receive, send)

    return asgi


async def answer_health(scope: Scope, send: Send, health: Callable[[], dict]) -> None:
    if scope["method"] not in ("GET", "HEAD"):
        await send_json(send, 405, {"error": "method not allowed"})
        return
    try:
        report = await asyncio.get_running_loop().run_in_executor(None, health)
    except Exception as error:
        logger.exception("health check failed")
        await send_json(send, 503, {"status": "error", "error": type(error).__name__})
        return
    await send_json(send, 200, report)


async def answer_metrics(scope: Scope, send: Send, model_age: ModelAge) -> None:
    """Prometheus' text format: this process's metrics, or every worker's with --workers N."""
    if scope["method"] not in ("GET", "HEAD"):
        await send_json(send, 405, {"error": "method not allowed"})
        return
    body = await asyncio.get_running_loop().run_in_executor(None, exposition, model_age)
    headers = [
        (b"content-type", METRICS_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, payload: dict) -> None:
    body = json.dumps(payload, default=str).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def http_server(
    bolt_app: App,
    health: Callable[[], dict],
    port: int = 3000,
    host: str = "0.0.0.0",
    log_level: str = "info",
    model_age: ModelAge = lambda: None,
) -> uvicorn.Server:
    """A uvicorn server for the app (not started): `.run()` blocks, `should_exit` stops it."""
    config = uvicorn.Config(
        create_asgi(bolt_app, health, model_age),
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,  # uvicorn's lines go through smartcart.slack.logs (format, request ids, redaction)
        access_log=False,  # one line per Slack request, with its id, comes from the app instead
        lifespan="on",
        proxy_headers=True,
        server_header=False,
    )
    return uvicorn.Server(config)


def serve_http(
    settings: Settings,
    app: App,
    health: Callable[[], dict],
    port: int = 3000,
    host: str = "0.0.0.0",
    sock: socket.socket | None = None,
    model_age: ModelAge = lambda: None,
) -> None:
    """Serve Slack's requests over HTTP until interrupted (uvicorn handles SIGINT/SIGTERM)."""
    settings.require_slack_http()
    server = http_server(app, health, port=port, host=host, model_age=model_age)
    server.run(sockets=[sock] if sock is not None else None)


def serve_http_workers(
    settings: Settings, workers: int, port: int = 3000, host: str = "0.0.0.0"
) -> None:
    """Serve over HTTP with `workers` processes on one port, until SIGINT/SIGTERM stops them all."""
    settings.require_slack_http()
    os.environ.setdefault(WORKER_LOG_LEVEL, logging.getLevelName(logging.getLogger().level))
    uvicorn.run(
        WORKER_APP,
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=WORKER_PING_SECONDS,
        host=host,
        port=port,
        log_level="info",
        log_config=None,  # each worker logs through smartcart.slack.logs (worker_asgi)
        access_log=False,
        lifespan="on",
        proxy_headers=True,
        server_header=False,
    )


def worker_asgi() -> ASGIApp:
    """One worker process's ASGI app: settings from the environment, its own engine and app,
    its logs as `serve`'s (format, request ids, secret redaction)."""
    from smartcart.slack.app import create_app
    from smartcart.slack.bot_engine import build_context, context_factory, health_report
    from smartcart.slack.settings import load_settings

    settings = load_settings()
    level = logging.getLevelNamesMapping().get(
        os.environ.get(WORKER_LOG_LEVEL, ""), logging.WARNING
    )
    configure_logging(level, settings.SMARTCART_LOG_FORMAT)
    use_settings(settings)
    context = build_context(settings)
    app = create_app(settings, context_factory(context))
    return create_asgi(app, health_report(context), live_model_age(context.service))


def socket_mode_handler(settings: Settings, app: App) -> SocketModeHandler:
    """Bolt's Socket Mode handler with SLACK_APP_TOKEN (apps.connections.open via SLACK_API_URL)."""
    settings.require_socket_mode()
    assert settings.SLACK_APP_TOKEN is not None  # checked just above
    return SocketModeHandler(app, app_token=settings.SLACK_APP_TOKEN.get_secret_value())


def serve_socket_mode(settings: Settings, app: App) -> None:
    """Connect to Slack through Socket Mode and serve until interrupted."""
    socket_mode_handler(settings, app).start()
