"""Synthetic customers shaped like the published data (any size), and the figures they follow."""

from smartcart.engine.data.synthetic.generate import generate_customers
from smartcart.engine.data.synthetic.writing import write_customers

__all__ = ["generate_customers", "write_customers"]
