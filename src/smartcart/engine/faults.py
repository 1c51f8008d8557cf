"""Named points where a test makes this process die as a crash would (SIGKILL).

Tests of crash safety (tests/test_crash_safety.py) run a real `smartcart` process with
`SMARTCART_TEST_KILL_AT=<point>`; when the process reaches that point it kills itself with
SIGKILL: no `finally`, no rollback in Python, exactly what a power cut or the OOM killer does.
Unset (always, outside those tests) a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "SMARTCART_TEST_KILL_AT"


def kill_point(name: str) -> None:
    """Die here, at once and uncleanly, when the test hook names this point."""
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
