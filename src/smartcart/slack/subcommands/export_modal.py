"""The export form: a modal with the persona and the export's options.

`export_form(...)` builds the modal `views.open` takes; `read_submission(...)` turns the values
of a `view_submission` into the `/segment export ...` command it stands for, or into errors per
field (what Slack shows under each input with `response_action: errors`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from slack_sdk.models.views import View

from smartcart.engine import DataError
from smartcart.engine.marketing import FORMATS, HASHED_FORMATS, LifetimeFilter
from smartcart.engine.model import PERSONA_SETS, PERSONAS, Persona
from smartcart.slack.blockkit import context_block, validate_block
from smartcart.slack.subcommands.export_options import (
    FormOptions,
    format_label,
    parse_confidence,
    parse_format,
)

EXPORT_FORM_CALLBACK_ID = "smartcart_export"
PERSONA_BLOCK, PERSONA_ACTION = "persona", "persona"
CONFIDENCE_BLOCK, CONFIDENCE_ACTION = "min_confidence", "min_confidence"
FORMAT_BLOCK, FORMAT_ACTION = "format", "format"
CHURN_BLOCK, CHURN_ACTION = "churn_risk", "churn_risk"
TOP_CLV_BLOCK, TOP_CLV_ACTION = "top_clv", "top_clv"
CHURN_CHOICES = (
    ("high", "High churn risk"),
    ("medium", "Medium churn risk"),
    ("low", "Low churn risk"),
)
# What a file posted in Slack may be: hashed contacts, or a csv without contacts.
FORM_FORMATS = tuple(f for f in FORMATS if f == "csv" or f in HASHED_FORMATS)


@dataclass(frozen=True)
class ExportChoice:
    """A valid submission: who to export and how; `command` is the equivalent `/segment` text."""

    persona: str
    options: FormOptions
    channel_id: str

    @property
    def command(self) -> str:
        return " ".join(["export", self.persona, *self.options.words()])


def export_form(
    channel_id: str,
    persona: str | None = None,
    personas: list[Persona] | None = None,
    with_lifetime: bool = False,
) -> dict:
    """The modal; `channel_id` (where it was opened) rides along in `private_metadata`;
    `personas` are the live model's (the study's by default); `with_lifetime` (a live model
    with a lifetime model) adds the churn risk and top predicted value fields."""
    personas = personas or PERSONAS
    persona_select: dict = {
        "type": "static_select",
        "action_id": PERSONA_ACTION,
        "placeholder": plain("Choose a persona"),
        "options": [option(p.name, p.id) for p in personas],
    }
    chosen = next((p for p in personas if p.id == persona), None)
    if chosen is not None:
        persona_select["initial_option"] = option(chosen.name, chosen.id)
    blocks = [
        input_block(PERSONA_BLOCK, "Persona", persona_select),
        input_block(
            CONFIDENCE_BLOCK,
            "Minimum confidence",
            {
                "type": "plain_text_input",
                "action_id": CONFIDENCE_ACTION,
                "placeholder": plain("e.g. 0.6 or 60% (empty: everyone)"),
            },
            optional=True,
            hint="Keep only customers placed in the persona with at least this confidence.",
        ),
        input_block(
            FORMAT_BLOCK,
            "Format",
            {
                "type": "radio_buttons",
                "action_id": FORMAT_ACTION,
                "options": [option(format_label(f), f) for f in FORM_FORMATS],
                "initial_option": option(format_label("csv"), "csv"),
            },
        ),
        *(lifetime_inputs() if with_lifetime else []),
        context_block(
            "The file arrives in your direct messages with me. Every export is recorded."
        ),
    ]
    view = {
        "type": "modal",
        "callback_id": EXPORT_FORM_CALLBACK_ID,
        "title": plain("Export an audience"),
        "submit": plain("Export"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps({"channel": channel_id}),
        "blocks": blocks,
    }
    return validated_modal(view)


def lifetime_inputs() -> list[dict]:
    """Churn risk (a band) and the highest predicted values (a share or a number)."""
    return [
        input_block(
            CHURN_BLOCK,
            "Churn risk",
            {
                "type": "static_select",
                "action_id": CHURN_ACTION,
                "placeholder": plain("Any churn risk"),
                "options": [option(text, value) for value, text in CHURN_CHOICES],
            },
            optional=True,
            hint="Keep only customers in this churn risk band (empty: every band).",
        ),
        input_block(
            TOP_CLV_BLOCK,
            "Highest predicted value",
            {
                "type": "plain_text_input",
                "action_id": TOP_CLV_ACTION,
                "placeholder": plain("e.g. 10% or 500 (empty: everyone)"),
            },
            optional=True,
            hint="Keep the customers with the highest predicted value over the next 12 months.",
        ),
    ]


def read_lifetime(values: dict, errors: dict[str, str]) -> tuple[str | None, str | None]:
    """The churn band and top-CLV text chosen (None when left empty); errors per field."""
    churn = selected(values, CHURN_BLOCK, CHURN_ACTION)
    top = typed_value(values, TOP_CLV_BLOCK, TOP_CLV_ACTION) or None
    for block, given in ((CHURN_BLOCK, {"churn_risk": churn}), (TOP_CLV_BLOCK, {"top_clv": top})):
        try:
            LifetimeFilter.parse(**given)
        except DataError as error:
            errors[block] = f"{str(error).split(': ', 1)[-1].capitalize()}."
    return churn, top


def read_submission(
    view: dict, personas: list[Persona] | None = None
) -> ExportChoice | dict[str, str]:
    """The choice made in the form, or `{block_id: message}` for each field that is wrong;
    `personas` are the live model's (without them, any built-in persona)."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    persona = selected(values, PERSONA_BLOCK, PERSONA_ACTION)
    known = personas or [p for group in PERSONA_SETS.values() for p in group]
    if persona not in {p.id for p in known}:
        errors[PERSONA_BLOCK] = "Choose one of the personas."
    min_confidence = None
    typed = typed_value(values, CONFIDENCE_BLOCK, CONFIDENCE_ACTION)
    if typed:
        try:
            min_confidence = parse_confidence(typed)
        except ValueError as error:
            errors[CONFIDENCE_BLOCK] = f"{str(error)[0].upper()}{str(error)[1:]}."
    try:
        file_format = parse_format(selected(values, FORMAT_BLOCK, FORMAT_ACTION) or "csv")
    except ValueError as error:
        errors[FORMAT_BLOCK] = f"{str(error)[0].upper()}{str(error)[1:]}."
        file_format = "csv"
    churn, top = read_lifetime(values, errors)
    if errors:
        return errors
    options = FormOptions(min_confidence, file_format, churn, top)
    return ExportChoice(str(persona), options, opened_in(view))


def opened_in(view: dict) -> str:
    """The channel the form was opened from (kept in private_metadata)."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return ""
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    return channel if isinstance(channel, str) else ""


def selected(values: dict, block_id: str, action_id: str) -> str | None:
    state = (values.get(block_id) or {}).get(action_id) or {}
    return (state.get("selected_option") or {}).get("value")


def typed_value(values: dict, block_id: str, action_id: str) -> str:
    state = (values.get(block_id) or {}).get(action_id) or {}
    return (state.get("value") or "").strip()


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(text: str, value: str) -> dict:
    return {"text": plain(text[:75]), "value": value}


def input_block(
    block_id: str, label: str, element: dict, optional: bool = False, hint: str | None = None
) -> dict:
    block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint)
    return block


def validated_modal(view: dict) -> dict:
    """The modal, raising ValueError (slack_sdk's errors) when Slack would reject it."""
    for index, block in enumerate(view["blocks"]):
        validate_block(block, index)
    View(**view).validate_json()
    return view
