"""``python -m xraysink.cli``: the ``xraysink`` command."""

import sys

from xraysink.cli import main

sys.exit(main())
