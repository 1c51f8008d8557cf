"""How far DuckDB is through a long query over the order lines, told to a callback (the
command line's progress bar): `on_progress(step, fraction done)` from a watching thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import duckdb

OnProgress = Callable[[str, float], None]
EVERY_SECONDS = 0.2


@contextlib.contextmanager
def watched(
    con: duckdb.DuckDBPyConnection, step: str, on_progress: OnProgress | None
) -> Iterator[None]:
    """While the block runs a query on `con`, report its progress as `step`; 1.0 once done."""
    if on_progress is None:
        yield
        return
    # DuckDB keeps count of a query's progress only with its bar on (not printed here)
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    con.execute("SET progress_bar_time = 0")
    done = threading.Event()

    def poll() -> None:
        while not done.wait(EVERY_SECONDS):
            percent = con.query_progress()
            if percent >= 0:
                on_progress(step, min(percent, 100.0) / 100)

    watcher = threading.Thread(target=poll, name="order-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
    on_progress(step, 1.0)
