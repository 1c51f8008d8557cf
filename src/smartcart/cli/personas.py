"""`smartcart personas check`: the live model's persona rules against its segments' profiles."""

from __future__ import annotations

import click

from smartcart.cli.common import emit_json, friendly_errors, settings
from smartcart.cli.main import main


@main.group()
def personas() -> None:
    """The personas segments are named with (docs/data/personas.md)."""


@personas.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@friendly_errors
def personas_check(as_json: bool) -> None:
    """For the live model, each persona's rule against its segment's profile: which
    conditions hold, by how much."""
    from smartcart.engine.model import description_warnings, load_live_model, segment_checks

    model = load_live_model(settings().SMARTCART_MODEL_DIR)
    checks = segment_checks(model)
    missing = list(model.card.missing_personas)
    if as_json:
        emit_json(
            {
                "model_version": model.version,
                "persona_set": model.card.persona_set,
                "segments": [checks_dict(c) for c in checks],
                "personas_without_segment": missing,
                "warnings": description_warnings(model),
            }
        )
        return
    click.echo(f"Model {model.version}, persona set '{model.card.persona_set}'")
    for segment in checks:
        if segment.persona is None:
            click.echo(f"\nSegment {segment.cluster}: {segment.name}: no persona's rule matched")
            continue
        held = sum(c.holds for c in segment.checks)
        click.echo(
            f"\nSegment {segment.cluster}: {segment.name} ({segment.persona}): "
            f"{held} of {len(segment.checks)} conditions hold"
        )
        for check in segment.checks:
            click.echo(f"  {'✓' if check.holds else '✗'} {check.words()}")
    if missing:
        click.echo("\nPersonas that matched no segment: " + ", ".join(missing))


def checks_dict(segment) -> dict:
    return {
        "cluster": segment.cluster,
        "name": segment.name,
        "persona": segment.persona,
        "conditions": [
            {
                "feature": c.feature,
                "kind": c.kind,
                "weight": c.weight,
                "threshold": c.threshold,
                "segment_mean": round(c.mean, 4),
                "population_mean": round(c.population, 4),
                "z": round(c.z, 3),
                "holds": c.holds,
                "margin": round(c.margin, 4),
            }
            for c in segment.checks
        ],
    }
