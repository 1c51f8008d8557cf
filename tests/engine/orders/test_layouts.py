from smartcart.engine.orders import SHOPIFY_COLUMNS, SHOPIFY_COLUMNS_75, recognise


def test_shopify_headers_have_79_and_75_columns():
    assert len(SHOPIFY_COLUMNS) == 79 and len(SHOPIFY_COLUMNS_75) == 75
    added = set(SHOPIFY_COLUMNS) - set(SHOPIFY_COLUMNS_75)
    assert added == {"Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name"}


def test_shopify_versions_are_recognised():
    assert recognise(SHOPIFY_COLUMNS).label == "Shopify orders export (79 columns)"
    assert recognise(SHOPIFY_COLUMNS_75).label == "Shopify orders export (75 columns)"
    trimmed = [c for c in SHOPIFY_COLUMNS if not c.startswith("Tax ")]
    layout = recognise(["\ufeffName", *trimmed[1:]])
    assert layout.kind == "shopify" and "not seen before" in layout.label
    assert layout.column("unit_price") == "Lineitem price"


def test_woocommerce_exports_are_recognised():
    skyverge = ["Order ID", "Order Number", "Order Date", "Order Status", "Billing Email"]
    skyverge += ["Item Name", "Item SKU", "Item Quantity", "Item Subtotal", "Item Total"]
    layout = recognise(skyverge)
    assert layout.kind == "woocommerce" and layout.column("amount") == "Item Total"
    plugin = ["Order Number", "Order Date", "Order Status", "Billing Email", "SKU", "Name"]
    plugin += ["Quantity", "Item Cost"]
    layout = recognise(plugin)
    assert layout.kind == "woocommerce" and layout.column("unit_price") == "Item Cost"
    assert layout.column("product") == "Name"


def test_generic_and_unknown_headers():
    layout = recognise(["customer_id", "order_id", "ordered_at", "amount", "sku", "extra"])
    assert layout.kind == "generic" and layout.customer_keys == ["customer_id"]
    assert "extra" not in layout.fields.values()
    assert recognise(["order_id", "ordered_at", "amount", "email"]).customer_keys == ["email"]
    assert recognise(["ID", "Income", "Recency"]) is None
