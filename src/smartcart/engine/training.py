"""Training end to end: load -> validate -> features -> candidates -> model -> personas -> report.

`train` builds a model and its report without touching what is live; `publish` makes it live.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
from threadpoolctl import threadpool_limits

from smartcart.engine.data import (
    DEFAULT_TABLE,
    ORDER_KEY,
    ORDERS,
    ValidatedData,
    load_order_totals,
    load_validated,
)
from smartcart.engine.errors import DataError
from smartcart.engine.lifetime import LifetimeFit, add_lifetime_columns, fit_beside_segments
from smartcart.engine.model import (
    ALGORITHMS,
    STABLE_ARI,
    Candidate,
    Evaluation,
    Metrics,
    ModelCard,
    PersonaSet,
    Progress,
    Requested,
    ResponseFigures,
    RowCounts,
    SegmentClusterer,
    SegmentModel,
    TrainingData,
    build_preprocessor,
    builtin_set,
    check_features,
    cluster_inputs,
    feature_builder,
    fit_response_model,
    make_live,
    missing_personas,
    no_progress,
    read_persona_file,
    save_model,
    segment_pipeline,
    select,
)
from smartcart.engine.reports import (
    Templates,
    lift_chart,
    missing_playbook,
    profile_chart,
    reliability_chart,
    segment_figures,
    selection_chart,
    summary_chart,
    write_model_report,
)
from smartcart.engine.store import Forgotten

# Below this many customers the final fit is faster on one thread (see evaluate_candidates).
PARALLEL_FIT_ROWS = 100_000


@dataclass
class TrainingOptions:
    algorithm: str = "auto"
    k: int | str | None = None  # None: 4 for the study's table, 6 for customers from orders
    as_of: date | None = None
    seed: int = 0
    refits: int = 20
    table: str = DEFAULT_TABLE
    personas: Path | None = None  # a personas file (TOML); None: the data's built-in set
    templates: Path | None = None  # where the personas' playbook templates are looked up first


@dataclass
class TrainingResult:
    model: SegmentModel
    data: ValidatedData
    labels: np.ndarray
    report: Path
    charts: dict[str, Path]
    artifact: Path
    # Customers of the data left out as erased on request (smartcart forget); None when no
    # erasure is recorded (train --json then has no `forgotten` key, as before erasures).
    forgotten: int | None = None


def new_version(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%d-%H%M%S-%f")[:-3]


def train(
    source: str | Path,
    model_dir: Path,
    options: TrainingOptions | None = None,
    progress: Progress = no_progress,
    forgotten: Forgotten | None = None,
    data: ValidatedData | None = None,
    totals: pd.DataFrame | None = None,
) -> TrainingResult:
    """Train a model and write its artifact and report; the live model is not changed.
    Customers in `forgotten` (erased on request) are left out and counted. `data`: the
    customers of `source` already validated (derived from orders on a Dask cluster), with
    `totals` their counted orders (`load_order_totals`' table, derived there too) for the
    lifetime model; `data` without `totals` fits none (it would read the order lines here)."""
    options = options or TrainingOptions()
    if options.algorithm not in ("auto", *ALGORITHMS):
        raise ValueError(f"--algorithm must be auto or one of {', '.join(ALGORITHMS)}")
    own_set = read_personas(options)
    progress(f"loading {source}")
    forgotten = forgotten or Forgotten()
    derived = data is not None  # customers derived from orders elsewhere (a Dask cluster)
    data, left_out = leave_out_forgotten(
        data or load_validated(source, options.as_of, options.table), forgotten
    )
    orders = totals
    if data.contract == ORDERS and not derived:  # the lifetime model reads the lines again
        orders = load_order_totals(source, data.as_of)
    if orders is not None:
        orders = forgotten.without_keys(orders, "customer_id")
    lifetime = fit_lifetime(orders, data.as_of, progress)
    if options.k is None:
        options = replace(options, k=default_k(data.contract))
    progress(f"{data.rows['used']} customers used, {data.rows['quarantined']} quarantined")
    inputs = cluster_inputs(data.has_campaigns, data.contract)
    preprocessor = build_preprocessor(
        data.as_of, inputs, feature_builder(data.as_of, data.contract)
    )
    X = preprocessor.fit_transform(data.customers)
    persona_set = checked_persona_set(own_set, options, preprocessor, data.contract)

    outcome = select(
        X,
        algorithms=_algorithms_to_evaluate(options),
        k=options.k,
        algorithm=options.algorithm,
        refits=options.refits,
        seed=options.seed,
        progress=progress,
    )
    candidates, chosen, elbow_k = outcome.candidates, outcome.chosen, outcome.elbow_k
    progress(f"chosen {chosen.algorithm} with k={chosen.k}; fitting on all customers")

    clusterer = SegmentClusterer(
        chosen.algorithm, chosen.k, options.seed, eps=chosen.eps, init=chosen.centers
    )
    pipeline = segment_pipeline(data.as_of, inputs, clusterer, data.contract, persona_set)
    with threadpool_limits(limits=1 if len(X) < PARALLEL_FIT_ROWS else None):
        pipeline.fit(data.customers)
    features = pipeline.named_steps["features"].transform(data.customers)
    labels = pipeline.named_steps["cluster"].labels_
    names = pipeline.named_steps["personas"].names_
    response = data.customers.get("Response")
    segments = segment_figures(features, labels, names, response)
    response_model, response_note = fit_response_model(
        data.customers, data.as_of, options.seed, progress
    )

    version = new_version()
    fitted = pipeline.named_steps["cluster"].clusterer_
    card = build_model_card(
        version, data, options, inputs, chosen, fitted, elbow_k, names, persona_set
    )
    card = replace(
        card,
        notes=(*card.notes, *([response_note] if response_note else [])),
        evaluation=Evaluation(**outcome.summary(), final_fit=fitted.method_),
        base_response_rate=None if response is None else float(response.mean()),
        response_model=None
        if response_model is None
        else ResponseFigures(**response_model.metrics),
        lifetime_note=None if lifetime is None else lifetime.note,
    )
    model = SegmentModel(
        version=version,
        pipeline=pipeline,
        segments=segments,
        card=card,
        candidates=[c.as_dict() for c in candidates],
        response=response_model,
        lifetime=None if lifetime is None or lifetime.model is None else lifetime.model.to_stored(),
    )
    if lifetime is not None and lifetime.model is not None:
        data = replace(
            data,
            customers=add_lifetime_columns(
                data.customers, lifetime.model, orders, data.as_of, key=ORDER_KEY
            ),
        )
    report_dir = Path(model_dir) / "reports" / version
    chart_paths = write_charts(model, chosen, elbow_k, report_dir)
    data.quarantine.to_csv(report_dir / "quarantine.csv", index=False)
    report = write_model_report(model, data.quarantine, report_dir / "report.md", chart_paths)
    artifact = save_model(model, model_dir)
    progress(f"model {version} written to {artifact}")
    return TrainingResult(
        model, data, labels, report, chart_paths, artifact, left_out if forgotten else None
    )


def leave_out_forgotten(data: ValidatedData, forgotten: Forgotten) -> tuple[ValidatedData, int]:
    """The data without the customers erased on request (and their quarantined rows), and how
    many were left out; a note on the card and in the report says how many, not who."""
    customers, left_out = forgotten.split(data.customers)
    quarantine = data.quarantine
    if forgotten and "ID" in quarantine.columns and len(quarantine):
        ids = pd.to_numeric(quarantine["ID"], errors="coerce")
        known = ids.notna() & (ids.abs() < 2**63)
        gone = np.zeros(len(quarantine), dtype=bool)
        gone[known.to_numpy()] = forgotten.mask(ids[known].to_numpy(dtype="int64"))
        quarantine = quarantine.loc[~gone].reset_index(drop=True)
    if not left_out:
        return replace(data, quarantine=quarantine), 0
    note = f"{left_out} forgotten customers left out (erased on request: smartcart forget)"
    notes = [*data.notes, note]
    return replace(data, customers=customers, quarantine=quarantine, notes=notes), left_out


def read_personas(options: TrainingOptions) -> PersonaSet | None:
    """The personas file of `options`, checked (its templates too), or None for the built-in
    set. A problem is one line naming the persona; nothing has been trained or stored yet."""
    if options.personas is None:
        return None
    name, personas = read_persona_file(options.personas)
    templates = Templates(options.templates)
    for persona in personas:
        problem = missing_playbook(templates, persona)
        if problem:
            raise DataError(f"{options.personas}: persona '{persona.id}': {problem}")
    return PersonaSet(name, tuple(personas))


def checked_persona_set(
    own_set: PersonaSet | None, options: TrainingOptions, preprocessor, contract: str
) -> PersonaSet:
    """The set to name segments with; a user's file checked against the data's features
    (`preprocessor` fitted: its features step knows them)."""
    if own_set is None:
        return builtin_set(contract)
    features = set(preprocessor.named_steps["features"].population_)
    check_features(str(options.personas), list(own_set.personas), features, contract)
    return own_set


def fit_lifetime(
    orders: pd.DataFrame | None, as_of: date, progress: Progress
) -> LifetimeFit | None:
    """The lifetime model beside the segments (order data only; None for a customer table).

    A history too thin gives a fit without a model and its note; a fit that fails raises
    ModelError, so the training fails and the live model stays as it is."""
    if orders is None:
        return None
    progress("fitting the lifetime-value model (BG/NBD + Gamma-Gamma)")
    fit = fit_beside_segments(orders, as_of)
    progress(fit.note or f"lifetime model fitted on {fit.assessment.customers} customers")
    return fit


def default_k(contract: str) -> int:
    """One segment per default persona: the study's four, or the six of order data."""
    return 6 if contract == ORDERS else 4


def _algorithms_to_evaluate(options: TrainingOptions) -> tuple[str, ...]:
    """All of them for `auto`; otherwise the one asked for, plus K-Means when k comes from its elbow."""
    if options.algorithm == "auto":
        return ALGORITHMS
    if options.k == "auto" and options.algorithm != "kmeans":
        return ("kmeans", options.algorithm)
    return (options.algorithm,)


def publish(result: TrainingResult, model_dir: Path) -> None:
    """Make a trained model the live one (an atomic switch)."""
    make_live(model_dir, result.model.version)


def build_model_card(
    version, data, options, inputs, chosen, clusterer, elbow_k, names, persona_set=None
) -> ModelCard:
    """The card both engines start from (each adds what it alone knows)."""
    metrics = chosen.as_dict()
    contract = getattr(data, "contract", "customers")  # the Dask engine reads customer tables
    persona_set = persona_set or builtin_set(contract)
    return ModelCard(
        model_version=version,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        data=TrainingData(data.source, data.sha256, data.dialect),
        rows=RowCounts(**data.rows),
        as_of=data.as_of,
        notes=tuple(data.notes),
        algorithm=chosen.algorithm,
        k=int(clusterer.n_clusters_),
        requested=Requested(options.algorithm, options.k),
        selection=_selection_reason(chosen, options),
        elbow_k=None if elbow_k is None else int(elbow_k),
        refits=options.refits,
        inputs=tuple(inputs),
        metrics=Metrics(
            silhouette=metrics["silhouette"],
            calinski_harabasz=metrics["calinski_harabasz"],
            davies_bouldin=metrics["davies_bouldin"],
            stability_ari=metrics["stability_ari"],
            stability_min=metrics["stability_min"],
            assignment_agreement=round(float(clusterer.assignment_agreement_), 4),
        ),
        personas={int(n.cluster): n.persona for n in names},
        missing_personas=tuple(missing_personas(names, list(persona_set.personas))),
        library_versions={
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "joblib": joblib.__version__,
        },
        contract=contract,
        persona_set=persona_set.name,
    )


def _selection_reason(chosen: Candidate, options: TrainingOptions) -> str:
    k_reason = "k from the elbow's knee" if options.k == "auto" else f"k={options.k} as asked"
    if options.algorithm != "auto":
        return f"{options.algorithm} as asked, {k_reason}"
    stable = chosen.stability_ari >= STABLE_ARI
    rule = (
        f"highest silhouette among candidates with stability >= {STABLE_ARI}"
        if stable
        else "no candidate reached the stability bar; the most stable one"
    )
    return f"{rule}, {k_reason}"


def write_charts(model: SegmentModel, chosen, elbow_k: int | None, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "selection": selection_chart(
            model.candidates, chosen.as_dict(), elbow_k, folder / "selection.png"
        ),
        "profiles": profile_chart(model.segments, model.population, folder / "profiles.png"),
        "segments": summary_chart(model.segments, folder / "segments.png"),
    }
    if model.response is not None:
        paths["lift"] = lift_chart(model.response, folder / "lift.png")
        paths["reliability"] = reliability_chart(model.response, folder / "reliability.png")
    return paths
