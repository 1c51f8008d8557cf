"""The project as a user installs it: a wheel, in a fresh environment, used from another folder.

This is what the Dockerfile does too (build the wheel, install it without dependencies on top of
the locked ones, run `smartcart templates check` from outside the sources, then `serve`,
`scheduler` and `smartcart health`); the engine is not available on this machine, so these
steps run here.

The fresh environment reaches the already installed, locked dependencies through a `.pth`
line (no download); the project itself comes only from the wheel, which the tests check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcart.engine.model.personas import PERSONAS
from tests.support.signing import TEST_BOT_TOKEN, TEST_SIGNING_SECRET
from tests.support.slack_standin import SlackStandIn

REPO = Path(__file__).resolve().parents[1]


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **options)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtual environment where the project's wheel is installed."""
    root = tmp_path_factory.mktemp("wheel")
    # Built from a copy of what the Dockerfile copies: a build/ or *.egg-info left in the checkout
    # by an earlier build would otherwise end up in the wheel.
    sources = root / "sources"
    sources.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, sources / name)
    shutil.copytree(
        REPO / "src", sources / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), "."],
        cwd=sources,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("smartcart_segments-*.whl")
    venv = root / "venv"
    assert run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    site = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    (site / "locked-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)]
    done = run(pip, cwd=root)
    assert done.returncode == 0, done.stderr
    # As the Dockerfile: every requirement of the wheel is met by what is installed.
    checked = run([str(python), "-m", "pip", "check"], cwd=root)
    assert checked.returncode == 0, checked.stdout
    return venv / "bin"


@pytest.fixture(scope="module")
def scored(installed: Path, trained, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Settings of a live model with its customers scored into a store by the installed CLI."""
    folder = tmp_path_factory.mktemp("scored")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMARTCART_"))}
    env.update(
        SMARTCART_MODEL_DIR=str(trained.artifact.parent.parent),
        SMARTCART_DATABASE_URL=f"sqlite:///{folder / 'store.db'}",
        SMARTCART_DATA=str(trained.artifact.parent.parent.parent / "customers.csv"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    done = smartcart(installed, "score", cwd=folder, env=env)
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture
def outside(tmp_path: Path, scored: dict[str, str]) -> dict[str, str]:
    """The environment of a user in a folder of their own, with a live model and customers."""
    return {**scored, "SMARTCART_HEALTH_FILE": str(tmp_path / "health.json")}


def smartcart(bin_dir: Path, *args: str, cwd: Path, env: dict[str, str]):
    return run([str(bin_dir / "smartcart"), *args], cwd=cwd, env=env)


TOP_LEVEL = """
from importlib.metadata import distribution
import smartcart.templates, smartcart.engine.model
files = distribution("smartcart-segments").files
print(sorted({f.parts[0] for f in files if f.parts[0].endswith(".py") or "." not in f.parts[0]
              and f.parts[0] not in ("..", "bin")}))
print(smartcart.templates.__file__)
print(smartcart.engine.model.__file__)
"""


def test_the_wheel_installs_one_package_with_the_code_and_the_templates(
    installed: Path, tmp_path, outside
) -> None:
    where = run([str(installed / "python"), "-c", TOP_LEVEL], cwd=tmp_path, env=outside)
    assert where.returncode == 0, where.stderr
    top_level, *module_files = where.stdout.splitlines()
    assert top_level == "['smartcart']"
    venv = installed.parent.resolve()
    for module_file in module_files:
        assert Path(module_file).resolve().is_relative_to(venv), module_file
    version = smartcart(installed, "--version", cwd=tmp_path, env=outside)
    assert version.returncode == 0 and version.stdout.startswith("smartcart, version"), version


# Runs inside the installed environment: several CLI commands in one process (each new process
# would import pandas and scikit-learn again), printing `[command, exit code, output]` as JSON.
RUN_COMMANDS = """
import json, sys
from click.testing import CliRunner
from smartcart.cli import main
for line in sys.stdin.read().splitlines():
    result = CliRunner().invoke(main, line.split())
    print(json.dumps([line, result.exit_code, result.output]))
"""


def cli_outputs(bin_dir: Path, commands: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """`{command: (exit code, output)}` of commands run by the installed `smartcart.cli`."""
    done = subprocess.run(
        [str(bin_dir / "python"), "-c", RUN_COMMANDS],
        input="\n".join(commands),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    ran = [json.loads(line) for line in done.stdout.splitlines()]
    return {command: (code, output) for command, code, output in ran}


def test_the_installed_cli_checks_and_renders_every_template_from_any_folder(
    installed: Path, tmp_path: Path, outside: dict[str, str]
) -> None:
    version = smartcart(installed, "--version", cwd=tmp_path, env=outside)
    assert version.returncode == 0 and version.stdout.startswith("smartcart, version "), version

    checked = smartcart(installed, "templates", "check", cwd=tmp_path, env=outside)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    shipped = len(list((REPO / "src" / "smartcart" / "templates").rglob("*.j2")))
    assert f"{shipped} templates OK (built-in)" in checked.stdout

    playbooks = [f"playbook {p.id}" for p in PERSONAS]
    outputs = cli_outputs(installed, [*playbooks, "digest --dry-run"], tmp_path, outside)
    for persona, command in zip(PERSONAS, playbooks, strict=True):
        code, text = outputs[command]
        assert code == 0 and text.startswith(f"# {persona.name}"), text
    code, text = outputs["digest --dry-run"]
    assert code == 0 and "dry run: nothing posted or stored" in text, text
    assert all(p.name in text for p in PERSONAS)


def test_an_override_folder_still_falls_back_to_the_packaged_templates(
    installed: Path, tmp_path: Path, outside: dict[str, str]
) -> None:
    mine = tmp_path / "mine" / "playbooks"
    mine.mkdir(parents=True)
    (mine / "premium.md.j2").write_text("# Ours: {{ persona.name }}\n")
    env = {**outside, "SMARTCART_TEMPLATES": str(mine.parent)}
    outputs = cli_outputs(installed, ["playbook premium", "playbook family_budget"], tmp_path, env)
    assert outputs["playbook premium"] == (0, "# Ours: High-Value Premium Customers\n")
    code, text = outputs["playbook family_budget"]
    assert code == 0 and text.startswith("# Family Budget Shoppers"), text


def test_the_installed_cli_upgrades_a_database_with_the_packaged_revisions(
    installed: Path, tmp_path: Path, outside: dict[str, str]
) -> None:
    env = {**outside, "SMARTCART_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    where = run(
        [
            str(installed / "python"),
            "-c",
            "from smartcart.slack.migrations import ENVIRONMENTS; "
            "print('\\n'.join(e.scripts.dir for e in ENVIRONMENTS))",
        ],
        cwd=tmp_path,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    venv = installed.parent.resolve()
    assert [Path(d).resolve().relative_to(venv).parts[-2:] for d in where.stdout.split()] == [
        ("store", "migrations"),
        ("slack", "migrations"),
    ]
    upgraded = smartcart(installed, "db", "upgrade", cwd=tmp_path, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    applied = [line.split()[:3] for line in upgraded.stdout.splitlines()[1:-1]]
    assert applied == [
        ["engine:", "applied", "0001_customers"],
        ["engine:", "applied", "0002_history"],
        ["engine:", "applied", "0003_campaigns"],
        ["engine:", "applied", "0004_customer_keys"],
        ["engine:", "applied", "0005_customer_lifetime"],
        ["engine:", "applied", "0006_forgotten_customers"],
        ["engine:", "applied", "0007_history_churn_risk"],
        ["bot:", "applied", "0001_digest_runs"],
        ["bot:", "applied", "0002_digest_subscriptions"],
        ["bot:", "applied", "0003_leases"],
    ]
    current = smartcart(installed, "db", "current", cwd=tmp_path, env=env)
    assert current.returncode == 0 and current.stdout.count("up to date") == 2, current.stdout


# ----------------------------------------------------------------------------------------------
# The container's entry commands and its health check, per mode, from the installed wheel.
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(expected_token=TEST_BOT_TOKEN) as running:
        yield running


def wait_healthy(bin_dir: Path, process: subprocess.Popen, cwd: Path, env: dict[str, str]) -> str:
    deadline = time.monotonic() + 120  # a loaded machine can take long to import pandas
    while time.monotonic() < deadline:
        assert process.poll() is None, (cwd / "output.txt").read_text()[-3000:]
        health = smartcart(bin_dir, "health", cwd=cwd, env=env)
        if health.returncode == 0:
            return health.stdout
        time.sleep(0.5)
    raise AssertionError(f"never healthy: {health.stdout}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.parametrize("mode", ["http", "socket-mode", "scheduler"])
def test_each_mode_reports_healthy_while_it_runs_and_unhealthy_after(
    mode: str, installed: Path, tmp_path: Path, outside: dict[str, str], standin: SlackStandIn
) -> None:
    env = {
        **outside,
        "SLACK_BOT_TOKEN": TEST_BOT_TOKEN,
        "SLACK_API_URL": standin.api_url,
        "SMARTCART_DIGEST_CHANNEL": "C0DIGEST",
        "SMARTCART_DIGEST_CRON": "0 9 1 1 *",
    }
    command = ["serve", "--no-scheduler", "--host", "127.0.0.1", "--port", "0"]
    if mode == "http":
        env["SLACK_SIGNING_SECRET"] = TEST_SIGNING_SECRET
        command[-1] = str(free_port())
    elif mode == "socket-mode":
        env["SLACK_APP_TOKEN"] = "xapp-1-A0SMARTCART-test-app-token"
    else:
        command = ["scheduler"]
    assert smartcart(installed, "health", cwd=tmp_path, env=env).returncode == 1
    output = tmp_path / "output.txt"  # a file, not a pipe nobody reads while it runs
    with output.open("w") as sink:
        process = subprocess.Popen(
            [str(installed / "smartcart"), *command],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        line = wait_healthy(installed, process, tmp_path, env)
        assert line.startswith(f"healthy: {mode} (pid {process.pid})"), line
    finally:
        stop(process)
    after = smartcart(installed, "health", cwd=tmp_path, env=env)
    assert after.returncode == 1 and after.stdout.startswith("unhealthy: "), after.stdout


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
