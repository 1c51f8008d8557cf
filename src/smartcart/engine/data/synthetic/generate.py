"""Synthetic customers shaped like the published "Customer Personality Analysis" data.

The generator needs no data file: every figure it uses is a constant, measured once on
/work/shared/data/marketing_campaign.csv (2,240 customers), kept in `smartcart/engine/data/synthetic/calibration.py`.
Unless a comment says otherwise, the figures were measured on all 2,240 rows (marginals) or on the 2,212 rows left after dropping
missing incomes, the 666666 income and birth years before 1920 (relations: least squares and
logistic regressions).

The model is a chain, vectorized over customers:
age -> education, marital status, household (kids, teens) -> income (household, education,
under-30s poorer) -> total spending (income, household, tenure) -> categories (spending,
teenagers), purchases per channel, web visits -> campaign acceptances and Response (each campaign
also depends on how many earlier ones were accepted).  The data's known quirks are applied
afterwards, as data-entry errors would be.

Beyond marginals and pairwise correlations, the chain keeps the joint structure that the
project's segmentation finds in the real data: the childless high earners spend most and answer
campaigns most ("premium"), while homes with teenagers, older and on mid incomes, form a large
mid-market that levels off lower, buys on deals and answers less ("moderate").  What carries that
structure is the household mix by five-year age band, the under-30s' lower incomes and the lower
spending ceiling of homes with teenagers: without them (ten-year bands, incomes blind to age, one
ceiling for all), K-Means on generated data split the big spenders by age instead of by household.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartcart.engine.data.synthetic.calibration import (
    AGE_BAND_UPPER,
    AMOUNT_COLUMNS,
    AS_OF_YEAR,
    BASIC_EDUCATION_INCOME,
    BIRTH_YEAR_COUNTS,
    CAMPAIGN_MODELS,
    CATEGORY_MAX,
    CATEGORY_SHARES_BY_TIER,
    CHANNEL_MODELS,
    COLUMNS,
    COMPLAIN_RATE,
    DUPLICATE_RATE,
    EDUCATION_AGE_BAND_UPPER,
    EDUCATION_COUNTS,
    EDUCATION_COUNTS_BY_AGE_BAND,
    FIRST_BIRTH_YEAR,
    FIRST_ENROLMENT,
    HOUSEHOLD_SHARES_BY_AGE_BAND,
    HOUSEHOLDS,
    IMPLAUSIBLE_BIRTH_YEAR_RATE,
    IMPLAUSIBLE_BIRTH_YEARS,
    INCOME_MAX,
    INCOME_MEAN_BY_HOUSEHOLD,
    INCOME_MIN,
    INCOME_OFFSET_BY_EDUCATION,
    INCOME_OUTLIER,
    INCOME_OUTLIER_RATE,
    INCOME_SD_BY_HOUSEHOLD,
    INCOME_SHAPE_BY_HOUSEHOLD,
    INCOME_SHAPE_PROBABILITIES,
    INCOME_SHAPES,
    INCOME_SOFT_FLOOR,
    LAST_ENROLMENT,
    MARITAL_AGE_BAND_UPPER,
    MARITAL_COUNTS,
    MARITAL_COUNTS_BY_AGE_BAND,
    MISSING_INCOME_RATE,
    ODD_MARITAL_RATE,
    ODD_MARITAL_STATUSES,
    PARTNER_STATUSES,
    QUIRKS_GUARANTEED_FROM_ROWS,
    RECENCY_DAYS,
    SHARE_CONCENTRATION_BY_TIER,
    SPEND_CEILING_WITH_TEENS,
    SPEND_INCOME_NOISE,
    SPEND_LEVEL,
    SPEND_LOG_CEILING,
    SPEND_LOG_NOISE,
    SPEND_LOG_NOISE_WITH_TEENS,
    SPEND_MAX,
    SPEND_MIDPOINT,
    SPEND_MIN,
    SPEND_PER_KID,
    SPEND_PER_TEEN,
    SPEND_PER_TENURE_YEAR,
    SPEND_RISE,
    SPEND_TIER_CENTRES,
    SPEND_WIDTH,
    YOUNG_AGE,
    YOUNG_INCOME_QUANTILE_WARP,
    Z_COST_CONTACT,
    Z_REVENUE,
)


def generate_customers(rows: int, seed: int = 0, start_id: int = 1) -> pd.DataFrame:
    """Return `rows` synthetic customers with the 29 columns of the published layout.

    IDs run from `start_id`; the same seed always gives the same frame.
    """
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    rng = np.random.default_rng(seed)
    columns = _customer_columns(rng, rows)
    _copy_duplicate_rows(rng, columns, rows)
    _apply_quirks(rng, columns, rows)
    return _to_frame(columns, rows, start_id)


# ---- The model -----------------------------------------------------------------------------


def _customer_columns(rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
    year_birth = _draw_from_counts(rng, BIRTH_YEAR_COUNTS, rows) + FIRST_BIRTH_YEAR
    age = AS_OF_YEAR - year_birth
    education = _draw_by_age(rng, age, EDUCATION_AGE_BAND_UPPER, EDUCATION_COUNTS_BY_AGE_BAND)
    marital = _draw_by_age(rng, age, MARITAL_AGE_BAND_UPPER, MARITAL_COUNTS_BY_AGE_BAND)
    household = _draw_by_age(rng, age, AGE_BAND_UPPER, HOUSEHOLD_SHARES_BY_AGE_BAND)
    kids = np.array([k for k, _ in HOUSEHOLDS])[household]
    teens = np.array([t for _, t in HOUSEHOLDS])[household]
    income = _income(rng, household, education, age < YOUNG_AGE)
    enrolled = rng.integers(0, _enrolment_days(), rows)
    tenure_years = (_enrolment_days() - 1 - enrolled) / 365.25
    recency = rng.integers(0, RECENCY_DAYS, rows)
    spend = _total_spend(rng, income, kids, teens, tenure_years)
    amounts = _category_amounts(rng, spend, teens > 0)
    log_spend = np.log(np.maximum(amounts.sum(axis=1), 1))
    features = {
        "income": income / 1e4,
        "log_spend": log_spend,
        "kids": kids,
        "teens": teens,
        "tenure": tenure_years,
        "partner": np.isin(marital, [list(MARITAL_COUNTS).index(s) for s in PARTNER_STATUSES]),
    }
    columns = {
        "Year_Birth": year_birth,
        "Education": education,
        "Marital_Status": marital,
        "Income": income,
        "Kidhome": kids,
        "Teenhome": teens,
        "Dt_Customer": enrolled,  # days after FIRST_ENROLMENT until _to_frame
        "Recency": recency,
        **dict(zip(AMOUNT_COLUMNS, amounts.T, strict=True)),
        **_channel_counts(rng, features),
        **_campaign_acceptances(rng, features, age, recency),
        "Complain": (rng.random(rows) < COMPLAIN_RATE).astype(np.int64),
    }
    return columns


def _draw_from_counts(rng: np.random.Generator, counts: list[int], rows: int) -> np.ndarray:
    probabilities = np.asarray(counts, dtype=float)
    return rng.choice(len(counts), size=rows, p=probabilities / probabilities.sum())


def _enrolment_days() -> int:
    return int((LAST_ENROLMENT - FIRST_ENROLMENT).astype(int)) + 1


def _draw_by_age(
    rng: np.random.Generator, age: np.ndarray, band_upper: list[int], shares: list[list[float]]
) -> np.ndarray:
    """Index into the columns of `shares`, drawn from the row of the customer's age band."""
    band = np.searchsorted(band_upper, age, side="right")
    shares = np.asarray(shares, dtype=float)
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)[band]
    drawn = (rng.random(len(age))[:, None] > cumulative).sum(axis=1)
    return np.minimum(drawn, shares.shape[1] - 1)


