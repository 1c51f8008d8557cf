"""Generated contact details, as a CRM exports them, for audience export tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from smartcart.engine.history import snapshots
from smartcart.engine.history.periods import Period
from smartcart.engine.service import SegmentService

OPTED_OUT_WORDS = ("0", "no", "False")
CONSENT_WORDS = ("1", "yes", "TRUE", "", *OPTED_OUT_WORDS)
BAD_EMAIL = "bad@"


def write_contacts(ids: list[int], path: Path, seed: int = 1) -> pd.DataFrame:
    """Contacts for `ids` written to CSV or Parquet (by suffix); returns them indexed by id.

    Mixed case and spaces in emails, US national and UK international phones, consent spelt
    several ways, some invalid emails, and about one customer in ten missing.
    """
    rng = random.Random(seed)
    rows = []
    for customer_id in ids:
        if rng.random() < 0.1:
            continue  # not in the CRM
        email = f"  Customer.{customer_id}@Example.COM " if rng.random() < 0.9 else BAD_EMAIL
        phone = f"(212) 555-{customer_id % 10000:04d}" if rng.random() < 0.5 else ""
        if customer_id % 7 == 0:
            phone = f"+44 20 7183 {customer_id % 10000:04d}"
        rows.append(
            {
                "Customer_ID": customer_id,
                "Email": email,
                "Phone": phone,
                "Consent": rng.choice(CONSENT_WORDS),
            }
        )
    frame = pd.DataFrame(rows)
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return frame.set_index("Customer_ID")


def opted_out(contacts: pd.DataFrame) -> set[int]:
    return {int(i) for i in contacts.index[contacts["Consent"].isin(OPTED_OUT_WORDS)]}


def unusable(contacts: pd.DataFrame) -> set[int]:
    """Customers who consented but have neither a valid email nor a phone."""
    bad = (contacts["Email"] == BAD_EMAIL) & (contacts["Phone"] == "")
    return {int(i) for i in contacts.index[bad]} - opted_out(contacts)


def expected_phone_digits(phone: str) -> str | None:
    """The digits with country code a US-default parse gives for a generated phone."""
    if not phone:
        return None
    digits = "".join(c for c in phone if c.isdigit())
    return digits if phone.startswith("+") else "1" + digits


def save_digest_snapshot(service: SegmentService, move: dict[int, str]) -> None:
    """A digest snapshot of the stored customers a week ago, with some personas changed."""
    customers = service.store.all_customers()
    scheduled = datetime.now(UTC) - timedelta(days=7)
    period = Period("2020-W01", scheduled, None)
    snapshot = snapshots.take_snapshot(service.model, customers, period, "store")
    members = snapshot.members
    for customer_id, persona in move.items():
        if customer_id in set(members["customer_id"]):
            members.loc[members["customer_id"] == customer_id, "persona"] = persona
        else:
            members.loc[len(members)] = [customer_id, persona]
    snapshots.save_snapshot(service.store, snapshot)
