"""Scoring and training on a Dask cluster, for data sets beyond one machine.

A data set is a folder or a glob of Parquet files; each file is one partition. A partition goes
through the same validation and the same scoring as the local engine (`check_partition`,
`assign_scores`), so there is no second implementation of either; only what spans partitions is
done here: a customer ID repeated in a later file is quarantined (the first one is kept, as in a
single file), totals are summed, and the final K-Means is fitted on all rows with dask-ml (see _fit_kmeans).

dask, distributed and dask-ml are an optional extra (`pip install 'smartcart-segments[dask]'`);
this module imports them only inside its functions.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from segmentation import modeling, schema
from segmentation.errors import DataError, SegmentationError
from segmentation.features import PROFILE_FEATURES, build_preprocessor, cluster_inputs
from segmentation.features import derive_features as features_of
from segmentation.loading import RawData, _as_text, dataset_files, dataset_sha256
from segmentation.model import SegmentModel, save_model
from segmentation.modeling import Progress, SegmentClusterer, _quiet
from segmentation.personas import name_segments
from segmentation.reports import drift_reference, preferred_channel, top_categories
from segmentation.scoring import score
from segmentation.validation import ValidatedData, validate

DASK_MISSING = (
    "the dask engine needs dask, distributed and dask-ml: "
    "pip install 'smartcart-segments[dask]' (or `make install`, which includes them)"
)
# Rows brought to this machine to choose the model (the selection itself evaluates at most
# modeling.EVALUATION_ROWS of them) and to fit imputation, scaling and the drift deciles.
SAMPLE_ROWS = 100_000
CONNECT_TIMEOUT = "10s"
# dask-ml stops when the centres move less than this (squared); its default, 1e-4, stops before
# scikit-learn does, and the segment sizes then differ by up to 1.5% on generated customers.
KMEANS_TOL = 1e-8
QUARANTINE_FILE = "_quarantine.csv"  # Parquet readers skip files starting with "_"
SCORE_COLUMNS = ["customer_id", "cluster", "persona", "segment", "confidence"]


class EngineError(SegmentationError):
    """The Dask engine cannot run (not installed, scheduler unreachable)."""


def require_dask() -> None:
    """One clear line when the optional dask extra is not installed."""
    try:
        import dask.dataframe  # noqa: F401
        import dask_ml.cluster  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise EngineError(DASK_MISSING) from None


@contextmanager
def dask_client(address: str | None = None) -> Iterator[object]:
    """A client of the scheduler at `address`, or of a cluster in this process when None."""
    require_dask()
    from distributed import Client, LocalCluster

    if not logging.getLogger().isEnabledFor(logging.INFO):  # its INFO lines only with -v
        logging.getLogger("distributed").setLevel(logging.WARNING)

    if address is None:
        with (
            LocalCluster(processes=False, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise EngineError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        yield client


# ---- One partition: the local engine's functions ----------------------------------------------


def check_partition(frame: pd.DataFrame, source: str, as_of: date | None) -> ValidatedData:
    """The local validation of one partition (a Parquet file)."""
    return validate(RawData(_as_text(frame), source, "", "parquet"), as_of)


def assign_scores(model: SegmentModel, customers: pd.DataFrame) -> pd.DataFrame:
    """THE scoring of validated customers: SCORE_COLUMNS, one row per customer, same order."""
    return score(model, customers)[SCORE_COLUMNS]


@dataclass
class Partition:
    """A partition after validation (and scoring), kept on the cluster."""

    number: int
    source: str
    read: int
    customers: pd.DataFrame
    quarantine: pd.DataFrame  # columns: source, line, ID, reason
    scores: pd.DataFrame | None = None
    as_of: date | None = None  # the one validated against (None when no row was valid)


def _validated(frame: pd.DataFrame, number: int, source: str, as_of: date | None) -> Partition:
    try:
        data = check_partition(frame, source, as_of)
    except DataError as error:  # every row of this file failed: quarantine them all
        if frame.empty or schema.ID not in frame.columns:
            raise
        reasons = pd.DataFrame({"line": np.arange(len(frame)) + 2, "ID": frame[schema.ID]})
        reasons["reason"] = str(error).split("(line 2: ")[-1].rstrip(")")
        return Partition(number, source, len(frame), frame.iloc[:0], _sourced(reasons, source))
    quarantine = _sourced(data.quarantine, source)
    return Partition(
        number, source, data.rows["read"], data.customers, quarantine, None, data.as_of
    )


def _sourced(quarantine: pd.DataFrame, source: str) -> pd.DataFrame:
    out = quarantine.copy()
    out.insert(0, "source", source)
    out["line"] = out["line"].astype("Int64")
    out["ID"] = out["ID"].astype(str)
    return out


def _scored(frame: pd.DataFrame, number: int, source: str, model: SegmentModel) -> Partition:
    part = _validated(frame, number, source, model.as_of)
    part.scores = assign_scores(model, part.customers) if len(part.customers) else None
    return part


# ---- Across partitions ------------------------------------------------------------------------


def _ids_of(part: Partition) -> pd.DataFrame:
    ids = part.customers[schema.ID].to_numpy(dtype="int64")
    return pd.DataFrame({"id": ids, "partition": np.full(len(ids), part.number, dtype="int64")})


def repeated_ids(client, parts: list) -> dict[int, int]:
    """ID -> first partition, for the IDs found in more than one partition (computed on the cluster)."""
    import dask.dataframe as dd
    from dask import delayed

    meta = pd.DataFrame({"id": pd.Series(dtype="int64"), "partition": pd.Series(dtype="int64")})
    ids = dd.from_delayed([delayed(_ids_of)(p) for p in parts], meta=meta, verify_meta=False)
    spread = ids.groupby("id")["partition"].agg(["min", "count"])
    repeated = client.compute(spread[spread["count"] > 1]).result()
    return {int(i): int(first) for i, first in repeated["min"].items()}


def _without_repeats(part: Partition, repeats: dict[int, int], sources: list[str]) -> Partition:
    """Quarantine the customers whose ID was already used in an earlier partition."""
    if not repeats or part.customers.empty:
        return part
    ids = part.customers[schema.ID]
    first = ids.map(repeats)
    later = (first < part.number).to_numpy()
    if not later.any():
        return part
    moved = pd.DataFrame(
        {
            "source": part.source,
            "line": pd.array([pd.NA] * int(later.sum()), dtype="Int64"),  # not kept
            "ID": ids[later].astype(str).to_numpy(),
            "reason": [
                f"ID {i} appears again (first in {sources[int(f)]})"
                for i, f in zip(ids[later], first[later], strict=True)
            ],
        }
    )
    kept = part.customers.loc[~later].reset_index(drop=True)
    scores = None if part.scores is None else part.scores.loc[~later].reset_index(drop=True)
    quarantine = pd.concat([part.quarantine, moved], ignore_index=True)
    return Partition(part.number, part.source, part.read, kept, quarantine, scores, part.as_of)


def _raw_partitions(files: list[str]) -> tuple[list, list[str]]:
    """Delayed pandas frames, one per file, read through dask.dataframe."""
    import dask.dataframe as dd

    frames = dd.read_parquet(files, split_row_groups=False).to_delayed()
    if len(frames) != len(files):  # Dask split or merged files: name partitions, not files
        return frames, [f"{files[0]} (partition {i})" for i in range(len(frames))]
    return frames, files


# ---- Scoring ----------------------------------------------------------------------------------


@dataclass
class ScoreSummary:
    """What `score --json` prints, for either engine."""

    model_version: str
    rows: dict[str, int]
    personas: dict[str, int]
    out: str | None = None
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)

    def as_dict(self) -> dict:
        return {"model_version": self.model_version, "rows": self.rows, "personas": self.personas}


def persona_totals(counts: pd.Series) -> dict[str, int]:
    """Customers per persona (counts by persona), largest first, ties by name: both engines."""
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    return {str(persona): int(count) for persona, count in ordered}


def _write_part(part: Partition, out: str) -> pd.Series:
    """Write a partition's scores as `out/part.N.parquet`; return its persona counts."""
    if part.scores is None or part.scores.empty:  # every row quarantined: no file
        return pd.Series(dtype="int64")
    part.scores.to_parquet(f"{out}/part.{part.number:05d}.parquet", index=False)
    return part.scores["persona"].value_counts()