def _income(
    rng: np.random.Generator, household: np.ndarray, education: np.ndarray, young: np.ndarray
) -> np.ndarray:
    offsets = np.array([INCOME_OFFSET_BY_EDUCATION.get(name, 0) for name in EDUCATION_COUNTS])
    mean = np.asarray(INCOME_MEAN_BY_HOUSEHOLD, dtype=float)[household] + offsets[education]
    sd = np.asarray(INCOME_SD_BY_HOUSEHOLD, dtype=float)[household]
    noise = _shaped_noise(rng, np.asarray(INCOME_SHAPE_BY_HOUSEHOLD)[household], young)
    is_basic = education == list(EDUCATION_COUNTS).index("Basic")
    mean = np.where(is_basic, BASIC_EDUCATION_INCOME[0], mean)
    sd = np.where(is_basic, BASIC_EDUCATION_INCOME[1], sd)
    noise = np.where(is_basic, rng.standard_normal(len(household)), noise)
    income = mean + sd * noise
    # A hard clip would pile customers on the minimum; spread the few low draws instead.
    soft_floor = rng.uniform(INCOME_MIN, INCOME_SOFT_FLOOR, len(household))
    income = np.where(income < INCOME_MIN, soft_floor, income)
    return np.rint(np.minimum(income, INCOME_MAX))


