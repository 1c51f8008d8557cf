"""Lifetime value inside a training: a generated order history of N customers, end to end.

Generates the order lines of N realistic customers (`smartcart generate --orders`'s generator,
Parquet parts of 100,000 customers), then, each in a fresh process:

- the lifetime model alone on that history: reading the counted orders (`load_order_totals`),
  the summary (same-day orders merged), the fit (BG/NBD + Gamma-Gamma, weighted by identical
  summaries; the one-time buyers' return curve) and the predictions for every customer over
  365 days (`lifetime_columns`): targets fit <= 10 s and predictions <= 5 s at 1M;
- `smartcart train --data FOLDER --json` as a user types it (segments, response model,
  lifetime model, every customer stored with their lifetime columns, publishing): wall
  seconds, peak RSS, and whether `lifetime_model` came back.

    python benchmarks/lifetime_training_bench.py                  # 1,000,000 customers
    python benchmarks/lifetime_training_bench.py --customers 50000

Prints one JSON line; `benchmarks/run.py --only lifetime` adds `training_section()` to the
"Lifetime value" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMARTCART = Path(sys.executable).parent / "smartcart"


def _importable() -> None:
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))


def fit_child(folder: str) -> None:
    """The lifetime model alone on the history: seconds per step, peak RSS, the fit's figures."""
    _importable()
    from smartcart.engine.data.order_input import load_order_totals
    from smartcart.engine.lifetime import (
        HORIZON_DAYS,
        fit_lifetime_model,
        summarise_orders,
    )

    seconds = {}
    started = time.perf_counter()
    orders = load_order_totals(folder)
    seconds["load"] = time.perf_counter() - started
    started = time.perf_counter()
    summary = summarise_orders(orders, None, "day")
    seconds["summary"] = time.perf_counter() - started
    started = time.perf_counter()
    model = fit_lifetime_model(summary, "day")
    seconds["fit"] = time.perf_counter() - started
    started = time.perf_counter()
    predicted = model.predict(summary, horizon_days=HORIZON_DAYS)
    seconds["predict"] = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": {k: round(v, 2) for k, v in seconds.items()},
                "customers": int(len(summary)),
                "orders": int(len(orders)),
                "high_risk_share": round(float((predicted["churn_risk"] == "high").mean()), 3),
                "peak_rss_mb": round(peak),
            }
        )
    )


def train_child(folder: Path, work: Path) -> dict:
    """`smartcart train --data FOLDER --json` in a fresh process: wall seconds, peak RSS."""
    env = {
        **os.environ,
        "SMARTCART_DATABASE_URL": f"sqlite:///{work / 'smartcart.db'}",
        "SMARTCART_MODEL_DIR": str(work / "models"),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(SMARTCART), "train", "--data", str(folder), "--json"],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1:] or ["?"]}
    summary = json.loads(done.stdout)
    lifetime = summary.get("lifetime_model") or {}
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "customers": summary["rows"]["used"],
        "lifetime_customers": lifetime.get("customers"),
        "lifetime_note": summary.get("lifetime_note"),
    }


def measure(customers: int) -> dict:
    _importable()
    from smartcart.engine.orders import write_orders

    with tempfile.TemporaryDirectory(prefix="lifetime-train-") as tmp:
        folder, work = Path(tmp) / "orders", Path(tmp) / "work"
        work.mkdir()
        started = time.perf_counter()
        write_orders(folder, customers, seed=42, customers_per_part=100_000)
        generated = time.perf_counter() - started
        fit = subprocess.run(
            [sys.executable, __file__, "--fit-child", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return {
            "benchmark": "lifetime_training",
            "customers": customers,
            "generate_seconds": round(generated, 1),
            "lifetime": json.loads(fit.strip().splitlines()[-1]),
            "train": train_child(folder, work),
        }


def training_section(customers: int = 1_000_000) -> str:
    """The part of BENCHMARKS.md's "Lifetime value" section about a training on orders."""
    from benchmarks.child import run_module

    r = run_module("benchmarks.lifetime_training_bench", "--customers", customers)
    print(f"lifetime training: {r}", file=sys.stderr)
    life, train = r["lifetime"], r["train"]
    load = os.getloadavg()
    train_cell = (
        f"failed: {train['failed']}"
        if "failed" in train
        else f"{train['seconds']:.0f} s, peak {train['peak_rss_mb']:,} MiB, lifetime model on "
        f"{train['lifetime_customers']:,} customers"
    )
    s = life["seconds"]
    return "\n".join(
        [
            "### A generated order history: the lifetime model alone, and `smartcart train`",
            "",
            "`benchmarks/lifetime_training_bench.py`: the order lines of "
            f"{r['customers']:,} generated customers (`smartcart generate --orders`; "
            f"{life['orders']:,} counted orders, generated in {r['generate_seconds']:.0f} s), "
            "then in fresh processes the lifetime model alone on them, and the whole "
            "`smartcart train --data FOLDER --json` (segments, response model, lifetime "
            "model, every customer stored with their lifetime columns on SQLite, publishing).",
            "",
            "| customers | load s | summary s | fit s | predict s | peak RSS (MiB) | "
            "high risk | smartcart train |",
            "|---|---|---|---|---|---|---|---|",
            f"| {life['customers']:,} | {s['load']:.1f} | {s['summary']:.1f} | {s['fit']:.2f} "
            f"| {s['predict']:.2f} | {life['peak_rss_mb']:,} | {life['high_risk_share']:.0%} "
            f"| {train_cell} |",
            "",
            f"Load average when measured (1, 5, 15 min): {load[0]:.1f}, {load[1]:.1f}, "
            f"{load[2]:.1f} on {os.cpu_count()} cores.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--fit-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fit_child:
        fit_child(args.fit_child)
        return
    print(json.dumps(measure(args.customers)))


if __name__ == "__main__":
    main()
