"""Audiences for the tools marketers use: contacts joined to an export, consent kept, hashed.

Knows nothing of chat. `export_audience` takes a persona's customers (or who joined and who left
it since the latest digest), keeps those placed with at least a minimum confidence, joins contact
details (`smartcart.engine.marketing.contacts`), leaves out every opted-out customer, and writes one of
`FORMATS`:

- `csv`: the audience columns of today's export, plus `email` and `phone` when contacts are known.
- `meta`: a Meta custom audience customer list: `email`, `phone`, `extern_id`. The email is
  trimmed and lower-cased, the phone is digits with the country code (E.164 without `+`), each
  SHA-256 hex; `extern_id` is our customer id, plain (Meta does not require hashing it).
- `google`: Google Ads Customer Match: `Email` (all whitespace removed, lower-cased) and `Phone`
  (E.164 with `+`), each SHA-256 hex.
- `klaviyo`: a Klaviyo profile import: plain `email` (trimmed, lower-cased), `phone_number`
  (E.164) and the persona's name as a `segment` property.

A phone or email that is not valid is dropped from its column and counted; a customer left
with neither is left out of a platform file and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from smartcart.engine.marketing.campaigns import CONTROL, Targeting, select_audience
from smartcart.engine.marketing.contacts import (
    Contacts,
    check_country,
    e164,
    no_space_lower_email,
    sha256_hex,
    texts,
    trimmed_lower_email,
)
from smartcart.engine.marketing.lifetime_filters import LifetimeFilter
from smartcart.engine.marketing.progress import tell_rows

FORMATS = ("csv", "meta", "google", "klaviyo")
PLATFORM_FORMATS = ("meta", "google", "klaviyo")
# Formats whose contacts are hashed (SHA-256): the only ones whose files may leave the command line with contacts in them.
HASHED_FORMATS = ("meta", "google")
FORMAT_TITLES = {
    "csv": "CSV",
    "meta": "Meta custom audience, hashed",
    "google": "Google Customer Match, hashed",
    "klaviyo": "Klaviyo profile import",
}

# Audience columns -> headers of the `csv` format, in the order a campaign tool reads them.
CSV_COLUMNS = {
    "customer_id": "customer_id",
    "customer_key": "customer_key",
    "persona": "persona",
    "segment": "segment",
    "confidence": "confidence",
    "Recency": "days_since_last_purchase",
    "orders": "orders",
    "revenue": "revenue",
    "predicted_clv_365d": "predicted_clv_365d",
    "churn_risk": "churn_risk",
    "total_spending": "total_spending_2y",
    "Income": "income",
    "Kidhome": "kids_at_home",
    "Teenhome": "teens_at_home",
    "Education": "education",
    "Marital_Status": "marital_status",
    "propensity": "propensity",
    "group": "group",
}

# Why customers were left out, in the order a summary lists them.
BELOW_CONFIDENCE = "below the minimum confidence"
NOT_IN_TOP = "not among the most likely to respond"
HELD_OUT = "held out as the campaign's control group"
OPTED_OUT_REASON = "opted out"
NOT_IN_CONTACTS = "not in the contacts"
NO_VALID_CONTACT = "no valid email or phone"
CHECKING_CONTACTS = "Checking contacts"
CONTACT_BLOCK_ROWS = 20_000  # per-row normalisation (phonenumbers) is the slow part


@dataclass(frozen=True)
class ExportOptions:
    """How to export: the file format, a minimum confidence, changes since the last digest."""

    format: str = "csv"
    min_confidence: float | None = None
    changes: bool = False
    default_country: str | None = None
    # The most likely to respond, and a campaign's control group (`smartcart.engine.marketing.campaigns`).
    targeting: Targeting = field(default_factory=Targeting)
    # A churn band and/or the highest predicted values (`lifetime_filters.py`).
    lifetime: LifetimeFilter = field(default_factory=LifetimeFilter)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(
                f"unknown export format {self.format!r}; choose one of: {', '.join(FORMATS)}"
            )
        if self.min_confidence is not None and not 0 <= self.min_confidence <= 1:
            raise ValueError("the minimum confidence must be between 0 and 1 (e.g. 0.5)")
        if self.default_country is not None:
            check_country(self.default_country)

    def describe(self) -> str:
        """`format=meta min-confidence=0.5 changes`: the options as the audit trail keeps them."""
        words = [f"format={self.format}"]
        if self.min_confidence is not None:
            words.append(f"min-confidence={self.min_confidence:g}")
        if self.changes:
            words.append("changes")
        if self.lifetime.churn_risk is not None:
            words.append(f"churn-risk={self.lifetime.churn_risk}")
        if self.lifetime.top_share is not None:
            words.append(f"top-clv={self.lifetime.top_share:g}%")
        if self.lifetime.top_count is not None:
            words.append(f"top-clv={self.lifetime.top_count}")
        if self.targeting.top is not None:
            words.append(f"top={self.targeting.top}")
        if self.targeting.campaign is not None:
            words.append(f"campaign={self.targeting.campaign}")
            words.append(f"holdout={self.targeting.holdout:.0%}")
        return " ".join(words)


@dataclass
class AudienceExport:
    """An export's file and what happened on the way: rows, left-out customers, dropped values."""

    content: bytes
    rows: int
    format: str
    candidates: int  # customers before any was left out
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> customers
    dropped: dict[str, int] = field(default_factory=dict)  # "invalid email" -> values blanked
    without_contacts: int = 0  # CSV rows of customers missing from the contacts

    def left_out_text(self) -> str:
        """`12 opted out, 3 no valid email or phone` (empty when nobody was left out)."""
        return ", ".join(f"{count:,} {reason}" for reason, count in self.left_out.items())

    def dropped_text(self) -> str:
        """`2 invalid emails, 1 invalid phone` (empty when no value was dropped)."""
        return ", ".join(
            f"{count:,} {what}{'s' if count != 1 else ''}" for what, count in self.dropped.items()
        )

    def summary_lines(self) -> list[str]:
        """What a person reads next to the file: counts only, never a contact detail."""
        lines = []
        if self.left_out:
            lines.append(f"Left out: {self.left_out_text()}.")
        if self.dropped:
            lines.append(f"Dropped from their column: {self.dropped_text()}.")
        if self.without_contacts:
            lines.append(
                f"{self.without_contacts:,} not in the contacts: exported without email or phone."
            )
        return lines

    def audit_detail(self, persona_id: str, options: ExportOptions) -> str:
        """The audit trail's detail: persona, format and options, and who was left out."""
        detail = f"{persona_id} {options.describe()}"
        if self.left_out:
            detail += f"; left out: {self.left_out_text()}"
        if self.dropped:
            detail += f"; dropped: {self.dropped_text()}"
        if self.without_contacts:
            detail += f"; {self.without_contacts} without contacts"
        return detail


