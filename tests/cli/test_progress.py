"""Long work shows a bar with rows done and an estimate on a terminal, and nothing extra with
--json or when not on a terminal (a pipe, a log, CI)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

SMARTCART = str(Path(sys.executable).parent / "smartcart")


@pytest.fixture
def scoring_env(trained, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "SMARTCART_MODEL_DIR": str(trained.artifact.parent.parent),
        "SMARTCART_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "COLUMNS": "120",
    }


def score_args(trained) -> list[str]:
    return [SMARTCART, "score", "--data", trained.data.source, "--chunk-rows", "1000"]


def test_score_on_a_terminal_shows_rows_done_and_an_estimate(trained, scoring_env, tmp_path):
    controller, terminal = pty.openpty()
    done = subprocess.run(
        score_args(trained),
        env=scoring_env,
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=tmp_path,
        timeout=180,
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
    assert done.returncode == 0, done.stdout
    text = shown.decode(errors="replace")
    total = len(trained.data.customers) + len(trained.data.quarantine)
    assert "Scoring" in text and f"{total}/{total}" in text


def test_score_off_a_terminal_or_with_json_prints_nothing_extra(trained, scoring_env, tmp_path):
    piped = subprocess.run(
        score_args(trained),
        env=scoring_env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=180,
    )
    assert piped.returncode == 0, piped.stderr
    assert "Scoring" not in piped.stderr and "·" not in piped.stderr
    as_json = subprocess.run(
        [*score_args(trained), "--json"],
        env=scoring_env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=180,
    )
    assert as_json.returncode == 0, as_json.stderr
    json.loads(as_json.stdout)  # stdout is the JSON object alone
    assert "Scoring" not in as_json.stderr
