"""Who may do what, and the audit trail: the bot's one access policy.

- Customer-level data (the `customer` and `export` subcommands, from a slash command, the Home
  tab, the export form or the `segment_lookup` workflow step) is allowed only in the channels
  and for the users of `SMARTCART_ALLOWED_CHANNELS` / `SMARTCART_ALLOWED_USERS` (an empty list
  allows everyone). The Home tab and the export form are no channel: they count as `app_home`.
- Changing where the digest is posted is for `SMARTCART_ADMIN_USERS` only (nobody when unset).
- The local CLI (`smartcart ask`, `smartcart export`) is not checked against the allow-lists:
  whoever runs it has the settings, the model and the database at hand already. Its lookups are
  still audited, as `cli:<login>` in channel `local`.

Every customer-level request and every subscription change, allowed or refused, goes to the
store's audit trail through `audit` (or `record`, which logs a failure instead of raising).
"""

from __future__ import annotations

import getpass
import logging
from typing import Any

from smartcart.engine.store import Store
from smartcart.slack.dispatch import Answer, Request, parse, subcommand_name
from smartcart.slack.settings import Settings

logger = logging.getLogger(__name__)

CUSTOMER_DATA_SUBCOMMANDS = frozenset({"customer", "export"})
HOME_CHANNEL = "app_home"
LOCAL_CHANNEL = "local"
REFUSAL = "Customer lookups aren't enabled here. Ask an admin, or try in an allowed channel."


def looks_up_customers(text: str) -> bool:
    """Whether a request's subcommand reveals customer-level data (access-checked, audited)."""
    return subcommand_name(text) in CUSTOMER_DATA_SUBCOMMANDS


def is_allowed(request: Request, channels: list[str], users: list[str]) -> bool:
    """Whether a request passes the allow-lists (an empty list allows everyone)."""
    channel_ok = not channels or request.channel_id in channels
    user_ok = not users or request.user_id in users
    return channel_ok and user_ok


def may_see_customers(settings: Settings, request: Request) -> bool:
    """Whether the request may see customer-level data under the settings' allow-lists."""
    return is_allowed(
        request, settings.SMARTCART_ALLOWED_CHANNELS, settings.SMARTCART_ALLOWED_USERS
    )


def may_export_from_home(settings: Settings, user_id: str) -> bool:
    """Whether the user may export from the Home tab or the export form (channel `app_home`)."""
    return may_see_customers(
        settings, Request(text="export", user_id=user_id, channel_id=HOME_CHANNEL)
    )


def is_admin(settings: Settings, user_id: str) -> bool:
    """Whether the user may change digest subscriptions."""
    return user_id in settings.SMARTCART_ADMIN_USERS


def local_user(given: str | None = None) -> str:
    """Who the local CLI acts as in the audit trail: `--user`, else `cli:<login>`."""
    return given or f"cli:{getpass.getuser()}"


def write_audit(store: Store, request: Request, answer: Answer, allowed: bool) -> None:
    """One line of the audit trail: who asked what where, allowed or not, and what came back."""
    name, args = parse(request.text)
    store.audit(
        user_id=request.user_id or "unknown",
        channel_id=request.channel_id or "unknown",
        action=name or "unknown",
        target=" ".join(args),
        allowed=allowed,
        rows=answer.audit.get("rows"),
        detail=answer.audit.get("detail"),
    )


def audit(ctx: Any, request: Request, answer: Answer, allowed: bool | None = None) -> None:
    """Hand a request to the ctx's audit trail, when the ctx keeps one (raises on failure)."""
    keep = getattr(ctx, "audit", None)
    if keep is None:
        return
    if allowed is None:
        keep(request, answer)
    else:
        keep(request, answer, allowed=allowed)


def record(ctx: Any, request: Request, answer: Answer, allowed: bool | None = None) -> None:
    """`audit`, a failure logged rather than raised (the answer is sent all the same)."""
    try:
        audit(ctx, request, answer, allowed)
    except Exception:
        logger.exception("audit of a customer lookup by %s failed", request.user_id)