# Per format: how an email is normalised and how a valid E.164 phone is written (before hashing).
EMAIL_RULES: dict[str, Callable[[str | None], str | None]] = {
    "csv": trimmed_lower_email,
    "meta": trimmed_lower_email,
    "google": no_space_lower_email,
    "klaviyo": trimmed_lower_email,
}
PHONE_RULES: dict[str, Callable[[str], str]] = {
    "csv": lambda number: number,
    "meta": lambda number: number.lstrip("+"),
    "google": lambda number: number,
    "klaviyo": lambda number: number,
}


def export_audience(
    audience: pd.DataFrame,
    options: ExportOptions,
    contacts: Contacts | None = None,
    segment_label: str = "",
) -> AudienceExport:
    """The export file of an audience (see the module's docstring for the formats).

    `audience` has the columns of `SegmentService.audience` (and `change` for changes).
    Raises ValueError when a platform format is asked for without contacts, DataError when a
    lifetime filter is asked of customers without lifetime columns.
    """
    if options.format in PLATFORM_FORMATS and contacts is None:
        raise ValueError(
            f"the {options.format} format needs contact details (customer_id, email, phone)"
        )
    left_out: dict[str, int] = {}
    table = keep_confident(audience, options.min_confidence, left_out)
    table = options.lifetime.apply(table, left_out)
    table = targeted(table, options, left_out)
    dropped: dict[str, int] = {}
    if contacts is not None:
        table = with_contacts(table, contacts, options, left_out, dropped)
    if options.format in PLATFORM_FORMATS:
        table = keep_reachable(table, left_out)
    # A CSV keeps customers missing from the contacts, with empty contact columns.
    without_contacts = 0 if options.format in PLATFORM_FORMATS else left_out.pop(NOT_IN_CONTACTS, 0)
    out = WRITERS[options.format](table, segment_label)
    content = out.to_csv(index=False, lineterminator="\n").encode("utf-8") if len(out) else b""
    return AudienceExport(
        content=content,
        rows=len(out),
        format=options.format,
        candidates=len(audience),
        left_out={reason: n for reason, n in left_out.items() if n},
        dropped={what: n for what, n in dropped.items() if n},
        without_contacts=without_contacts,
    )


def targeted(table: pd.DataFrame, options: ExportOptions, left_out: dict[str, int]) -> pd.DataFrame:
    """The most likely to respond (`top`), split into target and control for a campaign; a
    platform file gets the target group only, since the control group must not be contacted."""
    if table.empty:
        return table
    chosen = select_audience(table, options.targeting)
    left_out[NOT_IN_TOP] = len(table) - len(chosen)
    if options.format in PLATFORM_FORMATS and "group" in chosen:
        control = chosen["group"] == CONTROL
        left_out[HELD_OUT] = int(control.sum())
        chosen = chosen[~control]
    return chosen


