"""A retailer's own personas file (five personas, none of the built-in ids) and its playbook
templates in a templates folder, as docs/data/personas.md describes them; and the built-in order
personas renamed as a retailer's own (for a model trained on order lines)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

FIVE_PERSONAS = """
name = "boutique"

[[persona]]
id = "big_spenders"
name = "Big Spenders"
short = "Big"
description = "Spend the most & earn the most."
next_action = "Offer a private <shopping> evening."
template = "playbooks/boutique/big_spenders.md.j2"
high = { TotalSpending = 1.5, Income = 1.0 }

[[persona]]
id = "young_families"
name = "Young Families"
description = "Children at home, careful with money."
template = "playbooks/boutique/young_families.md.j2"
high = { Children = 1.0 }
low = { TotalSpending = 0.5 }

[[persona]]
id = "browsers"
name = "Browsers"
description = "Visit the website often, buy little."
template = "playbooks/boutique/browsers.md.j2"
high = { NumWebVisitsMonth = 1.0 }
low = { Income = 0.5 }

[[persona]]
id = "deal_seekers"
name = "Deal Seekers"
description = "A good share of their purchases on discount."
template = "playbooks/boutique/deal_seekers.md.j2"
high = { NumDealsPurchases = 1.0 }
above = { DealShare = 0.1 }

[[persona]]
id = "seniors"
name = "Seniors"
description = "Older customers, no children at home."
template = "playbooks/boutique/seniors.md.j2"
high = { Age = 1.0 }
low = { Children = 0.5 }
"""

PLAYBOOK = """# {{ persona.name }} playbook

{{ persona.description }}
{% if numbers %}
{{ numbers.size | number }} customers ({{ numbers.share | percent }}) in {{ model.segments }} segments.
{% else %}
No segment of the live model is this persona.
{% endif %}
"""

IDS = ["big_spenders", "young_families", "browsers", "deal_seekers", "seniors"]


def write_personas(folder: Path, text: str = FIVE_PERSONAS) -> tuple[Path, Path]:
    """The personas file and the templates folder holding its playbooks."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "personas.toml"
    path.write_text(text)
    templates = folder / "templates"
    (templates / "playbooks" / "boutique").mkdir(parents=True, exist_ok=True)
    for persona_id in IDS:
        (templates / "playbooks" / "boutique" / f"{persona_id}.md.j2").write_text(PLAYBOOK)
    return path, templates


def renamed_order_personas(folder: Path) -> Path:
    """The built-in order personas as a retailer's file: the same rules (so they name the same
    segments) and playbooks, ids `shop_<id>` and names `Shop <name>`, none of them built in."""
    text = (files("smartcart.engine.model") / "persona_rules_orders.toml").read_text()
    text = re.sub(r'^id = "', 'id = "shop_', text, flags=re.MULTILINE)
    text = re.sub(r'^(name|short) = "', r'\1 = "Shop ', text, flags=re.MULTILINE)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "shop_personas.toml"
    path.write_text('name = "shop"\n' + text)
    return path
