"""A measurement in a fresh process of its own: `python -m <module> ARGS`, given an optional JSON
job on its standard input, answers with one JSON value on the last line of its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def run_module(
    module: str,
    *args: object,
    job: dict | None = None,
    cwd: Path = REPO,
    env: dict | None = None,
) -> Any:
    output = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        input=None if job is None else json.dumps(job),
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])
