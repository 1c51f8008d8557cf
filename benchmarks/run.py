"""`make bench`: measure training, generation and `/segment customer` latency; write BENCHMARKS.md.

Every figure is the median of several runs made in this one invocation, on this machine.
`--only SECTION` (training, generation, latency, digest, export, dask, propensity, scoring,
orders, lifetime)
measures that section alone and replaces it in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "marketing_campaign.csv"
PYTHON = sys.executable


def machine() -> dict:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def run_once(*args: str) -> dict:
    from benchmarks.child import run_module  # run as a script: importable once main() set the path

    return run_module("benchmarks.once", *args)


def medians(results: list[dict], keys: tuple[str, ...]) -> dict:
    return {key: statistics.median(r[key] for r in results) for key in keys}


def bench_generate(runs: int, rows: int = 1_000_000) -> dict:
    results = [run_once("generate", str(rows), "-") for _ in range(runs)]
    out = {"rows": rows, **medians(results, ("seconds", "peak_rss_mb")), "runs": runs}
    print(f"generate: {out}", file=sys.stderr)
    return out


def write_report(path: Path, facts: dict, sections: list[str]) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` ({' '.join(['python', 'benchmarks/run.py', *sys.argv[1:]])}) "
        f"on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}. Figures are medians of the runs "
        "shown, all made in this one invocation.",
        "",
        "## Machine",
        "",
        f"- CPU: {facts['cpu']}, {facts['cores']} cores, {facts['memory_gib']} GiB memory",
        f"- {facts['os']}, Python {facts['python']}",
    ]
    for section in sections:
        lines += ["", section.strip("\n")]
    path.write_text("\n".join(lines) + "\n")


def generation_section(generation: dict) -> str:
    return "\n".join(
        [
            "## Generating customers (`smartcart generate`)",
            "",
            "| rows | runs | median seconds | median peak RSS (MiB) |",
            "|---|---|---|---|",
            f"| {generation['rows']:,} | {generation['runs']} | {generation['seconds']:.2f} "
            f"| {generation['peak_rss_mb']:.0f} |",
        ]
    )


def replace_section(path: Path, heading: str, section: str) -> None:
    """Put a new section in place of the one starting with heading; the others stay as they are."""
    text = path.read_text()
    if heading not in text:  # a new section goes at the end
        path.write_text(text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n")
        return
    start = text.index(heading)
    following = text.find("\n## ", start + len(heading))
    end = len(text) if following < 0 else following + 1
    path.write_text(text[:start] + section + "\n" + ("\n" if following >= 0 else "") + text[end:])


def training(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.training_bench import bench_training, training_section

    sizes = [int(size) for size in args.training_sizes.split(",") if size]
    study_runs = args.runs if args.study_runs is None else args.study_runs
    load = os.getloadavg()
    return training_section(bench_training(folder, args.runs, study_runs, sizes), load)


def generation(folder: Path, args: argparse.Namespace) -> str:
    return generation_section(bench_generate(args.runs))


def latency(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.latency_bench import bench_latency, latency_section

    return "\n".join(latency_section(*bench_latency(folder, args.runs)))


def digest(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.digest_bench import digest_section

    return digest_section(runs=args.runs)


def export(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.export_bench import export_section

    return export_section(runs=args.runs)


def dask(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.dask_bench import dask_section

    return dask_section()


def propensity(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.propensity_bench import propensity_section

    return propensity_section()


def scoring(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.scoring_bench import scoring_section

    return scoring_section()


def orders(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.orders_bench import orders_section

    return orders_section(runs=args.runs, with_100m=args.with_100m)


def lifetime(folder: Path, args: argparse.Namespace) -> str:
    from benchmarks.lifetime_bench import lifetime_section
    from benchmarks.lifetime_training_bench import training_section

    return lifetime_section(runs=args.runs) + "\n\n" + training_section()


# Each section of BENCHMARKS.md, in order: its heading's start and what measures and writes it.
SECTIONS: dict[str, tuple[str, Callable[[Path, argparse.Namespace], str]]] = {
    "training": ("## Training", training),
    "generation": ("## Generating customers", generation),
    "latency": ("## `/segment customer <id>` over HTTP", latency),
    "digest": ("## Weekly digest", digest),
    "export": ("## Audience export", export),
    "dask": ("## Dask engine", dask),
    "propensity": ("## Response model", propensity),
    "scoring": ("## Scoring and the store", scoring),
    "orders": ("## Orders to customers", orders),
    "lifetime": ("## Lifetime value", lifetime),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--with-100m", action="store_true", help="orders: also 100M order lines (slow)"
    )
    parser.add_argument(
        "--study-runs", type=int, help="runs of the study's approach (default: --runs)"
    )
    parser.add_argument(
        "--training-sizes",
        default="20000,100000,1000000",
        help="generated customers to train on, besides the real data",
    )
    parser.add_argument(
        "--only",
        choices=list(SECTIONS),
        help="measure only this section and replace it in --out; the others stay as they are",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    names = [args.only] if args.only else list(SECTIONS)
    with tempfile.TemporaryDirectory() as tmp:
        built = {name: SECTIONS[name][1](Path(tmp), args) for name in names}
    if args.only:
        replace_section(args.out, SECTIONS[args.only][0], built[args.only])
        print(f"wrote the {args.only} section of {args.out}", file=sys.stderr)
        return
    write_report(args.out, machine(), [built[name] for name in SECTIONS])
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
