"""The Slack side of SmartCart Segments: settings, answers, the Bolt app and its servers."""

from smartcart.slack.access import LOCAL_CHANNEL, local_user, warn_when_open
from smartcart.slack.app import create_app
from smartcart.slack.blockkit import unescape_slack
from smartcart.slack.bot_engine import build_context, context_factory, health_report
from smartcart.slack.dispatch import Request, render_text
from smartcart.slack.health import check_liveness, heartbeat, scheduler_problem, socket_mode_problem
from smartcart.slack.logs import configure_logging, request_scope, use_settings
from smartcart.slack.metrics import live_model_age, serve_metrics, use_multiprocess_folder
from smartcart.slack.mrkdwn import to_mrkdwn
from smartcart.slack.request_path import answer_with
from smartcart.slack.server import serve_http, serve_http_workers, socket_mode_handler
from smartcart.slack.settings import SettingsError, load_settings
from smartcart.slack.settings_reference import env_example, settings_markdown

__all__ = [
    "LOCAL_CHANNEL",
    "Request",
    "SettingsError",
    "answer_with",
    "build_context",
    "check_liveness",
    "configure_logging",
    "context_factory",
    "create_app",
    "env_example",
    "health_report",
    "heartbeat",
    "live_model_age",
    "load_settings",
    "local_user",
    "render_text",
    "request_scope",
    "scheduler_problem",
    "serve_http",
    "serve_http_workers",
    "serve_metrics",
    "settings_markdown",
    "socket_mode_handler",
    "socket_mode_problem",
    "to_mrkdwn",
    "unescape_slack",
    "use_multiprocess_folder",
    "use_settings",
    "warn_when_open",
]
