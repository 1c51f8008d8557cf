"""Property-based tests (hypothesis) of the contact normalisation (smartcart/engine/marketing/
contacts.py): any text goes in without an exception; what comes out is None or the normal form,
which normalises to itself (nothing that passes is changed again), and hashes are 64 hex digits."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from smartcart.engine.marketing.contacts import (
    e164,
    no_space_lower_email,
    sha256_hex,
    trimmed_lower_email,
)

FEW = settings(max_examples=60, deadline=None)
emails = st.one_of(
    st.text(max_size=40),
    st.emails().map(lambda e: f" {e.upper()} "),
    st.builds(
        lambda user, host: f"{user}@{host}.com",
        st.text(string.ascii_letters + " .+", min_size=1, max_size=12),
        st.text(string.ascii_lowercase + "-", min_size=1, max_size=10),
    ),
)
phones = st.one_of(
    st.text(max_size=25),
    st.text("0123456789 ()-+.", max_size=20),
    st.sampled_from(["(650) 555-1212", "+44 20 7946 0958", "030 901820", "+1 650 555 1212"]),
)


@FEW
@given(emails)
def test_any_email_normalises_to_none_or_a_stable_lower_case_address(email):
    for normalise in (trimmed_lower_email, no_space_lower_email):
        normal = normalise(email)
        if normal is None:
            continue
        assert normal == normal.strip().lower() and "@" in normal
        assert normalise(normal) == normal
    gapless = no_space_lower_email(email)
    assert gapless is None or not any(c.isspace() for c in gapless)


@FEW
@given(phones, st.sampled_from([None, "US", "GB", "DE", "us"]))
def test_any_phone_normalises_to_none_or_a_stable_e164_number(phone, country):
    normal = e164(phone, country)
    if normal is None:
        return
    assert normal.startswith("+") and normal[1:].isdigit() and len(normal) <= 16
    assert e164(normal, None) == normal


@FEW
@given(st.one_of(st.none(), st.text(max_size=60)))
def test_hashes_are_64_hex_digits_or_none(text):
    digest = sha256_hex(text)
    assert (digest is None) == (text is None)
    assert digest is None or (len(digest) == 64 and set(digest) <= set("0123456789abcdef"))
