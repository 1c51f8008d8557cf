"""A persona's rule against a segment's profile: which conditions hold, and by how much.

A rule has directional parts, scored on the profile's z-scores ((segment mean - population mean)
/ population spread): `high` holds when z > 0, `low` when z < 0, `moderate` when |z| is within
MODERATE_BAND; and thresholds on the segment's mean itself: `above` (mean >= t), `below`
(mean <= t), for shares such as DealShare. A rule matches a segment when every threshold holds
and the directional conditions that hold carry at least MATCH_SHARE of the rule's weight.
A feature the data does not have (AcceptedCampaigns without campaign columns) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartcart.engine.model.personas import Persona

MODERATE_BAND = 0.75
MATCH_SHARE = 0.5
DIRECTIONAL = ("high", "low", "moderate")
THRESHOLDS = ("above", "below")


@dataclass(frozen=True)
class Check:
    """One condition of a rule against one segment."""

    feature: str
    kind: str  # high, low, moderate, above, below
    weight: float  # a directional part's weight; 0 for a threshold
    threshold: float | None  # a threshold's value; None for a directional part
    z: float
    mean: float  # the segment's mean
    population: float  # the population's mean
    holds: bool
    margin: float  # how far inside (positive) or outside (negative) the condition: z, or units

    def words(self) -> str:
        """The condition, the segment's figure and by how much it holds or misses."""
        verdict = "holds" if self.holds else "misses"
        if self.threshold is not None:
            sign = ">=" if self.kind == "above" else "<="
            return (
                f"{self.feature} {sign} {figure(self.threshold)}: segment {figure(self.mean)}, "
                f"all customers {figure(self.population)} ({verdict} by {figure(abs(self.margin))})"
            )
        return (
            f"{self.kind} {self.feature}: segment {figure(self.mean)}, all customers "
            f"{figure(self.population)}, z {self.z:+.2f} (needs {NEEDS[self.kind]}; "
            f"{verdict} by {abs(self.margin):.2f})"
        )


NEEDS = {"high": "z > 0", "low": "z < 0", "moderate": f"|z| <= {MODERATE_BAND}"}


def figure(value: float) -> str:
    """A figure as people read it: 78,519, 6.2, 0.27."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 1 else f"{value:.1f}"


def check_rule(persona: Persona, z: dict, means: dict, population: dict) -> list[Check]:
    """Every condition of the persona's rule that the profile can answer (z, means and
    population means keyed by feature)."""
    checks = []
    for kind in (*DIRECTIONAL, *THRESHOLDS):
        for feature, value in getattr(persona, kind).items():
            if feature not in z or feature not in means:
                continue
            checks.append(_check(kind, feature, value, z, means, population))
    return checks


def _check(kind: str, feature: str, value: float, z: dict, means: dict, population: dict) -> Check:
    zf, mean = float(z[feature]), float(means[feature])
    margin = {
        "high": zf,
        "low": -zf,
        "moderate": MODERATE_BAND - abs(zf),
        "above": mean - value,
        "below": value - mean,
    }[kind]
    directional = kind in DIRECTIONAL
    return Check(
        feature=feature,
        kind=kind,
        weight=float(value) if directional else 0.0,
        threshold=None if directional else float(value),
        z=zf,
        mean=mean,
        population=float(population.get(feature, mean)),
        holds=margin > 0 if kind != "moderate" else margin >= 0,
        margin=float(margin),
    )


def rule_matches(checks: list[Check]) -> bool:
    """Every threshold holds and the directional conditions that hold weigh enough."""
    if any(not c.holds for c in checks if c.threshold is not None):
        return False
    total = sum(c.weight for c in checks)
    held = sum(c.weight for c in checks if c.holds)
    return total == 0 or held >= MATCH_SHARE * total
