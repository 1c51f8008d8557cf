"""`/segment model`: the live model card in short."""

from __future__ import annotations

from smartcart.engine.model import summary_line as response_summary_line
from smartcart.engine.reports import percent
from smartcart.slack.blockkit import context_block, escape, fields_section, header, section
from smartcart.slack.bot_engine import BotContext
from smartcart.slack.dispatch import Answer, Request, handles

# The quality figures in a sentence each, for marketers reading the card (docs: the figures).
IN_PLAIN_WORDS = (
    "*Silhouette* (-1 to 1): how clearly customers sit closer to their own segment than to the "
    "next; above 0.2 is good for customer data. *Stability (ARI)* (0 to 1): retrained on other "
    "samples, do the same customers end up together again? Above 0.8 is good. *Assignment "
    "agreement*: the share of customers those retrainings placed alike."
)


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
        context_block(IN_PLAIN_WORDS),
        context_block(f"Chosen by rule: {card.selection}"),
        context_block(response_summary_line(card.response_model)),
    ]
    text = (
        f"Model {card.model_version}: {card.algorithm} k={card.k}, trained "
        f"{card.trained_at}, silhouette {metrics.silhouette}, stability {metrics.stability_ari}"
    )
    return Answer(text=text, blocks=blocks, shareable=True)