def keep_confident(
    audience: pd.DataFrame, minimum: float | None, left_out: dict[str, int]
) -> pd.DataFrame:
    """Customers placed with at least `minimum` confidence (those who left are kept)."""
    if minimum is None or audience.empty:
        return audience
    joined = audience["change"] != "left" if "change" in audience else True
    below = joined & (pd.to_numeric(audience["confidence"]) < minimum)
    left_out[f"{BELOW_CONFIDENCE} ({minimum:g})"] = int(below.sum())
    return audience[~below]


def with_contacts(
    table: pd.DataFrame,
    contacts: Contacts,
    options: ExportOptions,
    left_out: dict[str, int],
    dropped: dict[str, int],
) -> pd.DataFrame:
    """The table with normalised `email` and `phone`; opted-out customers taken out."""
    if table.empty:
        return table.assign(email=None, phone=None)
    ids = table["customer_id"].astype("int64")
    found = contacts.frame.reindex(ids)
    opted_out = found["opted_out"].fillna(False).astype(bool).to_numpy()
    left_out[OPTED_OUT_REASON] = int(opted_out.sum())
    known = found["opted_out"].notna().to_numpy()
    left_out[NOT_IN_CONTACTS] = int((~known).sum())
    keep = ~opted_out
    table, found = table[keep].copy(), found[keep]
    raw_emails, raw_phones = texts(found["email"]), texts(found["phone"])
    emails: list[str | None] = []
    phones: list[str | None] = []
    for start in range(0, len(raw_emails), CONTACT_BLOCK_ROWS):
        end = start + CONTACT_BLOCK_ROWS
        emails += [EMAIL_RULES[options.format](e) for e in raw_emails[start:end]]
        numbers = [e164(p, options.default_country) for p in raw_phones[start:end]]
        phones += [None if n is None else PHONE_RULES[options.format](n) for n in numbers]
        tell_rows(CHECKING_CONTACTS, len(emails), len(raw_emails))
    dropped["invalid email"] = invalid_count(raw_emails, emails)
    dropped["invalid phone"] = invalid_count(raw_phones, phones)
    table["email"], table["phone"] = emails, phones
    return table


def invalid_count(raw: list[str | None], kept: list[str | None]) -> int:
    return sum(1 for before, after in zip(raw, kept, strict=True) if before and after is None)


def keep_reachable(table: pd.DataFrame, left_out: dict[str, int]) -> pd.DataFrame:
    """Only customers with a valid email or phone (a platform cannot match the others)."""
    if table.empty:
        return table
    reachable = table["email"].notna() | table["phone"].notna()
    unreachable = ~reachable
    not_in_file = left_out.get(NOT_IN_CONTACTS, 0)
    left_out[NO_VALID_CONTACT] = int(unreachable.sum()) - not_in_file
    return table[reachable]


# -- writers -----------------------------------------------------------------------------------


def csv_table(table: pd.DataFrame, segment_label: str = "") -> pd.DataFrame:
    """Today's audience columns (renamed for a campaign tool), then `email` and `phone`."""
    columns = [c for c in CSV_COLUMNS if c in table.columns]
    out = table[columns].rename(columns=CSV_COLUMNS)
    if "confidence" in out:
        out["confidence"] = pd.to_numeric(out["confidence"]).astype(float).round(3)
    for money_column in ("total_spending_2y", "predicted_clv_365d"):
        if money_column in out:
            out[money_column] = pd.to_numeric(out[money_column]).round(2)
    if "income" in out:
        out["income"] = pd.to_numeric(out["income"]).round().astype("Int64")
    out = with_change(out, table, position=1)
    for column in ("email", "phone"):
        if column in table:
            out[column] = table[column].to_numpy()
    return out


def meta_table(table: pd.DataFrame, segment_label: str = "") -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "email": [sha256_hex(e) for e in table["email"]],
            "phone": [sha256_hex(p) for p in table["phone"]],
            "extern_id": table["customer_id"].astype("int64").astype(str).to_numpy(),
        }
    )
    return with_change(out, table)


def google_table(table: pd.DataFrame, segment_label: str = "") -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "Email": [sha256_hex(e) for e in table["email"]],
            "Phone": [sha256_hex(p) for p in table["phone"]],
        }
    )
    return with_change(out, table)


def klaviyo_table(table: pd.DataFrame, segment_label: str = "") -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "email": table["email"].to_numpy(),
            "phone_number": table["phone"].to_numpy(),
            "segment": [segment_label] * len(table),
        }
    )
    return with_change(out, table)


def with_change(
    out: pd.DataFrame, table: pd.DataFrame, position: int | None = None
) -> pd.DataFrame:
    """`change` (joined / left) at `position` (default last), when the table has one."""
    if "change" not in table:
        return out
    out = out.reset_index(drop=True)
    where = len(out.columns) if position is None else min(position, len(out.columns))
    out.insert(where, "change", table["change"].to_numpy())
    return out


WRITERS: dict[str, Callable[[pd.DataFrame, str], pd.DataFrame]] = {
    "csv": csv_table,
    "meta": meta_table,
    "google": google_table,
    "klaviyo": klaviyo_table,
}