def score_dataset(
    client, model: SegmentModel, source: str | Path, out: str | Path, progress: Progress = _quiet
) -> ScoreSummary:
    """Score a Parquet data set on the cluster; write `out/part.N.parquet`; return the totals."""
    from dask import delayed

    files = dataset_files(source)
    frames, sources = _raw_partitions(files)
    progress(f"scoring {len(frames)} partitions of {source} on {_describe(client)}")
    with output_folder(out) as staging:
        scored = client.compute(
            [
                delayed(_scored)(f, i, s, model)
                for i, (f, s) in enumerate(zip(frames, sources, strict=True))
            ]
        )
        repeats = repeated_ids(client, scored)
        final = client.map(_without_repeats, scored, repeats=repeats, sources=sources)
        counts = client.map(_write_part, final, out=staging)
        summaries = client.gather(client.map(_summary_of, final))
        rows = _rows(summaries, str(source))
        personas = pd.concat(client.gather(counts)).groupby(level=0).sum()  # counts by persona
        quarantine = pd.concat([q for _, _, q in summaries], ignore_index=True)
        write_quarantine(quarantine, staging)
    return ScoreSummary(model.version, rows, persona_totals(personas), str(out), quarantine)


def write_quarantine(quarantine: pd.DataFrame, out: str) -> None:
    """The rows left out and why, beside the scores (`out/_quarantine.csv`), when there are any."""
    if len(quarantine):
        quarantine.to_csv(f"{out}/{QUARANTINE_FILE}", index=False)


