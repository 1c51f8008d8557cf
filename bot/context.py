"""The engine as the bot sees it: one SegmentService per process, plus the audit trail."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from bot.answers import Answer, Request, UserError, is_allowed, parse
from bot.settings import Settings
from segmentation.service import SegmentService
from segmentation.store import Store

logger = logging.getLogger(__name__)

NO_MODEL = "No segments yet: an analyst needs to run `smartcart train` first."


@dataclass
class BotContext:
    service: SegmentService
    settings: Settings

    def audit(self, request: Request, answer: Answer, allowed: bool | None = None) -> None:
        """Write a customer-level lookup (allowed or refused) to the audit trail."""
        name, args = parse(request.text)
        if allowed is None:
            allowed = is_allowed(
                request,
                self.settings.SMARTCART_ALLOWED_CHANNELS,
                self.settings.SMARTCART_ALLOWED_USERS,
            )
        self.service.store.audit(
            user_id=request.user_id or "unknown",
            channel_id=request.channel_id or "unknown",
            action=name or "unknown",
            target=" ".join(args),
            allowed=allowed,
            rows=answer.audit.get("rows"),
            detail=answer.audit.get("detail"),
        )


def build_context(settings: Settings) -> BotContext:
    store = Store(settings.SMARTCART_DATABASE_URL)
    store.migrate()
    return BotContext(SegmentService(settings.SMARTCART_MODEL_DIR, store), settings)


def context_factory(context: BotContext):
    """What `create_app` calls per request: the context, or a friendly 'no model yet'."""

    def current() -> BotContext:
        if not context.service.has_model():
            raise UserError(NO_MODEL)
        return context

    return current


def health(context: BotContext):
    def report() -> dict:
        version = context.service.live_version()
        status = "ok" if version else "no model"
        return {"status": status, "model_version": version, "process": os.getpid()}

    return report
