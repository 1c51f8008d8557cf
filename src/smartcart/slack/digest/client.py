"""The digest's Slack client: retries that never replay a post Slack may have received.

Slack's 429s (Retry-After) are retried by slack_sdk's retry handlers, and so are connection
failures when the request never left (URLError), and 5xx answers to reads. A 5xx, a timeout or a
dropped connection after chat.postMessage was sent is ambiguous (`is_ambiguous`): Slack may have
posted the message, so the run reads the channel's history instead of retrying (see
`smartcart.slack.digest.attempt`).
"""

from __future__ import annotations

from http.client import HTTPException
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from smartcart.slack.settings import Settings
from smartcart.slack.web_client import create_web_client

# slack_sdk's retries of one Web API request (rate limits, server errors, lost connections).
REQUEST_RETRIES = 3
# At most this many posts of one digest per run (attempt.py: a post Slack may have received is
# looked for in the channel's history before another).
POSTS_PER_RUN = 3
POST_METHOD = "chat.postMessage"


class ServerErrorsRetryHandler(ServerErrorRetryHandler):
    """Retries any 5xx (slack_sdk's handler only 500 and 503), except on chat.postMessage.

    A 5xx from chat.postMessage may come after Slack posted the message: the run reconciles
    from the channel's history instead (see `Attempt.post`). Reads are safe to repeat.
    """

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if request.url.rstrip("/").endswith(POST_METHOD):
            return False
        return response is not None and 500 <= response.status_code < 600


def digest_client(settings: Settings) -> WebClient:
    """The bot's WebClient with retries that never replay a request Slack may have received."""
    client = create_web_client(settings)
    client.retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=REQUEST_RETRIES),
        ServerErrorsRetryHandler(max_retry_count=REQUEST_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=REQUEST_RETRIES, error_types=[URLError]),
    ]
    return client


def is_ambiguous(error: BaseException) -> bool:
    """True when a failed request may still have reached Slack (sent, then no answer, or a 5xx).

    urllib wraps failures while connecting or sending in URLError; a timeout or a dropped
    connection while waiting for the answer comes as a bare OSError or HTTPException.
    """
    if isinstance(error, SlackApiError):
        return server_error(error)
    if isinstance(error, URLError | SlackClientError):
        return False
    return isinstance(error, OSError | HTTPException)


def server_error(error: SlackApiError) -> bool:
    status = getattr(error.response, "status_code", None)
    return isinstance(status, int) and 500 <= status < 600


def slack_error_text(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", "?")
        return f"Slack answered {status} {error.response.get('error', 'error')}"
    return f"{type(error).__name__}: {error}".strip()