def write_scores_folder(
    scores: pd.DataFrame, out: str | Path, rows_per_part: int = 1_000_000
) -> None:
    """The local engine's scores as a partitioned Parquet folder, like the Dask engine writes."""
    with output_folder(out) as staging:
        for number, start in enumerate(range(0, max(len(scores), 1), rows_per_part)):
            part = scores.iloc[start : start + rows_per_part][SCORE_COLUMNS]
            part.to_parquet(f"{staging}/part.{number:05d}.parquet", index=False)


def _summary_of(part: Partition) -> tuple[int, int, pd.DataFrame]:
    return part.read, len(part.customers), part.quarantine


def _rows(summaries: list[tuple[int, int, pd.DataFrame]], source: str) -> dict[str, int]:
    """Rows read, used and quarantined over all partitions; an error when none is usable."""
    read, used = sum(r for r, _, _ in summaries), sum(u for _, u, _ in summaries)
    if used == 0:
        first = next((q["reason"].iloc[0] for _, _, q in summaries if len(q)), "no rows")
        raise DataError(f"{source}: no usable customer rows ({first})")
    return {"read": int(read), "used": int(used), "quarantined": int(read - used)}


def check_output_folder(out: str | Path) -> Path:
    """`out` is a new or empty folder (before any work is done)."""
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DataError(
            f"{out}: the output must be a new or empty folder (scores are written as part.N.parquet)"
        )
    return path


