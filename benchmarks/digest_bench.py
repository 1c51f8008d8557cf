"""The digest's cost at scale: `bench_digest(rows)` for `make bench` (benchmarks/run.py).

For N generated customers (Parquet in a temporary folder) and a model trained once on a
5,000-customer sample, it stores the previous period's snapshot (another draw of the same ids,
so customers move between personas), then times one dry-run digest in a fresh process: load and
validate, score, snapshot, compare with the stored one (migration table over every customer,
PSI of every feature), render the template and draw the chart. Peak RSS is that process's own.

    python -m benchmarks.digest_bench 100000      # prints one JSON line
    python -m benchmarks.digest_bench section     # the BENCHMARKS.md section, 100k and 1M

`digest_section()` is what `benchmarks/run.py` adds to BENCHMARKS.md.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.child import run_module

REPO = Path(__file__).resolve().parents[1]
TRAINING_SAMPLE = 5000
CRON, ZONE = "0 9 * * mon", "UTC"
PREVIOUS = datetime(2024, 4, 1, 10, tzinfo=UTC)  # week 14; the timed digest is week 15
CURRENT = datetime(2024, 4, 8, 10, tzinfo=UTC)
SIZES = (100_000, 1_000_000)
MEDIAN_KEYS = ("seconds", "peak_rss_mb", "snapshot_and_compare_seconds", "render_and_chart_seconds")


def bench_digest(rows: int, seed: int = 1, runs: int = 1) -> dict:
    """Seconds and peak RSS (MB) of a dry-run digest over `rows` customers (medians of `runs`)."""
    from smartcart.engine.data.synthetic import generate_customers, write_customers

    with tempfile.TemporaryDirectory(prefix="smartcart-digest-bench-") as folder:
        root = Path(folder)
        current, previous = root / "customers.parquet", root / "previous.parquet"
        customers = generate_customers(rows, seed=seed)
        write_customers(customers, current)
        write_customers(customers.head(TRAINING_SAMPLE), root / "sample.parquet")
        del customers
        write_customers(generate_customers(rows, seed=seed + 1), previous)
        model_dir = train_sample(root / "sample.parquet", root / "models")
        database = f"sqlite:///{root / 'store.db'}"
        stored = in_child("store", previous, model_dir, database)
        timings = [
            in_child("dry-run", current, model_dir, database, root / "chart.png")
            for _ in range(runs)
        ]
    timed = {key: statistics.median(t[key] for t in timings) for key in MEDIAN_KEYS}
    timed["customers"], timed["moved"] = timings[0]["customers"], timings[0]["moved"]
    return {
        "runs": runs,
        "rows": rows,
        "seconds": timed["seconds"],
        "peak_rss_mb": timed["peak_rss_mb"],
        "snapshot_and_compare_seconds": timed["snapshot_and_compare_seconds"],
        "render_and_chart_seconds": timed["render_and_chart_seconds"],
        "customers_scored": timed["customers"],
        "moved": timed["moved"],
        "previous_snapshot_stored_seconds": stored["seconds"],
    }


def digest_section(sizes: tuple[int, ...] = SIZES, runs: int = 1) -> str:
    """The BENCHMARKS.md section (Markdown): medians of `runs` dry-run digests per size."""
    lines = [
        "## Weekly digest (dry run)",
        "",
        "One `smartcart digest --dry-run` worth of work in a fresh process: load and validate the "
        "Parquet export, score, snapshot, compare with the previous period's stored snapshot "
        "(migration table over every customer, PSI of every feature), render the template and "
        "draw the chart. Model trained once on a 5,000-customer sample; SQLite store.",
        "",
        "| customers | runs | digest (s) | of which snapshot + compare | render + chart | peak RSS (MB) "
        "| moved | storing the previous snapshot (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    results = {}
    for rows in sizes:
        r = results[rows] = bench_digest(rows, runs=runs)
        print(f"digest at {rows:,} customers: {r}", file=sys.stderr)
        lines.append(
            f"| {rows:,} | {r['runs']} | {r['seconds']:.1f} | {r['snapshot_and_compare_seconds']:.1f} "
            f"| {r['render_and_chart_seconds']:.2f} | {r['peak_rss_mb']:,.0f} | {r['moved']:,} "
            f"| {r['previous_snapshot_stored_seconds']:.1f} |"
        )
    lines += ["", target_remark(results.get(1_000_000))]
    return "\n".join(lines) + "\n"


def target_remark(million: dict | None) -> str:
    target = "Target at 1,000,000 customers: 20 s and 1.5 GB (before issue 9: 36 s, 2.2 GB)"
    if million is None:
        return f"{target}; not measured in this run."
    seconds, peak = million["seconds"], million["peak_rss_mb"]
    met = seconds <= 20 and peak <= 1536
    return f"{target}: {seconds:.1f} s and {peak:,.0f} MB, {'met' if met else 'missed'}."


def train_sample(sample: Path, model_dir: Path) -> Path:
    from smartcart.engine.training import TrainingOptions, publish, train

    result = train(sample, model_dir, TrainingOptions(algorithm="kmeans", refits=5))
    publish(result, model_dir)
    return model_dir


def in_child(task: str, *args: object) -> dict:
    return run_module("benchmarks.digest_bench", task, *args)


def open_engine(model_dir: str, database: str):
    from smartcart.engine.model.artifact import load_live_model
    from smartcart.engine.store.store import Store

    store = Store(database)
    store.migrate()
    return store, load_live_model(Path(model_dir))


def store_previous(data: str, model_dir: str, database: str) -> dict:
    from smartcart.engine.history.comparison import prepare_digest
    from smartcart.engine.history.periods import period_at

    store, model = open_engine(model_dir, database)
    started = time.perf_counter()
    prepare_digest(store, model, period_at(CRON, ZONE, PREVIOUS), data, save=True)
    return {"seconds": time.perf_counter() - started}


def dry_run(data: str, model_dir: str, database: str, chart: str) -> dict:
    from smartcart.engine.history.comparison import prepare_digest
    from smartcart.engine.history.periods import period_at
    from smartcart.engine.reports.templating import Templates
    from smartcart.slack.digest.message import render_digest

    store, model = open_engine(model_dir, database)
    started = time.perf_counter()
    period = period_at(CRON, ZONE, CURRENT)
    comparison = prepare_digest(store, model, period, data, save=False)
    compared = time.perf_counter()
    render_digest(comparison, period, Templates(), Path(chart))
    finished = time.perf_counter()
    return {
        "seconds": finished - started,
        "snapshot_and_compare_seconds": compared - started,
        "render_and_chart_seconds": finished - compared,
        "customers": comparison.current.customers,
        "moved": comparison.moved,
    }


def main() -> None:
    task, *args = sys.argv[1:]
    if task == "section":
        print(digest_section())
        return
    if task.isdigit():
        print(json.dumps(bench_digest(int(task))))
        return
    result = {"store": store_previous, "dry-run": dry_run}[task](*args)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
