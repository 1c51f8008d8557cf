"""A persona's export: its audience (or who joined and left since the latest digest), written in
one of the audience formats (`smartcart.engine.marketing.audiences`), with a campaign recorded when the
options name one (`smartcart.engine.marketing.campaigns`). The chat answer and the command line both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from smartcart.engine.marketing.audiences import AudienceExport, ExportOptions, export_audience
from smartcart.engine.marketing.campaigns import Campaign, record_campaign, select_audience
from smartcart.engine.marketing.contacts import Contacts
from smartcart.engine.model import Persona

if TYPE_CHECKING:
    from smartcart.engine.service import SegmentService


@dataclass
class PersonaExport:
    """A persona's export, its file name, the digest period changes are counted from, and the
    campaign it was recorded under."""

    persona: Persona
    options: ExportOptions
    result: AudienceExport
    since_period: str | None = None
    campaign: Campaign | None = None

    @property
    def filename(self) -> str:
        return export_filename(self.persona, self.options)

    def audit_detail(self) -> str:
        return self.result.audit_detail(self.persona.id, self.options)


def persona_export(
    service: SegmentService,
    persona: Persona,
    options: ExportOptions,
    contacts: Contacts | None = None,
    requested_by: tuple[str, str] = ("", ""),
) -> PersonaExport:
    """The persona's export; with a campaign, its groups are recorded in the store first
    (`requested_by` is the user and channel the campaign is recorded for)."""
    period = None
    if options.changes:
        audience, period = service.audience_changes(persona.id)
    else:
        audience = service.audience(persona.id)
    campaign = None
    if options.targeting.campaign is not None and not audience.empty:
        confident = audience
        if options.min_confidence is not None:
            confident = audience[audience["confidence"] >= options.min_confidence]
        chosen = select_audience(options.lifetime.apply(confident, {}), options.targeting)
        user_id, channel_id = requested_by
        version = service.live_version() or ""
        campaign = record_campaign(
            service.store, options.targeting, persona.id, chosen, user_id, channel_id, version
        )
    result = export_audience(audience, options, contacts, persona.name)
    return PersonaExport(persona, options, result, period, campaign)


def export_filename(persona: Persona, options: ExportOptions, day: date | None = None) -> str:
    """`smartcart-premium-2024-04-01.csv`, `smartcart-premium-meta-changes-2024-04-01.csv`,
    `smartcart-premium-high-risk-top-clv-2024-04-01.csv`."""
    parts = [persona.id]
    if options.targeting.campaign:
        parts.append(options.targeting.campaign)
    if options.lifetime.churn_risk:
        parts.append(f"{options.lifetime.churn_risk}-risk")
    if options.lifetime.top_share is not None or options.lifetime.top_count is not None:
        parts.append("top-clv")
    if options.format != "csv":
        parts.append(options.format)
    if options.changes:
        parts.append("changes")
    return f"smartcart-{'-'.join(parts)}-{(day or date.today()).isoformat()}.csv"
