"""Campaigns: targeting by likelihood, holdout groups, the campaign record, and readouts.

- `--top 30%` / `--top 500` keeps the persona's customers most likely to respond.
- `--campaign NAME --holdout 10%` splits the audience into `target` and `control` by a hash of
  the campaign name and the customer id (SHA-256), so exporting again gives the same groups; the
  campaign (name, persona, filters, sizes, model, when, who) and each customer's group are kept
  in the store.
- A readout compares the response rate of target and control: the absolute lift with a 95%
  Newcombe hybrid score interval (from Wilson intervals; Newcombe 1998, method 10) and the
  two-sided p-value of the pooled two-proportion z-test.

No Slack here: the bot and the CLI call these functions.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy.stats import binomtest, norm

from segmentation.errors import SegmentationError
from segmentation.store import Store, campaign_members, campaign_responses, campaigns, now

TARGET, CONTROL = "target", "control"
DEFAULT_HOLDOUT = 0.10
MAX_HOLDOUT = 0.5
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
METHOD = (
    "pooled two-proportion z-test (two-sided); 95% Newcombe hybrid score interval "
    "(Wilson) for the difference"
)
SIGNIFICANCE = 0.05
# The normal approximation behind the test needs at least this many expected responders and
# non-responders in the control group; below it, the readout says it is too small to tell.
MIN_EXPECTED = 5
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
class ExportOptions:
    top: Top | None = None
    campaign: str | None = None
    holdout: float | None = None

    @classmethod
    def parse(
        cls, top: str | None = None, campaign: str | None = None, holdout: str | None = None
    ) -> ExportOptions:
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


def select_audience(audience: pd.DataFrame, options: ExportOptions) -> pd.DataFrame:
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
    options: ExportOptions,
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


def _check_same_campaign(existing: dict, persona: str, options: ExportOptions) -> None:
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


# ----------------------------------------------------------------------------------------------
# Responses


def read_responses(path: str | Path) -> pd.DataFrame:
    """A response file: CSV with `customer_id` (and optionally `revenue`), one row per response.

    Returns customer_id (int) and revenue (float or NaN), summed per customer.
    """
    path = Path(path)
    if not path.is_file():
        raise CampaignError(f"{path}: response file not found")
    try:
        with path.open(encoding="utf-8-sig") as handle:
            header = handle.readline()
        separator = next((s for s in (",", ";", "\t") if s in header), ",")
        raw = pd.read_csv(
            path, sep=separator, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise CampaignError(f"{path}: not a readable CSV file ({_first_line(error)})") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    if "customer_id" not in raw.columns:
        found = ", ".join(raw.columns[:8]) or "nothing"
        raise CampaignError(f"{path}: no customer_id column (found: {found})")
    ids = _whole_numbers(path, raw["customer_id"].str.strip())
    revenue = (
        _revenues(path, raw["revenue"].str.strip())
        if "revenue" in raw.columns
        else pd.Series(np.nan, index=raw.index)
    )
    frame = pd.DataFrame({"customer_id": ids, "revenue": revenue})
    has_revenue = "revenue" in raw.columns
    grouped = frame.groupby("customer_id", sort=True)["revenue"]
    out = grouped.sum(min_count=1) if has_revenue else grouped.first()
    return out.reset_index()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _whole_numbers(path: Path, values: pd.Series) -> pd.Series:
    bad = ~values.str.fullmatch(r"\d{1,18}")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CampaignError(
            f"{path}, line {row + 2}: customer_id {values.iloc[row][:30]!r} is not a whole number"
        )
    return values.astype("int64")


def _revenues(path: Path, values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values.where(values != "", None), errors="coerce")
    bad = numbers.isna() & (values != "") | ~np.isfinite(numbers.fillna(0.0))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CampaignError(
            f"{path}, line {row + 2}: revenue {values.iloc[row][:30]!r} is not a number"
        )
    return numbers.astype(float)


def save_responses(store: Store, campaign: Campaign, responses: pd.DataFrame, source: str) -> None:
    """Replace the campaign's responses (refused, with one line, if any id is not in it)."""
    groups = campaign_groups(store, campaign)
    unknown = sorted(set(responses["customer_id"]) - set(groups["customer_id"]))
    if unknown:
        shown = ", ".join(str(i) for i in unknown[:5])
        raise CampaignError(
            f"{source}: {len(unknown):,} customer id(s) are not in campaign {campaign.name!r} "
            f"(e.g. {shown}); a readout counts only the customers exported for it"
        )
    rows = [
        {
            "campaign_id": campaign.id,
            "customer_id": int(r.customer_id),
            "revenue": None if pd.isna(r.revenue) else float(r.revenue),
        }
        for r in responses.itertuples(index=False)
    ]
    with store.engine.begin() as connection:
        connection.execute(
            campaign_responses.delete().where(campaign_responses.c.campaign_id == campaign.id)
        )
        for start in range(0, len(rows), CHUNK):
            connection.execute(campaign_responses.insert(), rows[start : start + CHUNK])
        connection.execute(
            campaigns.update()
            .where(campaigns.c.id == campaign.id)
            .values(responses_source=source[:300], responses_loaded_at=now())
        )


