"""Personas as data: a persona, its rule's parts, and finding one by what a person types.

A persona set is a TOML file (persona_rules.toml, persona_rules_orders.toml, or a user's own:
persona_files.py reads and checks it); naming.py names a model's segments with one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd


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
    # Thresholds on a segment's mean (shares such as DealShare): the rule needs mean >= / <= them.
    above: dict[str, float] = field(default_factory=dict)
    below: dict[str, float] = field(default_factory=dict)
    template: str = ""  # the playbook template's name in the templates folders

    @property
    def playbook(self) -> str:
        """The playbook template's name (`playbooks/<id>.md.j2` unless the file names one)."""
        return self.template or f"playbooks/{self.id}.md.j2"

    @property
    def rule_features(self) -> list[str]:
        """Every feature the rule names, in the rule's order."""
        parts = (self.high, self.low, self.moderate, self.above, self.below)
        return list(dict.fromkeys(f for part in parts for f in part))

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
    # False: no persona's rule matched this segment; `name` then describes its profile and
    # `persona` is `segment_<cluster>`. Models stored before read as True.
    matched: bool = True


def persona_from_entry(entry: dict) -> Persona:
    """A persona from its TOML table: `short` defaults to the name, the rest to empty."""
    values = {"short": entry.get("name", ""), "study_label": "", "next_action": "", **entry}
    return Persona(**values)


def read_persona_entries(text: str) -> list[dict]:
    return list(tomllib.loads(text).get("persona", []))


def load_personas(file_name: str = "persona_rules.toml") -> list[Persona]:
    """A built-in persona set, from package data."""
    text = resources.files(__package__).joinpath(file_name).read_text()
    return [persona_from_entry(entry) for entry in read_persona_entries(text)]


PERSONAS = load_personas()
PERSONAS_BY_ID = {p.id: p for p in PERSONAS}


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
