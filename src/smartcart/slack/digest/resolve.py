"""A person settles a `failed_ambiguous` digest run (`smartcart digest resolve`).

The run could not tell whether Slack posted the message (a 5xx or a timeout after sending, and
the channel's history unreadable). Whoever looked at the channel says which: `--posted` (with
the message's ts when known) makes it `posted`; `--not-posted` makes it a plain `failed` run,
which the next run (or `smartcart digest --now`) posts. Both are a ledger transition and an
audit-log entry.
"""

from __future__ import annotations

from smartcart.engine.store import Store
from smartcart.slack.digest.ledger import AMBIGUOUS, DigestRun, RunLedger

AUDIT_ACTION = "digest_resolve"


class CannotResolve(ValueError):
    """The run does not exist or is not `failed_ambiguous`."""


def resolve_run(
    store: Store,
    channel: str,
    period: str,
    posted: bool,
    user_id: str,
    ts: str | None = None,
) -> DigestRun:
    ledger = RunLedger(store)
    run = ledger.get(channel, period)
    if run is None:
        raise CannotResolve(f"no digest run for period {period} in channel {channel}")
    if run.state != AMBIGUOUS:
        store.audit(user_id, channel, AUDIT_ACTION, period, False, detail=f"state {run.state}")
        raise CannotResolve(
            f"the digest run for {period} in {channel} is {run.state}, not {AMBIGUOUS}: "
            "only an ambiguous run needs resolving"
        )
    verdict = f"posted (ts {ts or 'unknown'})" if posted else "not posted"
    detail = f"resolved by {user_id}: {verdict}"
    resolved = ledger.resolve(run, user_id[:40], posted, ts, detail)
    store.audit(user_id, channel, AUDIT_ACTION, period, True, detail=detail)
    return resolved
