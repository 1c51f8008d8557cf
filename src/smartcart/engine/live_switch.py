"""The live model and the stored segments switch together, even when a process dies between.

A training commits the stored customers' new segments (one transaction) and then points `LIVE`
at the new model (an atomic rename). A process killed between the two would leave the store on
the new model's segments while the old model answers. So the switch is journaled: holding a lock
file (`.switching.lock`, released by the system when its holder dies), the training names the new
version in `SWITCHING` before the store's transaction and removes it once `LIVE` points at it.

Whoever next reads the live model (`SegmentService`) and finds `SWITCHING` with its lock free
settles it: when the store holds segments of that version the commit happened, so `LIVE` is
pointed at it (the switch is finished); otherwise nothing was committed and the journal is
dropped (the old model and its segments stay). Either way model and segments agree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from smartcart.engine.faults import kill_point
from smartcart.engine.model import atomic_write, make_live, model_path
from smartcart.engine.store import Store

logger = logging.getLogger(__name__)

JOURNAL = "SWITCHING"
LOCK = ".switching.lock"


class LiveSwitch:
    def __init__(self, model_dir: Path, store: Store) -> None:
        self.model_dir = Path(model_dir)
        self.store = store
        self.journal = self.model_dir / JOURNAL

    def lock(self) -> FileLock:
        self.model_dir.mkdir(parents=True, exist_ok=True)
        return FileLock(self.model_dir / LOCK)

    @contextmanager
    def switching(self, version: str) -> Iterator[None]:
        """Write the store's new segments inside the block; `LIVE` names `version` after it.
        If the block fails, the journal is settled at once (the switch happens only if the
        store committed)."""
        with self.lock():
            atomic_write(self.journal, lambda temporary: Path(temporary).write_text(version))
            try:
                yield
            except BaseException:
                self.settle(version, crashed=False)
                raise
            kill_point("train:before-switch")
            make_live(self.model_dir, version)
            self.journal.unlink(missing_ok=True)

    def recover(self) -> None:
        """Settle a switch left by a process that died in it (nothing to do, the usual case,
        costs one file check)."""
        if not self.journal.exists():
            return
        lock = self.lock()
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return  # a switch is under way in a live process
        try:
            if self.journal.exists():
                self.settle(self.journal.read_text().strip())
        finally:
            lock.release()

    def settle(self, version: str, crashed: bool = True) -> None:
        """Finish the switch to `version` if the store committed its segments, else drop it."""
        committed = bool(version) and self.store.scored_by(version)
        if committed and model_path(self.model_dir, version).exists():
            make_live(self.model_dir, version)
            logger.warning("finished switching to model %s (its process stopped halfway)", version)
        elif crashed:
            logger.warning("dropped an unfinished switch to model %s: nothing was stored", version)
        self.journal.unlink(missing_ok=True)
