"""The Bolt app: a Slack WebClient aimed at `SLACK_API_URL`, and the listeners per kind.

`create_app(settings, ctx_factory)` builds it; `ctx_factory()` returns the engine's context for
each request (what `smartcart.slack.dispatch.dispatch` forwards to handlers). Listeners find these services
in Bolt's context (`context["services"]`, put there by a global middleware).

Acknowledging fast: the app runs with `process_before_response=True`, so each listener runs in
the request's own thread and its HTTP response leaves as soon as the listener returns. Listeners
only `ack()` and hand the real work to `after_ack(...)`, a small pool of worker threads. (Bolt's
default instead polls every 10 ms for the ack from a listener thread, and its lazy listeners
deep-copy each request; both cost more than the ack itself.)

The request path itself (services, after_ack, access check, audit) is `smartcart.slack.request_path`, which
the listeners import; this module only builds the app and registers them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from smartcart.slack.listeners import register_listeners
from smartcart.slack.logs import request_scope
from smartcart.slack.metrics import observe_ack
from smartcart.slack.request_path import BotServices, provide_services
from smartcart.slack.settings import Settings, SettingsError
from smartcart.slack.web_client import create_web_client

logger = logging.getLogger(__name__)

# Answers are CPU-bound Python and compete with acks for the GIL: under a burst of 100 commands,
# 4 answer threads gave an ack p99 of ~300 ms, 2 threads ~170 ms, 1 thread ~145 ms (but then one
# slow answer, a chart or an export, holds up every other). 2 keeps acks fast and answers flowing.
ANSWER_THREADS = 2


def create_app(settings: Settings, ctx_factory: Callable[[], Any]) -> App:
    """The Bolt app with every listener registered; its token is checked with auth.test.

    Raises SettingsError (one line) when a needed setting is missing or Slack rejects the token.
    """
    if settings.socket_mode:
        settings.require_socket_mode()
    else:
        settings.require_slack_http()
    app = build_bolt_app(settings)
    workers = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="segment-answer")
    app.use(provide_services(BotServices(settings, ctx_factory, workers)))
    register_listeners(app)
    return app


class DropTokenUnusedWarning(logging.Filter):
    """Bolt warns that `token` is unused when it finds SLACK_BOT_TOKEN next to our client."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def bolt_logger() -> logging.Logger:
    bolt = logging.getLogger("smartcart.slack.bolt")
    if not any(isinstance(f, DropTokenUnusedWarning) for f in bolt.filters):
        bolt.addFilter(DropTokenUnusedWarning())
    return bolt


class RequestScopedApp(App):
    """Bolt's App, giving each request it dispatches (HTTP or Socket Mode) its own request id in
    the logs, and one INFO line: what it was, from whom, the status and how long the ack took."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        with request_scope("slack"):
            started = time.perf_counter()
            response = super().dispatch(req)
            seconds = time.perf_counter() - started
            kind = request_kind(req.body)
            observe_ack(kind, seconds)
            logger.info(
                "slack %s by %s in %s: %s in %.0f ms",
                kind,
                req.context.user_id or "-",
                req.context.channel_id or "-",
                response.status,
                seconds * 1000,
            )
            return response


def request_kind(body: dict[str, Any]) -> str:
    """`command /segment`, `block_actions`, `event app_home_opened`, ... (no user text)."""
    if body.get("command"):
        return f"command {body['command']}"
    event = body.get("event")
    if isinstance(event, dict):
        return f"event {event.get('type', '?')}"
    return str(body.get("type") or "request")


def build_bolt_app(settings: Settings) -> App:
    secret = settings.SLACK_SIGNING_SECRET
    try:
        return RequestScopedApp(
            name="smartcart",
            logger=bolt_logger(),
            client=create_web_client(settings),
            signing_secret=secret.get_secret_value() if secret else "",
            process_before_response=True,
        )
    except BoltError as error:
        reason = slack_error_code(error.__context__) or "auth.test failed"
        raise SettingsError(f"SLACK_BOT_TOKEN: Slack rejected the token ({reason})") from None
    except (URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SettingsError(
            f"SLACK_API_URL: cannot reach {settings.SLACK_API_URL} ({reason})"
        ) from None


def slack_error_code(error: BaseException | None) -> str | None:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "")) or None
    return None
