"""The SmartCart study's own segmentation, as the benchmarks' yardstick for `smartcart train`.

The study engineered a few features (age, spending, children, family size, living with a partner,
parenthood, tenure), one-hot encoded the categories, scaled every column, reduced them to three
principal components and cut a Ward tree of all customers at k = 4. Ward on all rows keeps the
n * (n - 1) / 2 pairwise distances in memory, which is what limits it (`fits_in_memory`).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

SPENDING = [
    "MntWines",
    "MntFruits",
    "MntMeatProducts",
    "MntFishProducts",
    "MntSweetProducts",
    "MntGoldProds",
]
DROPPED = [
    "ID",
    "Z_CostContact",
    "Z_Revenue",
    "Dt_Customer",
    "Year_Birth",
    "Kidhome",
    "Teenhome",
    "Marital_Status",
    "Response",
    "Complain",
    *[f"AcceptedCmp{i}" for i in range(1, 6)],
]
PARTNER = {"Married": "Partner", "Together": "Partner"}


def study_features(path: str) -> pd.DataFrame:
    data = pd.read_csv(path, sep="\t")  # the published layout, which `smartcart generate` writes
    data = data.dropna(subset=["Income"])
    enrolled = pd.to_datetime(data["Dt_Customer"], dayfirst=True)
    data = data.assign(
        Customer_For=(enrolled.max() - enrolled).dt.days,
        Age=enrolled.max().year - data["Year_Birth"],
        Spent=data[SPENDING].sum(axis=1),
        Living_With=data["Marital_Status"].map(PARTNER).fillna("Alone"),
        Children=data["Kidhome"] + data["Teenhome"],
    )
    data["Family_Size"] = data["Living_With"].map({"Alone": 1, "Partner": 2}) + data["Children"]
    data["Is_Parent"] = (data["Children"] > 0).astype(int)
    data = data[(data["Age"] < 90) & (data["Income"] < 600_000)]
    return data.drop(columns=[c for c in DROPPED if c in data.columns])


def study_segments(path: str, k: int = 4) -> np.ndarray:
    """One-hot, scaling, PCA to 3 components, Ward with k clusters on every customer."""
    features = pd.get_dummies(study_features(path), dtype=float)
    scaled = StandardScaler().fit_transform(features)
    components = PCA(n_components=3, random_state=42).fit_transform(scaled)
    return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(components)


def ward_bytes(rows: int) -> int:
    """Memory of Ward on all rows: the condensed distance matrix, and the working copy of it."""
    return 2 * rows * (rows - 1) // 2 * 8


def fits_in_memory(rows: int) -> bool:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return ward_bytes(rows) < 0.6 * total