def stored_responses(store: Store, campaign: Campaign) -> pd.DataFrame | None:
    """The responses loaded for the campaign, or None before any were."""
    if campaign.responses_loaded_at is None:
        return None
    query = sa.select(campaign_responses.c.customer_id, campaign_responses.c.revenue).where(
        campaign_responses.c.campaign_id == campaign.id
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=["customer_id", "revenue"])
    return frame.astype({"customer_id": "int64", "revenue": float})


# ----------------------------------------------------------------------------------------------
# The readout


@dataclass(frozen=True)
class GroupResult:
    size: int
    responders: int
    revenue: float | None = None

    @property
    def rate(self) -> float | None:
        return self.responders / self.size if self.size else None

    @property
    def revenue_per_customer(self) -> float | None:
        return None if self.revenue is None or not self.size else self.revenue / self.size

    def as_dict(self) -> dict:
        rate = self.rate
        return {
            "size": self.size,
            "responders": self.responders,
            "rate": None if rate is None else round(rate, 6),
        }


@dataclass(frozen=True)
class Readout:
    campaign: str
    target: GroupResult
    control: GroupResult
    lift_absolute: float | None
    lift_relative: float | None
    ci95: tuple[float, float] | None
    p_value: float | None
    verdict: str
    method: str = METHOD

    def as_dict(self) -> dict:
        """The `--json` contract: exactly these keys."""
        return {
            "campaign": self.campaign,
            "target": self.target.as_dict(),
            "control": self.control.as_dict(),
            "lift_absolute": _round(self.lift_absolute),
            "lift_relative": _round(self.lift_relative),
            "ci95": None if self.ci95 is None else [_round(v) for v in self.ci95],
            "p_value": _round(self.p_value),
            "verdict": self.verdict,
        }

    @property
    def has_revenue(self) -> bool:
        return self.target.revenue is not None

    def lines(self) -> list[str]:
        """The readout as plain text lines (CLI); Slack builds its own blocks from the same."""
        out = [f"Campaign {self.campaign}"]
        for label, group in (("Target", self.target), ("Control", self.control)):
            revenue = (
                f", revenue per customer {group.revenue_per_customer:,.2f}"
                if self.has_revenue and group.revenue_per_customer is not None
                else ""
            )
            out.append(
                f"{label:<8} {group.size:>7,} customers, {group.responders:>6,} responders, "
                f"response rate {_pct(group.rate)}{revenue}"
            )
        if self.lift_absolute is not None:
            relative = "n/a" if self.lift_relative is None else f"{self.lift_relative:+.1%}"
            interval = "n/a" if self.ci95 is None else _points_interval(self.ci95)
            out.append(
                f"Lift: {self.lift_absolute * 100:+.2f} points absolute ({relative} relative), "
                f"95% CI {interval}, p = {_p(self.p_value)}"
            )
        out.append(f"Verdict: {self.verdict}")
        out.append(f"Method: {self.method}")
        return out


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(float(value), digits)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "< 0.0001" if value < 1e-4 else f"{value:.4f}"


