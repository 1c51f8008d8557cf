"""Which kind of order file a header is: Shopify's orders export, WooCommerce's line-item
export, or the generic order-lines contract; `recognise(columns)` names it.

Shopify (Admin > Orders > Export, "Plain CSV file"): one row per line item; the order's own
fields (Email, Financial Status, Currency, Discount Amount, Refunded Amount, Source, Cancelled
at...) are filled on the order's first row only. Two header versions circulate: 79 columns
(`SHOPIFY_COLUMNS`) and the older 75 (`SHOPIFY_COLUMNS_75`: the same without Receipt Number,
Duties, Billing Province Name and Shipping Province Name). A header with Shopify's essential
columns but another set is read too (Shopify adds columns now and then).

WooCommerce: the "Customer/Order CSV Export" extension's "Default - One Row per Item" format
(`WOOCOMMERCE_COLUMNS` holds the columns read: Order ID, Order Date, Order Status, Order
Currency, Billing Email, Billing Phone, Item Name, Item SKU, Item Quantity, Item Subtotal, Item
Total, Item Refunded). The free "Advanced Order Export For WooCommerce" plugin names the same
things differently; its default item columns (SKU, Quantity, Item Cost, Order Line Total) are
accepted as alternatives (`WOOCOMMERCE_ALTERNATIVES`). WooCommerce core has no order export.

Generic: the order-lines contract. Required `order_id`, `ordered_at`, `amount` (the line's net
amount, after discounts) and a customer key: `customer_id`, else `email`, else `phone`.
Optional: `quantity`, `product`, `sku`, `category`, `channel`, `discount`, `status`, and (for
category rules) `vendor`, `product_type`; `currency` when the file has one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SHOPIFY_COLUMNS = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount",
    "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags",
    "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name",
    "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name",
    "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
)  # fmt: skip
SHOPIFY_ADDED_IN_79 = (
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
)
SHOPIFY_COLUMNS_75 = tuple(c for c in SHOPIFY_COLUMNS if c not in SHOPIFY_ADDED_IN_79)
SHOPIFY_ESSENTIAL = ("Name", "Email", "Financial Status", "Created at", "Lineitem quantity")
SHOPIFY_ESSENTIAL += ("Lineitem name", "Lineitem price", "Currency")

# role -> Shopify column (a role missing from the header is read as empty)
SHOPIFY_FIELDS = {
    "order_id": "Name",
    "email": "Email",
    "phone": "Phone",
    "billing_phone": "Billing Phone",
    "shipping_phone": "Shipping Phone",
    "financial_status": "Financial Status",
    "ordered_at": "Created at",
    "paid_at": "Paid at",
    "currency": "Currency",
    "order_discount": "Discount Amount",
    "refunded_amount": "Refunded Amount",
    "source": "Source",
    "cancelled_at": "Cancelled at",
    "quantity": "Lineitem quantity",
    "product": "Lineitem name",
    "unit_price": "Lineitem price",
    "sku": "Lineitem sku",
    "line_discount": "Lineitem discount",
    "vendor": "Vendor",
}

WOOCOMMERCE_COLUMNS = {
    "order_id": "Order ID",
    "ordered_at": "Order Date",
    "status": "Order Status",
    "currency": "Order Currency",
    "email": "Billing Email",
    "phone": "Billing Phone",
    "product": "Item Name",
    "sku": "Item SKU",
    "quantity": "Item Quantity",
    "item_subtotal": "Item Subtotal",
    "amount": "Item Total",
    "item_refunded": "Item Refunded",
}
WOOCOMMERCE_ALTERNATIVES = {
    "order_id": ("Order Number",),
    "sku": ("SKU",),
    "quantity": ("Quantity",),
    "amount": ("Order Line Total", "Order Line (w/o tax)"),
    "unit_price": ("Item Cost",),
    "item_refunded": ("Order Line Total Refunded",),
    "email": ("Customer Email", "Email (Billing)"),
    "phone": ("Phone (Billing)",),
    "currency": ("Currency",),
}
WOOCOMMERCE_REQUIRED = ("order_id", "ordered_at", "status", "product", "quantity")

GENERIC_REQUIRED = ("order_id", "ordered_at", "amount")
CUSTOMER_KEYS = ("customer_id", "email", "phone")
GENERIC_OPTIONAL = ("quantity", "product", "sku", "category", "channel", "discount", "status")
GENERIC_OPTIONAL += ("vendor", "product_type", "currency")
GENERIC_COLUMNS = GENERIC_REQUIRED + CUSTOMER_KEYS + GENERIC_OPTIONAL


@dataclass(frozen=True)
class OrderLayout:
    """A recognised order file: its kind, a label for messages, and role -> file column."""

    kind: str  # "shopify", "woocommerce" or "generic"
    label: str
    fields: dict[str, str] = field(default_factory=dict)

    def column(self, role: str) -> str | None:
        """The file column that holds a role (None when the file has none)."""
        return self.fields.get(role)

    @property
    def customer_keys(self) -> list[str]:
        """The roles that identify a customer, in order of preference, present in the file."""
        return [role for role in (*CUSTOMER_KEYS, "billing_phone", "shipping_phone")
                if role in self.fields]  # fmt: skip


def recognise(columns: list[str] | tuple[str, ...]) -> OrderLayout | None:
    """The layout of an order file from its header, or None when it is no order file known.

    A generic file without any customer key column is still recognised (its layout has no
    customer key), so the reader can say what is missing rather than "not an order file"."""
    names = [str(c).strip().lstrip("\ufeff").strip() for c in columns]
    present = set(names)
    if all(c in present for c in SHOPIFY_ESSENTIAL):
        return _shopify(present)
    woo = _woocommerce(present)
    if woo is not None:
        return woo
    if all(c in present for c in GENERIC_REQUIRED):
        fields = {c: c for c in GENERIC_COLUMNS if c in present}
        return OrderLayout("generic", "order lines (generic contract)", fields)
    return None


def _shopify(present: set[str]) -> OrderLayout:
    if present.issuperset(SHOPIFY_COLUMNS):
        label = "Shopify orders export (79 columns)"
    elif present.issuperset(SHOPIFY_COLUMNS_75):
        label = "Shopify orders export (75 columns)"
    else:
        label = f"Shopify orders export ({len(present)} columns, a version not seen before)"
    fields = {role: c for role, c in SHOPIFY_FIELDS.items() if c in present}
    return OrderLayout("shopify", label, fields)


def _woocommerce(present: set[str]) -> OrderLayout | None:
    fields: dict[str, str] = {}
    for role in (*WOOCOMMERCE_COLUMNS, "unit_price"):
        first = (WOOCOMMERCE_COLUMNS[role],) if role in WOOCOMMERCE_COLUMNS else ()
        for name in (*first, *WOOCOMMERCE_ALTERNATIVES.get(role, ())):
            if name in present:
                fields[role] = name
                break
    if "product" not in fields and "Name" in present and "Order Date" in present:
        fields["product"] = "Name"  # Advanced Order Export's product name column
    has_amount = "amount" in fields or "unit_price" in fields
    if not has_amount or any(role not in fields for role in WOOCOMMERCE_REQUIRED):
        return None
    return OrderLayout("woocommerce", "WooCommerce order export (one row per item)", fields)