def _shaped_noise(rng: np.random.Generator, shape: np.ndarray, young: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws, piecewise linear between the quantiles of each row's INCOME_SHAPES;
    the young draw through YOUNG_INCOME_QUANTILE_WARP."""
    probabilities = np.asarray(INCOME_SHAPE_PROBABILITIES)
    quantiles = np.asarray(INCOME_SHAPES)
    u = rng.random(len(shape))
    u = np.where(young, np.interp(u, *YOUNG_INCOME_QUANTILE_WARP), u)
    left = np.clip(np.searchsorted(probabilities, u, side="right") - 1, 0, len(probabilities) - 2)
    low, high = quantiles[shape, left], quantiles[shape, left + 1]
    fraction = (u - probabilities[left]) / (probabilities[left + 1] - probabilities[left])
    return low + fraction * (high - low)


def _total_spend(
    rng: np.random.Generator,
    income: np.ndarray,
    kids: np.ndarray,
    teens: np.ndarray,
    tenure_years: np.ndarray,
) -> np.ndarray:
    effective_income = income / 1e4 + SPEND_INCOME_NOISE * rng.standard_normal(len(income))
    with_teens = teens > 0
    log_noise = np.where(with_teens, SPEND_LOG_NOISE_WITH_TEENS, SPEND_LOG_NOISE)
    potential = (
        SPEND_LEVEL
        + SPEND_RISE * _sigmoid((effective_income - SPEND_MIDPOINT) / SPEND_WIDTH)
        + SPEND_PER_KID * kids
        + SPEND_PER_TEEN * teens
        + SPEND_PER_TENURE_YEAR * tenure_years
        + log_noise * rng.standard_normal(len(income))
    )
    ceiling = np.where(with_teens, SPEND_CEILING_WITH_TEENS, SPEND_LOG_CEILING)
    log_spend = ceiling - np.logaddexp(0, ceiling - potential)
    return np.clip(np.exp(log_spend), SPEND_MIN, SPEND_MAX)


def _category_amounts(
    rng: np.random.Generator, spend: np.ndarray, with_teens: np.ndarray
) -> np.ndarray:
    """Split each total across the six categories: Dirichlet shares around the tier's mean."""
    log_spend = np.log(spend)

    def mean_shares(table: list[list[float]]) -> np.ndarray:
        columns = np.asarray(table).T
        return np.column_stack([np.interp(log_spend, SPEND_TIER_CENTRES, c) for c in columns])

    shares = np.where(
        with_teens[:, None],
        mean_shares(CATEGORY_SHARES_BY_TIER["with teens"]),
        mean_shares(CATEGORY_SHARES_BY_TIER["without teens"]),
    )
    concentration = np.interp(log_spend, SPEND_TIER_CENTRES, SHARE_CONCENTRATION_BY_TIER)
    weights = rng.standard_gamma(shares * concentration[:, None])
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-300)
    amounts = np.rint(weights * spend[:, None])
    return np.minimum(amounts, CATEGORY_MAX).astype(np.int64)


