"""Block Kit views of the engine's answers, registered as `/segment` subcommands on import."""

from bot.views import (  # noqa: F401
    customer,
    digest_subscriptions,
    export,
    model_card,
    personas,
    playbook,
    summary,
)
