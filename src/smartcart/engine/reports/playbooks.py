"""Campaign playbooks: one Jinja template per persona, live numbers, rendered to Markdown.

A playbook is `templates/playbooks/<persona_id>.md.j2` (a deployment's `SMARTCART_TEMPLATES`
folder first), written in Markdown. It renders once, to Markdown (for briefs); the bot turns
that same text into its chat format, so there is one source.

What a playbook template gets:

- `persona`: id, name, short, study_label, description, next_action (from persona_rules.toml)
- `numbers`: None when no segment of the live model is this persona (fewer clusters than
  personas); else size, share, revenue_share, avg_spend, avg_income, response_rate, lift,
  top_categories [{category, share}], preferred_channel, segments [names],
  expected_responders (customers expected to accept an offer sent to all of them: the sum of
  their propensities) and top_decile_share (share of them in the 10% of all customers most
  likely to respond); these two are None when the model has no response model (no Response
  column). With several segments of the persona (more clusters than personas) the numbers are
  their total.
- `model`: version, segments (how many the live model has), customers, base_response_rate
- `change`: None, or the change since the last digest (issue 5 supplies it):
  {"size": int (customers gained, negative when lost), "share_points": float (percentage
  points of the customer share, +1.5 meaning 1.5 points more)}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from smartcart.engine.model import ALL_PERSONAS_BY_ID, Persona
from smartcart.engine.reports.figures import Figures, persona_numbers
from smartcart.engine.reports.templating import TemplateProblem, Templates, template_problem_text

PLAYBOOK_FOLDER = "playbooks"
TEMPLATE_SUFFIX = ".j2"


def playbook_template(persona_id: str) -> str:
    return f"{PLAYBOOK_FOLDER}/{persona_id}.md.j2"


@lru_cache(maxsize=8)
def templates_for(folder: Path | None) -> Templates:
    """One `Templates` per folder for the process, so the last good versions are remembered."""
    return Templates(folder)


# ----------------------------------------------------------------------------------------------
# Numbers


def persona_fields(persona: Persona) -> dict[str, str]:
    return {
        "id": persona.id,
        "name": persona.name,
        "short": persona.short,
        "study_label": persona.study_label,
        "description": persona.description,
        "next_action": persona.next_action,
    }


def playbook_context(
    persona: Persona, figures: Figures, change: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """Everything a playbook template may use (see the module docstring)."""
    return {
        "persona": persona_fields(persona),
        "numbers": persona_numbers(figures, persona.id),
        "model": {
            "version": figures.model_version,
            "segments": len(figures.segments),
            "customers": figures.customers,
            "base_response_rate": figures.base_response_rate,
        },
        "change": dict(change) if change else None,
    }


# ----------------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class Playbook:
    persona: Persona
    markdown: str
    numbers: dict[str, Any] | None


def render_playbook(
    templates: Templates,
    persona: Persona,
    figures: Figures,
    change: Mapping[str, float] | None = None,
) -> Playbook:
    """The persona's playbook as Markdown. Raises TemplateProblem (file:line) if it can't."""
    context = playbook_context(persona, figures, change)
    markdown = templates.render(persona.playbook, **context)
    return Playbook(persona, markdown.strip() + "\n", context["numbers"])


def missing_playbook(templates: Templates, persona: Persona) -> str | None:
    """Why the persona's playbook template cannot be used (None when it exists)."""
    try:
        templates.origin(persona.playbook)
    except TemplateProblem:
        if templates.folder:
            return f"template {persona.playbook} is in neither {templates.folder} nor the built-in templates"
        return (
            f"template {persona.playbook} is not a built-in template "
            "(put yours in the SMARTCART_TEMPLATES folder)"
        )
    return None


def split_title(markdown: str) -> tuple[str | None, str]:
    """The text of a leading `# Title` line (plain), and the rest of the Markdown."""
    head, _, rest = markdown.lstrip().partition("\n")
    found = re.match(r"^#\s+(.+?)\s*#*\s*$", head)
    if not found:
        return None, markdown
    return found.group(1).replace("**", "").replace("`", ""), rest


