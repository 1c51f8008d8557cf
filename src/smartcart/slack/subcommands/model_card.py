"""`/segment model`: the live model card in short."""

from __future__ import annotations

from smartcart.engine.model import summary_line as response_summary_line
from smartcart.engine.reports import percent
from smartcart.slack.blockkit import context_block, escape, fields_section, header, section
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import Answer, Request, handles


@handles("model", "model", "When the model was trained, on what, and how good it is")
def model_card(ctx: BotContext, args: list[str], request: Request) -> Answer:
    card = ctx.service.model.card
    metrics = card.metrics
    rows = card.rows
    data = card.data
    blocks = [
        header(f"Model {card.model_version}"),
        section(
            f"Trained {card.trained_at} on `{escape(data.source)}` "
            f"(sha256 `{data.sha256[:12]}`), as of {card.as_of}.\n"
            f"{rows.used:,} customers used of {rows.read:,} read, "
            f"{rows.quarantined:,} quarantined."
        ),
        fields_section(
            [
                f"*Algorithm*\n{card.algorithm}, k = {card.k}",
                f"*Silhouette*\n{metrics.silhouette}",
                f"*Stability (ARI)*\n{metrics.stability_ari}",
                f"*Assignment agreement*\n{percent(metrics.assignment_agreement)}",
                f"*Calinski-Harabasz*\n{metrics.calinski_harabasz}",
                f"*Davies-Bouldin*\n{metrics.davies_bouldin}",
            ]
        ),
        context_block(f"Chosen by rule: {card.selection}"),
        context_block(response_summary_line(card.response_model)),
    ]
    text = (
        f"Model {card.model_version}: {card.algorithm} k={card.k}, trained "
        f"{card.trained_at}, silhouette {metrics.silhouette}, stability {metrics.stability_ari}"
    )
    return Answer(text=text, blocks=blocks, shareable=True)
