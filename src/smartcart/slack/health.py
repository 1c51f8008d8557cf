"""Liveness of a running `smartcart serve` or `smartcart scheduler`, for container health checks.

The running process writes a small JSON file (`SMARTCART_HEALTH_FILE`) every `BEAT_EVERY`
seconds: its mode, pid, HTTP port, and the problem it sees in itself (Socket Mode not connected,
scheduler stopped), if any. `smartcart health` reads it: healthy when the file is fresh, names
no problem and, in HTTP mode, `GET /healthz` answers 200. So one health command fits every mode:
an HTTP bot, a Socket Mode bot (which serves no HTTP) and the scheduler alone.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

BEAT_EVERY = 15.0
RECHECK_EVERY = 1.0  # while the process sees a problem in itself (e.g. not connected yet)
DEFAULT_MAX_AGE = 60.0
HEALTHZ_TIMEOUT = 5.0
LOCAL_HOSTS = {"0.0.0.0", "::", "", "localhost"}

Problem = Callable[[], str | None]  # None when fine, else what is wrong


@dataclass
class Heartbeat:
    """Writes the liveness file in a background thread until stopped (then removes it)."""

    path: Path
    mode: str
    problems: list[Problem]
    port: int | None = None
    host: str | None = None
    every: float = BEAT_EVERY

    def __post_init__(self) -> None:
        self.last_problem: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smartcart-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 1)
        if self.written_by_me():
            self.path.unlink(missing_ok=True)

    def written_by_me(self) -> bool:
        """Whether the file is still this process's (another one may share the path)."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8")).get("pid") == os.getpid()
        except (OSError, ValueError):
            return False

    def _run(self) -> None:
        while not self._stop.wait(self.every if self.last_problem is None else RECHECK_EVERY):
            self.beat()

    def beat(self) -> None:
        self.last_problem = self.problem()
        state = {
            "mode": self.mode,
            "pid": os.getpid(),
            "port": self.port,
            "host": self.host,
            "updated": time.time(),
            "problem": self.last_problem,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            partial.write_text(json.dumps(state), encoding="utf-8")
            partial.replace(self.path)
        except OSError as error:
            logger.warning("cannot write the liveness file %s: %s", self.path, error)

    def problem(self) -> str | None:
        found = []
        for check in self.problems:
            try:
                problem = check()
            except Exception as error:
                problem = f"{type(error).__name__}: {error}"
            if problem:
                found.append(problem)
        return "; ".join(found) or None


@contextmanager
def heartbeat(
    path: Path, mode: str, problems: list[Problem] | None = None, **where: Any
) -> Iterator[Heartbeat]:
    """Beat while the block runs (`with heartbeat(path, "scheduler", [...]): serve()`)."""
    beating = Heartbeat(path, mode, problems or [], **where).start()
    try:
        yield beating
    finally:
        beating.stop()


def socket_mode_problem(handler: Any) -> Problem:
    """Socket Mode is alive while its client holds a connection to Slack."""
    return lambda: None if handler.client.is_connected() else "not connected to Slack"


def scheduler_problem(scheduler: Any) -> Problem:
    return lambda: None if scheduler.running else "the scheduler is not running"


@dataclass
class Health:
    ok: bool
    line: str


def check_liveness(
    path: Path, max_age: float = DEFAULT_MAX_AGE, now: float | None = None
) -> Health:
    """Healthy or not, with one line saying why (what `smartcart health` prints)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Health(False, f"unhealthy: no liveness file {path} (is smartcart serve running?)")
    except (OSError, ValueError) as error:
        return Health(False, f"unhealthy: cannot read the liveness file {path} ({error})")
    mode, pid = state.get("mode", "?"), state.get("pid", "?")
    age = (now if now is not None else time.time()) - float(state.get("updated", 0))
    if not process_exists(pid):
        return Health(False, f"unhealthy: {mode} (pid {pid}) is not running")
    if age > max_age:
        return Health(False, f"unhealthy: {mode} (pid {pid}) silent for {age:.0f} s")
    if state.get("problem"):
        return Health(False, f"unhealthy: {mode} (pid {pid}): {state['problem']}")
    if state.get("port"):
        problem = healthz_problem(state.get("host"), int(state["port"]))
        if problem:
            return Health(False, f"unhealthy: {mode} (pid {pid}): {problem}")
    return Health(True, f"healthy: {mode} (pid {pid}), last beat {age:.0f} s ago")


def process_exists(pid: Any) -> bool:
    """Whether the process that wrote the file still runs (a killed one leaves its file)."""
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def healthz_problem(host: str | None, port: int) -> str | None:
    """None when `GET /healthz` of the local server answers 200, else what went wrong."""
    address = "127.0.0.1" if host is None or host in LOCAL_HOSTS else host
    if ":" in address:
        address = f"[{address}]"
    url = f"http://{address}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HEALTHZ_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, ValueError) as error:
        return f"{url} unreachable ({getattr(error, 'reason', error)})"
    return None if status == 200 else f"{url} answered {status}"
