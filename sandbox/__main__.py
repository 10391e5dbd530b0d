"""``python -m sandbox``: serve the fictitious companies until Ctrl-C."""

import sys

from sandbox.server import main

sys.exit(main())
