"""The generator's calibration: every figure `smartcart.engine.data.synthetic.generate` draws from.

Measured once on /work/shared/data/marketing_campaign.csv (2,240 customers); see
`smartcart.engine.data.synthetic.generate` for how the figures were measured and how the chain uses them.
"""

from __future__ import annotations

import numpy as np

from smartcart.engine.data import schema

COLUMNS = schema.PUBLISHED_COLUMNS
AMOUNT_COLUMNS = schema.SPENDING_COLUMNS
CAMPAIGN_COLUMNS = schema.CAMPAIGN_COLUMNS
DATE_FORMAT = "%d-%m-%Y"

# ---- Calibration: marginals (counts out of 2,240 unless noted) ----------------------------
FIRST_ENROLMENT = np.datetime64("2012-07-30")
LAST_ENROLMENT = np.datetime64("2014-06-29")  # also the data's "as of" date
AS_OF_YEAR = 2014
EDUCATION_COUNTS = {"Graduation": 1127, "PhD": 486, "Master": 370, "2n Cycle": 203, "Basic": 54}
# The 7 rows with Alone/Absurd/YOLO are left out here and added back as a quirk.
MARITAL_COUNTS = {"Married": 864, "Together": 580, "Single": 480, "Divorced": 232, "Widow": 77}
PARTNER_STATUSES = ["Married", "Together"]  # living with a partner
# Year_Birth counts from 1940 to 1996 (the 3 implausible years are a quirk, see below).
FIRST_BIRTH_YEAR = 1940
BIRTH_YEAR_COUNTS = [
    1, 1, 0, 7, 7, 8, 16, 16, 21, 30, 29, 43, 52, 35, 50, 49, 55, 43, 53, 51,  # 1940-59
    49, 36, 44, 45, 42, 74, 50, 44, 51, 71, 77, 87, 79, 74, 69, 83, 89, 52, 77, 53,  # 1960-79
    39, 39, 45, 42, 38, 32, 42, 27, 29, 30, 18, 15, 13, 5, 3, 5, 2,  # 1980-96
]  # fmt: skip
RECENCY_DAYS = 100  # Recency is uniform on 0..99 in the real data
COMPLAIN_RATE = 21 / 2240
Z_COST_CONTACT = 3
Z_REVENUE = 11

# ---- Calibration: household by age (age = 2014 - Year_Birth) ------------------------------
# Five-year bands: teenagers appear from about 33 and small children leave by 50, while the
# under-35s and over-65s are mostly childless.  Coarser bands blur exactly the age contrast that
# separates the childless big spenders from the mid-market parents of teenagers.
AGE_BAND_UPPER = [25, 30, 35, 40, 45, 50, 55, 60, 65, 70]  # bands: <25, 25-29, ..., 65-69, 70+
HOUSEHOLDS = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1)]  # (kids, teens)
# Share of each household type within each age band (rows of the real crosstab).
HOUSEHOLD_SHARES_BY_AGE_BAND = [
    [0.820, 0.000, 0.000, 0.180, 0.000, 0.000, 0.000, 0.000],
    [0.400, 0.000, 0.000, 0.581, 0.000, 0.000, 0.019, 0.000],
    [0.350, 0.044, 0.000, 0.542, 0.054, 0.000, 0.010, 0.000],
    [0.158, 0.277, 0.008, 0.367, 0.167, 0.006, 0.011, 0.006],
    [0.179, 0.246, 0.005, 0.337, 0.194, 0.013, 0.013, 0.013],
    [0.217, 0.355, 0.021, 0.097, 0.259, 0.010, 0.010, 0.031],
    [0.282, 0.431, 0.032, 0.000, 0.227, 0.019, 0.000, 0.009],
    [0.291, 0.454, 0.016, 0.000, 0.203, 0.008, 0.000, 0.028],
    [0.282, 0.426, 0.024, 0.000, 0.225, 0.024, 0.000, 0.019],
    [0.604, 0.253, 0.033, 0.000, 0.077, 0.011, 0.000, 0.022],
    [1.000, 0.000, 0.000, 0.000, 0.000, 0.000, 0.000, 0.000],
]

