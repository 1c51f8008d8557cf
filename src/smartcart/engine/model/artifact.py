"""The persisted model: one scikit-learn Pipeline plus what users see of it, saved atomically.

Artifacts live in `<model_dir>/versions/<version>.joblib`; the file `<model_dir>/LIVE` names the
live one. A training writes its artifact first and flips LIVE last (both by atomic rename), so a
failed or interrupted training leaves the last good model live.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import joblib
import pandas as pd
from sklearn.pipeline import Pipeline

from smartcart.engine.errors import ModelError
from smartcart.engine.model.assignment import Assignment, assign
from smartcart.engine.model.card import ModelCard
from smartcart.engine.model.clusterer import SegmentClusterer
from smartcart.engine.model.propensity import ResponseModel

# 2: the Pipeline runs from customers to personas; population and drift reference live in it.
# The card is stored as its plain dict (`ModelCard.as_dict()`), as it always was in format 2: a
# ModelCard is built from it on load, so format 2 artifacts written before the typed card load.
ARTIFACT_FORMAT = 2
LIVE_POINTER = "LIVE"


@dataclass
class SegmentModel:
    """A trained model: its fitted Pipeline, the training figures per segment, and its card.

    All learned state lives in the Pipeline's fitted steps (features: as-of date, population
    statistics, drift reference; cluster: scaling and clusterer; personas: the naming); what the
    model says of itself is its typed card (smartcart/engine/model/card.py).
    """

    version: str
    pipeline: Pipeline
    segments: list[dict]
    card: ModelCard
    candidates: list[dict] = field(default_factory=list)
    # The response propensity model (smartcart/engine/model/propensity.py); None without a Response column.
    response: ResponseModel | None = None

    def assign(self, customers: pd.DataFrame) -> Assignment:
        """Features, cluster, persona, confidence and (with a response model) propensity of every
        validated customer (same order)."""
        assignment = assign(self.pipeline, customers)
        if self.response is not None and len(customers):
            assignment.propensity, assignment.propensity_decile = self.response.score(customers)
        return assignment

    @property
    def clusterer(self) -> SegmentClusterer:
        return self.pipeline.named_steps["cluster"].clusterer_

    @property
    def as_of(self) -> date:
        return self.pipeline.named_steps["features"].as_of

    @property
    def population(self) -> dict[str, dict[str, float]]:
        """Mean and spread of every feature over the training customers."""
        return self.pipeline.named_steps["features"].population_

    @property
    def reference(self) -> dict[str, dict[str, list[float]]]:
        """Decile edges and shares of every feature at training time (for the PSI)."""
        return self.pipeline.named_steps["features"].reference_

    @property
    def base_response_rate(self) -> float | None:
        return self.card.base_response_rate

    def __getstate__(self) -> dict:
        """Pickled (the artifact, Dask workers) with the card as its plain dict (format 2)."""
        return {**self.__dict__, "card": self.card.as_dict()}

    def __setstate__(self, state: dict) -> None:
        card = state["card"]
        self.__dict__.update(
            state, card=card if isinstance(card, ModelCard) else ModelCard.from_dict(card)
        )


def model_path(model_dir: Path, version: str) -> Path:
    return Path(model_dir) / "versions" / f"{version}.joblib"


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_model(model: SegmentModel, model_dir: Path) -> Path:
    """Write the artifact (not yet live). Returns its path."""
    path = model_path(model_dir, model.version)
    payload = {
        "format": ARTIFACT_FORMAT,
        "versions": model.card.library_versions,
        "model": model,
    }
    _atomic_write(path, lambda tmp: joblib.dump(payload, tmp, compress=3))
    return path


def make_live(model_dir: Path, version: str) -> None:
    if not model_path(model_dir, version).exists():
        raise ModelError(f"model {version} has no artifact in {model_dir}")
    _atomic_write(Path(model_dir) / LIVE_POINTER, lambda tmp: Path(tmp).write_text(version + "\n"))


def live_version(model_dir: Path) -> str | None:
    pointer = Path(model_dir) / LIVE_POINTER
    return pointer.read_text().strip() if pointer.exists() else None


def load_live_model(model_dir: Path) -> SegmentModel:
    version = live_version(model_dir)
    if not version:
        raise ModelError(f"no trained model in {model_dir}; run `smartcart train` first")
    return load_model(model_path(model_dir, version))


def load_model(path: Path) -> SegmentModel:
    if not path.exists():
        raise ModelError(f"{path}: model artifact not found; run `smartcart train`")
    try:
        payload = joblib.load(path)
    except Exception as error:  # unpickling an incompatible artifact raises many types
        raise ModelError(
            f"{path}: cannot read this model artifact ({type(error).__name__}); "
            "it was written by an incompatible version: retrain with `smartcart train`"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != ARTIFACT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else "unknown"
        raise ModelError(
            f"{path}: artifact format {found}, this version reads format {ARTIFACT_FORMAT}; "
            "retrain with `smartcart train`"
        )
    return payload["model"]
