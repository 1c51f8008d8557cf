"""The bot's Slack Web API client: the bot token, `SLACK_API_URL` and slack_sdk's retry handlers.

The app, the digest and the Home tab each build theirs here, so none imports another to get one.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from smartcart.slack.settings import Settings

WEB_API_TIMEOUT_SECONDS = 30


def create_web_client(settings: Settings) -> WebClient:
    """A WebClient with the bot token, `SLACK_API_URL` as base URL and slack_sdk's retries."""
    token = settings.SLACK_BOT_TOKEN.get_secret_value() if settings.SLACK_BOT_TOKEN else None
    return WebClient(
        token=token,
        base_url=settings.SLACK_API_URL,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
