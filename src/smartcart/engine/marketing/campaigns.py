"""Campaigns: targeting by likelihood, holdout groups, the campaign record, and readouts.

- `--top 30%` / `--top 500` keeps the persona's customers most likely to respond.
- `--campaign NAME --holdout 10%` splits the audience into `target` and `control` by a hash of
  the campaign name and the customer id (SHA-256), so exporting again gives the same groups; the
  campaign (name, persona, filters, sizes, model, when, who) and each customer's group are kept
  in the store.
- readouts.py compares the response rates of target and control once the campaign has run.

The bot and the CLI call these functions; this module knows nothing of either.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from smartcart.engine.errors import SegmentationError
from smartcart.engine.store import Store, campaign_members, campaigns, now

TARGET, CONTROL = "target", "control"
DEFAULT_HOLDOUT = 0.10
MAX_HOLDOUT = 0.5
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
CHUNK = 5000


class CampaignError(SegmentationError):
    """A campaign cannot be recorded or read out; the message says why, in one line."""


# ----------------------------------------------------------------------------------------------
# Options: --top, --campaign, --holdout


@dataclass(frozen=True)
class Top:
    """Keep the `count` most likely customers, or the most likely `share` of them."""

    count: int | None = None
    share: float | None = None

    def rows(self, available: int) -> int:
        if self.count is not None:
            return min(self.count, available)
        return min(available, math.ceil(available * (self.share or 0.0) - 1e-9))

    def __str__(self) -> str:
        return f"{self.count}" if self.count is not None else f"{_plain_percent(self.share)}%"


def _plain_percent(share: float | None) -> str:
    return f"{(share or 0) * 100:g}"


def parse_top(text: str) -> Top:
    """`30%` (a share of the persona) or `500` (a number of customers)."""
    raw = text.strip()
    if raw.endswith("%"):
        share = _number(raw[:-1], "--top")
        if not 0 < share <= 100:
            raise ValueError(f"--top {raw}: a share must be above 0% and at most 100%")
        return Top(share=share / 100)
    if raw.isascii() and raw.isdigit() and int(raw) > 0:
        return Top(count=int(raw))
    raise ValueError(f"--top {raw}: give a share like 30% or a number of customers like 500")


def parse_holdout(text: str) -> float:
    """`10%` -> 0.10; at most 50%."""
    raw = text.strip()
    if not raw.endswith("%"):
        raise ValueError(f"--holdout {raw}: give a share of the audience, like 10%")
    share = _number(raw[:-1], "--holdout") / 100
    if not 0 < share <= MAX_HOLDOUT:
        raise ValueError(f"--holdout {raw}: the control group must be above 0% and at most 50%")
    return share


def _number(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{option} {text}%: not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{option} {text}%: not a number")
    return value


def campaign_name(text: str) -> str:
    """A campaign name as stored: lower case, letters, digits, `-`, `_`, `.`, up to 64."""
    name = text.strip().lower()
    if not NAME_PATTERN.match(name):
        shown = text.strip()[:40]
        raise ValueError(
            f"campaign name {shown!r}: use up to 64 letters, digits, '-', '_' or '.' "
            "(starting with a letter or digit)"
        )
    return name


@dataclass(frozen=True)
class Targeting:
    top: Top | None = None
    campaign: str | None = None
    holdout: float | None = None

    @classmethod
    def parse(
        cls, top: str | None = None, campaign: str | None = None, holdout: str | None = None
    ) -> Targeting:
        """From the option texts; `--holdout` needs `--campaign`, which defaults it to 10%."""
        if holdout is not None and campaign is None:
            raise ValueError("--holdout needs --campaign NAME (the name fixes the groups)")
        return cls(
            top=None if top is None else parse_top(top),
            campaign=None if campaign is None else campaign_name(campaign),
            holdout=None
            if campaign is None
            else (DEFAULT_HOLDOUT if holdout is None else parse_holdout(holdout)),
        )

    def filters(self) -> dict:
        return {"top": str(self.top)} if self.top else {}

    def describe(self) -> str:
        """The options in words, e.g. "top 30% most likely to respond"."""
        if self.top is None:
            return ""
        return f"top {self.top} most likely to respond"


# ----------------------------------------------------------------------------------------------
# Selecting the audience and splitting it


def control_share_of(campaign: str, customer_ids: np.ndarray) -> np.ndarray:
    """A number in [0, 1) per customer, fixed by SHA-256 of the campaign name and id."""
    values = []
    for customer_id in np.asarray(customer_ids):
        digest = hashlib.sha256(f"{campaign}:{int(customer_id)}".encode()).digest()
        values.append(int.from_bytes(digest[:8], "big") / 2**64)
    return np.asarray(values, dtype=float)


def assign_groups(campaign: str, customer_ids: np.ndarray, holdout: float) -> np.ndarray:
    """`control` for about `holdout` of the customers, `target` for the rest; deterministic."""
    control = control_share_of(campaign, customer_ids) < holdout
    return np.where(control, CONTROL, TARGET)


def select_audience(audience: pd.DataFrame, options: Targeting) -> pd.DataFrame:
    """The audience kept by `--top` (most likely first) with a `group` column for a campaign."""
    chosen = audience
    if options.top is not None:
        if "propensity" not in audience.columns:
            raise CampaignError(
                "--top needs a response model, and the live model has none "
                "(its training data had no Response column)"
            )
        ranked = audience.sort_values(
            ["propensity", "customer_id"], ascending=[False, True], kind="stable"
        )
        chosen = ranked.head(options.top.rows(len(ranked)))
    if options.campaign is not None:
        chosen = chosen.copy()
        chosen["group"] = assign_groups(
            options.campaign, chosen["customer_id"].to_numpy(), options.holdout or 0.0
        )
    return chosen


# ----------------------------------------------------------------------------------------------
# The campaign record


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    persona: str
    filters: dict
    holdout: float
    target_size: int
    control_size: int
    model_version: str
    created_at: datetime
    created_by: str
    channel_id: str
    exports: int
    responses_source: str | None
    responses_loaded_at: datetime | None

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "persona": self.persona,
            "filters": self.filters,
            "holdout": self.holdout,
            "target_size": self.target_size,
            "control_size": self.control_size,
            "model_version": self.model_version,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "created_by": self.created_by,
            "exports": self.exports,
            "responses": self.responses_source,
        }


def record_campaign(
    store: Store,
    options: Targeting,
    persona: str,
    audience: pd.DataFrame,
    user_id: str,
    channel_id: str,
    model_version: str,
) -> Campaign:
    """Record (or extend) the campaign of an export with its customers' groups, atomically.

    Exporting again under the same name must be for the same persona and holdout; customers new
    to the audience are added (the same hash gives everyone the same group again).
    """
    if options.campaign is None:
        raise ValueError("record_campaign needs options.campaign")
    members = pd.DataFrame(
        {"customer_id": audience["customer_id"].astype("int64"), "group": audience["group"]}
    )
    stamp = now()
    with store.engine.begin() as connection:
        existing = _campaign_row(connection, options.campaign)
        if existing is None:
            campaign_id = connection.execute(
                campaigns.insert().values(
                    name=options.campaign,
                    persona=persona,
                    filters=options.filters(),
                    holdout=options.holdout,
                    target_size=0,
                    control_size=0,
                    model_version=model_version,
                    created_at=stamp,
                    created_by=user_id,
                    channel_id=channel_id,
                    exports=0,
                    updated_at=stamp,
                )
            ).inserted_primary_key[0]
            known: set[int] = set()
        else:
            _check_same_campaign(existing, persona, options)
            campaign_id = existing["id"]
            known = set(_member_ids(connection, campaign_id))
        new = members[~members["customer_id"].isin(known)]
        rows = [
            {"campaign_id": campaign_id, "customer_id": int(c), "holdout_group": str(g)}
            for c, g in zip(new["customer_id"], new["group"], strict=True)
        ]
        for start in range(0, len(rows), CHUNK):
            connection.execute(campaign_members.insert(), rows[start : start + CHUNK])
        sizes = _group_sizes(connection, campaign_id)
        connection.execute(
            campaigns.update()
            .where(campaigns.c.id == campaign_id)
            .values(
                target_size=sizes.get(TARGET, 0),
                control_size=sizes.get(CONTROL, 0),
                exports=campaigns.c.exports + 1,
                updated_at=stamp,
            )
        )
    return get_campaign(store, options.campaign)


def _check_same_campaign(existing: dict, persona: str, options: Targeting) -> None:
    if existing["persona"] != persona:
        raise CampaignError(
            f"campaign {existing['name']!r} is for {existing['persona']}, not {persona}: "
            "choose another campaign name"
        )
    if abs(existing["holdout"] - (options.holdout or 0)) > 1e-9:
        raise CampaignError(
            f"campaign {existing['name']!r} holds out {existing['holdout']:.0%}, not "
            f"{options.holdout:.0%}: export it with --holdout {existing['holdout'] * 100:g}% "
            "or choose another campaign name"
        )


def _campaign_row(connection, name: str) -> dict | None:
    row = connection.execute(sa.select(campaigns).where(campaigns.c.name == name)).mappings()
    found = row.first()
    return None if found is None else dict(found)


def _member_ids(connection, campaign_id: int) -> list[int]:
    query = sa.select(campaign_members.c.customer_id).where(
        campaign_members.c.campaign_id == campaign_id
    )
    return [int(r[0]) for r in connection.execute(query)]


def _group_sizes(connection, campaign_id: int) -> dict[str, int]:
    query = (
        sa.select(campaign_members.c.holdout_group, sa.func.count())
        .where(campaign_members.c.campaign_id == campaign_id)
        .group_by(campaign_members.c.holdout_group)
    )
    return {str(group): int(count) for group, count in connection.execute(query)}


def _as_campaign(row: dict) -> Campaign:
    return Campaign(
        **{key: row[key] for key in Campaign.__dataclass_fields__ if key in row},
    )


def list_campaigns(store: Store) -> list[Campaign]:
    """Every campaign, newest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(campaigns).order_by(campaigns.c.created_at.desc(), campaigns.c.id.desc())
        ).mappings()
        return [_as_campaign(dict(r)) for r in rows]


def get_campaign(store: Store, name: str) -> Campaign:
    """The campaign of that name; CampaignError (one line) when there is none."""
    try:
        key = campaign_name(name)
    except ValueError as error:
        raise CampaignError(str(error)) from None
    with store.engine.connect() as connection:
        row = _campaign_row(connection, key)
    if row is None:
        raise CampaignError(
            f"no campaign named {key!r}: `smartcart campaign list` shows the campaigns "
            "(export with --campaign NAME to create one)"
        )
    return _as_campaign(row)


def campaign_groups(store: Store, campaign: Campaign) -> pd.DataFrame:
    """customer_id and group of every customer of the campaign."""
    query = sa.select(campaign_members.c.customer_id, campaign_members.c.holdout_group).where(
        campaign_members.c.campaign_id == campaign.id
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=["customer_id", "group"]).astype({"customer_id": "int64"})
