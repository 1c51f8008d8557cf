"""`smartcart`: the command line of the engine and the bot (the entry point is `smartcart.cli:main`).

One module per command group: `training` (train, score, model), `local` (ask, export, demo:
the bot's answers through the Slack request path), `serving` (serve, scheduler, health),
`digest`, `data` (generate, mapping, playbook, templates), `campaigns` (list, readout), `db`
(upgrade, current), `lifetime` (fit and check the lifetime-value model), `configuration` (settings
example), `privacy` (forget), `personas` (check the live model's persona rules); `common` holds
what they share and `main` the group they join.
"""

from __future__ import annotations

from smartcart.cli import (
    campaigns,
    configuration,
    data,
    db,
    digest,
    lifetime,
    local,
    personas,
    privacy,
    serving,
    training,
)
from smartcart.cli.main import main

COMMAND_MODULES = (
    training,
    local,
    campaigns,
    serving,
    digest,
    data,
    db,
    lifetime,
    configuration,
    personas,
    privacy,
)

__all__ = ["COMMAND_MODULES", "main"]