# ---- Calibration: education and marital status by age ----------------------------------------
# Real counts per age band (they add up to EDUCATION_COUNTS and MARITAL_COUNTS, give or take the
# rows with implausible birth years): Basic and 2n Cycle lean young and PhDs old (46% of the
# over-65s); the young are mostly single, widows are old.
EDUCATION_AGE_BAND_UPPER = [30, 40, 50, 60, 65]  # bands: <30, 30-39, 40-49, 50-59, 60-64, 65+
EDUCATION_COUNTS_BY_AGE_BAND = [  # columns in EDUCATION_COUNTS order
    [123, 27, 24, 29, 18],
    [295, 87, 81, 76, 18],
    [336, 166, 118, 46, 10],
    [229, 110, 84, 39, 5],
    [116, 45, 37, 9, 2],
    [28, 50, 26, 2, 1],
]
MARITAL_AGE_BAND_UPPER = [25, 30, 35, 50, 65]  # bands: <25, 25-29, 30-34, 35-49, 50-64, 65+
MARITAL_COUNTS_BY_AGE_BAND = [  # columns in MARITAL_COUNTS order
    [19, 9, 32, 0, 0],
    [64, 29, 58, 8, 0],
    [90, 56, 51, 6, 0],
    [419, 264, 197, 124, 23],
    [232, 191, 128, 86, 37],
    [40, 30, 13, 7, 17],
]

# ---- Calibration: income = household mean + education offset + sd * shaped noise ------------
# Least squares (Graduation as reference, Basic fitted on its own); residual sd per household.
INCOME_MEAN_BY_HOUSEHOLD = [66566, 57557, 55856, 34539, 43724, 52332, 34194, 41141]
INCOME_SD_BY_HOUSEHOLD = [21600, 13530, 14674, 15074, 14936, 17072, 15121, 11660]
INCOME_OFFSET_BY_EDUCATION = {"Graduation": 0, "PhD": 2669, "Master": 876, "2n Cycle": -3799}
BASIC_EDUCATION_INCOME = (20306, 6235)  # mean, sd: Basic incomes are low whatever the household
# The residuals are far from normal (childless households are bimodal: a low-income fifth and an
# affluent rest), so the noise is drawn from the real standardized residuals' quantiles, one
# shape per large household; the four small households borrow the shape of the nearest one.
# The outer two points are the 1% and 99% quantiles widened by 0.3, which drops a few outliers.
INCOME_SHAPE_PROBABILITIES = [
    0, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 1,
]  # fmt: skip
INCOME_SHAPES = [
    [-2.91, -2.61, -2.25, -2.08, -1.74, -0.88, -0.12, 0.10, 0.26, 0.43, 0.61, 0.73, 0.94, 1.13, 1.33, 1.67, 1.97],  # noqa: E501  no kids, no teens
    [-2.92, -2.62, -2.00, -1.61, -1.18, -0.76, -0.45, -0.19, 0.04, 0.30, 0.49, 0.74, 1.20, 1.46, 1.60, 2.08, 2.38],  # noqa: E501  teens only
    [-2.02, -1.72, -1.47, -1.19, -0.98, -0.74, -0.50, -0.33, -0.18, 0.02, 0.25, 0.46, 1.21, 2.01, 2.59, 3.02, 3.32],  # noqa: E501  kids only
    [-2.46, -2.16, -1.78, -1.32, -1.02, -0.71, -0.53, -0.29, -0.06, 0.10, 0.43, 0.68, 1.11, 1.61, 2.11, 2.49, 2.79],  # noqa: E501  kids and teens
]  # fmt: skip
INCOME_SHAPE_BY_HOUSEHOLD = [0, 1, 1, 2, 3, 3, 2, 3]
INCOME_MIN, INCOME_MAX = 1730, 162397
INCOME_SOFT_FLOOR = 10000  # draws below INCOME_MIN land uniformly in [INCOME_MIN, this)
# Under-30s (other than Basic education) are poorer within their household: 30% of them fall in
# its bottom income fifth, against 18% of the older customers, while the top fifth holds its 20%.
# Their quantile draw is warped so: [0, 0.3) -> [0, 0.2), [0.3, 0.8) -> [0.2, 0.8).
YOUNG_AGE = 30
YOUNG_INCOME_QUANTILE_WARP = ([0, 0.3, 0.8, 1], [0, 0.2, 0.8, 1])

