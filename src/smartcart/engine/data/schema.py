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

# What each column means and holds: the docs' table of the contract (docs/data/index.md) is
# generated from this (`python -m smartcart.engine.data.schema`), and a test keeps them equal.
COLUMN_MEANINGS = {
    ID: ("whole number, unique", "customer id"),
    "Year_Birth": ("whole number", "year of birth (age 16-100 at the as-of date)"),
    "Education": ("text", "Basic, 2n Cycle, Graduation, Master or PhD"),
    "Marital_Status": (
        "text",
        "Married, Together, Single, Divorced, Widow, Alone (Absurd, YOLO: living alone)",
    ),
    "Income": ("number, may be empty", "yearly household income (under 250,000)"),
    "Kidhome": ("whole number", "small children at home"),
    "Teenhome": ("whole number", "teenagers at home"),
    "Dt_Customer": ("date", "enrolment date: dd-mm-yyyy, dd/mm/yyyy, yyyy-mm-dd, or [dates]"),
    "Recency": ("whole number", "days since the last purchase"),
    **{
        column: ("whole number", f"spent on {what} in the last 2 years")
        for column, what in zip(
            SPENDING_COLUMNS,
            ["wine", "fruit", "meat", "fish", "sweets", "gold products"],
            strict=True,
        )
    },
    "NumDealsPurchases": ("whole number", "purchases made with a discount"),
    "NumWebPurchases": ("whole number", "purchases on the website"),
    "NumCatalogPurchases": ("whole number", "purchases from the catalogue"),
    "NumStorePurchases": ("whole number", "purchases in stores"),
    "NumWebVisitsMonth": ("whole number", "website visits last month"),
    "Response": ("0 or 1", "accepted the last campaign (reported per segment, never clustered)"),
    "Complain": ("0 or 1", "complained in the last 2 years"),
    **{c: ("0 or 1", f"accepted campaign {c[-1]}") for c in CAMPAIGN_COLUMNS},
    "Z_CostContact": ("ignored", "a constant in the published data"),
    "Z_Revenue": ("ignored", "a constant in the published data"),
}


def contract_markdown() -> str:
    """The data contract as a Markdown table: each column, required or optional, what it holds."""
    lines = ["| column | required | holds | meaning |", "|---|---|---|---|"]
    for column in [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *IGNORED_COLUMNS]:
        holds, meaning = COLUMN_MEANINGS[column]
        needed = "required" if column in REQUIRED_COLUMNS else "optional"
        lines.append(f"| `{column}` | {needed} | {holds} | {meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(contract_markdown(), end="")
