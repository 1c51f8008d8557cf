"""Place customers in segments with the live model, and explain one customer in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from smartcart.engine.model import SegmentModel, likelihood_words
from smartcart.engine.reports import channel_names
from smartcart.engine.scoring.reasons import Reason, contrast_reasons

# How each trait reads: label, the customer's value, the average customer's value, unit.
TRAITS: dict[str, tuple[str, str, str, str]] = {
    "Income": ("Income", "{:,.0f}", "{:,.0f}", " a year"),
    "TotalSpending": ("Total spending", "{:,.0f}", "{:,.0f}", " in 2 years"),
    "TotalPurchases": ("Purchases", "{:,.0f}", "{:,.1f}", ""),
    "Children": ("Children at home", "{:,.0f}", "{:,.1f}", ""),
    "NumDealsPurchases": ("Discount purchases", "{:,.0f}", "{:,.1f}", ""),
    "NumWebVisitsMonth": ("Website visits", "{:,.0f}", "{:,.1f}", " last month"),
    "AcceptedCampaigns": ("Campaign offers accepted", "{:,.0f}", "{:,.1f}", " of 5"),
    "NumCatalogPurchases": ("Catalog purchases", "{:,.0f}", "{:,.1f}", ""),
    "Age": ("Age", "{:,.0f}", "{:,.0f}", ""),
    "Tenure": ("Customer for", "{:,.0f}", "{:,.0f}", " days"),
    "Recency": ("Days since last purchase", "{:,.0f}", "{:,.0f}", ""),
    "FamilySize": ("Household size", "{:,.0f}", "{:,.1f}", ""),
    "LivingWithPartner": ("Living with a partner (1 yes, 0 no)", "{:,.0f}", "{:,.2f}", ""),
    "EducationLevel": ("Education level", "{:,.0f}", "{:,.1f}", ""),
}
# Customers from orders: their own figures, and spend over all their orders.
ORDER_TRAITS: dict[str, tuple[str, str, str, str]] = {
    "TotalSpending": ("Revenue", "{:,.0f}", "{:,.0f}", " over all orders"),
    "TotalPurchases": ("Orders", "{:,.0f}", "{:,.1f}", ""),
    "Recency": ("Days since last order", "{:,.0f}", "{:,.0f}", ""),
    "Tenure": ("Customer for", "{:,.0f}", "{:,.0f}", " days"),
    "AverageOrderValue": ("Average order", "{:,.0f}", "{:,.0f}", ""),
    "Orders365d": ("Orders in the last year", "{:,.0f}", "{:,.1f}", ""),
    "DealShare": ("Share bought on discount", "{:.0%}", "{:.0%}", ""),
    "RefundShare": ("Share refunded", "{:.0%}", "{:.0%}", ""),
}
DRIVER_COUNT = 3


@dataclass
class Explanation:
    customer_id: int
    persona: str
    segment_name: str
    cluster: int
    confidence: float
    drivers: list[str]
    facts: dict[str, object]
    propensity: float | None = None
    propensity_decile: int | None = None
    reasons: list[Reason] = field(default_factory=list)  # behind `drivers`, strongest first
    # Customers from orders with a lifetime model: predicted_clv_365d, probability_alive,
    # churn_risk, expected_next_order_at (a date or None) as stored; None otherwise.
    lifetime: dict[str, object] | None = None

    @property
    def likelihood(self) -> str | None:
        """Likelihood to respond in plain words (None without a response model)."""
        if self.propensity is None or self.propensity_decile is None:
            return None
        return likelihood_words(self.propensity, self.propensity_decile)

    @property
    def confidence_label(self) -> str:
        if self.confidence >= 0.5:
            return "high"
        return "medium" if self.confidence >= 0.2 else "low"


def score(model: SegmentModel, customers: pd.DataFrame) -> pd.DataFrame:
    """customer_id, cluster, persona, segment, confidence (and, with a response model,
    propensity and propensity_decile) of every customer (same order)."""
    return model.assign(customers).table()


def explain(model: SegmentModel, customer: pd.DataFrame) -> Explanation:
    """Persona, confidence, what sets this customer's segment apart from the nearest other
    (reasons.py), and key facts."""
    assignment = model.assign(customer)
    features = assignment.features.iloc[0]
    cluster = int(assignment.cluster[0])
    persona = str(assignment.persona[0])
    traits = {**TRAITS, **ORDER_TRAITS} if model.contract == "orders" else TRAITS
    reasons = contrast_reasons(
        model, assignment.features.iloc[:1], cluster, model.persona(persona)
    )[:DRIVER_COUNT]
    return Explanation(
        customer_id=int(assignment.customer_id[0]),
        persona=persona,
        segment_name=str(assignment.segment[0]),
        cluster=cluster,
        confidence=float(assignment.confidence[0]),
        drivers=[reason_phrase(r, traits) for r in reasons]
        or drivers(
            features, model.population, ORDER_TRAITS if model.contract == "orders" else TRAITS
        ),
        reasons=reasons,
        facts=key_facts(features),
        propensity=None if assignment.propensity is None else float(assignment.propensity[0]),
        propensity_decile=None
        if assignment.propensity_decile is None
        else int(assignment.propensity_decile[0]),
        lifetime=lifetime_facts(customer.iloc[0]),
    )


def lifetime_facts(row: pd.Series) -> dict[str, object] | None:
    """What the customer answer shows of the customer's lifetime columns (None without them)."""
    risk = row.get("churn_risk")
    if risk is None or pd.isna(risk):
        return None
    next_order = row.get("expected_next_order_at")
    return {
        "predicted_clv_365d": float(row["predicted_clv_365d"]),
        "probability_alive": float(row["probability_alive"]),
        "churn_risk": str(risk),
        "expected_next_order_at": None if pd.isna(next_order) else pd.Timestamp(next_order).date(),
    }


