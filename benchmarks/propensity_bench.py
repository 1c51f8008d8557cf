"""What the response model adds to training: `propensity_section()` for `make bench`.

For N generated customers (Parquet in a temporary folder), a fresh process loads and validates
them, then times the response model's part of training: `fit_response_model` (5-fold CV of both
candidates and the calibrated fit, on at most propensity.FIT_ROWS customers) and the propensity
of every customer (what `smartcart train` stores with the segments). Memory is the process's
peak RSS after that work minus its peak before it (loading and validating are not counted).

    python -m benchmarks.propensity_bench 20000     # prints one JSON line
    python -m benchmarks.propensity_bench section   # the BENCHMARKS.md section, 20k and 1M
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.child import run_module

REPO = Path(__file__).resolve().parents[1]
SIZES = (20_000, 1_000_000)
MEDIAN_KEYS = ("fit_seconds", "score_seconds", "added_peak_rss_mb")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(source: str) -> dict:
    """In this process: load, validate, then time the response model's fit and scoring."""
    from smartcart.engine.data.loading import load_customers
    from smartcart.engine.data.validation import validate
    from smartcart.engine.model.propensity import fit_response_model

    data = validate(load_customers(source))
    before = peak_rss_mb()
    started = time.perf_counter()
    model, _ = fit_response_model(data.customers, data.as_of)
    fitted = time.perf_counter()
    model.predict(data.customers)
    scored = time.perf_counter()
    return {
        "rows": len(data.customers),
        "fit_rows": model.rows,
        "fit_seconds": fitted - started,
        "score_seconds": scored - fitted,
        "added_peak_rss_mb": max(0.0, peak_rss_mb() - before),
        "auc": model.metrics["auc"],
        "estimator": model.estimator,
    }


def bench_propensity(rows: int, runs: int = 1, seed: int = 1) -> dict:
    """Medians of `runs` fresh-process measurements over `rows` generated customers."""
    from smartcart.engine.data.synthetic import generate_customers, write_customers

    with tempfile.TemporaryDirectory(prefix="smartcart-propensity-bench-") as folder:
        data = Path(folder) / "customers.parquet"
        write_customers(generate_customers(rows, seed=seed), data)
        results = [_run(str(data)) for _ in range(runs)]
    out = {key: statistics.median(r[key] for r in results) for key in MEDIAN_KEYS}
    first = results[0]
    return {
        **out,
        "rows": first["rows"],
        "fit_rows": first["fit_rows"],
        "auc": first["auc"],
        "estimator": first["estimator"],
        "runs": runs,
    }


def _run(source: str) -> dict:
    return run_module("benchmarks.propensity_bench", source)


def propensity_section(sizes: tuple[int, ...] = SIZES, runs: int = 1) -> str:
    """The BENCHMARKS.md section (Markdown), measured now."""
    results = []
    for rows in sizes:
        results.append(bench_propensity(rows, runs=runs))
        print(f"response model at {rows:,} customers: {results[-1]}", file=sys.stderr)
    return section_markdown(results)


def section_markdown(results: list[dict]) -> str:
    lines = [
        "## Response model (what it adds to `smartcart train`)",
        "",
        "In a fresh process after loading and validating generated customers: the response "
        "model's 5-fold CV of both candidates plus the calibrated fit (on a random sample of at "
        "most 20,000 customers), then the propensity of every customer. Added peak RSS: the "
        "process's peak after that work minus its peak before it.",
        "",
        "| customers | fitted on | runs | fit (s) | propensity of all (s) | added peak RSS (MiB) "
        "| chosen | CV AUC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['fit_rows']:,} | {r['runs']} | {r['fit_seconds']:.1f} "
            f"| {r['score_seconds']:.1f} | {r['added_peak_rss_mb']:,.0f} | {r['estimator']} "
            f"| {r['auc']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    argument = sys.argv[1]
    if argument == "section":
        print(propensity_section())
    elif argument.isdigit():
        print(json.dumps(bench_propensity(int(argument))))
    else:
        print(json.dumps(measure(argument)))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
