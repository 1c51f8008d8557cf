"""The states of a digest run, in the style of Apache Superset's report executor.

The run's row in the ledger (`smartcart.slack.digest.ledger`) has a state; `state_for` finds the class whose
`current_states` holds it, and that state's `next()` takes the step: claim, resume, retry, upload
a missing chart, or say why nothing is done. The work itself is the `Attempt`'s.
"""

from __future__ import annotations

from smartcart.slack.digest.attempt import Attempt
from smartcart.slack.digest.ledger import AMBIGUOUS, FAILED, POSTED, WORKING, DigestRun
from smartcart.slack.digest.outcome import Outcome, outcome, when


class DigestState:
    """One state of a run: `next()` acts and returns the outcome, or None to look again."""

    current_states: tuple[str | None, ...] = ()

    def __init__(self, attempt: Attempt, run: DigestRun | None) -> None:
        self.attempt = attempt
        self.run = run

    def next(self) -> Outcome | None:
        raise NotImplementedError

    def skip(self, message: str, quiet: bool = False) -> Outcome:
        if self.run is None:
            return Outcome(
                self.attempt.channel, self.attempt.period.key, None, False, message, quiet=quiet
            )
        return outcome(self.run, False, message, quiet)

    def late(self) -> Outcome:
        return self.skip(
            f"The grace window for {self.attempt.period.label} is over; not retried automatically (run `smartcart digest --now`).",
            quiet=True,
        )


class NotClaimed(DigestState):
    current_states = (None,)

    def next(self) -> Outcome | None:
        attempt = self.attempt
        if not attempt.in_grace():
            return self.late()
        run = attempt.ledger.claim(
            attempt.channel, attempt.period.key, attempt.period.scheduled, attempt.owner
        )
        return None if run is None else attempt.execute(run)


class Working(DigestState):
    current_states = (WORKING,)

    def next(self) -> Outcome | None:
        attempt, run = self.attempt, self.run
        if attempt.lease_alive(run):
            return self.skip(
                f"Another run has been posting the digest for {attempt.period.label} since {when(run.created_at)}; nothing posted.",
                quiet=True,
            )
        taken = attempt.ledger.take_over(
            run, attempt.owner, f"resuming run {run.owner}, silent since {when(run.updated_at)}"
        )
        return None if taken is None else attempt.execute(taken)


class Posted(DigestState):
    current_states = (POSTED,)

    def next(self) -> Outcome | None:
        attempt, run = self.attempt, self.run
        quiet = run.chart_file_id is not None or run.message_ts is None  # resolved without ts
        if not quiet and attempt.in_grace():
            run = attempt.upload_missing_chart(run)
        self.run = run
        return self.skip(
            f"The digest for {attempt.period.label} was already posted to {run.channel} at {when(run.posted_at)} (ts {run.message_ts}); nothing posted.",
            quiet=quiet,
        )


class Failed(DigestState):
    current_states = (FAILED,)

    def next(self) -> Outcome | None:
        attempt, run = self.attempt, self.run
        if not attempt.in_grace():
            return self.late()
        if not attempt.backoff_over(run):
            return self.skip(
                f"The digest for {attempt.period.label} failed ({run.error}); retrying later.",
                quiet=True,
            )
        taken = attempt.ledger.take_over(run, attempt.owner, f"retrying after: {run.error}")
        return None if taken is None else attempt.execute(taken)


class Ambiguous(Failed):
    """Retried like a failure, but `execute` first looks for the message in the channel."""

    current_states = (AMBIGUOUS,)


STATES: list[type[DigestState]] = [NotClaimed, Working, Posted, Failed, Ambiguous]


def state_for(run: DigestRun | None) -> type[DigestState]:
    current = None if run is None else run.state
    for state in STATES:
        if current in state.current_states:
            return state
    raise ValueError(f"unknown digest run state {current!r}")
