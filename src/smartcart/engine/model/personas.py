"""Name clusters after the study's personas, from the clusters' profiles and rules kept as data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    short: str
    study_label: str
    description: str
    next_action: str
    high: dict[str, float] = field(default_factory=dict)
    low: dict[str, float] = field(default_factory=dict)
    moderate: dict[str, float] = field(default_factory=dict)

    def score(self, z: pd.Series) -> float:
        """How well a cluster's z-scored profile fits this persona; higher is better."""
        total = 0.0
        for feature, weight in self.high.items():
            total += weight * z.get(feature, 0.0)
        for feature, weight in self.low.items():
            total -= weight * z.get(feature, 0.0)
        for feature, weight in self.moderate.items():
            total -= weight * abs(z.get(feature, 0.0))
        return float(total)


@dataclass(frozen=True)
class SegmentName:
    cluster: int
    persona: str
    name: str
    primary: bool  # False for a second (third...) cluster of the same persona when k > 4
    fit: float  # the persona's rule score for this cluster


def load_personas() -> list[Persona]:
    text = resources.files(__package__).joinpath("persona_rules.toml").read_text()
    return [Persona(**entry) for entry in tomllib.loads(text)["persona"]]


PERSONAS = load_personas()
PERSONAS_BY_ID = {p.id: p for p in PERSONAS}


def z_profiles(features: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Cluster means as z-scores against the whole population (rows: clusters)."""
    means = features.groupby(labels).mean()
    spread = features.std(ddof=0).replace(0, 1.0)
    return (means - features.mean()) / spread


def name_segments(profiles: pd.DataFrame, personas: list[Persona] = PERSONAS) -> list[SegmentName]:
    """Optimal one-to-one matching of personas to clusters; extra clusters join their best persona.

    With fewer clusters than personas, the personas left without a cluster are simply absent
    (see `missing_personas`). With more, every extra cluster is named after the persona that fits
    it best, numbered ("Family Budget Shoppers (2)"), so nothing is hidden or invented.
    """
    clusters = list(profiles.index)
    scores = np.array([[p.score(profiles.loc[c]) for p in personas] for c in clusters])
    rows, cols = linear_sum_assignment(scores, maximize=True)
    chosen = {clusters[r]: personas[c] for r, c in zip(rows, cols, strict=True)}
    names = [
        SegmentName(
            c, chosen[c].id, chosen[c].name, True, float(scores[i, personas.index(chosen[c])])
        )
        for i, c in enumerate(clusters)
        if c in chosen
    ]
    counts = {p.id: 1 for p in chosen.values()}
    for i, c in enumerate(clusters):
        if c in chosen:
            continue
        best = personas[int(np.argmax(scores[i]))]
        counts[best.id] = counts.get(best.id, 0) + 1
        label = f"{best.name} ({counts[best.id]})"
        names.append(SegmentName(c, best.id, label, False, float(scores[i].max())))
    return sorted(names, key=lambda s: [p.id for p in personas].index(s.persona) * 100 + s.cluster)


def missing_personas(names: list[SegmentName], personas: list[Persona] = PERSONAS) -> list[str]:
    present = {s.persona for s in names}
    return [p.id for p in personas if p.id not in present]


def resolve_persona(text: str, personas: list[Persona] = PERSONAS) -> Persona:
    """A persona from its id, name, short name, study label (C0..C3) or a clear prefix.

    Raises LookupError naming the choices when the text is unknown or ambiguous.
    """
    wanted = normalized(text)
    if not wanted:
        raise LookupError(f"name a persona: {choices(personas)}")
    for p in personas:
        if wanted in {*names_of(p), normalized(p.study_label)}:
            return p
    matches = [p for p in personas if any(key.startswith(wanted) for key in names_of(p))]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise LookupError(
            f"'{text}' could mean {', '.join(m.id for m in matches)}; choose one of: {choices(personas)}"
        )
    raise LookupError(f"no persona '{text}'; choose one of: {choices(personas)}")


def normalized(text: str) -> str:
    """Lower case, `_` and `-` as spaces, single spaces: "High-Value" matches "high value"."""
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def names_of(persona: Persona) -> list[str]:
    return [normalized(persona.id), normalized(persona.name), normalized(persona.short)]


def choices(personas: list[Persona] = PERSONAS) -> str:
    return ", ".join(p.id for p in personas)
