"""Does the lock file still cover pyproject.toml? Run by `make install` after the lock is in.

    python tools/check_lock.py requirements-dev.lock [--extra dev] [--constraints FILE]

- every dependency pyproject.toml declares (and the extras named) should be pinned in the lock;
  one that is not is reported as a warning: the install goes on and pip picks its version, until
  someone runs `make lock` and commits the lock files;
- a pin outside pyproject's range (pyproject raised a bound, the lock was not re-made) is an
  error, exit 1, naming the package: pip could not install both anyway;
- `--constraints FILE` writes the pins without their hashes, for `pip install -e . -c FILE`
  (pip turns hash checking on for a constraints file with hashes, and an editable install has
  no hash).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def locked_versions(lock: Path) -> dict[str, str]:
    """`{canonical name: version}` of every `name==version` line of a pip-compile lock."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line.strip()):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def declared(pyproject: Path, extras: list[str]) -> list[Requirement]:
    """pyproject's dependencies (and those of the extras) that apply to this platform."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    lines = list(project.get("dependencies", []))
    for extra in extras:
        lines += project.get("optional-dependencies", {}).get(extra, [])
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


def problems(requirements: list[Requirement], pins: dict[str, str]) -> tuple[list[str], list[str]]:
    """(missing from the lock, pinned outside pyproject's range)."""
    missing, conflicting = [], []
    for requirement in requirements:
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            missing.append(str(requirement))
        elif not requirement.specifier.contains(version, prereleases=True):
            conflicting.append(
                f"{requirement.name}=={version} (pyproject.toml wants {requirement})"
            )
    return missing, conflicting


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("--extra", action="append", default=[])
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--constraints", type=Path, help="write the pins, without hashes, here")
    args = parser.parse_args(argv)
    pins = locked_versions(args.lock)
    if args.constraints:
        args.constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    missing, conflicting = problems(declared(args.pyproject, args.extra), pins)
    if missing:
        print(
            f"warning: {args.lock} lacks {', '.join(missing)} (declared in {args.pyproject}): "
            "installing unpinned; run `make lock` and commit the lock files",
            file=sys.stderr,
        )
    if conflicting:
        print(
            f"error: {args.lock} is out of date: {'; '.join(conflicting)}; run `make lock`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
