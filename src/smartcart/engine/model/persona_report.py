"""What a model's profiles say of its personas: each rule against its segment's profile
(`smartcart personas check`), the figures that back a description, and warnings where a
profile contradicts the persona it was named after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smartcart.engine.model.naming import feature_words, is_unmatched
from smartcart.engine.model.persona_rules import Check, check_rule, figure

if TYPE_CHECKING:
    from smartcart.engine.model.artifact import SegmentModel

FIGURE_COUNT = 3


@dataclass(frozen=True)
class SegmentCheck:
    """A segment, the persona it was named after (None when no rule matched), the checks."""

    cluster: int
    name: str
    persona: str | None
    checks: tuple[Check, ...]


def segment_profiles(model: SegmentModel) -> tuple[dict, dict]:
    """Per cluster z-scores and means of every feature: stored at naming, or (models trained
    before) from the segments' profiles and the population's figures."""
    naming = model.naming
    if naming.profiles_ is not None and naming.means_ is not None:
        return naming.profiles_, naming.means_
    population = model.population
    means = {s["cluster"]: dict(s["profile"]) for s in model.segments}
    z = {
        cluster: {
            f: (v - population[f]["mean"]) / population[f]["std"]
            for f, v in profile.items()
            if f in population
        }
        for cluster, profile in means.items()
    }
    return z, means


def segment_checks(model: SegmentModel) -> list[SegmentCheck]:
    """Every segment's persona rule against its profile (no checks for an unmatched one)."""
    z, means = segment_profiles(model)
    population = {f: stats["mean"] for f, stats in model.population.items()}
    out = []
    for segment in model.segments:
        cluster = segment["cluster"]
        persona = None if is_unmatched(segment["persona"]) else model.persona(segment["persona"])
        checks = (
            check_rule(persona, z.get(cluster, {}), means.get(cluster, {}), population)
            if persona
            else []
        )
        out.append(
            SegmentCheck(cluster, segment["name"], persona.id if persona else None, tuple(checks))
        )
    return out


def distinguishing_figures(model: SegmentModel, persona_id: str) -> list[str]:
    """The figures behind a persona's description: its rule's features where its (first)
    segment stands furthest from all customers, "website visits 6.3 (all 5.3)"."""
    found = next((c for c in segment_checks(model) if c.persona == persona_id), None)
    if found is None:
        return []
    ranked = sorted(found.checks, key=lambda c: abs(c.z), reverse=True)[:FIGURE_COUNT]
    return [
        f"{feature_words(c.feature)} {figure(c.mean)} (all {figure(c.population)})" for c in ranked
    ]


def description_warnings(model: SegmentModel) -> list[str]:
    """One line per condition a named segment's profile contradicts, and per segment no
    persona matched."""
    checks = segment_checks(model)
    z, _ = segment_profiles(model)
    lines = []
    for segment in checks:
        if segment.persona is None:
            lines.append(
                f"segment {segment.cluster} matches no persona's rule: named from its profile "
                f'"{segment.name}"'
            )
            continue
        persona = model.persona(segment.persona)
        for check in segment.checks:
            if not check.holds:
                lines.append(contradiction(persona, segment, check, rank_words(z, segment, check)))
    return lines


def rank_words(z: dict, segment: SegmentCheck, check: Check) -> str:
    values = sorted(
        profile.get(check.feature) for profile in z.values() if check.feature in profile
    )
    if len(values) < 2 or check.feature not in z.get(segment.cluster, {}):
        return ""
    own = z[segment.cluster][check.feature]
    if own == values[0]:
        return f", the lowest of the {len(values)} segments"
    return f", the highest of the {len(values)} segments" if own == values[-1] else ""


def contradiction(persona, segment: SegmentCheck, check: Check, rank: str) -> str:
    return (
        f'{persona.name} ({persona.id}): described as "{persona.description.rstrip(".")}", '
        f"but its rule's {check.kind} {check.feature} does not hold: {figure(check.mean)} "
        f"against {figure(check.population)} for all customers{rank}"
    )
