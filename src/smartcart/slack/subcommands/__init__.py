"""Block Kit views of the engine's answers, registered as `/segment` subcommands on import."""

from smartcart.slack.subcommands import (  # noqa: F401 (each registers its subcommand on import)
    at_risk,
    campaign,
    customer,
    digest_subscriptions,
    export,
    model_card,
    personas,
    playbook,
    summary,
)
from smartcart.slack.subcommands.at_risk import EXPORT_AT_RISK_ACTION
from smartcart.slack.subcommands.customer import parse_customer_id
from smartcart.slack.subcommands.export_modal import (
    EXPORT_FORM_CALLBACK_ID,
    export_form,
    read_submission,
)
from smartcart.slack.subcommands.modals import answer_modal
from smartcart.slack.subcommands.playbook import check_templates_at_start

__all__ = [
    "EXPORT_AT_RISK_ACTION",
    "EXPORT_FORM_CALLBACK_ID",
    "answer_modal",
    "check_templates_at_start",
    "export_form",
    "parse_customer_id",
    "read_submission",
]
