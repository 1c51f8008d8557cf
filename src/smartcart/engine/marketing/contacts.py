"""Contact details for audience exports: loaded, checked, normalised the platforms' way.

`load_contacts` reads a CSV, Parquet file or SQL table with `customer_id`, `email`, `phone` and an
optional `consent` (`0`/`false`/`no`: opted out). Messages about the file name its rows and
columns, never a value from it: contact details must not travel into a chat message.

Phones are parsed with `phonenumbers` (Google's libphonenumber; a number without a country code
is read as one of `default_country`, or is not valid without one) and written E.164; emails are
checked with `email_validator` (syntax only, no DNS look-up). `sha256_hex` is the hash the ad
platforms want: 64 lower-case hex digits of the UTF-8 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from smartcart.engine.data import customer_number, load_customers
from smartcart.engine.errors import DataError

CONTACTS_TABLE = "contacts"
CONTACT_COLUMNS = ("customer_id", "email", "phone", "consent")
OPTED_OUT = frozenset({"0", "false", "no"})
CONSENTED = frozenset({"1", "true", "yes", ""})


@dataclass
class Contacts:
    """Contact details per customer: `email`, `phone` (text or None) and `opted_out`."""

    frame: pd.DataFrame  # indexed by customer_id (int64)
    source: str


# -- loading -----------------------------------------------------------------------------------


def load_contacts(source: str | Path, table: str = CONTACTS_TABLE) -> Contacts:
    """Contacts from a CSV or Parquet file or an SQL table (raises DataError naming the problem).

    Columns (names case-insensitive): `customer_id` (required), `email` and/or `phone`, and an
    optional `consent` where `0`, `false` or `no` means opted out (`1`, `true`, `yes` or empty
    mean not opted out). A customer id may appear once.
    """
    raw = load_customers(source, table, all_columns=True)
    columns = contact_columns(raw.frame, raw.source)
    frame = raw.frame
    ids = parse_ids(frame[columns["customer_id"]], raw.source, raw.line_of)
    consent = frame[columns["consent"]] if "consent" in columns else None
    contacts = pd.DataFrame(
        {
            "email": text_or_none(frame, columns.get("email")),
            "phone": text_or_none(frame, columns.get("phone")),
            "opted_out": parse_opt_outs(consent, len(frame), raw.source, raw.line_of),
        }
    )
    contacts.index = pd.Index(ids, name="customer_id")
    return Contacts(contacts, raw.source)


def contact_columns(frame: pd.DataFrame, source: str) -> dict[str, str]:
    """Our column name -> the file's column name (matched case- and space-insensitively)."""
    found = {str(c).strip().lower(): str(c) for c in frame.columns}
    columns = {name: found[name] for name in CONTACT_COLUMNS if name in found}
    if "customer_id" not in columns:
        raise DataError(
            f"{source}: no customer_id column; contacts need customer_id, email, phone "
            "(and optionally consent)"
        )
    if "email" not in columns and "phone" not in columns:
        raise DataError(f"{source}: no email or phone column; contacts need at least one of them")
    return columns


def parse_ids(values: pd.Series, source: str, line_of: Callable[[int], int]) -> list[int]:
    """Whole-number ids; a file of text ids only (customers from orders: an email, a phone,
    the retailer's id) gets the number the store keys each by (`customer_number`; emails in
    lower case). Numbers and text mixed: the first text is named."""
    text = values.astype(str).str.strip()
    ids = pd.to_numeric(text, errors="coerce")
    bad = ids.isna() | (ids % 1 != 0)
    empty = values.isna() | (text == "")
    if empty.any():
        row = line_of(int(empty.to_numpy().nonzero()[0][0]))
        raise DataError(f"{source} row {row}, column customer_id: empty")
    if bad.any() and not bad.all():
        row = line_of(int(bad.to_numpy().nonzero()[0][0]))
        raise DataError(f"{source} row {row}, column customer_id: not a whole number")
    if bad.any():  # every id is text: the keys of customers from orders
        keys = text.where(~text.str.contains("@", regex=False), text.str.lower())
        whole = pd.Series([customer_number(k) for k in keys], dtype="int64")
    else:
        whole = ids.astype("int64")
    repeated = whole.duplicated(keep=False)
    if repeated.any():
        rows = [line_of(int(i)) for i in repeated.to_numpy().nonzero()[0][:2]]
        raise DataError(
            f"{source} rows {rows[0]} and {rows[1]}, column customer_id: the same customer "
            "appears twice; keep one row per customer"
        )
    return whole.tolist()


def parse_opt_outs(
    values: pd.Series | None, rows: int, source: str, line_of: Callable[[int], int]
) -> list[bool]:
    """Per row, whether the customer opted out (no consent column: nobody did)."""
    if values is None:
        return [False] * rows
    words = values.fillna("").astype(str).str.strip().str.lower()
    unknown = ~words.isin(OPTED_OUT | CONSENTED)
    if unknown.any():
        row = line_of(int(unknown.to_numpy().nonzero()[0][0]))
        raise DataError(
            f"{source} row {row}, column consent: not a consent value; use 0/false/no for "
            "opted out, 1/true/yes (or empty) otherwise"
        )
    return words.isin(OPTED_OUT).tolist()


def text_or_none(frame: pd.DataFrame, column: str | None) -> list[str | None]:
    if column is None:
        return [None] * len(frame)
    return [None if pd.isna(v) or not str(v).strip() else str(v) for v in frame[column]]


# -- normalisation -----------------------------------------------------------------------------


def check_country(code: str) -> str:
    """The region code (`US`, `GB`) if phonenumbers knows it, else ValueError."""
    if code.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{code!r} is not a country code phonenumbers knows (e.g. US, GB, DE)")
    return code.upper()


def e164(phone: str | None, default_country: str | None) -> str | None:
    """`(650) 555-1212` -> `+16505551212` (with US as default country); None when not valid."""
    if phone is None:
        return None
    region = default_country.upper() if default_country else None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def trimmed_lower_email(email: str | None) -> str | None:
    """Meta's and Klaviyo's rule: leading and trailing whitespace trimmed, lower case."""
    return None if email is None else valid_email(email.strip().lower())


def no_space_lower_email(email: str | None) -> str | None:
    """Google Customer Match's rule: every whitespace removed (also inside), lower case."""
    return None if email is None else valid_email("".join(email.split()).lower())


def valid_email(email: str) -> str | None:
    """The address unchanged when its syntax is valid (no DNS look-up), else None."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return None
    return email


def sha256_hex(text: str | None) -> str | None:
    """The SHA-256 of the UTF-8 text as 64 lower-case hex digits; None (or NaN) stays None."""
    if text is None or pd.isna(text):
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def texts(values: pd.Series) -> list[str | None]:
    """The values as text, a missing one (None, NaN) as None."""
    return [None if pd.isna(v) else str(v) for v in values]