# ----------------------------------------------------------------------------------------------
# Checking templates


def sample_context(
    persona: Persona, present: bool = True, change: bool = False, no_response: bool = False
) -> dict:
    """Plausible numbers for checking a playbook template without a model."""
    numbers = {
        "size": 560,
        "share": 0.25,
        "revenue_share": 0.42,
        "avg_spend": 1234.5,
        "avg_income": 71234.0,
        "response_rate": 0.31,
        "lift": 2.07,
        "top_categories": [
            {"category": "wine", "share": 0.48},
            {"category": "meat", "share": 0.27},
            {"category": "gold", "share": 0.08},
        ],
        "preferred_channel": "catalog",
        "segments": [persona.name, f"{persona.name} (2)"],
        "expected_responders": None if no_response else 173.6,
        "top_decile_share": None if no_response else 0.27,
    }
    return {
        "persona": persona_fields(persona),
        "numbers": numbers if present else None,
        "model": {
            "version": "20260101T000000Z-sample",
            "segments": 4 if present else 3,
            "customers": 2240,
            "base_response_rate": 0.15,
        },
        "change": {"size": -12, "share_points": -0.5} if change else None,
    }


Samples = Mapping[str, Mapping[str, dict]]  # template name -> {case: context}


def playbook_samples(personas: Iterable[Persona] = ()) -> dict[str, dict[str, dict]]:
    """For each playbook template (the built-in sets' and `personas`'), contexts that walk
    through each of its branches."""
    return {
        p.playbook: {
            "": sample_context(p),
            "with a change since the last digest": sample_context(p, change=True),
            "for a persona with no segment in the model (numbers is none)": sample_context(
                p, present=False
            ),
            "for a model without a response model (expected_responders is none)": sample_context(
                p, no_response=True
            ),
        }
        for p in [*ALL_PERSONAS_BY_ID.values(), *personas]
    }


def check_templates(
    templates: Templates, samples: Samples | None = None, personas: Iterable[Persona] = ()
) -> list[str]:
    """Problems (`file:line: message [case]`) of every template; empty when all are fine.

    Playbooks render with sample numbers (present, changed, absent persona). Other templates
    render with the contexts `samples` gives for their name (e.g. a digest with its sample
    figures), else they are only compiled (syntax), since their variables are not known here.
    A missing playbook is a problem too, the built-in sets' and `personas`' (the live model's).
    """
    playbooks = playbook_samples(personas)
    contexts = {**playbooks, **(samples or {})}
    present = set(templates.names())
    problems: list[str] = []
    for name in sorted(present | set(playbooks)):
        if name not in present:
            problems.append(f"{name}: missing (in neither templates folder)")
        elif name.endswith(TEMPLATE_SUFFIX):
            problems += check_one(templates, name, contexts.get(name))
    return problems


def check_one(templates: Templates, name: str, cases: Mapping[str, dict] | None) -> list[str]:
    if cases is None:
        problem = compile_problem(templates, name)
        return [problem] if problem else []
    problems, places = [], set()
    for case, context in cases.items():
        problem = templates.check(name, **context)
        place = problem.split(": ", 1)[0] if problem else None
        if problem and place not in places:  # one problem per file:line
            places.add(place)
            problems.append(f"{problem} [{case}]" if case else problem)
    return problems


def compile_problem(templates: Templates, name: str) -> str | None:
    try:
        templates.environment.get_template(name)
    except TemplateError as error:
        return template_problem_text(error, templates.origin(name))
    return None


def prepare_templates(templates: Templates, personas: Iterable[Persona] = ()) -> list[str]:
    """Check every template and remember the good playbooks (served if they break later)."""
    problems = check_templates(templates, personas=personas)
    for name, cases in playbook_samples(personas).items():
        try:
            templates.render(name, **cases[""])
        except TemplateProblem:
            continue
    return problems
