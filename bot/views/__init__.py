"""Block Kit views of the engine's answers, registered as `/segment` subcommands on import."""

from bot.views import customer, model_card, personas, summary  # noqa: F401
