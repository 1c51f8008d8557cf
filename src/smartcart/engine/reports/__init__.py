"""What people read: figures, the model report, charts, playbooks and their templates."""

from smartcart.engine.reports import charts
from smartcart.engine.reports.charts import (
    history_chart,
    profile_chart,
    selection_chart,
    summary_chart,
)
from smartcart.engine.reports.figures import (
    CHANNELS,
    Figures,
    channel_names,
    compute_figures,
    ordered_personas,
    persona_figures,
    preferred_channel,
    segment_figures,
    top_categories,
)
from smartcart.engine.reports.lifetime_figures import (
    HIGH_RISK,
    empty_lifetime,
    has_lifetime_columns,
    lifetime_totals,
    persona_lifetime,
)
from smartcart.engine.reports.model_report import write_model_report
from smartcart.engine.reports.playbooks import (
    Playbook,
    check_templates,
    missing_playbook,
    prepare_templates,
    render_playbook,
    split_title,
    templates_for,
)
from smartcart.engine.reports.propensity_charts import lift_chart, reliability_chart
from smartcart.engine.reports.templating import TemplateProblem, Templates, money, percent, times

__all__ = [
    "CHANNELS",
    "Figures",
    "HIGH_RISK",
    "Playbook",
    "TemplateProblem",
    "Templates",
    "channel_names",
    "charts",
    "check_templates",
    "compute_figures",
    "empty_lifetime",
    "has_lifetime_columns",
    "history_chart",
    "lifetime_totals",
    "lift_chart",
    "missing_playbook",
    "money",
    "ordered_personas",
    "percent",
    "persona_figures",
    "persona_lifetime",
    "preferred_channel",
    "prepare_templates",
    "profile_chart",
    "reliability_chart",
    "render_playbook",
    "segment_figures",
    "selection_chart",
    "split_title",
    "summary_chart",
    "templates_for",
    "times",
    "top_categories",
    "write_model_report",
]
