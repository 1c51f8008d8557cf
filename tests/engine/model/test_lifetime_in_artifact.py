"""The lifetime model travels inside the model artifact (format 3) as plain data."""

from __future__ import annotations

import dataclasses
import json
import zipfile

import pandas as pd

from smartcart.engine.lifetime import fit_beside_segments, simulate_orders, summarise_orders
from smartcart.engine.model.artifact import load_model, save_model

TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "gamma": 15.0}


def test_the_lifetime_model_is_stored_and_read_back(trained, tmp_path):
    orders = simulate_orders(1_000, TRUE, "2023-01-01", "2024-06-30", seed=2)
    lifetime = fit_beside_segments(orders).model
    model = dataclasses.replace(
        load_model(trained.artifact), version="with-lifetime", lifetime=lifetime.to_stored()
    )
    path = save_model(model, tmp_path)
    with zipfile.ZipFile(path) as archive:
        document = archive.read("model.json").decode()
    assert "bg_nbd+gamma_gamma" in document
    loaded = load_model(path)
    assert loaded.lifetime_model == lifetime
    summary = summarise_orders(orders)
    pd.testing.assert_frame_equal(loaded.lifetime_model.predict(summary), lifetime.predict(summary))
    json.dumps(loaded.lifetime, allow_nan=False)  # plain data


def test_a_model_without_one_reads_as_none(trained):
    assert load_model(trained.artifact).lifetime_model is None
