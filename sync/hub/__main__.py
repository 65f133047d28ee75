"""`python -m sync.hub [--db URL] [--listen HOST:PORT]`: run the family hub."""

from __future__ import annotations

import sys

from sync.hub.serve import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
