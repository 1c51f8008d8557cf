"""Who may do what, and the audit trail: the bot's one access policy.

- Customer-level data (the `customer` and `export` subcommands, from a slash command, the Home
  tab, the export form or the `segment_lookup` workflow step) is refused in Slack until an
  admin says who may see it: `SMARTCART_ALLOWED_USERS` / `SMARTCART_ALLOWED_CHANNELS` (where
  either is set, the lists decide), or `SMARTCART_CUSTOMER_ACCESS=everyone`. The Home tab and
  the export form are no channel: they count as `app_home`; the workflow step as `workflow`.
- From Slack an export never holds plain contact details: `format=klaviyo` is refused and a
  csv carries no emails or phones; the plain formats are the command line's.
- `SMARTCART_LOOKUP_LIMIT` customer lookups a minute per user, counted in the store's audit
  trail (so every `serve --workers` process counts the same rows).
- Changing where the digest is posted is for `SMARTCART_ADMIN_USERS` only (nobody when unset).
- The local CLI (`smartcart ask`, `smartcart export`: requests of origin `cli`) is not limited:
  whoever runs it has the settings, the model and the database at hand already. Its lookups are
  still audited, as `cli:<login>` in channel `local`.

`decide` is asked once per request; its `Decision` goes with the answer to `write_audit`, so
every customer-level request, allowed or refused, leaves one row in the audit trail.
"""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from datetime import timedelta

from smartcart.engine.marketing import FORMATS, HASHED_FORMATS
from smartcart.engine.store import Store
from smartcart.slack.dispatch import Answer, Request
from smartcart.slack.settings import Settings

logger = logging.getLogger(__name__)

CUSTOMER_DATA_SUBCOMMANDS = frozenset({"customer", "export"})
LOOKUP = "customer"
HOME_CHANNEL = "app_home"
LOCAL_CHANNEL = "local"
LIMIT_WINDOW = timedelta(minutes=1)
NOT_SET_UP = (
    "Customer lookups are off until an admin says who may see customer data: "
    "SMARTCART_ALLOWED_USERS or SMARTCART_ALLOWED_CHANNELS (or SMARTCART_CUSTOMER_ACCESS=everyone)."
)
NOT_LISTED = (
    "Customer lookups aren't enabled here for you. An admin can add you to "
    "SMARTCART_ALLOWED_USERS or this channel to SMARTCART_ALLOWED_CHANNELS."
)
PLAIN_CONTACTS = (
    "`format={format}` puts plain emails and phones in the file, and files with plain contact "
    "details are never posted in Slack. Use `format=meta` or `format=google` (hashed), "
    "`format=csv` (no contact details), or `smartcart export --format {format}` on the "
    "command line."
)
OVER_LIMIT = (
    "You have looked up {limit} customers in the last minute, the most allowed. "
    "Please wait a minute and try again."
)


@dataclass(frozen=True)
class Decision:
    """Whether a request may have its answer; if not, the refusal and its audit detail."""

    allowed: bool
    refusal: str | None = None
    detail: str | None = None


ALLOWED = Decision(True)


def reveals_customers(request: Request) -> bool:
    """Whether a request's subcommand reveals customer-level data (access-checked, audited)."""
    return request.command.name in CUSTOMER_DATA_SUBCOMMANDS


def decide(settings: Settings, request: Request, store: Store | None = None) -> Decision:
    """The one access decision of a customer-level request (the CLI's always allowed).

    With `store`, a `customer` lookup from Slack is also held to SMARTCART_LOOKUP_LIMIT."""
    if request.origin == "cli":
        return ALLOWED
    policy = customer_policy(settings, request.user_id, request.channel_id)
    if not policy.allowed:
        return policy
    plain = plain_contact_format(request)
    if plain is not None:
        return Decision(False, PLAIN_CONTACTS.format(format=plain), "plain contacts format")
    if store is not None and request.command.name == LOOKUP:
        return within_limit(settings, store, request.user_id)
    return ALLOWED


def customer_policy(settings: Settings, user_id: str, channel_id: str) -> Decision:
    """The allow-lists where set, else SMARTCART_CUSTOMER_ACCESS (default: nobody)."""
    channels, users = settings.SMARTCART_ALLOWED_CHANNELS, settings.SMARTCART_ALLOWED_USERS
    if channels or users:
        channel_ok = not channels or channel_id in channels
        user_ok = not users or user_id in users
        return ALLOWED if channel_ok and user_ok else Decision(False, NOT_LISTED, "not listed")
    if settings.SMARTCART_CUSTOMER_ACCESS == "everyone":
        return ALLOWED
    return Decision(False, NOT_SET_UP, "access not set up")


def open_to_everyone(settings: Settings) -> bool:
    """Whether every workspace member may see customer data (what `serve` warns about)."""
    lists = settings.SMARTCART_ALLOWED_CHANNELS or settings.SMARTCART_ALLOWED_USERS
    return not lists and settings.SMARTCART_CUSTOMER_ACCESS == "everyone"


def warn_when_open(settings: Settings) -> bool:
    """Log one warning when every workspace member may see customer data (`serve`, at start)."""
    if not open_to_everyone(settings):
        return False
    logger.warning(
        "customer lookups and exports are open to everyone in the workspace "
        "(SMARTCART_CUSTOMER_ACCESS=everyone); set SMARTCART_ALLOWED_USERS or "
        "SMARTCART_ALLOWED_CHANNELS to limit them"
    )
    return True


def plain_contact_format(request: Request) -> str | None:
    """The export format asked for when it would put plain contacts in a Slack file."""
    if request.command.name != "export":
        return None
    chosen = (request.command.option("format") or "csv").lower()
    plain = chosen in FORMATS and chosen not in HASHED_FORMATS and chosen != "csv"
    return chosen if plain else None  # an unknown format is the handler's to explain


def within_limit(settings: Settings, store: Store, user_id: str) -> Decision:
    limit = settings.SMARTCART_LOOKUP_LIMIT
    done = store.count_audit(user_id, LOOKUP, since=LIMIT_WINDOW)
    if done < limit:
        return ALLOWED
    logger.info("lookup limit reached by %s (%d in the last minute)", user_id, done)
    return Decision(False, OVER_LIMIT.format(limit=limit), "lookup limit")


def may_export_from_home(settings: Settings, user_id: str) -> bool:
    """Whether the user may export from the Home tab or the export form (channel `app_home`)."""
    return customer_policy(settings, user_id, HOME_CHANNEL).allowed


def is_admin(settings: Settings, user_id: str) -> bool:
    """Whether the user may change digest subscriptions."""
    return user_id in settings.SMARTCART_ADMIN_USERS


def local_user(given: str | None = None) -> str:
    """Who the local CLI acts as in the audit trail: `--user`, else `cli:<login>`."""
    return given or f"cli:{getpass.getuser()}"


def write_audit(store: Store, request: Request, answer: Answer, decision: Decision) -> None:
    """One line of the audit trail: who asked what where, allowed or not, and what came back."""
    command = request.command
    store.audit(
        user_id=request.user_id or "unknown",
        channel_id=request.channel_id or "unknown",
        action=command.name or "unknown",
        target=" ".join(command.args),
        allowed=decision.allowed,
        rows=answer.audit.get("rows"),
        detail=decision.detail or answer.audit.get("detail"),
    )


def record(store: Store, request: Request, answer: Answer, decision: Decision) -> None:
    """`write_audit`, a failure logged rather than raised (the answer is sent all the same)."""
    try:
        write_audit(store, request, answer, decision)
    except Exception:
        logger.exception("audit of a customer lookup by %s failed", request.user_id)