def _channel_counts(
    rng: np.random.Generator, features: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    log_spend = features["log_spend"]
    design = np.column_stack(
        [
            np.ones_like(log_spend),
            log_spend,
            (log_spend - 5.5) ** 2,
            features["income"],
            features["kids"],
            features["teens"],
            features["tenure"],
            (features["teens"] > 0) * (features["income"] - 6),
            (features["kids"] > 0) * (features["income"] - 6),
        ]
    )
    counts = {}
    for column, (offset, trials, noise_sd, coefficients) in CHANNEL_MODELS.items():
        logit = design @ np.asarray(coefficients) + noise_sd * rng.standard_normal(len(design))
        counts[column] = offset + rng.binomial(trials, _sigmoid(logit))
    return counts


def _campaign_acceptances(
    rng: np.random.Generator,
    features: dict[str, np.ndarray],
    age: np.ndarray,
    recency: np.ndarray,
) -> dict[str, np.ndarray]:
    design = np.column_stack(
        [
            np.ones_like(features["income"]),
            features["income"],
            features["log_spend"],
            features["kids"] > 0,
            features["teens"],
            features["tenure"],
            (age - 45) / 10,
            recency / 100,
            features["partner"],
        ]
    )
    earlier_acceptances = np.zeros(len(age))
    accepted = {}
    for column, coefficients in CAMPAIGN_MODELS.items():
        logit = design @ np.asarray(coefficients[:-1]) + coefficients[-1] * earlier_acceptances
        accepted[column] = (rng.random(len(age)) < _sigmoid(logit)).astype(np.int64)
        earlier_acceptances += accepted[column]
    return accepted


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# ---- Quirks ---------------------------------------------------------------------------------


def _quirk_count(rng: np.random.Generator, rows: int, rate: float) -> int:
    """Expected count rounded at random (so small frames may have none), at least one from
    QUIRKS_GUARANTEED_FROM_ROWS rows on."""
    count = int(rate * rows + rng.random())
    if rows >= QUIRKS_GUARANTEED_FROM_ROWS:
        count = max(count, 1)
    return min(count, rows)


def _copy_duplicate_rows(
    rng: np.random.Generator, columns: dict[str, np.ndarray], rows: int
) -> None:
    """Overwrite some rows with copies of others: duplicates in everything but ID."""
    count = _quirk_count(rng, rows, DUPLICATE_RATE)
    if count == 0 or count >= rows:
        return
    order = rng.permutation(rows)
    copies, originals = order[:count], rng.choice(order[count:], size=count)
    for values in columns.values():
        values[copies] = values[originals]


def _apply_quirks(rng: np.random.Generator, columns: dict[str, np.ndarray], rows: int) -> None:
    missing = _quirk_count(rng, rows, MISSING_INCOME_RATE)
    outliers = _quirk_count(rng, rows, INCOME_OUTLIER_RATE)
    # One draw for both, so an outlier never disappears under a missing value.
    positions = rng.choice(rows, size=min(missing + outliers, rows), replace=False)
    columns["Income"][positions[:outliers]] = INCOME_OUTLIER
    columns["Income"][positions[outliers:]] = np.nan

    count = _quirk_count(rng, rows, IMPLAUSIBLE_BIRTH_YEAR_RATE)
    positions = rng.choice(rows, size=count, replace=False)
    columns["Year_Birth"][positions] = rng.choice(IMPLAUSIBLE_BIRTH_YEARS, size=count)

    count = _quirk_count(rng, rows, ODD_MARITAL_RATE)
    positions = rng.choice(rows, size=count, replace=False)
    odd_codes = len(MARITAL_COUNTS) + _draw_from_counts(
        rng, list(ODD_MARITAL_STATUSES.values()), count
    )
    columns["Marital_Status"][positions] = odd_codes


def _to_frame(columns: dict[str, np.ndarray], rows: int, start_id: int) -> pd.DataFrame:
    education_names = np.array(list(EDUCATION_COUNTS), dtype=object)
    marital_names = np.array([*MARITAL_COUNTS, *ODD_MARITAL_STATUSES], dtype=object)
    data = {
        **columns,
        "ID": np.arange(start_id, start_id + rows, dtype=np.int64),
        "Education": pd.array(education_names[columns["Education"]], dtype="str"),
        "Marital_Status": pd.array(marital_names[columns["Marital_Status"]], dtype="str"),
        "Dt_Customer": (FIRST_ENROLMENT + columns["Dt_Customer"]).astype("datetime64[us]"),
        "Z_CostContact": np.full(rows, Z_COST_CONTACT, dtype=np.int64),
        "Z_Revenue": np.full(rows, Z_REVENUE, dtype=np.int64),
    }
    return pd.DataFrame({name: data[name] for name in COLUMNS})
