"""``python -m app.cli``: the ``mineral-atlas`` command line."""

import sys

from app.cli import main

sys.exit(main())
