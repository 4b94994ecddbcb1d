"""``python -m ganaug``: the same as the ``ganaug`` command."""

import sys

from .cli import main

sys.exit(main())
