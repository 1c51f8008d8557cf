"""One measured piece of work in a fresh process, so its peak memory is its own.

`python -m benchmarks.once train FILE MODEL_DIR`, `study FILE` (the study's one-hot + scaling + PCA
+ Ward, benchmarks/study.py) or `generate ROWS OUT`; prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train(source: str, model_dir: str) -> dict:
    from smartcart.engine.training import TrainingOptions, train

    started = time.perf_counter()
    result = train(source, Path(model_dir), TrainingOptions())
    seconds = time.perf_counter() - started
    card = result.model.card
    return {
        "seconds": seconds,
        "algorithm": card.algorithm,
        "k": card.k,
        "stability_ari": card.metrics.stability_ari,
    }


def study(source: str) -> dict:
    from benchmarks.study import study_segments

    started = time.perf_counter()
    labels = study_segments(source)
    return {"seconds": time.perf_counter() - started, "rows": len(labels)}


def generate(rows: str, out: str) -> dict:
    from smartcart.engine.data.synthetic.generate import generate_customers

    started = time.perf_counter()
    frame = generate_customers(int(rows), seed=1)
    seconds = time.perf_counter() - started
    if out != "-":
        frame.to_parquet(out)
    return {"seconds": seconds, "rows": len(frame)}


def main() -> None:
    task, *args = sys.argv[1:]
    result = {"train": train, "study": study, "generate": generate}[task](*args)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
