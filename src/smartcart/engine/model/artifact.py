"""The persisted model: one scikit-learn Pipeline plus what users see of it, saved atomically.

Artifacts live in `<model_dir>/versions/<version>.model`; the file `<model_dir>/LIVE` names the
live one. A training writes its artifact first and flips LIVE last (both by atomic rename), so a
failed or interrupted training leaves the last good model live.

Format 3 is data, not a pickle (`state.py`): a zip of `model.json` (the model's structure, its
own classes named by class name) and `arrays.npz` (read with allow_pickle=False). A format 2
artifact of release 0.1 (`<version>.joblib`) is converted to format 3 the first time it is
loaded from a model folder, or by `smartcart model upgrade`; the old file stays beside it.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from smartcart.engine.errors import DataError, ModelError
from smartcart.engine.lifetime import LifetimeModel
from smartcart.engine.model.assignment import Assignment, Clustering, PersonaNaming, assign
from smartcart.engine.model.card import ModelCard
from smartcart.engine.model.clusterer import SegmentClusterer
from smartcart.engine.model.features import FeatureBuilder, FeatureWeights
from smartcart.engine.model.legacy import LEGACY_SUFFIX, read_legacy_payload
from smartcart.engine.model.order_features import OrderFeatureBuilder
from smartcart.engine.model.personas import Persona, SegmentName
from smartcart.engine.model.propensity import ResponseFeatures, ResponseModel
from smartcart.engine.model.state import from_state, register_own, to_state

# 3: the model as data (model.json + arrays.npz). 2 (release 0.1) was a joblib pickle; the card
# is kept as its plain dict (`ModelCard.as_dict()`) in both, and a ModelCard is built on load.
ARTIFACT_FORMAT = 3
ARTIFACT_SUFFIX = ".model"
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
    # The lifetime-value model as plain data (LifetimeModel.to_stored()); None unless trained on
    # order data with a history rich enough. Stored models without it read as None.
    lifetime: dict | None = None

    @property
    def lifetime_model(self) -> LifetimeModel | None:
        """The stored lifetime model rebuilt (a ModelError says what is wrong with it)."""
        return None if self.lifetime is None else LifetimeModel.from_dict(self.lifetime)

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

    @property
    def contract(self) -> str:
        """The data it was trained on: "customers" (the study's table) or "orders"."""
        return self.card.contract

    def check_reads(self, contract: str, source: object) -> None:
        """One DataError when `source` is of the other contract (a customer table's model
        cannot place customers from order lines, nor the reverse): either engine, any output."""
        if contract == self.contract:
            return
        kinds = {"orders": "order lines", "customers": "a customer table"}
        raise DataError(
            f"{source}: {kinds[contract]}, but model {self.version} was trained on "
            f"{kinds[self.contract]}: score {kinds[self.contract]} with it, or train on "
            f"{kinds[contract]} first (smartcart train --data {source})"
        )

    @property
    def naming(self) -> PersonaNaming:
        return self.pipeline.named_steps["personas"]

    @property
    def personas(self) -> list[Persona]:
        """The persona set its segments were named with (carried in the model)."""
        return self.naming.known_personas

    def persona(self, persona_id: str) -> Persona | None:
        """One of its personas by id; None for a segment no persona matched."""
        return next((p for p in self.personas if p.id == persona_id), None)

    def __getstate__(self) -> dict:
        """Pickled (the artifact, Dask workers) with the card as its plain dict (format 2)."""
        return {**self.__dict__, "card": self.card.as_dict()}

    def __setstate__(self, state: dict) -> None:
        card = state["card"]
        self.__dict__.update(
            state, card=card if isinstance(card, ModelCard) else ModelCard.from_dict(card)
        )


# The model's own classes a stored model holds, named by class name (see state.py).
register_own(
    SegmentModel,
    FeatureBuilder,
    OrderFeatureBuilder,
    FeatureWeights,
    Clustering,
    PersonaNaming,
    SegmentClusterer,
    SegmentName,
    Persona,
    ResponseModel,
    ResponseFeatures,
)


def model_path(model_dir: Path, version: str) -> Path:
    """The version's artifact: format 3, or release 0.1's format 2 until it is converted."""
    versions = Path(model_dir) / "versions"
    current = versions / f"{version}{ARTIFACT_SUFFIX}"
    legacy = versions / f"{version}{LEGACY_SUFFIX}"
    return legacy if legacy.exists() and not current.exists() else current


def atomic_write(path: Path, write) -> None:
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
    path = Path(model_dir) / "versions" / f"{model.version}{ARTIFACT_SUFFIX}"
    tree, arrays = to_state(model)
    document = {"format": ARTIFACT_FORMAT, "versions": model.card.library_versions, "model": tree}

    def write(temporary: str) -> None:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("model.json", json.dumps(document))
            archive.writestr("arrays.npz", buffer.getvalue())

    atomic_write(path, write)
    return path


def make_live(model_dir: Path, version: str) -> None:
    if not model_path(model_dir, version).exists():
        raise ModelError(f"model {version} has no artifact in {model_dir}")
    atomic_write(Path(model_dir) / LIVE_POINTER, lambda tmp: Path(tmp).write_text(version + "\n"))


def live_version(model_dir: Path) -> str | None:
    pointer = Path(model_dir) / LIVE_POINTER
    return pointer.read_text().strip() if pointer.exists() else None


def load_live_model(model_dir: Path, version: str | None = None) -> SegmentModel:
    """The live model, or `version` (the LIVE pointer as the caller read it: not read again)."""
    version = version or live_version(model_dir)
    if not version:
        raise ModelError(f"no trained model in {model_dir}; run `smartcart train` first")
    path = model_path(model_dir, version)
    model = load_model(path)
    if path.suffix == LEGACY_SUFFIX:
        save_model(model, model_dir)
    return model


def upgrade_models(model_dir: Path) -> list[str]:
    """Convert every format 2 artifact in the folder to format 3; the versions converted."""
    converted = []
    for legacy in sorted((Path(model_dir) / "versions").glob(f"*{LEGACY_SUFFIX}")):
        if model_path(model_dir, legacy.stem) == legacy:
            save_model(load_model(legacy), model_dir)
            converted.append(legacy.stem)
    return converted


def load_model(path: Path) -> SegmentModel:
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: model artifact not found; run `smartcart train`")
    if path.suffix == LEGACY_SUFFIX:
        return read_legacy_payload(path)["model"]
    try:
        with zipfile.ZipFile(path) as archive:
            document = json.loads(archive.read("model.json"))
            check_format(path, document)
            with np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False) as stored:
                arrays = {key: stored[key] for key in stored.files}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ModelError(
            f"{path}: cannot read this model artifact ({type(error).__name__}); "
            "it was written by an incompatible version: retrain with `smartcart train`"
        ) from None
    model = from_state(document["model"], arrays)
    if not isinstance(model, SegmentModel):
        raise ModelError(f"{path}: not a segment model; retrain with `smartcart train`")
    return model


def check_format(path: Path, document: dict) -> None:
    if not isinstance(document, dict) or document.get("format") != ARTIFACT_FORMAT:
        found = document.get("format") if isinstance(document, dict) else "unknown"
        raise ModelError(
            f"{path}: artifact format {found}, this version reads format {ARTIFACT_FORMAT}; "
            "retrain with `smartcart train`"
        )