def drivers(
    features: pd.Series,
    population: dict[str, dict[str, float]],
    traits: dict[str, tuple[str, str, str, str]] = TRAITS,
) -> list[str]:
    """The traits furthest from the average customer, phrased with both numbers."""
    distance = {
        f: (features[f] - population[f]["mean"]) / population[f]["std"]
        for f in traits
        if f in population and pd.notna(features.get(f))
    }
    top = sorted(distance, key=lambda f: abs(distance[f]), reverse=True)[:DRIVER_COUNT]
    return [_phrase(traits[f], features[f], population[f]["mean"], distance[f]) for f in top]


def reason_phrase(reason: Reason, traits: dict[str, tuple[str, str, str, str]]) -> str:
    """ "Income 84,000 a year (this segment typically 76,000; all customers 52,000)"."""
    label, value_format, mean_format, unit = traits.get(
        reason.shown, (reason.shown, "{:,.1f}", "{:,.1f}", "")
    )
    typical = "n/a" if pd.isna(reason.typical) else mean_format.format(reason.typical)
    everyone = "n/a" if pd.isna(reason.population) else mean_format.format(reason.population)
    return (
        f"{label} {value_format.format(reason.value)}{unit} "
        f"(this segment typically {typical}; all customers {everyone})"
    )


def _phrase(trait: tuple[str, str, str, str], value: float, mean: float, z: float) -> str:
    label, value_format, mean_format, unit = trait
    strength = "well " if abs(z) >= 1.5 else ""
    direction = "above" if z > 0 else "below"
    shown, average = value_format.format(value), mean_format.format(mean)
    return f"{label} {strength}{direction} average: {shown}{unit} (average {average})"


def key_facts(features: pd.Series) -> dict[str, object]:
    channels = {
        name: features[column]
        for column, name in channel_names(features.index).items()
        if column in features.index
    }
    income = features.get("Income")
    return {
        "tenure_days": int(features["Tenure"]),
        "days_since_last_purchase": int(features["Recency"]),
        "preferred_channel": max(channels, key=channels.get) if channels else "unknown",
        "total_spending": float(features["TotalSpending"]),
        "income": None if income is None or pd.isna(income) else float(income),
    }