def _points_interval(ci: tuple[float, float]) -> str:
    return f"[{ci[0] * 100:+.2f}, {ci[1] * 100:+.2f}] points"


def wilson_interval(responders: int, size: int) -> tuple[float, float]:
    ci = binomtest(responders, size).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def newcombe_interval(target: GroupResult, control: GroupResult) -> tuple[float, float]:
    """95% interval of rate(target) - rate(control): Newcombe's hybrid score method."""
    p1, p0 = target.rate, control.rate
    low1, high1 = wilson_interval(target.responders, target.size)
    low0, high0 = wilson_interval(control.responders, control.size)
    difference = p1 - p0
    return (
        difference - math.sqrt((p1 - low1) ** 2 + (high0 - p0) ** 2),
        difference + math.sqrt((high1 - p1) ** 2 + (p0 - low0) ** 2),
    )


def z_test_p_value(target: GroupResult, control: GroupResult) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (target.responders + control.responders) / (target.size + control.size)
    error = math.sqrt(pooled * (1 - pooled) * (1 / target.size + 1 / control.size))
    if error == 0:
        return 1.0
    z = (target.rate - control.rate) / error
    return float(2 * norm.sf(abs(z)))


def readout(campaign: str, groups: pd.DataFrame, responses: pd.DataFrame) -> Readout:
    """Target against control for a campaign's groups and its responses."""
    responded = groups.merge(responses, on="customer_id", how="left", indicator=True)
    responded["responded"] = responded["_merge"] == "both"
    has_revenue = responses["revenue"].notna().any()
    results = {}
    for group in (TARGET, CONTROL):
        members = responded[responded["group"] == group]
        revenue = float(members["revenue"].fillna(0).sum()) if has_revenue else None
        results[group] = GroupResult(len(members), int(members["responded"].sum()), revenue)
    return compare(campaign, results[TARGET], results[CONTROL])


def compare(campaign: str, target: GroupResult, control: GroupResult) -> Readout:
    if not target.size or not control.size:
        missing = "control" if not control.size else "target"
        verdict = (
            f"Cannot tell: the {missing} group is empty, so there is nothing to compare "
            "(export with --campaign NAME --holdout 10% to keep a control group)."
        )
        return Readout(campaign, target, control, None, None, None, None, verdict)
    lift = target.rate - control.rate
    relative = lift / control.rate if control.rate else None
    interval = newcombe_interval(target, control)
    p_value = z_test_p_value(target, control)
    verdict = _verdict(target, control, lift, interval, p_value)
    return Readout(campaign, target, control, lift, relative, interval, p_value, verdict)


def _verdict(
    target: GroupResult,
    control: GroupResult,
    lift: float,
    interval: tuple[float, float],
    p_value: float,
) -> str:
    pooled = (target.responders + control.responders) / (target.size + control.size)
    expected = min(control.size * pooled, control.size * (1 - pooled))
    rates = f"{_pct(target.rate)} in target against {_pct(control.rate)} in control"
    if expected < MIN_EXPECTED:
        return (
            f"Too small to tell: the control group ({control.size:,} customers, "
            f"{control.responders:,} responders) is too small to tell whether the campaign "
            f"made a difference ({rates}; the 95% interval runs {_points_interval(interval)}). "
            "Keep a larger control group next time."
        )
    if p_value < SIGNIFICANCE:
        effect = "worked" if lift > 0 else "did worse than no campaign"
        return (
            f"The campaign {effect}: {rates}, {lift * 100:+.1f} points "
            f"(95% CI {_points_interval(interval)}, p = {_p(p_value)})."
        )
    return (
        f"No clear effect: {rates}; a difference of {lift * 100:+.1f} points could be chance "
        f"(p = {_p(p_value)}; the 95% interval runs {_points_interval(interval)})."
    )
