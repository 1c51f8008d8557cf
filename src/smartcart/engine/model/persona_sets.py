"""Persona sets: the study's (persona_rules.toml), the default one for customers from orders
(persona_rules_orders.toml), or a user's file of the same shape (persona_files.py).

A model names its segments with one set and carries it whole (`PersonaNaming.personas` in the
artifact), so it answers without the file; the card names the set (`persona_set`). A model
stored before sets were carried holds only the name of a built-in set (`personas_of`).
"""

from __future__ import annotations

from dataclasses import dataclass

from smartcart.engine.model.personas import PERSONAS, Persona, load_personas

STUDY = "study"
ORDERS = "orders"
RULE_FILES = {STUDY: "persona_rules.toml", ORDERS: "persona_rules_orders.toml"}


ORDER_PERSONAS = load_personas(RULE_FILES[ORDERS])
PERSONA_SETS: dict[str, list[Persona]] = {STUDY: PERSONAS, ORDERS: ORDER_PERSONAS}
ALL_PERSONAS_BY_ID = {p.id: p for personas in PERSONA_SETS.values() for p in personas}


def personas_of(persona_set: str | None) -> list[Persona]:
    """The personas of a built-in set by name (the study's for None or an unknown name)."""
    return PERSONA_SETS.get(persona_set or STUDY, PERSONAS)


@dataclass(frozen=True)
class PersonaSet:
    """What a training names its segments with: a set's name and its personas."""

    name: str
    personas: tuple[Persona, ...]


def builtin_set(contract: str) -> PersonaSet:
    """The default set of a data contract: the order personas for orders, else the study's."""
    name = ORDERS if contract == ORDERS else STUDY
    return PersonaSet(name, tuple(personas_of(name)))
