"""Who hears how far an export is (the command line's progress bar). An export runs deep
behind the request path that the chat bot and the command line share, so the listener is set for
the duration of a call (`hearing_export_rows`) rather than passed through every layer."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

OnRows = Callable[[str, float, int], None]  # (step, fraction done, rows of the step)

_listener: ContextVar[OnRows | None] = ContextVar("export_rows", default=None)


@contextlib.contextmanager
def hearing_export_rows(on_rows: OnRows) -> Iterator[None]:
    """While the block runs, exports tell `on_rows` of the rows they have worked through."""
    token = _listener.set(on_rows)
    try:
        yield
    finally:
        _listener.reset(token)


def tell_rows(step: str, done: int, total: int) -> None:
    """`done` of `total` rows of `step` are through (nothing when nobody listens)."""
    listener = _listener.get()
    if listener is not None and total:
        listener(step, min(done / total, 1.0), total)
