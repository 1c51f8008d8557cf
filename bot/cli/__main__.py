"""`python -m bot.cli`: the same as `smartcart`."""

import sys

from bot.cli import main

sys.exit(main())
