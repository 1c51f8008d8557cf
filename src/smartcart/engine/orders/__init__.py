"""Orders in: a retailer's order history becomes its customers.

Recognise an order file (Shopify's orders export, WooCommerce's line-item export, or the
generic order-lines contract), read it to canonical order lines with stray lines quarantined,
map products to the retailer's categories, and aggregate the lines to one row per customer
(recency, frequency, revenue, category spend, channel and discount shares) in a streamed DuckDB
query. `generate_orders` makes realistic order histories for tests and benchmarks.
"""

from smartcart.engine.orders.customers import (
    OrderCustomers,
    OrderDerivation,
    customers_from_orders,
    customers_sql,
    iter_customers_from_orders,
    orders_sql,
    write_customers_from_orders,
)
from smartcart.engine.orders.distributed import (
    DaskOrders,
    OrderPart,
    ShuffledOrders,
    customers_from_orders_dask,
    derive_part,
    one_currency,
    orders_on_dask,
    shuffle_orders,
)
from smartcart.engine.orders.generate import generate_orders, write_orders
from smartcart.engine.orders.layouts import (
    SHOPIFY_COLUMNS,
    SHOPIFY_COLUMNS_75,
    WOOCOMMERCE_COLUMNS,
    OrderLayout,
    recognise,
)
from smartcart.engine.orders.lines import LINE_COLUMNS
from smartcart.engine.orders.mapping import (
    CategoryRule,
    OrderMapping,
    parse_categories,
    parse_order_mapping,
    read_order_mapping,
)
from smartcart.engine.orders.reading import (
    OpenedOrders,
    OrderLines,
    open_orders,
    order_layout,
    read_order_lines,
)
from smartcart.engine.orders.sources import SqlOrders
from smartcart.engine.orders.totals import OrderTotals, order_totals

__all__ = [
    "LINE_COLUMNS",
    "SHOPIFY_COLUMNS",
    "SHOPIFY_COLUMNS_75",
    "WOOCOMMERCE_COLUMNS",
    "CategoryRule",
    "DaskOrders",
    "OpenedOrders",
    "OrderCustomers",
    "OrderDerivation",
    "OrderLayout",
    "OrderLines",
    "OrderMapping",
    "OrderPart",
    "OrderTotals",
    "ShuffledOrders",
    "SqlOrders",
    "customers_from_orders",
    "customers_from_orders_dask",
    "customers_sql",
    "derive_part",
    "generate_orders",
    "iter_customers_from_orders",
    "one_currency",
    "open_orders",
    "order_layout",
    "order_totals",
    "orders_on_dask",
    "orders_sql",
    "parse_categories",
    "parse_order_mapping",
    "read_order_lines",
    "read_order_mapping",
    "recognise",
    "shuffle_orders",
    "write_customers_from_orders",
    "write_orders",
]
