"""Audience exports: contacts, consent, each platform's normalisation and hashing, changes."""

from __future__ import annotations

import csv
import hashlib
import io

import pandas as pd
import pytest
import sqlalchemy as sa

from smartcart.engine.errors import DataError, ModelError
from smartcart.engine.marketing.audiences import ExportOptions, export_audience
from smartcart.engine.marketing.contacts import Contacts, load_contacts
from smartcart.engine.marketing.exports import persona_export
from smartcart.engine.model.personas import PERSONAS_BY_ID
from smartcart.engine.scoring.scoring import score
from smartcart.engine.service import SegmentService
from smartcart.engine.store.store import Store
from smartcart.engine.training import TrainingResult
from tests.support.contacts import (
    BAD_EMAIL,
    expected_phone_digits,
    opted_out,
    save_digest_snapshot,
    unusable,
    write_contacts,
)

PREMIUM = PERSONAS_BY_ID["premium"]

# Meta's own examples (Marketing API, customer information parameters): the input, the value
# after normalisation, and the SHA-256 Meta publishes for it.
META_EMAIL = (" John_Smith@Gmail.com ", "john_smith@gmail.com")
META_EMAIL_SHA256 = "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
META_PHONE = ("(650)555-1212", "16505551212")  # a US number, with US as the default country
META_PHONE_SHA256 = "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rows_of(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def one_customer(customer_id: int = 1, confidence: float = 0.9) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [customer_id],
            "persona": ["premium"],
            "confidence": [confidence],
            "Income": [80000.0],
            "Kidhome": [0],
            "Teenhome": [0],
            "Recency": [10],
            "Education": ["Graduation"],
            "Marital_Status": ["Single"],
            "total_spending": [1500],
            "segment": [PREMIUM.name],
        }
    )


def contacts_of(rows: list[tuple]) -> Contacts:
    """Contacts from (customer_id, email, phone, opted_out) tuples."""
    frame = pd.DataFrame(rows, columns=["customer_id", "email", "phone", "opted_out"])
    return Contacts(frame.set_index("customer_id"), "test")


# -- the platforms' published examples ---------------------------------------------------------


def test_the_hashes_match_metas_published_examples():
    assert sha256(META_EMAIL[1]) == META_EMAIL_SHA256
    assert sha256(META_PHONE[1]) == META_PHONE_SHA256
    contacts = contacts_of([(1, META_EMAIL[0], META_PHONE[0], False)])
    made = export_audience(
        one_customer(), ExportOptions("meta", default_country="US"), contacts, "Premium"
    )
    assert rows_of(made.content) == [
        {"email": META_EMAIL_SHA256, "phone": META_PHONE_SHA256, "extern_id": "1"}
    ]


def test_google_hashes_e164_phones_and_emails_without_any_space():
    # Google's Customer Match example: "+1 800 5550101" is hashed as E.164, "+18005550101";
    # emails lose every space and are lower-cased; dots stay (Customer Match removes none).
    contacts = contacts_of([(1, " Alex.2 @Example.com", "+1 800 5550101", False)])
    made = export_audience(one_customer(), ExportOptions("google"), contacts)
    assert rows_of(made.content) == [
        {"Email": sha256("alex.2@example.com"), "Phone": sha256("+18005550101")}
    ]


def test_klaviyo_gets_plain_normalised_values_and_the_segment():
    contacts = contacts_of([(1, " Ana@Example.COM ", "(212) 555-0173", False)])
    options = ExportOptions("klaviyo", default_country="US")
    made = export_audience(one_customer(), options, contacts, PREMIUM.name)
    assert rows_of(made.content) == [
        {"email": "ana@example.com", "phone_number": "+12125550173", "segment": PREMIUM.name}
    ]


def test_a_phone_with_its_own_country_code_ignores_the_default_country():
    contacts = contacts_of([(1, None, "+44 20 7183 8750", False)])
    made = export_audience(one_customer(), ExportOptions("meta", default_country="US"), contacts)
    assert rows_of(made.content)[0]["phone"] == sha256("442071838750")


