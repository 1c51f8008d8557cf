"""Campaign readouts: the responses to a campaign, and target against control.

A readout compares the response rate of the target and control groups of a campaign recorded
by `export --campaign` (campaigns.py): the absolute lift with a 95% Newcombe hybrid score
interval (from Wilson intervals; Newcombe 1998, method 10) and the two-sided p-value of the
pooled two-proportion z-test, and a verdict in plain words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy.stats import binomtest, norm

from smartcart.engine.marketing.campaigns import (
    CONTROL,
    TARGET,
    Campaign,
    CampaignError,
    campaign_groups,
)
from smartcart.engine.store import Store, campaign_responses, campaigns, now

METHOD = (
    "pooled two-proportion z-test (two-sided); 95% Newcombe hybrid score interval "
    "(Wilson) for the difference"
)
SIGNIFICANCE = 0.05
# The normal approximation behind the test needs at least this many expected responders and
# non-responders in the control group; below it, the readout says it is too small to tell.
MIN_EXPECTED = 5
CHUNK = 5000


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
        """The readout as plain text lines (CLI); the bot builds its own blocks from the same."""
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
