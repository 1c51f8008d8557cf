"""The Dask engine against the local one on generated customers in partitioned Parquet.

`python -m benchmarks.dask_bench [ROWS]` prints the Markdown section; `make bench` includes it.
Each run is a fresh process (`python -m benchmarks.dask_bench run ...`), so its peak memory is
its own; the Dask cluster runs inside it (threads), so its memory is counted too.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.child import run_module

REPO = Path(__file__).resolve().parents[1]
ROWS = 200_000
FILES = 8


def write_dataset(folder: Path, rows: int) -> Path:
    import numpy as np
    import pandas as pd

    from smartcart.engine.data.synthetic.generate import generate_customers

    frame = generate_customers(rows, seed=9)
    frame["Dt_Customer"] = pd.to_datetime(frame["Dt_Customer"], format="%d-%m-%Y")
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, rows, FILES + 1).astype(int)
    for number, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        frame.iloc[start:end].to_parquet(folder / f"customers-{number}.parquet", index=False)
    return folder


def run(task: str, engine: str, data: str, model_dir: str, out: str) -> dict:
    """One measured piece of work; the model of `score` is the live one in model_dir."""
    from smartcart.engine.data.loading import load_customers
    from smartcart.engine.data.validation import validate
    from smartcart.engine.model.artifact import load_live_model, make_live
    from smartcart.engine.scoring.dask_engine import dask_client, score_dataset
    from smartcart.engine.scoring.scoring import score
    from smartcart.engine.training import TrainingOptions, train
    from smartcart.engine.training_dask import train_dataset

    started = time.perf_counter()
    if task == "train":
        options = TrainingOptions(algorithm="kmeans")
        if engine == "dask":
            with dask_client(None) as client:
                result = train_dataset(client, data, Path(model_dir), options)
        else:
            result = train(data, Path(model_dir), options)
        make_live(Path(model_dir), result.model.version)
        sizes = {s["persona"]: s["size"] for s in result.model.segments}
    else:
        model = load_live_model(Path(model_dir))
        if engine == "dask":
            with dask_client(None) as client:
                sizes = score_dataset(client, model, data, out).personas
        else:
            scores = score(model, validate(load_customers(data), model.as_of).customers)
            sizes = scores["persona"].value_counts().to_dict()
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sizes": sizes,
    }


def measure(task: str, engine: str, data: Path, model_dir: Path, out: Path) -> dict:
    result = run_module("benchmarks.dask_bench", "run", task, engine, data, model_dir, out)
    print(f"dask bench {task} {engine}: {result}", file=sys.stderr)
    return result


def dask_section(rows: int = ROWS) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = write_dataset(folder / "customers", rows)
        results = {
            ("train", engine): measure("train", engine, data, folder / f"models-{engine}", folder)
            for engine in ("local", "dask")
        }
        for engine in ("local", "dask"):  # both with the local engine's model
            model_dir = folder / "models-local"
            results["score", engine] = measure("score", engine, data, model_dir, folder / engine)
        if results["score", "local"]["sizes"] != results["score", "dask"]["sizes"]:
            raise RuntimeError("the engines scored the same data differently")
    return section(rows, results)


def section(rows: int, results: dict) -> str:
    local, dask = results["train", "local"]["sizes"], results["train", "dask"]["sizes"]
    worst = max(abs(dask.get(p, 0) - n) / n for p, n in local.items())
    lines = [
        f"## Dask engine against the local one ({rows:,} generated customers, {FILES} Parquet files)",
        "",
        "`--engine dask` on a cluster inside the measured process (threads, no --scheduler), "
        "K-Means (`--algorithm kmeans`, 20 refits). Both engines score with the local model; their "
        "totals are checked to be identical.",
        "",
        "| work | engine | seconds | peak RSS (MiB) |",
        "|---|---|---|---|",
        *[
            f"| {task} | {engine} | {r['seconds']:.1f} | {r['peak_rss_mb']:.0f} |"
            for (task, engine), r in results.items()
        ],
        "",
        "| persona | local size | dask size | difference |",
        "|---|---|---|---|",
        *[
            f"| {p} | {n:,} | {dask.get(p, 0):,} | {(dask.get(p, 0) - n) / n:+.2%} |"
            for p, n in local.items()
        ],
        "",
        f"Target: the same personas with the same sizes within 1%: "
        f"{'met' if set(dask) == set(local) and worst <= 0.01 else 'missed'} "
        f"(largest difference {worst:.2%}).",
        "On one machine the local engine is the faster one: Dask pays for its scheduler and for "
        "moving partitions between tasks, and earns it back only when the data outgrows one "
        "machine's memory or more machines join the cluster.",
    ]
    return "\n".join(lines)


def main() -> None:
    sys.path.insert(0, str(REPO))
    if sys.argv[1:2] == ["run"]:
        print(json.dumps(run(*sys.argv[2:7])))
        return
    print(dask_section(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS))


if __name__ == "__main__":
    main()
