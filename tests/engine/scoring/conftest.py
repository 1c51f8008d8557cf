"""Fixtures of the scoring tests: a small Dask cluster for the Dask engine's."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def scheduler() -> str:
    """A small cluster in this process (threads, not processes: the test machine has 2 cores)."""
    from distributed import LocalCluster  # the dask extra: `make install` includes it

    with LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address
