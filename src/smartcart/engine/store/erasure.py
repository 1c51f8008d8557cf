"""Erasure on request: a customer deleted from every table that holds them, in one transaction.

`forget` removes the customer's rows (customers with their lifetime columns, assignments, digest
members, campaign groups and responses), replaces their id or key in the audit trail by a label
made of the keyed hash, and records the erasure in `forgotten_customers` under that hash (HMAC-SHA256
of the customer's whole-number id, keyed by SMARTCART_ERASURE_KEY): the store keeps that an
erasure happened, not to whom. `Forgotten` recognises those customers in later data (score,
train, the digest) so they stay out until `undo`.

A customer is named as an operator knows them: the stored key (an email, the shop's id) or the
id. A customer no longer (or not yet) stored is still recorded, by the id their key maps to
(`customer_number`), so a later import leaves them out.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from smartcart.engine.data import ORDER_KEY, customer_number, schema
from smartcart.engine.errors import SegmentationError
from smartcart.engine.faults import kill_point
from smartcart.engine.store.tables import (
    assignments,
    audit_log,
    campaign_members,
    campaign_responses,
    customers,
    forgotten_customers,
    history_members,
)

KEY_SETTING = "SMARTCART_ERASURE_KEY"
MIN_KEY_LENGTH = 16
LABEL_PREFIX = "forgotten:"
# Tables keyed by customer id, in the order they are cleared (dependants first).
CUSTOMER_TABLES = (assignments, history_members, campaign_members, campaign_responses, customers)
# Audit rows whose whole target is a customer (the `customer` lookup and the workflow step).
LOOKUP_ACTIONS = ("customer",)
KEY_CHARACTERS = r"[0-9A-Za-z@._+\-]"


class ErasureError(SegmentationError):
    """An erasure cannot be done or honoured (no key, another key, not forgotten)."""


class ErasureKey:
    """The secret behind the keyed hashes (never shown: its repr hides it)."""

    def __init__(self, secret: str | None) -> None:
        if not secret or not secret.strip():
            raise ErasureError(
                f"{KEY_SETTING} is not set: erasures are recorded by a keyed hash; set it to a "
                f"long random secret (e.g. `openssl rand -hex 32`) and keep it"
            )
        if len(secret.strip()) < MIN_KEY_LENGTH:
            raise ErasureError(
                f"{KEY_SETTING} is too short: use at least {MIN_KEY_LENGTH} characters"
            )
        self._secret = secret.strip().encode()

    def __repr__(self) -> str:
        return "ErasureKey(***)"

    def digest(self, customer_id: int) -> str:
        """The customer's keyed hash (64 hex digits)."""
        return hmac.new(self._secret, f"customer:{int(customer_id)}".encode(), "sha256").hexdigest()

    @property
    def check(self) -> str:
        """A fingerprint of the key (tells a changed key from a missing customer)."""
        return hmac.new(self._secret, b"smartcart erasure key", "sha256").hexdigest()[:16]


def label(customer_hash: str) -> str:
    """What the audit trail shows instead of the customer."""
    return f"{LABEL_PREFIX}{customer_hash[:16]}"


@dataclass(frozen=True)
class Erasure:
    """What `forget` or `undo` did."""

    customer_hash: str
    stored: bool  # the customer was in the customers table
    removed: dict[str, int]  # rows deleted per table (and audit rows rewritten)
    already: bool = False  # forget: recorded before; undo: never forgotten is an error instead

    @property
    def label(self) -> str:
        return label(self.customer_hash)

    @property
    def rows(self) -> int:
        return sum(self.removed.values())


@dataclass(frozen=True)
class Identity:
    customer_id: int
    key: str | None
    stored: bool
    given: str


def identify(connection: Connection, given: str) -> Identity:
    """The customer an operator names: a stored key (as given, trimmed, lower case) or id, else
    the id the text maps to."""
    text = given.strip()
    if not text:
        raise ErasureError("no customer given: pass an id or an email")
    for key in dict.fromkeys((given, text, text.lower())):
        row = connection.execute(
            sa.select(customers.c.customer_id, customers.c.customer_key).where(
                customers.c.customer_key == key
            )
        ).first()
        if row is not None:
            return Identity(int(row[0]), row[1], True, given)
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        number = int(text)
        stored = connection.execute(
            sa.select(customers.c.customer_key).where(customers.c.customer_id == number)
        ).first()
        return Identity(number, stored[0] if stored else None, stored is not None, given)
    return Identity(customer_number(text.lower() if "@" in text else text), None, False, given)


def forget(
    engine: Engine, key: ErasureKey, given: str, by: str, reason: str | None = None
) -> Erasure:
    """Delete the customer everywhere, hash them in the audit trail and record the erasure:
    all in one transaction (a crash leaves the store as it was)."""
    with engine.begin() as connection:
        who = identify(connection, given)
        customer_hash = key.digest(who.customer_id)
        removed = {
            table.name: connection.execute(
                table.delete().where(table.c.customer_id == who.customer_id)
            ).rowcount
            for table in CUSTOMER_TABLES
        }
        removed[audit_log.name] = _hash_audit(connection, who, label(customer_hash))
        already = _recorded(connection, customer_hash)
        if already:
            connection.execute(
                forgotten_customers.delete().where(
                    forgotten_customers.c.customer_hash == customer_hash
                )
            )
        connection.execute(
            forgotten_customers.insert().values(
                customer_hash=customer_hash,
                key_check=key.check,
                forgotten_at=_now(),
                forgotten_by=by[:64],
                reason=None if reason is None else reason[:500],
                removed=removed,
            )
        )
        _audit(connection, by, "forget", label(customer_hash), sum(removed.values()))
        kill_point("forget:before-commit")
    return Erasure(customer_hash, who.stored, removed, already)


