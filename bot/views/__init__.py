"""Block Kit views of the engine's answers, registered as `/segment` subcommands on import."""

from bot.views import customer, export, model_card, personas, playbook, summary  # noqa: F401
