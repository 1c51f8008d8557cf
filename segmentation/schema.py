"""The customer data contract: which columns exist, which are required, what values are allowed."""

from __future__ import annotations

ID = "ID"
SPENDING_COLUMNS = [
    "MntWines",
    "MntFruits",
    "MntMeatProducts",
    "MntFishProducts",
    "MntSweetProducts",
    "MntGoldProds",
]
PURCHASE_COLUMNS = ["NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases"]
CAMPAIGN_COLUMNS = ["AcceptedCmp1", "AcceptedCmp2", "AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5"]
COUNT_COLUMNS = [
    "Kidhome",
    "Teenhome",
    "Recency",
    *SPENDING_COLUMNS,
    "NumDealsPurchases",
    *PURCHASE_COLUMNS,
    "NumWebVisitsMonth",
]
FLAG_COLUMNS = ["Complain", "Response", *CAMPAIGN_COLUMNS]
CATEGORY_COLUMNS = ["Education", "Marital_Status"]

# The published export's columns, in its order (the generator writes exactly these).
PUBLISHED_COLUMNS = [
    ID,
    "Year_Birth",
    "Education",
    "Marital_Status",
    "Income",
    "Kidhome",
    "Teenhome",
    "Dt_Customer",
    "Recency",
    *SPENDING_COLUMNS,
    "NumDealsPurchases",
    *PURCHASE_COLUMNS,
    "NumWebVisitsMonth",
    "AcceptedCmp3",
    "AcceptedCmp4",
    "AcceptedCmp5",
    "AcceptedCmp1",
    "AcceptedCmp2",
    "Complain",
    "Z_CostContact",
    "Z_Revenue",
    "Response",
]
# Response is the outcome (reported per segment, never a clustering input); Complain is informative.
OPTIONAL_COLUMNS = ["Complain", "Response", *CAMPAIGN_COLUMNS]
IGNORED_COLUMNS = ["Z_CostContact", "Z_Revenue"]
REQUIRED_COLUMNS = [
    c for c in PUBLISHED_COLUMNS if c not in OPTIONAL_COLUMNS and c not in IGNORED_COLUMNS
]
ALL_COLUMNS = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]

EDUCATION_LEVELS = {"Basic": 0, "2n Cycle": 1, "Graduation": 2, "Master": 3, "PhD": 4}
PARTNER_STATUSES = {"Married", "Together"}
SINGLE_STATUSES = {"Single", "Divorced", "Widow", "Alone"}
# "Absurd" and "YOLO" occur in the real export; they are kept and counted as living alone.
ODD_STATUSES = {"Absurd", "YOLO"}

OLDEST_PLAUSIBLE_AGE = 100
YOUNGEST_PLAUSIBLE_AGE = 16
# The real data has one income of 666,666 against a maximum of about 160,000 otherwise.
INCOME_CAP = 250_000

DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d")