def undo(engine: Engine, key: ErasureKey, given: str, by: str) -> Erasure:
    """Stop leaving a forgotten customer out of later runs (nothing deleted comes back)."""
    with engine.begin() as connection:
        who = identify(connection, given)
        customer_hash = key.digest(who.customer_id)
        if not _recorded(connection, customer_hash):
            raise ErasureError(f"{given.strip()} is not forgotten (nothing to undo)")
        connection.execute(
            forgotten_customers.delete().where(forgotten_customers.c.customer_hash == customer_hash)
        )
        _audit(connection, by, "forget --undo", label(customer_hash), 1)
    return Erasure(customer_hash, who.stored, {forgotten_customers.name: 1})


def _recorded(connection: Connection, customer_hash: str) -> bool:
    query = sa.select(forgotten_customers.c.customer_hash).where(
        forgotten_customers.c.customer_hash == customer_hash
    )
    return connection.execute(query).first() is not None


def _hash_audit(connection: Connection, who: Identity, replacement: str) -> int:
    """Replace the customer in the audit trail: a lookup's whole target when it names them
    (id or key), and their text key (an email) wherever it appears. Rows rewritten."""
    names = {n for n in (who.given.strip(), who.key) if n}
    numbers = {str(who.customer_id)}
    texts = {n.lower() for n in names if not n.isdigit()}
    wanted = {n.lower() for n in names} | numbers
    conditions = [
        sa.and_(audit_log.c.action.in_(LOOKUP_ACTIONS), sa.func.lower(audit_log.c.target) == n)
        for n in wanted
    ]
    for text in texts:
        pattern = f"%{_escaped(text)}%"
        for column in (audit_log.c.target, audit_log.c.detail):
            conditions.append(sa.func.lower(column).like(pattern, escape="\\"))
    rows = connection.execute(
        sa.select(audit_log.c.id, audit_log.c.action, audit_log.c.target, audit_log.c.detail).where(
            sa.or_(*conditions)
        )
    ).all()
    for row in rows:
        whole = row.action in LOOKUP_ACTIONS and row.target.strip().lower() in wanted
        target = replacement if whole else _replaced(row.target, texts, replacement)
        detail = None if row.detail is None else _replaced(row.detail, texts, replacement)
        connection.execute(
            audit_log.update().where(audit_log.c.id == row.id).values(target=target, detail=detail)
        )
    return len(rows)


def _replaced(text: str, keys: set[str], replacement: str) -> str:
    for key in keys:
        text = re.sub(
            rf"(?<!{KEY_CHARACTERS}){re.escape(key)}(?!{KEY_CHARACTERS})",
            replacement,
            text,
            flags=re.IGNORECASE,
        )
    return text


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _audit(connection: Connection, by: str, action: str, target: str, rows: int) -> None:
    connection.execute(
        audit_log.insert().values(
            at=_now(),
            user_id=by[:64],
            channel_id="local",
            action=action,
            target=target,
            allowed=True,
            rows=rows,
            detail=None,
        )
    )


def _now() -> datetime:
    return datetime.now(UTC)


class Forgotten:
    """The forgotten customers as later runs recognise them: by the keyed hash of each id."""

    def __init__(self, hashes: frozenset[str] = frozenset(), key: ErasureKey | None = None) -> None:
        self.hashes = hashes
        self.key = key

    @classmethod
    def load(cls, engine: Engine, secret: str | None) -> Forgotten:
        """The recorded erasures; ErasureError when there are some and they cannot be honoured
        (no key, or another key than the one they were recorded with)."""
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(forgotten_customers.c.customer_hash, forgotten_customers.c.key_check)
            ).all()
        if not rows:
            return cls()
        try:
            key = ErasureKey(secret)
        except ErasureError as error:
            raise ErasureError(
                f"{len(rows)} customers are forgotten and cannot be left out: {error}"
            ) from None
        if any(check != key.check for _, check in rows):
            raise ErasureError(
                f"{KEY_SETTING} is not the key the erasures were recorded with: "
                "set the key used by `smartcart forget`"
            )
        return cls(frozenset(h for h, _ in rows), key)

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def mask(self, ids: np.ndarray) -> np.ndarray:
        """True for each id that belongs to a forgotten customer."""
        if not self.hashes or self.key is None:
            return np.zeros(len(ids), dtype=bool)
        digest, hashes = self.key.digest, self.hashes
        return np.fromiter((digest(i) in hashes for i in ids.tolist()), dtype=bool, count=len(ids))

    def split(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
        """Validated customers without the forgotten ones, and how many were left out."""
        if not self.hashes or frame.empty:
            return frame, 0
        gone = self.mask(frame[schema.ID].to_numpy(dtype="int64"))
        if not gone.any():
            return frame, 0
        return frame.loc[~gone].reset_index(drop=True), int(gone.sum())

    def without_keys(self, frame: pd.DataFrame, column: str = ORDER_KEY) -> pd.DataFrame:
        """Rows (e.g. counted orders) whose customer key belongs to no forgotten customer."""
        if not self.hashes or frame.empty:
            return frame
        ids = np.fromiter(
            map(customer_number, frame[column].astype(str)), dtype="int64", count=len(frame)
        )
        gone = self.mask(ids)
        return frame.loc[~gone].reset_index(drop=True) if gone.any() else frame
