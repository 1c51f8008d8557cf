"""The cost of an audience export with contacts: `export_section()` for `make bench`.

For N audience rows with one contact each (a US national phone, a mixed-case email, one in ten
opted out), it times `export_audience` per format: the contacts join, consent, parsing and
validating every phone (phonenumbers) and email (email-validator), hashing, writing the CSV.
That per-row parsing is the cost: the time grows linearly with the audience.

    python -m benchmarks.export_bench 100000     # prints one JSON line
    python -m benchmarks.export_bench section    # the BENCHMARKS.md section
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np
import pandas as pd

from smartcart.engine.marketing.audiences import ExportOptions, export_audience
from smartcart.engine.marketing.contacts import Contacts

SIZES = (10_000, 100_000)
FORMATS = ("csv", "meta", "google")


def audience_and_contacts(rows: int) -> tuple[pd.DataFrame, Contacts]:
    ids = np.arange(1, rows + 1)
    audience = pd.DataFrame(
        {
            "customer_id": ids,
            "persona": "premium",
            "confidence": 0.8,
            "Income": 60_000.0,
            "Kidhome": 0,
            "Teenhome": 1,
            "Recency": 30,
            "Education": "Graduation",
            "Marital_Status": "Married",
            "total_spending": 900,
            "segment": "High-Value Premium Customers",
        }
    )
    contacts = pd.DataFrame(
        {
            "email": [f" Customer.{i}@Example.com " for i in ids],
            "phone": [f"(212) 555-{i % 10000:04d}" for i in ids],
            "opted_out": ids % 10 == 0,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    return audience, Contacts(contacts, "generated")


def bench_export(rows: int, runs: int = 1) -> dict:
    """Median seconds per format of exporting `rows` audience rows with contacts."""
    audience, contacts = audience_and_contacts(rows)
    result: dict = {"rows": rows, "runs": runs}
    for fmt in FORMATS:
        options = ExportOptions(fmt, default_country="US")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            made = export_audience(audience, options, contacts, "High-Value Premium Customers")
            times.append(time.perf_counter() - start)
        result[fmt] = round(statistics.median(times), 2)
        result["exported"] = made.rows
    return result


def export_section(sizes: tuple[int, ...] = SIZES, runs: int = 1) -> str:
    """The BENCHMARKS.md section (Markdown): median seconds per size and format."""
    lines = [
        "## Audience export with contacts",
        "",
        "`export_audience` over N audience rows, each with an email and a US national phone, one "
        "in ten opted out: join, consent, phonenumbers parse and validation, email-validator "
        "syntax check, SHA-256 (meta, google), CSV. Seconds, median of the runs.",
        "",
        "| rows | runs | exported | " + " | ".join(FORMATS) + " |",
        "|---|---|---|" + "---|" * len(FORMATS),
    ]
    for rows in sizes:
        r = bench_export(rows, runs)
        print(f"export at {rows:,} rows: {r}", file=sys.stderr)
        times = " | ".join(f"{r[fmt]:.1f}" for fmt in FORMATS)
        lines.append(f"| {rows:,} | {r['runs']} | {r['exported']:,} | {times} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    task = sys.argv[1] if len(sys.argv) > 1 else "section"
    if task == "section":
        print(export_section())
    else:
        print(json.dumps(bench_export(int(task))))
