"""``python -m astria_widgets.sandbox``: same as ``astria-widgets sandbox``."""

import sys

from .cli import main

sys.exit(main())
