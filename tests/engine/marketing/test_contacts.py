"""Contacts of customers from orders: text ids (emails, the retailer's ids) get the number the
store keys the customer by, whatever the email's case; numbers and text mixed are refused."""

from __future__ import annotations

import pytest

from smartcart.engine.data import customer_number
from smartcart.engine.errors import DataError
from smartcart.engine.marketing.contacts import load_contacts


def test_text_ids_are_the_customer_keys(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("customer_id,email\n Ann@Example.com ,ann@example.com\nC-17,c17@shop.example\n")
    contacts = load_contacts(path)
    assert list(contacts.frame.index) == [
        customer_number("ann@example.com"),
        customer_number("C-17"),
    ]


def test_numbers_and_text_mixed_name_the_first_text(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("customer_id,email\n1,a@example.com\nx9,b@example.com\n")
    with pytest.raises(DataError, match="row 3, column customer_id: not a whole number"):
        load_contacts(path)
