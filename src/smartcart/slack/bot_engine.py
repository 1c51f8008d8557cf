"""The engine as the bot sees it: one SegmentService per process, plus the audit trail."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace

from smartcart.engine import SegmentService
from smartcart.engine.marketing import Contacts
from smartcart.slack.access import Decision, decide, write_audit
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

    def decide(self, request: Request) -> Decision:
        """The request's one access decision (`smartcart.slack.access.decide`, with the
        lookup limit counted in this store)."""
        return decide(self.settings, request, self.service.store)

    def audit(self, request: Request, answer: Answer, decision: Decision) -> None:
        """Write a request (allowed or refused, as decided) to the audit trail."""
        write_audit(self.service.store, request, answer, decision)


def build_context(settings: Settings) -> BotContext:
    store = open_store(settings.SMARTCART_DATABASE_URL)
    return BotContext(SegmentService(settings.SMARTCART_MODEL_DIR, store), settings)


def context_factory(context: BotContext):
    """What `create_app` calls per request: the context held to the model live now (the LIVE
    pointer read once per request), or a friendly 'no model yet'."""

    def current() -> BotContext:
        service = context.service.pinned()
        if service is None:
            raise UserError(NO_MODEL)
        return replace(context, service=service)

    return current


def health_report(context: BotContext):
    def report() -> dict:
        version = context.service.live_version()
        status = "ok" if version else "no model"
        return {"status": status, "model_version": version, "process": os.getpid()}

    return report
