"""`python -m playclock`: the same as the `playclock` script."""

import sys

from playclock.cli import main

sys.exit(main())
