"""The model card: what a trained model says of itself (its data, the choice, metrics, personas).

One frozen dataclass with typed parts, read by attribute. `ModelCard.as_dict()` is the card as
`smartcart model --json` prints it and as artifacts store it: its keys, their order and values
are a contract (docs/reference/cli.md), and `ModelCard.from_dict` reads that dict back.

The two training engines write slightly different cards: the local one has `evaluation` (what was
done at which size) and `response_model` (`null` without a Response column); the Dask one fits no
response model and has `engine` instead. A part a card does not have is left out of the dict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class TrainingData:
    source: str
    sha256: str
    dialect: str


@dataclass(frozen=True)
class RowCounts:
    read: int
    used: int
    quarantined: int


@dataclass(frozen=True)
class Requested:
    """What training was asked for (`--algorithm`, `--k`)."""

    algorithm: str
    k: int | str


@dataclass(frozen=True)
class Metrics:
    """The chosen candidate's figures (None where undefined) and the final fit's agreement."""

    silhouette: float | None
    calinski_harabasz: float | None
    davies_bouldin: float | None
    stability_ari: float | None
    stability_min: float | None
    assignment_agreement: float


@dataclass(frozen=True)
class Evaluation:
    """What the local engine did at which size (smartcart/engine/model/selection.py) and its final fit."""

    rows: int
    sample_rows: int
    refit_rows: int
    refits: int
    jobs: int
    stability_measured: str
    stability_skipped: dict[str, str]  # reason -> the candidates skipped for it
    final_fit: str


@dataclass(frozen=True)
class ResponseFigures:
    """The response model's 5-fold cross-validated figures (smartcart/engine/model/propensity.py)."""

    auc: float
    top_decile_lift: float
    base_rate: float
    brier: float
    estimator: str


@dataclass(frozen=True)
class EngineRun:
    """How the Dask engine trained: on a sample of `sample_rows`, K-Means on all rows."""

    name: str
    sample_rows: int
    final_fit: str


@dataclass(frozen=True)
class ModelCard:
    """The card of one trained model. Field order is the dict's key order."""

    model_version: str
    trained_at: str  # ISO 8601 in UTC, to the second, as written at training
    data: TrainingData
    rows: RowCounts
    as_of: date
    notes: tuple[str, ...]
    algorithm: str
    k: int
    requested: Requested
    selection: str  # the rule that chose the model, in words
    elbow_k: int | None
    refits: int
    inputs: tuple[str, ...]
    metrics: Metrics
    personas: dict[int, str]  # cluster -> persona
    missing_personas: tuple[str, ...]
    library_versions: dict[str, str]  # library -> version
    evaluation: Evaluation | None = None  # local engine
    base_response_rate: float | None = None
    response_model: ResponseFigures | None = None  # local engine; None without Response
    engine: EngineRun | None = None  # Dask engine
    contract: str = "customers"  # the data's contract: "customers" (the study's) or "orders"
    persona_set: str = "study"  # the personas its segments were named with (personas_of)
    # Order data: why the model has no lifetime model (the history too thin); None when it has one.
    lifetime_note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The card as printed by `smartcart model --json` and stored in the artifact."""
        left_out = {"evaluation"} if self.evaluation is None else set()
        left_out |= {"engine"} if self.engine is None else {"response_model"}
        if self.contract == "customers" and self.persona_set == "study":
            left_out |= {"contract", "persona_set"}  # the study's card reads as it always has
        if self.contract == "customers":
            left_out.add("lifetime_note")
        return {
            f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in left_out
        }

    @classmethod
    def from_dict(cls, card: dict[str, Any]) -> ModelCard:
        """The card of `as_dict()` (a TypeError or KeyError when it is not one)."""
        return cls(
            model_version=card["model_version"],
            trained_at=card["trained_at"],
            data=TrainingData(**card["data"]),
            rows=RowCounts(**card["rows"]),
            as_of=date.fromisoformat(card["as_of"]),
            notes=tuple(card["notes"]),
            algorithm=card["algorithm"],
            k=card["k"],
            requested=Requested(**card["requested"]),
            selection=card["selection"],
            elbow_k=card["elbow_k"],
            refits=card["refits"],
            inputs=tuple(card["inputs"]),
            metrics=Metrics(**card["metrics"]),
            personas=dict(card["personas"]),
            missing_personas=tuple(card["missing_personas"]),
            library_versions=dict(card["library_versions"]),
            evaluation=_part(Evaluation, card.get("evaluation")),
            base_response_rate=card["base_response_rate"],
            response_model=_part(ResponseFigures, card.get("response_model")),
            engine=_part(EngineRun, card.get("engine")),
            contract=card.get("contract", "customers"),
            persona_set=card.get("persona_set", "study"),
            lifetime_note=card.get("lifetime_note"),
        )


def _part(kind: type, values: dict | None) -> Any:
    return None if values is None else kind(**values)


def _plain(value: object) -> object:
    """A field's value as the dict holds it: parts as dicts, tuples as lists, dates in ISO."""
    if is_dataclass(value):
        return asdict(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return dict(value)
    return value
