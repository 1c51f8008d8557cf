"""Logs of the CLI, the bot and the scheduler: text or JSON lines, request ids, no secrets.

- `SMARTCART_LOG_FORMAT=json` writes one JSON object per line (`time`, `level`, `logger`,
  `message`, and `request_id`, `exception` when there is one); `text` (the default) is one
  readable line.
- Every Slack request (`slack-…`), digest run (`digest-…`) and retraining (`retrain-…`) gets its
  own id (`request_scope`), carried by every line logged while it runs, in any thread that
  inherits the context (`smartcart.slack.app.after_ack` hands it to the answer worker).
- `serve` and `scheduler` (and each `serve --workers` process) log one INFO line per Slack
  request (`smartcart.slack.app`) and per digest run (`smartcart.slack.digest.scheduler`) with
  its id at the default level (`REQUEST_LOGGERS`); uvicorn's access lines, which carry no id,
  are off (`smartcart.slack.server`).
- Defence in depth: a filter on the handler redacts Slack tokens (`xoxb-…`, `xoxp-…`, `xapp-…`)
  and the values of the secret settings (the signing secret, a database password) from every
  line, exception texts included. The code never logs them in the first place.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"
REDACTED = "[redacted]"
SLACK_TOKEN = re.compile(r"\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+")
URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@/\s]+@")
MIN_SECRET_LENGTH = 6
# Loggers of the one line per Slack request and per digest run: INFO even without -v.
REQUEST_LOGGERS = ("smartcart.slack.app", "smartcart.slack.digest.scheduler")

REQUEST_ID: ContextVar[str | None] = ContextVar("smartcart_request_id", default=None)


def new_request_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


@contextmanager
def request_scope(kind: str) -> Iterator[str]:
    """Give the lines logged inside (in this context) a fresh request id `kind-…`."""
    token = REQUEST_ID.set(new_request_id(kind))
    try:
        yield REQUEST_ID.get() or ""
    finally:
        REQUEST_ID.reset(token)


def current_request_id() -> str | None:
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Puts the current request id on each record (`request_id`, and `request_tag` for text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        record.request_id = request_id
        record.request_tag = f" [{request_id}]" if request_id else ""
        return True


class RedactSecrets(logging.Filter):
    """Replaces Slack tokens, URL passwords and the registered secret values by `[redacted]`."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, values: Iterable[str | None]) -> None:
        self.secrets |= {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        text = SLACK_TOKEN.sub(REDACTED, text)
        return URL_PASSWORD.sub(rf"\1{REDACTED}@", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the record as it is, logging reports it
            return True
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


REDACTOR = RedactSecrets()


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if request_id := getattr(record, "request_id", None):
            entry["request_id"] = request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


class SmartCartHandler(logging.StreamHandler):
    """The one handler `configure_logging` installs on the root logger (replaced, not stacked)."""


def configure_logging(
    level: int = logging.WARNING, log_format: str = "text", stream: IO[str] | None = None
) -> logging.Handler:
    """Log to stderr (or `stream`) at `level`, as text or JSON lines, with ids and redaction.

    uvicorn's own loggers (started with `log_config=None`) come through here too, from INFO.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, SmartCartHandler)]:
        root.removeHandler(old)
    handler = SmartCartHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(REDACTOR)
    handler.setFormatter(formatter_for(log_format))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("uvicorn").setLevel(min(level, logging.INFO))
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(min(level, logging.INFO))
    # Alembic's INFO lines repeat smartcart.engine.store.migrating's own ("applied …") and call the DDL
    # non-transactional on SQLite, where the upgrade runs in one transaction: DEBUG only.
    logging.getLogger("alembic").setLevel(level if level <= logging.DEBUG else logging.WARNING)
    return handler


def use_settings(settings: Any) -> None:
    """Apply the settings to the logs: their format, and their secrets to redact."""
    secrets = [
        settings.SLACK_BOT_TOKEN,
        settings.SLACK_SIGNING_SECRET,
        settings.SLACK_APP_TOKEN,
    ]
    REDACTOR.add(s.get_secret_value() for s in secrets if s is not None)
    REDACTOR.add([database_password(settings.SMARTCART_DATABASE_URL)])
    for handler in logging.getLogger().handlers:
        if isinstance(handler, SmartCartHandler):
            handler.setFormatter(formatter_for(settings.SMARTCART_LOG_FORMAT))


def database_password(url: str) -> str | None:
    match = re.search(r"://[^:/@\s]+:([^@/\s]+)@", url)
    return match[1] if match else None