@contextmanager
def output_folder(out: str | Path) -> Iterator[str]:
    """A staging folder beside `out`, renamed to `out` once everything is written: a failed run
    leaves no half-written output. `out` must not exist yet, or be an empty folder."""
    path = check_output_folder(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        yield str(staging)
        if path.exists():
            path.rmdir()
        staging.rename(path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _describe(client) -> str:
    workers = client.scheduler_info().get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    return f"Dask at {client.scheduler.address} ({len(workers)} workers, {threads} threads)"


# ---- Training ---------------------------------------------------------------------------------


@dataclass
class DatasetSummary:
    """What the model card and report need to know of the data (the duck type of ValidatedData)."""

    source: str
    sha256: str
    dialect: str
    rows: dict[str, int]
    as_of: date
    notes: list[str]
    has_campaigns: bool
    quarantine: pd.DataFrame
    customers: pd.DataFrame  # the sample


def train_dataset(
    client, source: str | Path, model_dir: Path, options, progress: Progress = _quiet
):
    """Train on a Parquet data set on the cluster; the artifact is written, not made live."""
    if options.algorithm not in ("auto", "kmeans"):
        raise ValueError(
            "--engine dask fits K-Means on all rows; --algorithm must be auto or kmeans "
            f"(not {options.algorithm}: it needs all rows in one machine's memory)"
        )
    files = dataset_files(source)
    frames, sources = _raw_partitions(files)
    progress(f"reading {len(frames)} partitions of {source} on {_describe(client)}")
    parts, as_of = _validated_parts(client, frames, sources, source, options.as_of)
    data, lengths = _dataset_summary(client, parts, files, str(source), as_of, options.seed)
    progress(f"{data.rows['used']} customers used, {data.rows['quarantined']} quarantined")

    inputs = cluster_inputs(data.has_campaigns)
    preprocessor = build_preprocessor(as_of, inputs).fit(data.customers)
    X_sample = preprocessor.transform(data.customers)
    candidates, chosen, elbow_k = _select(X_sample, options, progress)
    progress(f"chosen kmeans with k={chosen.k}; fitting on all {data.rows['used']} customers")
    clusterer, final_fit = _fit_kmeans(
        client, parts, lengths, preprocessor, chosen.k, options.seed, X_sample
    )
    progress(final_fit)
    model, names, base = _model(client, parts, data, preprocessor, clusterer)
    model.candidates = [c.as_dict() for c in candidates]
    model.card = _card(
        model, data, options, inputs, chosen, clusterer, elbow_k, names, base, final_fit
    )
    return _finish(model, data, chosen, elbow_k, model_dir, progress)


def _validated_parts(client, frames: list, sources: list[str], source, as_of: date | None):
    """Every partition validated against the data set's as-of date; returns (futures, as_of).

    Without --as-of, each partition is validated against its own latest valid enrolment first;
    the data set's is the latest of those (as the local engine takes it), and only the
    partitions whose own date differs are validated again.
    """
    from dask import delayed

    def validate_all(numbers: list[int], against: date | None) -> list:
        return client.compute(
            [delayed(_validated)(frames[i], i, sources[i], against) for i in numbers]
        )

    parts = validate_all(list(range(len(frames))), as_of)
    if as_of is None:
        own = client.gather(client.map(_as_of_of, parts))
        if not any(own):  # no partition has a usable row: say why
            _rows(client.gather(client.map(_summary_of, parts)), str(source))
        as_of = max(d for d in own if d is not None)
        again = [i for i, d in enumerate(own) if d != as_of]
        for i, part in zip(again, validate_all(again, as_of), strict=True):
            parts[i] = part
    repeats = repeated_ids(client, parts)
    return client.map(_without_repeats, parts, repeats=repeats, sources=sources), as_of


def _as_of_of(part: Partition) -> date | None:
    return part.as_of


def _dataset_summary(client, parts: list, files: list[str], source: str, as_of: date, seed: int):
    """Rows, quarantine, notes and a sample of customers, on this machine; rows per partition."""
    summaries = client.gather(client.map(_summary_of, parts))
    rows = _rows(summaries, source)
    fraction = min(1.0, SAMPLE_ROWS / rows["used"])
    pieces = client.gather(client.map(_sample_of, parts, fraction=fraction, seed=seed))
    sample = pd.concat([piece for piece in pieces if len(piece)], ignore_index=True)
    counts = pd.DataFrame(client.gather(client.map(_note_counts, parts))).sum()
    data = DatasetSummary(
        source=source,
        sha256=dataset_sha256(files),
        dialect=f"parquet data set ({len(files)} files)",
        rows=rows,
        as_of=as_of,
        notes=_dataset_notes(source, len(files), counts, sample),
        has_campaigns=all(c in sample.columns for c in schema.CAMPAIGN_COLUMNS),
        quarantine=pd.concat([q for _, _, q in summaries], ignore_index=True),
        customers=sample,
    )
    return data, [u for _, u, _ in summaries]


def _sample_of(part: Partition, fraction: float, seed: int) -> pd.DataFrame:
    if fraction >= 1:
        return part.customers
    return part.customers.sample(frac=fraction, random_state=seed + part.number)


def _note_counts(part: Partition) -> dict[str, int]:
    customers = part.customers
    if customers.empty:
        return {"missing_income": 0, "odd_status": 0}
    return {
        "missing_income": int(customers["Income"].isna().sum()),
        "odd_status": int(customers["Marital_Status"].isin(schema.ODD_STATUSES).sum()),
    }


def _dataset_notes(source: str, files: int, counts: pd.Series, sample: pd.DataFrame) -> list[str]:
    """The data notes of the local engine, counted over all partitions."""
    notes = [f"read {source} through Dask: {files} Parquet files, one partition each"]
    if counts["missing_income"]:
        notes.append(
            f"{counts['missing_income']} customers have no Income: the training median is used"
        )
    if counts["odd_status"]:
        notes.append(
            f"{counts['odd_status']} customers have Marital_Status Absurd or YOLO: "
            "counted as living alone"
        )
    if not all(c in sample.columns for c in schema.CAMPAIGN_COLUMNS):
        notes.append(
            "no campaign columns (AcceptedCmp1..5): campaign acceptances are left out of the features"
        )
    if "Response" not in sample.columns:
        notes.append("no Response column: response rates cannot be reported")
    return notes


def _select(X_sample: np.ndarray, options, progress: Progress):
    """The local selection code on the sample (K-Means candidates only, see train_dataset)."""
    candidates = modeling.evaluate_candidates(
        X_sample,
        algorithms=("kmeans",),
        refits=options.refits,
        seed=options.seed,
        progress=progress,
    )
    elbow_k = modeling.elbow_k(candidates)
    k = elbow_k if options.k == "auto" else int(options.k)
    return candidates, modeling.choose_candidate(candidates, k, "kmeans"), elbow_k


def _inputs_of(part: Partition, preprocessor) -> np.ndarray:
    return preprocessor.transform(part.customers)


def _fit_kmeans(client, parts: list, lengths: list[int], preprocessor, k: int, seed: int, sample):
    """K-Means on every row with dask-ml, from two starts: k-means|| over all rows, and the best
    of 10 scikit-learn K-Means on the sample (k-means|| is one Lloyd run: on generated customers it
    sometimes stops in a worse optimum that n_init=10 avoids). The lower inertia on all rows wins.

    The result is a scikit-learn K-Means holding the winning centres, so the artifact needs
    neither Dask nor dask-ml to score. Returns it and a sentence for the model card.
    """
    import dask.array as da
    from dask_ml.cluster import KMeans as ScalableKMeans

    width = sample.shape[1]
    filled = [(part, rows) for part, rows in zip(parts, lengths, strict=True) if rows]
    blocks = client.map(_inputs_of, [part for part, _ in filled], preprocessor=preprocessor)
    X = da.concatenate(
        [
            da.from_delayed(block, shape=(rows, width), dtype=float)
            for block, (_, rows) in zip(blocks, filled, strict=True)
        ]
    ).persist()
    starts = {
        "k-means||": "k-means||",
        "the sample's K-Means": KMeans(k, n_init=10, random_state=seed)
        .fit(sample)
        .cluster_centers_,
    }
    fits = {
        name: ScalableKMeans(
            n_clusters=k, init=init, n_init=10, tol=KMEANS_TOL, random_state=seed
        ).fit(X)
        for name, init in starts.items()
    }
    inertias = {
        name: float(client.compute(_inertia(X, fit.cluster_centers_)).result())
        for name, fit in fits.items()
    }
    best = min(inertias, key=inertias.get)
    clusterer = clusterer_from_centers(np.asarray(fits[best].cluster_centers_), seed)
    predicted = X.map_blocks(clusterer.predict, drop_axis=1, dtype=int)
    agreement = client.compute((fits[best].labels_ == predicted).mean()).result()
    clusterer.assignment_agreement_ = float(agreement)
    tried = ", ".join(f"from {name}: inertia {value:,.1f}" for name, value in inertias.items())
    return clusterer, f"dask-ml KMeans on all {sum(lengths)} customers ({tried}); kept {best}"


def _inertia(X, centers: np.ndarray):
    def block_inertia(block: np.ndarray) -> np.ndarray:
        distances = ((block[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        return distances.min(axis=1)

    return X.map_blocks(block_inertia, drop_axis=1, dtype=float).sum()


def clusterer_from_centers(centers: np.ndarray, seed: int) -> SegmentClusterer:
    """A fitted K-Means SegmentClusterer whose centres are `centers`, through public APIs only:
    K-Means started at the centres and fitted on them keeps them (each is its own cluster)."""
    k = len(centers)
    clusterer = SegmentClusterer("kmeans", k, seed, n_init=1)
    clusterer.model_ = KMeans(k, init=centers, n_init=1, max_iter=1, random_state=seed).fit(centers)
    clusterer.clusters_ = np.arange(k)
    clusterer.centroids_ = clusterer.model_.cluster_centers_
    clusterer.n_clusters_ = k
    clusterer.labels_ = np.arange(k)  # training labels stay on the cluster, not in the artifact
    return clusterer


# ---- Segment figures from per-partition totals ------------------------------------------------


def _segment_totals(part: Partition, pipeline, as_of: date) -> pd.DataFrame:
    """Per cluster: rows, and the sum, non-missing count and sum of squares of every feature."""
    if part.customers.empty:
        return pd.DataFrame()
    frame = features_of(part.customers, as_of)
    if "Response" in part.customers.columns:
        frame["Response"] = part.customers["Response"].to_numpy(dtype=float)
    labels = pipeline.predict(part.customers)
    grouped = frame.groupby(labels)
    totals = pd.concat(
        {
            "sum": grouped.sum(),
            "count": grouped.count(),
            "squares": (frame**2).groupby(labels).sum(),
        },
        axis=1,
    )
    totals["rows", "all"] = pd.Series(labels).value_counts()
    return totals


@dataclass
class Totals:
    """Sums over all partitions, and what the local engine computes from all rows."""

    table: pd.DataFrame
    columns: list[str]

    def cluster_means(self) -> pd.DataFrame:
        return self.table["sum"][self.columns] / self.table["count"][self.columns]

    def population_mean(self) -> pd.Series:
        return self.table["sum"][self.columns].sum() / self.table["count"][self.columns].sum()

    def population_std(self) -> pd.Series:
        count = self.table["count"][self.columns].sum()
        square_mean = self.table["squares"][self.columns].sum() / count
        return np.sqrt((square_mean - self.population_mean() ** 2).clip(lower=0))

    def z_profiles(self) -> pd.DataFrame:
        """personas.z_profiles, from totals."""
        spread = self.population_std().replace(0, 1.0)
        return (self.cluster_means() - self.population_mean()) / spread

    def population_stats(self) -> dict[str, dict[str, float]]:
        """reports.population_stats, from totals."""
        mean, std = self.population_mean(), self.population_std()
        return {f: {"mean": float(mean[f]), "std": float(std[f] or 1.0)} for f in self.columns}


def _totals(client, parts: list, pipeline, as_of: date) -> Totals:
    tables = client.gather(client.map(_segment_totals, parts, pipeline=pipeline, as_of=as_of))
    table = pd.concat([t for t in tables if len(t)]).groupby(level=0).sum()
    columns = [c for c in table["sum"].columns if c != "Response"]
    return Totals(table, columns)


def segment_figures_from_totals(totals: Totals, names: list, has_response: bool) -> list[dict]:
    """reports.segment_figures, computed from totals instead of rows (tested to agree)."""
    sums, means, rows = totals.table["sum"], totals.cluster_means(), totals.table["rows", "all"]
    total_revenue = float(sums["TotalSpending"].sum()) or 1.0
    response_rate = sums["Response"] / totals.table["count"]["Response"] if has_response else None
    base_rate = float(sums["Response"].sum() / rows.sum()) if has_response else None
    out = []
    for name in names:
        c = name.cluster
        rate = float(response_rate[c]) if has_response else None
        spend = sums.loc[[c]]
        out.append(
            {
                "cluster": int(c),
                "persona": name.persona,
                "name": name.name,
                "primary": name.primary,
                "fit": round(name.fit, 3),
                "size": int(rows[c]),
                "share": float(rows[c] / rows.sum()),
                "revenue_share": float(sums.loc[c, "TotalSpending"] / total_revenue),
                "avg_spend": float(means.loc[c, "TotalSpending"]),
                "avg_income": float(means.loc[c, "Income"]),
                "response_rate": rate,
                "lift": rate / base_rate if rate is not None and base_rate else None,
                "top_categories": top_categories(spend),
                "preferred_channel": preferred_channel(spend),
                "profile": {f: float(means.loc[c, f]) for f in PROFILE_FEATURES if f in means},
            }
        )
    return out


def _model(client, parts, data: DatasetSummary, preprocessor, clusterer) -> tuple:
    from sklearn.pipeline import Pipeline

    from segmentation.training import new_version

    pipeline = Pipeline([*preprocessor.steps, ("cluster", clusterer)])
    totals = _totals(client, parts, pipeline, data.as_of)
    names = name_segments(totals.z_profiles())
    has_response = "Response" in data.customers.columns
    model = SegmentModel(
        version=new_version(),
        pipeline=pipeline,
        segments=segment_figures_from_totals(totals, names, has_response),
        card={},
        population=totals.population_stats(),
        reference=drift_reference(features_of(data.customers, data.as_of)),
    )
    base = totals.table["sum"]["Response"].sum() / totals.table["rows", "all"].sum()
    return model, names, float(base) if has_response else None


def _card(model, data, options, inputs, chosen, clusterer, elbow_k, names, base, final_fit) -> dict:
    from segmentation.training import _model_card

    card = _model_card(model.version, data, options, inputs, chosen, clusterer, elbow_k, names)
    card["base_response_rate"] = base
    card["selection"] += " (K-Means candidates only: --engine dask)"
    card["engine"] = {
        "name": "dask",
        "sample_rows": len(data.customers),
        "final_fit": final_fit,
        "sample_used_for": "model selection, imputation and scaling, drift deciles",
    }
    card["notes"] = [
        *card["notes"],
        f"model selection, imputation and scaling on a sample of {len(data.customers):,} "
        f"of the {data.rows['used']:,} customers",
        final_fit,
    ]
    return card


def _finish(model, data, chosen, elbow_k, model_dir: Path, progress: Progress):
    from segmentation.reports import write_model_report
    from segmentation.training import TrainingResult, _write_charts

    report_dir = Path(model_dir) / "reports" / model.version
    chart_paths = _write_charts(model, chosen, elbow_k, report_dir)
    data.quarantine.to_csv(report_dir / "quarantine.csv", index=False)
    report = write_model_report(model, data.quarantine, report_dir / "report.md", chart_paths)
    artifact = save_model(model, model_dir)
    progress(f"model {model.version} written to {artifact}")
    return TrainingResult(model, data, np.array([]), report, chart_paths, artifact)
