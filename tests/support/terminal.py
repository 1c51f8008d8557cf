"""Running a command with its stderr on a pseudo-terminal, as a person at a terminal sees it."""

from __future__ import annotations

import os
import pty
import subprocess


def run_on_a_terminal(args: list[str], env: dict[str, str], cwd, timeout: int = 180):
    """(the finished process with its stdout, what its stderr showed on the terminal)."""
    controller, terminal = pty.openpty()
    done = subprocess.run(
        args, env=env, stdout=subprocess.PIPE, stderr=terminal, cwd=cwd, timeout=timeout
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            block = os.read(controller, 65536)
        except OSError:
            break
        if not block:
            break
        shown += block
    os.close(controller)
    return done, shown.decode(errors="replace")
