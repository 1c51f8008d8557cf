"""A persona set from a TOML file (`--personas FILE`, SMARTCART_PERSONAS), checked before any
training: each problem is one line naming the file, the persona and what is wrong.

The built-in sets (persona_rules.toml, persona_rules_orders.toml) have the same shape; see
docs/data/personas.md. Which features a rule may name depends on the data, so
`check_features` runs once the data's features are known; whether a template exists is the
templates' business (`smartcart.engine.reports.missing_playbooks`).
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

from smartcart.engine.errors import DataError
from smartcart.engine.model.features import CAMPAIGN_FEATURES
from smartcart.engine.model.naming import UNMATCHED_PREFIX
from smartcart.engine.model.persona_rules import DIRECTIONAL, THRESHOLDS
from smartcart.engine.model.personas import Persona, persona_from_entry

RULE_PARTS = (*DIRECTIONAL, *THRESHOLDS)
REQUIRED = ("id", "name", "description")
KNOWN_FIELDS = {f.name for f in fields(Persona)}


def read_persona_file(path: Path) -> tuple[str, list[Persona]]:
    """The set's name (`name = ...` at the top, else the file's stem) and its personas."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DataError(f"{path}: cannot read the personas file ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a TOML file: {error}") from None
    entries = document.get("persona")
    if not isinstance(entries, list) or not entries:
        raise DataError(f"{path}: no [[persona]] tables; see docs/data/personas.md")
    personas = [checked_persona(path, number, entry) for number, entry in enumerate(entries, 1)]
    seen: set[str] = set()
    for persona in personas:
        if persona.id in seen:
            raise DataError(f"{path}: persona '{persona.id}': duplicate id (ids must be unique)")
        seen.add(persona.id)
    return str(document.get("name") or path.stem), personas


def checked_persona(path: Path, number: int, entry: object) -> Persona:
    if not isinstance(entry, dict):
        raise DataError(f"{path}: persona {number}: not a table")
    who = f"persona '{entry['id']}'" if isinstance(entry.get("id"), str) else f"persona {number}"
    where = f"{path}: {who}"
    for key in REQUIRED:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise DataError(f"{where}: no {key} (a text)")
    if entry["id"].startswith(UNMATCHED_PREFIX) or not entry["id"].replace("_", "").isalnum():
        raise DataError(
            f"{where}: an id is letters, digits and _ (not starting with {UNMATCHED_PREFIX})"
        )
    unknown = sorted(set(entry) - KNOWN_FIELDS)
    if unknown:
        raise DataError(
            f"{where}: unknown field {unknown[0]} (fields: {', '.join(sorted(KNOWN_FIELDS))})"
        )
    if not any(entry.get(part) for part in RULE_PARTS):
        raise DataError(f"{where}: no rule (give at least one of {', '.join(RULE_PARTS)})")
    for part in RULE_PARTS:
        conditions = entry.get(part, {})
        if not isinstance(conditions, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in conditions.values()
        ):
            raise DataError(
                f"{where}: {part} must map features to numbers, like {{ Income = 1.0 }}"
            )
    template = entry.get("template", "playbooks/x.md.j2")
    if not (isinstance(template, str) and template.endswith(".j2")) or bad_path(template):
        raise DataError(
            f"{where}: template must name a .j2 file inside the templates folder, "
            "like playbooks/vip.md.j2"
        )
    return persona_from_entry(entry)


def check_features(source: str, personas: list[Persona], known: set[str], contract: str) -> None:
    """Every feature a rule names is one the data's features have (`known`; the campaign
    feature counts on a customer table without campaign columns: its rules skip it)."""
    known = known | (set(CAMPAIGN_FEATURES) if contract != "orders" else set())
    for persona in personas:
        for feature in persona.rule_features:
            if feature not in known:
                raise DataError(
                    f"{source}: persona '{persona.id}': unknown feature {feature} "
                    f"(this data's features: {', '.join(sorted(known))})"
                )


def bad_path(name: str) -> bool:
    """A template name that would leave the templates folder."""
    return name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name
