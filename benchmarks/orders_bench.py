"""Orders to customers: seconds and peak memory, DuckDB (the engine) against a pandas baseline.

Generates generic order lines once into a temporary folder (Parquet, in parts): about 1M lines
(100k customers) and 10M lines (1M customers); `--with-100m` adds 100M lines (10M customers).
Each timed run is a fresh subprocess, so its peak RSS is its own; the median of `--runs` is
reported. Prints one JSON line.

    python benchmarks/orders_bench.py [--runs 3] [--with-100m] [--data DIR] [--skip-10m]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"1m": 100_000, "10m": 1_000_000, "100m": 10_000_000}  # customers (~10 lines each)


def _importable() -> None:
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))


def pandas_customers(folder: Path):
    """The baseline: the same core figures in pandas, the whole file in memory."""
    import pandas as pd

    lines = pd.read_parquet(folder)
    lines = lines[lines.status != "cancelled"]
    refunded = lines.status == "refunded"
    lines = lines.assign(
        merchandise=lines.amount.where(~refunded, 0.0), gone=lines.amount.where(refunded, 0.0)
    )
    orders = lines.groupby(["customer_id", "order_id"], sort=False).agg(
        at=("ordered_at", "min"), merchandise=("merchandise", "sum"), gone=("gone", "sum")
    )
    orders = orders[orders.merchandise > 0].reset_index()
    as_of = orders["at"].max().normalize()
    recent = orders["at"] > as_of - pd.Timedelta(days=89)
    orders = orders.assign(recent=recent, recent_revenue=orders.merchandise.where(recent, 0.0))
    customers = orders.groupby("customer_id").agg(
        first=("at", "min"),
        last=("at", "max"),
        orders=("at", "size"),
        revenue=("merchandise", "sum"),
        orders_90d=("recent", "sum"),
        revenue_90d=("recent_revenue", "sum"),
    )
    customers["recency_days"] = (as_of - customers["last"].dt.normalize()).dt.days
    customers["tenure_days"] = (as_of - customers["first"].dt.normalize()).dt.days
    customers["average_order_value"] = customers.revenue / customers.orders
    return customers


def child(engine: str, folder: str) -> None:
    """One timed aggregation; prints seconds, peak RSS (MB) and customers as JSON."""
    _importable()
    start = time.perf_counter()
    if engine == "duckdb":
        from smartcart.engine.orders import customers_from_orders

        rows = len(customers_from_orders(folder).frame)
    else:
        rows = len(pandas_customers(Path(folder)))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "customers": rows}))


def timed(engine: str, folder: Path, runs: int) -> dict:
    results = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, __file__, "--child", engine, str(folder)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    return {
        "seconds": round(statistics.median(r["seconds"] for r in results), 2),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results)),
        "customers": results[0]["customers"],
    }


def generate(data: Path, name: str) -> tuple[Path, int, float]:
    _importable()
    import pyarrow.parquet as pq

    from smartcart.engine.orders import write_orders

    folder = data / f"orders_{name}"
    start = time.perf_counter()
    if not folder.exists():
        write_orders(folder, SIZES[name], seed=42, customers_per_part=100_000)
    seconds = time.perf_counter() - start
    lines = sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))
    return folder, lines, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", help="folder for the generated data (kept); default a temp dir")
    parser.add_argument("--with-100m", action="store_true", help="also 100M lines (slow)")
    parser.add_argument("--skip-10m", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="orders-bench-") as scratch:
        data = Path(args.data or scratch)
        data.mkdir(parents=True, exist_ok=True)
        names = ["1m"] + ([] if args.skip_10m else ["10m"]) + (["100m"] if args.with_100m else [])
        figures: dict = {"bench": "orders", "runs": args.runs}
        for name in names:
            folder, lines, made = generate(data, name)
            runs = args.runs if name != "100m" else 1
            entry = {"lines": lines, "generate_seconds": round(made, 1)}
            entry["duckdb"] = timed("duckdb", folder, runs)
            if name == "1m":
                entry["pandas"] = timed("pandas", folder, runs)
            figures[name] = entry
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
