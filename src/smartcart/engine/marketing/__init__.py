"""Marketing: contacts, audiences for ad tools, exports, campaigns and their readouts."""

from smartcart.engine.marketing.audiences import (
    FORMAT_TITLES,
    FORMATS,
    HASHED_FORMATS,
    PLATFORM_FORMATS,
    ExportOptions,
)
from smartcart.engine.marketing.campaigns import (
    Campaign,
    CampaignError,
    Targeting,
    campaign_groups,
    get_campaign,
    list_campaigns,
)
from smartcart.engine.marketing.contacts import Contacts, check_country, load_contacts
from smartcart.engine.marketing.exports import PersonaExport, persona_export
from smartcart.engine.marketing.lifetime_filters import LifetimeFilter
from smartcart.engine.marketing.readout_chart import readout_chart
from smartcart.engine.marketing.readouts import (
    Readout,
    read_responses,
    readout,
    save_responses,
    stored_responses,
)

__all__ = [
    "Campaign",
    "CampaignError",
    "Contacts",
    "ExportOptions",
    "FORMATS",
    "FORMAT_TITLES",
    "LifetimeFilter",
    "HASHED_FORMATS",
    "PLATFORM_FORMATS",
    "PersonaExport",
    "Readout",
    "Targeting",
    "campaign_groups",
    "check_country",
    "get_campaign",
    "list_campaigns",
    "load_contacts",
    "persona_export",
    "read_responses",
    "readout",
    "readout_chart",
    "save_responses",
    "stored_responses",
]
