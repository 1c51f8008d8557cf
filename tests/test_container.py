"""The container's recipe, read as Docker would: no Docker engine runs on this machine, so the
build itself is exercised by tests/test_packaging.py (same wheel, same commands); here, what
makes the image cacheable, unprivileged and honest about its health."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def stages() -> dict[str, list[str]]:
    """`{stage name: [instruction lines]}` of the Dockerfile (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if match := re.match(r"FROM \S+ AS (\S+)", line):
            current = match[1]
            found[current] = []
        if current is not None:
            found[current].append(line)
    return found


def test_the_base_image_is_pinned_to_an_exact_version() -> None:
    text = (REPO / "Dockerfile").read_text()
    (image,) = re.findall(r"ARG PYTHON_IMAGE=(\S+)", text)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image)
    defined = set()
    for line in text.splitlines():
        if match := re.match(r"FROM (\S+) AS (\S+)", line):
            assert match[1] == "${PYTHON_IMAGE}" or match[1] in defined, line
            defined.add(match[2])


def test_dependencies_come_from_the_lock_alone_before_any_code() -> None:
    deps = stages()["deps"]
    copies = [line for line in deps if line.startswith("COPY")]
    assert copies == ["COPY --from=lock /lock/requirements.txt /tmp/requirements.txt"]
    assert any("--require-hashes" in line and "requirements.txt" in line for line in deps)
    lock = stages()["lock"]
    assert [line for line in lock if line.startswith("COPY")] == ["COPY pyproject.toml uv.lock ./"]
    assert any(line.startswith("RUN uv export --frozen --no-dev") for line in lock)
    runtime = stages()["runtime"]
    order = [line for line in runtime if line.startswith(("COPY", "RUN pip"))]
    assert order[0] == "COPY --from=deps /opt/venv /opt/venv"  # cached until the lock changes
    assert order[1].startswith("COPY --from=wheel")  # the code: a small layer after it
    assert "--no-deps" in order[2] and "pip check" in order[2]


def test_the_image_runs_unprivileged_with_a_health_check_for_every_mode() -> None:
    runtime = stages()["runtime"]
    user = [line for line in runtime if line.startswith("USER ")]
    assert user and user[-1] != "USER root"
    (health,) = [line for line in runtime if line.startswith("HEALTHCHECK")]
    assert health.endswith('CMD ["smartcart", "health"]')
    assert "RUN smartcart templates check" in runtime  # templates from the installed package
    assert not any(line.startswith("COPY templates") for line in runtime)


def test_secrets_and_local_state_stay_out_of_git_and_images() -> None:
    for ignore in (".dockerignore", ".gitignore"):
        entries = {line.strip().rstrip("/") for line in (REPO / ignore).read_text().splitlines()}
        assert {".env", "var", ".venv"} <= entries, ignore


def test_compose_runs_the_bot_one_scheduler_and_postgres() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    services = re.findall(r"^  (\w+):$", text.split("\nservices:\n", 1)[1], flags=re.M)
    assert services[:3] == ["db", "bot", "scheduler"]
    assert 'command: ["smartcart", "serve", "--no-scheduler"' in text
    assert 'command: ["smartcart", "scheduler"]' in text
    # the release step first: `db upgrade`, then the bot and the scheduler
    assert 'command: ["smartcart", "db", "upgrade"]' in text
    assert text.count("depends_on: *after-migrate") == 1  # the scheduler; the bot defines it
    assert "service_completed_successfully" in text.split("\n  migrate:\n")[0]
    assert "postgresql+psycopg://" in text and "image: postgres:16.4" in text
