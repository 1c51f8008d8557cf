"""The model report's quarantine table: customers by ID, order lines by their order."""

from __future__ import annotations

import pandas as pd

from smartcart.engine.reports.model_report import quarantine_lines


def test_quarantined_order_lines_are_shown_by_line_and_order_not_by_a_hashed_id():
    quarantine = pd.DataFrame(
        {"line": [6], "order_id": ["#1003"], "reason": ["no customer: Email and Phone empty"]}
    )
    text = "\n".join(quarantine_lines(quarantine))
    assert "Quarantined order lines" in text and "| line | order | reason |" in text
    assert "| 6 | #1003 | no customer: Email and Phone empty |" in text


def test_quarantined_customer_rows_are_shown_by_id():
    quarantine = pd.DataFrame({"line": [3], "ID": [5524], "reason": ["Income is not a number"]})
    assert "| 3 | 5524 | Income is not a number |" in quarantine_lines(quarantine)
    assert quarantine_lines(quarantine.iloc[0:0]) == []