def test_invalid_values_are_dropped_from_their_column_and_counted():
    contacts = contacts_of(
        [
            (1, "not an email", "+1 650 555 1212", False),
            (2, "ok@example.com", "12345", False),
            (3, "a@@b", "000", False),  # nothing usable left: not in a platform file
        ]
    )
    audience = pd.concat([one_customer(1), one_customer(2), one_customer(3)])
    made = export_audience(audience, ExportOptions("meta", default_country="US"), contacts)
    assert [r["extern_id"] for r in rows_of(made.content)] == ["1", "2"]
    assert rows_of(made.content)[0]["email"] == ""
    assert rows_of(made.content)[1]["phone"] == ""
    assert made.dropped == {"invalid email": 2, "invalid phone": 2}
    assert made.left_out == {"no valid email or phone": 1}
    assert "Dropped from their column: 2 invalid emails, 2 invalid phones." in made.summary_lines()


def test_without_a_default_country_a_national_number_is_not_guessed():
    contacts = contacts_of([(1, "ok@example.com", "(650) 555-1212", False)])
    made = export_audience(one_customer(), ExportOptions("klaviyo"), contacts)
    assert rows_of(made.content)[0]["phone_number"] == ""
    assert made.dropped == {"invalid phone": 1}


def test_platform_formats_need_contacts():
    with pytest.raises(ValueError, match="meta format needs contact details"):
        export_audience(one_customer(), ExportOptions("meta"))


@pytest.mark.parametrize(
    "options, message",
    [
        ({"format": "tiktok"}, "unknown export format 'tiktok'"),
        ({"min_confidence": 1.5}, "between 0 and 1"),
        ({"default_country": "XX"}, "'XX' is not a country code"),
    ],
)
def test_wrong_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        ExportOptions(**options)


# -- generated contacts for the trained customers ----------------------------------------------


@pytest.fixture
def service(database_url: str, trained: TrainingResult) -> SegmentService:
    store = Store(database_url)
    store.migrate()
    customers = trained.data.customers
    store.save_customers(customers, score(trained.model, customers), trained.model.version, True)
    yield SegmentService(trained.artifact.parent.parent, store)
    store.engine.dispose()


def test_a_meta_export_of_generated_contacts_is_exact(service, tmp_path):
    audience = service.audience("premium")
    ids = [int(i) for i in audience["customer_id"]]
    written = write_contacts(ids, tmp_path / "contacts.csv")
    contacts = load_contacts(tmp_path / "contacts.csv")
    options = ExportOptions("meta", default_country="US")
    made = persona_export(service, PREMIUM, options, contacts).result

    out, missing, bad = opted_out(written), set(ids) - set(written.index), unusable(written)
    exported = {int(r["extern_id"]): r for r in rows_of(made.content)}
    assert out and missing and bad
    assert set(exported) == set(ids) - out - missing - bad
    assert made.rows == len(exported) and made.candidates == len(ids)
    assert made.left_out == {
        "opted out": len(out),
        "not in the contacts": len(missing),
        "no valid email or phone": len(bad),
    }
    for customer_id, row in exported.items():
        email = written.loc[customer_id, "Email"]
        wanted = "" if email == BAD_EMAIL else sha256(f"customer.{customer_id}@example.com")
        assert row["email"] == wanted
        digits = expected_phone_digits(written.loc[customer_id, "Phone"])
        assert row["phone"] == (sha256(digits) if digits else "")


def test_a_csv_export_keeps_customers_without_contacts_and_drops_opt_outs(service, tmp_path):
    ids = [int(i) for i in service.audience("premium")["customer_id"]]
    written = write_contacts(ids, tmp_path / "contacts.csv")
    contacts = load_contacts(tmp_path / "contacts.csv")
    made = persona_export(service, PREMIUM, ExportOptions(default_country="US"), contacts).result
    rows = rows_of(made.content)
    assert {int(r["customer_id"]) for r in rows} == set(ids) - opted_out(written)
    assert list(rows[0])[-2:] == ["email", "phone"]
    missing = next(r for r in rows if int(r["customer_id"]) not in written.index)
    assert (missing["email"], missing["phone"]) == ("", "")
    assert made.left_out == {"opted out": len(opted_out(written))}
    without = len(set(ids) - set(written.index))
    assert f"{without:,} not in the contacts: exported without email or phone." in (
        made.summary_lines()
    )


