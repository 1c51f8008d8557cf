"""Persona sets: the study's (persona_rules.toml) and the default one for customers from orders
(persona_rules_orders.toml), each a rules file of the same shape. A model names its segments
with one set and carries its name (`PersonaNaming.persona_set`, the card's `persona_set`).

Persona ids are unique across the sets, so `ALL_PERSONAS_BY_ID` finds any model's persona.
"""

from __future__ import annotations

import tomllib
from importlib import resources

from smartcart.engine.model.personas import PERSONAS, Persona

STUDY = "study"
ORDERS = "orders"
RULE_FILES = {STUDY: "persona_rules.toml", ORDERS: "persona_rules_orders.toml"}


def load_persona_set(name: str) -> list[Persona]:
    text = resources.files(__package__).joinpath(RULE_FILES[name]).read_text()
    return [Persona(**entry) for entry in tomllib.loads(text)["persona"]]


ORDER_PERSONAS = load_persona_set(ORDERS)
PERSONA_SETS: dict[str, list[Persona]] = {STUDY: PERSONAS, ORDERS: ORDER_PERSONAS}
ALL_PERSONAS_BY_ID = {p.id: p for personas in PERSONA_SETS.values() for p in personas}


def personas_of(persona_set: str | None) -> list[Persona]:
    """The personas of a set by name (the study's for None, a model of an earlier release)."""
    return PERSONA_SETS.get(persona_set or STUDY, PERSONAS)
