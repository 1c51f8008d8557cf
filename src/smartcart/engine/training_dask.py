"""Training on a Dask cluster: the model is chosen on a sample, K-Means is fitted on all rows.

Each partition is validated as the local engine validates (see `distributed`). The local
selection code chooses k on a sample of at most SAMPLE_ROWS customers, on which the model's
Pipeline (features, scaling, persona naming) is also fitted; then K-Means is fitted again on
every row with dask-ml and replaces the sample's. Segment figures are summed over partitions.
The artifact is an ordinary scikit-learn Pipeline: scoring it needs no Dask."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from smartcart.engine.data import dataset_files, dataset_sha256, schema
from smartcart.engine.model import (
    PROFILE_FEATURES,
    EngineRun,
    ModelCard,
    Progress,
    SegmentClusterer,
    SegmentModel,
    build_preprocessor,
    choose_candidate,
    cluster_inputs,
    elbow_k,
    evaluate_candidates,
    no_progress,
    save_model,
    segment_pipeline,
)
from smartcart.engine.reports import preferred_channel, top_categories
from smartcart.engine.scoring import (
    Partition,
    cluster_description,
    drop_repeats,
    raw_partitions,
    row_counts,
    summary_of,
    validated_partition,
)
from smartcart.engine.training import (
    TrainingOptions,
    TrainingResult,
    build_model_card,
    checked_persona_set,
    new_version,
    read_personas,
    write_charts,
)
from smartcart.engine.training_dask_notes import dataset_notes, note_counts

# Customers brought to this machine to choose the model (the selection itself evaluates at most
# selection.EVALUATION_ROWS of them) and to fit the Pipeline's features, scaling and naming.
SAMPLE_ROWS = 100_000
# dask-ml stops when the centres move less than this (squared); its default, 1e-4, stops before
# scikit-learn does, and the segment sizes then differ by up to 1.5% on generated customers.
KMEANS_TOL = 1e-8


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
    client,
    source: str | Path,
    model_dir: Path,
    options: TrainingOptions,
    progress: Progress = no_progress,
) -> TrainingResult:
    """Train on a Parquet data set on the cluster; the artifact is written, not made live."""
    if options.algorithm not in ("auto", "kmeans"):
        raise ValueError(
            "--engine dask fits K-Means on all rows; --algorithm must be auto or kmeans "
            f"(not {options.algorithm}: it needs all rows in one machine's memory)"
        )
    options = replace(options, k=4) if options.k is None else options  # the study's table
    files = dataset_files(source)
    frames, sources = raw_partitions(files)
    progress(f"reading {len(frames)} partitions of {source} on {cluster_description(client)}")
    parts, as_of = _validated_parts(client, frames, sources, source, options.as_of)
    data, lengths = _dataset_summary(client, parts, files, str(source), as_of, options.seed)
    progress(f"{data.rows['used']} customers used, {data.rows['quarantined']} quarantined")

    inputs = cluster_inputs(data.has_campaigns)
    preprocessor = build_preprocessor(as_of, inputs)
    X_sample = preprocessor.fit_transform(data.customers)
    persona_set = checked_persona_set(read_personas(options), options, preprocessor, "customers")
    candidates, chosen, elbow_k = _select(X_sample, options, progress)
    progress(f"chosen kmeans with k={chosen.k}; fitting on all {data.rows['used']} customers")
    clusterer = SegmentClusterer("kmeans", chosen.k, options.seed)
    pipeline = segment_pipeline(as_of, inputs, clusterer, "customers", persona_set)
    pipeline.fit(data.customers)
    final_fit = _fit_on_all_rows(client, parts, lengths, pipeline, data.customers, options.seed)
    progress(final_fit)
    names = pipeline.named_steps["personas"].names_
    version = new_version()
    card = _card(
        version, pipeline, data, options, inputs, chosen, elbow_k, names, final_fit, persona_set
    )
    model = SegmentModel(version, pipeline, [], card, [c.as_dict() for c in candidates])
    totals = _totals(client, parts, model)
    model.segments = segment_figures_from_totals(totals, names, totals.has_response)
    model.card = replace(card, base_response_rate=totals.base_response_rate())
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
            [delayed(validated_partition)(frames[i], i, sources[i], against) for i in numbers]
        )

    parts = validate_all(list(range(len(frames))), as_of)
    if as_of is None:
        own = client.gather(client.map(_as_of_of, parts))
        if not any(own):  # no partition has a usable row: say why
            row_counts(client.gather(client.map(summary_of, parts)), str(source))
        as_of = max(d for d in own if d is not None)
        again = [i for i, d in enumerate(own) if d != as_of]
        for i, part in zip(again, validate_all(again, as_of), strict=True):
            parts[i] = part
    return drop_repeats(client, parts, sources), as_of


def _as_of_of(part: Partition) -> date | None:
    return part.as_of


def _dataset_summary(client, parts: list, files: list[str], source: str, as_of: date, seed: int):
    """Rows, quarantine, notes and a sample of customers, on this machine; rows per partition."""
    summaries = client.gather(client.map(summary_of, parts))
    rows = row_counts(summaries, source)
    fraction = min(1.0, SAMPLE_ROWS / rows["used"])
    pieces = client.gather(client.map(_sample_of, parts, fraction=fraction, seed=seed))
    sample = pd.concat([piece for piece in pieces if len(piece)], ignore_index=True)
    counts = pd.DataFrame(client.gather(client.map(note_counts, parts))).sum()
    data = DatasetSummary(
        source=source,
        sha256=dataset_sha256(files),
        dialect=f"parquet data set ({len(files)} files)",
        rows=rows,
        as_of=as_of,
        notes=dataset_notes(source, len(files), counts, sample),
        has_campaigns=all(c in sample.columns for c in schema.CAMPAIGN_COLUMNS),
        quarantine=pd.concat([q for _, _, q in summaries], ignore_index=True),
        customers=sample,
    )
    return data, [u for _, u, _ in summaries]


def _sample_of(part: Partition, fraction: float, seed: int) -> pd.DataFrame:
    if fraction >= 1:
        return part.customers
    return part.customers.sample(frac=fraction, random_state=seed + part.number)


def _select(X_sample: np.ndarray, options, progress: Progress):
    """The local selection code on the sample (K-Means candidates only, see train_dataset)."""
    candidates = evaluate_candidates(
        X_sample,
        algorithms=("kmeans",),
        refits=options.refits,
        seed=options.seed,
        progress=progress,
    )
    elbow = elbow_k(candidates)
    k = elbow if options.k == "auto" else int(options.k)
    return candidates, choose_candidate(candidates, k, "kmeans"), elbow


def _inputs_of(part: Partition, pipeline) -> np.ndarray:
    """The clustering inputs of a partition, scaled and weighted as the model does."""
    features = pipeline.named_steps["features"].transform(part.customers)
    return pipeline.named_steps["cluster"].scaling_.transform(features)


def _fit_on_all_rows(client, parts: list, lengths: list[int], pipeline, sample, seed: int) -> str:
    """K-Means on every row with dask-ml, from two starts: k-means|| over all rows, and the
    sample's K-Means (best of 10 inits; k-means|| is one Lloyd run, and on generated customers it
    sometimes stops in a worse optimum). The lower inertia on all rows wins and replaces the
    sample's clusterer in the Pipeline; the persona naming is fitted again on the sample.
    Returns a sentence for the model card.
    """
    import dask.array as da
    from dask_ml.cluster import KMeans as ScalableKMeans

    clustering = pipeline.named_steps["cluster"]
    sample_kmeans = clustering.clusterer_.model_
    filled = [(part, rows) for part, rows in zip(parts, lengths, strict=True) if rows]
    blocks = client.map(_inputs_of, [part for part, _ in filled], pipeline=pipeline)
    width = sample_kmeans.cluster_centers_.shape[1]
    X = da.concatenate(
        [
            da.from_delayed(block, shape=(rows, width), dtype=float)
            for block, (_, rows) in zip(blocks, filled, strict=True)
        ]
    ).persist()
    starts = {"k-means||": "k-means||", "the sample's K-Means": sample_kmeans.cluster_centers_}
    k = sample_kmeans.n_clusters
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
    clustering.clusterer_ = clusterer
    assigned = clustering.transform(pipeline.named_steps["features"].transform(sample))
    clustering.labels_ = assigned["cluster"].to_numpy()  # the sample's, like the clusterer's
    pipeline.named_steps["personas"].fit(assigned)
    tried = ", ".join(f"from {name}: inertia {value:,.1f}" for name, value in inertias.items())
    return f"dask-ml KMeans on all {sum(lengths)} customers ({tried}); kept {best}"


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


def segment_totals(customers: pd.DataFrame, model: SegmentModel) -> pd.DataFrame:
    """Per cluster: rows, and the sum and non-missing count of every feature (and Response)."""
    if customers.empty:
        return pd.DataFrame()
    assignment = model.assign(customers)
    frame = assignment.features.reset_index(drop=True)
    if "Response" in customers.columns:
        frame["Response"] = customers["Response"].to_numpy(dtype=float)
    grouped = frame.groupby(assignment.cluster)
    totals = pd.concat({"sum": grouped.sum(), "count": grouped.count()}, axis=1)
    totals["rows", "all"] = pd.Series(assignment.cluster).value_counts()
    return totals


def _partition_totals(part: Partition, model: SegmentModel) -> pd.DataFrame:
    return segment_totals(part.customers, model)


@dataclass
class Totals:
    """Per-cluster totals summed over all partitions."""

    table: pd.DataFrame

    @property
    def has_response(self) -> bool:
        return "Response" in self.table["sum"].columns

    def cluster_means(self) -> pd.DataFrame:
        return self.table["sum"] / self.table["count"]

    def base_response_rate(self) -> float | None:
        if not self.has_response:
            return None
        return float(self.table["sum"]["Response"].sum() / self.table["rows", "all"].sum())


def sum_totals(tables: list[pd.DataFrame]) -> Totals:
    return Totals(pd.concat([t for t in tables if len(t)]).groupby(level=0).sum())


def _totals(client, parts: list, model: SegmentModel) -> Totals:
    return sum_totals(client.gather(client.map(_partition_totals, parts, model=model)))


def segment_figures_from_totals(totals: Totals, names: list, has_response: bool) -> list[dict]:
    """figures.segment_figures, computed from totals instead of rows (tested to agree)."""
    sums, means, rows = totals.table["sum"], totals.cluster_means(), totals.table["rows", "all"]
    total_revenue = float(sums["TotalSpending"].sum()) or 1.0
    response_rate = means["Response"] if has_response else None
    base_rate = totals.base_response_rate()
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


def _card(
    version, pipeline, data, options, inputs, chosen, elbow_k, names, final_fit, persona_set
) -> ModelCard:
    """The local engine's card, with the Dask engine's run (its base response rate comes later,
    from the totals over all partitions)."""
    clusterer = pipeline.named_steps["cluster"].clusterer_
    card = build_model_card(
        version, data, options, inputs, chosen, clusterer, elbow_k, names, persona_set
    )
    return replace(
        card,
        selection=card.selection + " (K-Means candidates only: --engine dask)",
        engine=EngineRun(name="dask", sample_rows=len(data.customers), final_fit=final_fit),
        notes=(
            *card.notes,
            f"model selection, scaling, persona naming, population figures and drift deciles on a "
            f"sample of {len(data.customers):,} of the {data.rows['used']:,} customers",
            final_fit,
        ),
    )


def _finish(model, data, chosen, elbow_k, model_dir: Path, progress: Progress) -> TrainingResult:
    from smartcart.engine.reports import write_model_report

    report_dir = Path(model_dir) / "reports" / model.version
    chart_paths = write_charts(model, chosen, elbow_k, report_dir)
    data.quarantine.to_csv(report_dir / "quarantine.csv", index=False)
    report = write_model_report(model, data.quarantine, report_dir / "report.md", chart_paths)
    artifact = save_model(model, model_dir)
    progress(f"model {model.version} written to {artifact}")
    return TrainingResult(model, data, np.array([]), report, chart_paths, artifact)
