"""The layering the README's Layout promises: no import cycles, no Slack in the engine, short modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("segmentation", "bot")
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Project modules imported anywhere in the file (function-level imports included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        out |= {name for name in names if name in known}
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_in_bot_or_segmentation():
    found = modules()
    known = set(found)
    graph = {
        name: {t for t in imports_of(path, known) if t != name and not name.startswith(t + ".")}
        for name, path in found.items()
    }
    assert find_cycle(graph) is None


def test_the_engine_imports_no_slack_bot_or_scheduler():
    for name, path in modules().items():
        if name.startswith("segmentation"):
            text = path.read_text().lower()
            for word in ("slack", "apscheduler", "mrkdwn", "from bot", "import bot"):
                assert word not in text, f"{path}: mentions {word!r}"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_is_under_400_lines(package):
    long = {
        str(path.relative_to(REPO)): n
        for name, path in modules().items()
        if name.startswith(package) and (n := len(path.read_text().splitlines())) >= MAX_LINES
    }
    assert long == {}
