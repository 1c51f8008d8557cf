"""Writing synthetic customers as the published file is written (tab-separated CSV) or as
Parquet, block by block so a progress bar can follow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from smartcart.engine.data.synthetic.calibration import DATE_FORMAT

WRITE_BLOCK_ROWS = 100_000


def write_customers(
    df: pd.DataFrame, out: Path, on_rows: Callable[[int], None] | None = None
) -> None:
    """Write customers as .csv (tab-separated, dd-mm-yyyy dates, like the published file)
    or .parquet, chosen by the suffix of `out`; `on_rows(n)` hears of each block of rows
    written (a progress bar)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(
            f"cannot write customers to {out}: unsupported suffix {suffix!r}, "
            "use .csv (tab-separated) or .parquet"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        _write_parquet(df, out, on_rows or (lambda _: None))
        return
    out.unlink(missing_ok=True)
    for start in range(0, max(len(df), 1), WRITE_BLOCK_ROWS):
        block = df.iloc[start : start + WRITE_BLOCK_ROWS]
        # %.15g writes whole incomes as 58138 (not 58138.0), as in the published file.
        block.to_csv(
            out,
            mode="a",
            header=start == 0,
            sep="\t",
            index=False,
            date_format=DATE_FORMAT,
            float_format="%.15g",
        )
        if on_rows is not None:
            on_rows(len(block))


def _write_parquet(df: pd.DataFrame, out: Path, on_rows: Callable[[int], None]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    with pq.ParquetWriter(out, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=WRITE_BLOCK_ROWS):
            writer.write_batch(batch)
            on_rows(batch.num_rows)
