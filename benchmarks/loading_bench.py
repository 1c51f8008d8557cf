"""Load + validate customers at 200k and 1M rows (CSV and Parquet): time and peak memory.

    python -m benchmarks.loading_bench [--rows 200000 1000000] [--baseline REF] [--runs 1]

Each measurement runs in a fresh process (its peak RSS is its own). `--baseline REF` measures
the engine of a git commit (e.g. `main`) the same way, from `git archive REF segmentation`, so
before and after sit side by side. `chunks` reads with `iter_validated` (100k rows a chunk).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.child import run_module

REPO = Path(__file__).resolve().parents[1]
CHUNK_ROWS = 100_000


def measure(path: str, mode: str) -> dict:
    """In this process: load and validate `path` whole or in chunks (imports not timed)."""
    from smartcart.engine.data.loading import load_customers
    from smartcart.engine.data.validation import validate

    if mode == "chunks":
        from smartcart.engine.data.validation import iter_validated
    started = time.perf_counter()
    if mode == "chunks":
        parts = iter_validated(path, date(2014, 6, 29), chunk_rows=CHUNK_ROWS)
        used = sum(len(part.customers) for part in parts)
    else:
        used = len(validate(load_customers(path)).customers)
    return {
        "seconds": time.perf_counter() - started,
        "used": used,
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not getrusage: Linux carries ru_maxrss over
    from the parent through fork and exec, so a child would report at least the parent's."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(path: Path, mode: str, engine_root: Path | None) -> dict:
    env = dict(os.environ)
    if engine_root is not None:
        env["PYTHONPATH"] = str(engine_root)
    return run_module(
        "benchmarks.loading_bench", "--measure", path, mode, cwd=engine_root or REPO, env=env
    )


def baseline_engine(ref: str, folder: Path) -> Path:
    """The `segmentation` package of `ref`, unpacked beside a copy of this module."""
    root = folder / "baseline"
    (root / "benchmarks").mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "segmentation"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    (root / "benchmarks" / "__init__.py").write_text("")
    (root / "benchmarks" / "loading_bench.py").write_text(Path(__file__).read_text())
    (root / "benchmarks" / "child.py").write_text((Path(__file__).parent / "child.py").read_text())
    return root


def write_files(rows: int, folder: Path) -> dict[str, Path]:
    from smartcart.engine.data.synthetic import generate_customers, write_customers

    frame = generate_customers(rows, seed=1)
    files = {
        "csv": folder / f"customers-{rows}.csv",
        "parquet": folder / f"customers-{rows}.parquet",
    }
    for path in files.values():
        write_customers(frame, path)
    return files


def median_of(results: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in results) for key in ("seconds", "peak_rss_mb")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--baseline", help="git ref to compare with, e.g. main")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    with tempfile.TemporaryDirectory(prefix="smartcart-loading-") as tmp:
        folder = Path(tmp)
        engines = {"after": None}
        if args.baseline:
            engines = {
                f"before ({args.baseline})": baseline_engine(args.baseline, folder),
                **engines,
            }
        print("| rows | format | engine | mode | seconds | peak RSS (MB) |")
        print("|---:|---|---|---|---:|---:|")
        for rows in args.rows:
            for kind, path in write_files(rows, folder).items():
                for name, root in engines.items():
                    modes = ("whole",) if root is not None else ("whole", "chunks")
                    for mode in modes:
                        result = median_of([run_once(path, mode, root) for _ in range(args.runs)])
                        print(
                            f"| {rows:,} | {kind} | {name} | {mode} | "
                            f"{result['seconds']:.2f} | {result['peak_rss_mb']:.0f} |",
                            flush=True,
                        )


if __name__ == "__main__":
    main()