# ---- Calibration: log(total spending) --------------------------------------------------------
# potential = level + rise * sigmoid((income/1e4 + income_noise - midpoint) / width)
#             + kid * Kidhome + teen * Teenhome + tenure * years_as_customer + log_noise
# log(spend) = ceiling - softplus(ceiling - potential)   (a smooth min: big earners level off)
# The income noise makes spending most uncertain around the midpoint (~49k), as in the real
# data.  Homes with teenagers level off lower and vary less: at the same income they are the
# mid-market (real, 60-70k: median 890 against 1,200 for childless homes, 90th percentile 1,340
# against 1,670), which is what separates the real data's moderate segment from its premium one.
# Fitted by simulated moments on the real covariates: quantiles (10/25/50/75/90%) of log spend
# per household (kids yes/no x teens yes/no) and income twentieth and per tenure and income
# fifths, overall quantiles, the mean, and the correlation of spending with tenure.
SPEND_LEVEL, SPEND_RISE = 3.373, 4.492
SPEND_MIDPOINT, SPEND_WIDTH = 4.859, 0.937  # in 10k units
SPEND_PER_KID, SPEND_PER_TEEN, SPEND_PER_TENURE_YEAR = -0.556, -0.400, 0.655
SPEND_LOG_CEILING, SPEND_CEILING_WITH_TEENS = 7.841, 7.624
SPEND_INCOME_NOISE = 0.800
SPEND_LOG_NOISE, SPEND_LOG_NOISE_WITH_TEENS = 0.516, 0.429
SPEND_MIN, SPEND_MAX = 5, 2525

# Mean category shares by spending tier (octiles of log spend over all customers; centre = the
# tier's median log spend), for homes without and with teenagers: at every tier the parents of
# teenagers put over half their spending on wine and little on fruit, fish and sweets.
SPEND_TIER_CENTRES = [3.22, 3.99, 4.60, 5.59, 6.26, 6.80, 7.09, 7.43]
CATEGORY_SHARES_BY_TIER = {  # wines, fruits, meat, fish, sweets, gold
    "without teens": [
        [0.250, 0.080, 0.270, 0.123, 0.080, 0.197],
        [0.250, 0.078, 0.267, 0.117, 0.086, 0.201],
        [0.244, 0.090, 0.248, 0.116, 0.085, 0.218],
        [0.407, 0.050, 0.266, 0.080, 0.062, 0.134],
        [0.375, 0.063, 0.265, 0.090, 0.068, 0.139],
        [0.408, 0.056, 0.302, 0.096, 0.057, 0.081],
        [0.440, 0.049, 0.326, 0.075, 0.052, 0.058],
        [0.467, 0.042, 0.351, 0.056, 0.040, 0.044],
    ],
    "with teens": [
        [0.532, 0.033, 0.235, 0.049, 0.027, 0.124],
        [0.497, 0.033, 0.217, 0.058, 0.033, 0.163],
        [0.546, 0.029, 0.198, 0.043, 0.035, 0.149],
        [0.564, 0.034, 0.209, 0.046, 0.033, 0.114],
        [0.616, 0.031, 0.175, 0.042, 0.033, 0.103],
        [0.582, 0.045, 0.198, 0.052, 0.043, 0.079],
        [0.587, 0.041, 0.201, 0.055, 0.042, 0.074],
        [0.604, 0.028, 0.225, 0.053, 0.040, 0.051],
    ],
}
# Dirichlet concentration per tier (method of moments on the shares, rounded): big spenders'
# baskets vary less.
SHARE_CONCENTRATION_BY_TIER = [6, 8, 8, 9, 10, 12, 15, 20]
CATEGORY_MAX = [1493, 199, 1725, 259, 263, 362]

