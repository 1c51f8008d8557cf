"""`python -m smartcart.cli`: the same as `smartcart`."""

import sys

from smartcart.cli import main

sys.exit(main())
