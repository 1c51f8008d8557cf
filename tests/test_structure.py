"""The layout ARCHITECTURE.md promises: one package, rooms with one door each, one-way arrows.

- no import cycle between modules (package `__init__` files included) nor between folders;
- a module imports another folder's modules only through that folder's face (its `__init__`),
  and only names the face lists in `__all__`; modules of its own folder or of a folder above it
  it may import directly;
- no private name (`_x`) is imported from another module;
- the engine imports neither `smartcart.slack` nor `smartcart.cli` (nor Slack or a scheduler),
  and `smartcart.slack` does not import `smartcart.cli`;
- modules stay at most 400 lines.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MAX_LINES = 400


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the module imported from (a package means its __init__)
    names: tuple[str, ...]  # names taken from it (empty for `import x`)
    line: int
    via: str = ""  # `from <via> import <module>`: the package it was taken from


def modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "smartcart").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def folder_of(name: str) -> str:
    return name if is_package(name) else name.rsplit(".", 1)[0]


def within(folder: str, ancestor: str) -> bool:
    return folder == ancestor or folder.startswith(ancestor + ".")


def project_imports(name: str) -> list[Import]:
    """Every project import of the module, function-level imports included."""
    out = []
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            out += [
                Import(name, alias.name, (), node.lineno)
                for alias in node.names
                if alias.name in MODULES
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in MODULES:
            names = tuple(alias.name for alias in node.names)
            submodules = [n for n in names if f"{node.module}.{n}" in MODULES]
            # `from package import submodule` inside that package takes the submodule only
            if len(submodules) < len(names) or not within(name, node.module):
                out.append(Import(name, node.module, names, node.lineno))
            out += [
                Import(name, f"{node.module}.{n}", (), node.lineno, node.module) for n in submodules
            ]
    return out


IMPORTS = {name: project_imports(name) for name in MODULES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
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


def test_no_import_cycle_between_modules():
    graph = {
        name: {i.target for i in imports if i.target != name} for name, imports in IMPORTS.items()
    }
    # a package's __init__ may import its own modules; those never import it back
    assert find_cycle(graph) is None


def test_no_import_cycle_between_folders():
    graph: dict[str, set[str]] = {}
    for name, imports in IMPORTS.items():
        source = folder_of(name)
        for imported in imports:
            target = folder_of(imported.target)
            if not (within(source, target) or within(target, source)):
                graph.setdefault(source, set()).add(target)
    assert find_cycle(graph) is None


def test_other_folders_are_entered_only_through_their_face():
    behind = []
    for name, imports in IMPORTS.items():
        here = folder_of(name)
        for imported in imports:
            target = imported.target
            if is_package(target) or target.rsplit(".", 1)[1] in face_exports(imported.via):
                continue  # a face may offer a module as a namespace (`schema`)
            if not within(here, target.rsplit(".", 1)[0]):
                behind.append(f"{name}:{imported.line} imports {target}")
    assert behind == []


def test_a_face_lists_what_other_folders_take_from_it():
    unlisted = []
    for name, imports in IMPORTS.items():
        here = folder_of(name)
        for imported in imports:
            if not is_package(imported.target) or within(here, imported.target):
                continue
            listed = face_exports(imported.target)
            unlisted += [
                f"{name}:{imported.line} takes {n} from {imported.target}"
                for n in imported.names
                if n not in listed
            ]
    assert unlisted == []


def face_exports(package: str) -> set[str]:
    if not package:
        return set()
    for node in ast.parse(MODULES[package].read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def test_no_private_name_is_imported_from_another_module():
    private = [
        f"{name}:{i.line} imports {n} from {i.target}"
        for name, imports in IMPORTS.items()
        for i in imports
        for n in i.names
        if n.startswith("_")
    ]
    assert private == []


def test_the_engine_imports_no_slack_cli_or_scheduler():
    for name, path in MODULES.items():
        if not name.startswith("smartcart.engine"):
            continue
        assert not [i for i in IMPORTS[name] if not within(i.target, "smartcart.engine")]
        text = path.read_text().lower()
        for word in ("slack", "apscheduler", "mrkdwn", "smartcart.cli"):
            assert word not in text, f"{path}: mentions {word!r}"


def test_the_slack_side_does_not_import_the_command_line():
    for name, imports in IMPORTS.items():
        if name.startswith("smartcart.slack"):
            assert not [i for i in imports if within(i.target, "smartcart.cli")], name


def test_one_top_level_package():
    assert [p.name for p in SRC.iterdir() if not p.name.endswith(".egg-info")] == ["smartcart"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_is_at_most_400_lines(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]}: {lines} lines"
