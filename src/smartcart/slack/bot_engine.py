"""The engine as the bot sees it: one SegmentService per process, plus the audit trail."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from smartcart.engine import SegmentService
from smartcart.engine.marketing import Contacts
from smartcart.slack.access import may_see_customers, write_audit
from smartcart.slack.dispatch import Answer, Request, UserError
from smartcart.slack.migrations import open_store
from smartcart.slack.settings import Settings

logger = logging.getLogger(__name__)

NO_MODEL = "No segments yet: an analyst needs to run `smartcart train` first."


@dataclass
class BotContext:
    service: SegmentService
    settings: Settings
    # Contacts given for this context instead of SMARTCART_CONTACTS (`smartcart export --contacts`).
    contacts: Contacts | None = None

    def audit(self, request: Request, answer: Answer, allowed: bool | None = None) -> None:
        """Write a request (allowed or refused) to the audit trail; `allowed` defaults to the
        settings' allow-lists (`smartcart.slack.access`)."""
        if allowed is None:
            allowed = may_see_customers(self.settings, request)
        write_audit(self.service.store, request, answer, allowed)


def build_context(settings: Settings) -> BotContext:
    store = open_store(settings.SMARTCART_DATABASE_URL)
    service = SegmentService(settings.SMARTCART_MODEL_DIR, store, settings.erasure_key)
    return BotContext(service, settings)


def context_factory(context: BotContext):
    """What `create_app` calls per request: the context, or a friendly 'no model yet'."""

    def current() -> BotContext:
        if not context.service.has_model():
            raise UserError(NO_MODEL)
        return context

    return current


def health_report(context: BotContext):
    def report() -> dict:
        version = context.service.live_version()
        status = "ok" if version else "no model"
        return {"status": status, "model_version": version, "process": os.getpid()}

    return report
