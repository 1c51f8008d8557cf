"""`smartcart health`: the liveness file of a running process, read and judged."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from smartcart.slack.health import Heartbeat, check_liveness, heartbeat


def test_a_fresh_beat_without_problem_is_healthy(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    with heartbeat(path, "scheduler", [lambda: None]):
        report = check_liveness(path)
        assert report.ok and report.line.startswith(f"healthy: scheduler (pid {os.getpid()})")
    assert not path.exists()  # removed when the process stops
    assert not check_liveness(path).ok


def test_a_problem_the_process_sees_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    with heartbeat(path, "socket-mode", [lambda: "not connected to Slack", lambda: None]):
        report = check_liveness(path)
    assert not report.ok and report.line.endswith(": not connected to Slack")


def test_a_failing_self_check_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    def broken() -> str | None:
        raise RuntimeError("no client")

    beat = Heartbeat(tmp_path / "health.json", "socket-mode", [broken])
    beat.beat()
    assert check_liveness(beat.path).line.endswith("RuntimeError: no client")


def test_a_silent_or_dead_writer_is_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    Heartbeat(path, "scheduler", []).beat()
    state = json.loads(path.read_text())
    assert "silent for" in check_liveness(path, max_age=60, now=state["updated"] + 61).line
    path.write_text(json.dumps({**state, "pid": 2**22 + 12345}))
    assert check_liveness(path).line.endswith("is not running")
    path.write_text("{not json")
    assert check_liveness(path).line.startswith("unhealthy: cannot read the liveness file")


@pytest.mark.parametrize(("status", "ok"), [(200, True), (503, False)])
def test_http_mode_also_asks_healthz(tmp_path: Path, status: int, ok: bool) -> None:
    class Healthz(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        path = tmp_path / "health.json"
        port = server.server_address[1]
        Heartbeat(path, "http", [], port=port, host="0.0.0.0").beat()
        report = check_liveness(path)
    finally:
        server.shutdown()
        server.server_close()
    assert report.ok is ok
    if not ok:
        assert report.line.endswith(f"http://127.0.0.1:{port}/healthz answered 503")
    Heartbeat(path, "http", [], port=port).beat()  # nothing listens there any more
    assert "unreachable" in check_liveness(path).line


def test_stopping_leaves_another_process_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    beat = Heartbeat(path, "http", []).start()
    path.write_text(json.dumps({"mode": "scheduler", "pid": 1, "updated": 0}))
    beat.stop()
    assert path.exists()