# ---- Calibration: purchases per channel and web visits ---------------------------------------
# count = offset + Binomial(trials, p), logit p = coefficients . features, with features
# (1, log_spend, (log_spend - 5.5)^2, income/1e4, Kidhome, Teenhome, years_as_customer,
#  has_teens * (income/1e4 - 6), has_kids * (income/1e4 - 6));
# binomial logistic regressions on the real counts.  Trials + offset = the real maximum
# (ignoring a handful of outliers).  The two interactions keep parents of teenagers hunting deals
# and visiting the website as their income rises, while childless big earners almost stop (real
# 65-75k: 1.1 deal purchases and 2.8 visits without children, 2.6 and 4.4 with teenagers).
# The real counts also vary more than a binomial does, so each customer's logit gets normal
# noise; its sd was tuned by simulation to bring the counts' sd and their correlations with
# income and spending close to the real ones.
CHANNEL_MODELS = {  # column: (offset, trials, logit noise sd, coefficients)
    "NumStorePurchases": (
        2,
        11,
        0.8,
        [-5.4006, 0.8413, -0.0541, -0.011, -0.098, 0.1707, -0.0704, 0.0391, 0.063],
    ),
    "NumWebPurchases": (
        1,
        10,
        0.8,
        [-6.8368, 1.1861, -0.2506, -0.1777, 0.2207, 0.3924, 0.0542, 0.1284, -0.0715],
    ),
    "NumCatalogPurchases": (
        0,
        11,
        0.7,
        [-8.301, 1.0561, -0.0718, 0.1427, -0.3544, -0.0959, -0.0349, -0.0339, -0.2157],
    ),
    "NumWebVisitsMonth": (
        0,
        9,
        0.4,
        [0.9259, 0.1793, 0.0153, -0.4768, 0.706, 0.4185, 0.549, 0.1652, 0.1042],
    ),
    "NumDealsPurchases": (
        1,
        14,
        0.4,
        [-6.4692, 0.9408, -0.1266, -0.5151, 1.2065, 1.3807, 0.1785, 0.1618, -0.0441],
    ),
}

# ---- Calibration: campaigns, in the order they ran ---------------------------------------------
# logit p = coefficients . (1, income/1e4, log_spend, has_kids (Kidhome > 0), Teenhome,
#                            years_as_customer, (age - 45)/10, Recency/100, lives_with_partner,
#                            earlier acceptances)
# L2-regularised logistic regressions (C=1) on the real acceptances; rates 6.4%, 1.3%, 7.3%,
# 7.5%, 7.3% and Response 14.9%.  Given spending, small children slightly *raise* Response; the
# indicator (not the count) keeps two-kid homes from doubling that.  Customers living alone
# answer the last campaign far more often (Response 22% against 11%; the partner term improves
# its cross-validated log loss from 0.294 to 0.277); the earlier campaigns ignore it (it does not
# improve theirs).
CAMPAIGN_MODELS = {
    "AcceptedCmp1": [-14.676, 0.372, 1.541, 0.122, -0.556, -0.515, 0.002, -0.350, 0.0, 0.0],
    "AcceptedCmp2": [-8.977, 0.046, 0.647, -0.687, 0.255, 0.001, -0.053, 0.036, 0.0, 1.446],
    "AcceptedCmp3": [-3.669, -0.289, 0.477, 0.455, -0.021, -0.253, -0.149, -0.379, 0.0, 1.059],
    "AcceptedCmp4": [-8.452, 0.093, 0.781, -0.143, 0.590, -0.120, 0.090, 0.166, 0.0, 0.643],
    "AcceptedCmp5": [-20.714, 0.677, 1.909, -0.166, -0.853, -0.066, -0.062, 0.015, 0.0, 1.163],
    "Response": [-4.005, -0.076, 0.400, 0.819, -0.854, 1.434, 0.118, -2.846, -1.224, 1.498],
}

# ---- Quirks, at their real rates --------------------------------------------------------------
MISSING_INCOME_RATE = 24 / 2240
INCOME_OUTLIER, INCOME_OUTLIER_RATE = 666666.0, 1 / 2240
IMPLAUSIBLE_BIRTH_YEARS, IMPLAUSIBLE_BIRTH_YEAR_RATE = [1893, 1899, 1900], 3 / 2240
ODD_MARITAL_STATUSES = {"Alone": 3, "Absurd": 2, "YOLO": 2}
ODD_MARITAL_RATE = 7 / 2240
# 182 of the 2,240 rows repeat another row in every column but ID (170 pairs, 6 triples).
DUPLICATE_RATE = 182 / 2240
# From this many rows on, each quirk appears at least once.
QUIRKS_GUARANTEED_FROM_ROWS = 2000