def test_min_confidence_keeps_only_confident_placements(service):
    audience = service.audience("premium")
    made = persona_export(service, PREMIUM, ExportOptions(min_confidence=0.6)).result
    rows = rows_of(made.content)
    assert {int(r["customer_id"]) for r in rows} == set(
        audience.loc[audience["confidence"] >= 0.6, "customer_id"]
    )
    below = int((audience["confidence"] < 0.6).sum())
    assert below > 0 and made.left_out == {"below the minimum confidence (0.6)": below}


def test_contacts_from_parquet_read_like_csv(tmp_path):
    ids = list(range(1, 300))
    write_contacts(ids, tmp_path / "contacts.csv")
    write_contacts(ids, tmp_path / "contacts.parquet")
    from_csv = load_contacts(tmp_path / "contacts.csv").frame
    from_parquet = load_contacts(tmp_path / "contacts.parquet").frame
    for frame in (from_csv, from_parquet):  # the CSV reader already drops leading spaces
        frame["email"] = frame["email"].str.strip()
    pd.testing.assert_frame_equal(from_csv, from_parquet)
    assert from_csv["opted_out"].any() and not from_csv["opted_out"].all()


def test_contacts_come_from_an_sql_table(database_url):
    engine = sa.create_engine(database_url)
    pd.DataFrame(
        {"customer_id": [1, 2], "email": ["A@Example.com", None], "phone": [None, "+16505551212"]}
    ).to_sql("contacts", engine, index=False, if_exists="replace")
    engine.dispose()
    contacts = load_contacts(database_url)
    assert contacts.frame.loc[1, "email"] == "A@Example.com"
    assert contacts.frame.loc[2, "phone"] == "+16505551212"
    assert not contacts.frame["opted_out"].any()


@pytest.mark.parametrize(
    "text, message",
    [
        ("id,email\n1,a@example.com\n", "no customer_id column"),
        ("customer_id,name\n1,Ana\n", "no email or phone column"),
        ("customer_id,email\n1,a@example.com\nx9,b@example.com\n", "row 3, column customer_id"),
        (
            "customer_id,email\n1,a@example.com\n2,b@example.com\n1,c@example.com\n",
            "rows 2 and 4, column customer_id: the same customer appears twice",
        ),
        (
            "customer_id,email,consent\n1,secret@example.com,maybe\n",
            "row 2, column consent: not a consent value",
        ),
    ],
)
def test_bad_contacts_are_named_by_row_and_column_never_by_value(tmp_path, text, message):
    path = tmp_path / "contacts.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as caught:
        load_contacts(path)
    assert str(path) in str(caught.value)
    assert "@" not in str(caught.value) and "maybe" not in str(caught.value)


# -- changes since the last digest -------------------------------------------------------------


def test_changes_list_who_joined_and_who_left_since_the_last_digest(service):
    audience = service.audience("premium")
    premium = [int(i) for i in audience["customer_id"]]
    others = service.store.members("family_budget")["customer_id"].astype(int).tolist()
    joined, left, gone = premium[:5], others[:3], 99_999_999
    move = {i: "family_budget" for i in joined} | {i: "premium" for i in [*left, gone]}
    save_digest_snapshot(service, move)

    made = persona_export(service, PREMIUM, ExportOptions(changes=True))
    rows = rows_of(made.result.content)
    assert made.since_period == "2020-W01"
    assert list(rows[0])[:2] == ["customer_id", "change"]
    changes = {int(r["customer_id"]): r for r in rows}
    assert {i for i, r in changes.items() if r["change"] == "joined"} == set(joined)
    assert {i for i, r in changes.items() if r["change"] == "left"} == {*left, gone}
    assert {changes[i]["persona"] for i in left} == {"family_budget"}
    assert changes[gone]["persona"] == ""  # no longer stored: only the id is known
    assert made.filename.startswith("smartcart-premium-changes-")


def test_changes_before_any_digest_are_a_clear_error(service):
    with pytest.raises(ModelError, match="no digest yet"):
        persona_export(service, PREMIUM, ExportOptions(changes=True))
