"""`python -m apiforge ...`: the `apiforge` command line (apiforge is a namespace package; this is its entry)."""

from __future__ import annotations

import sys

from apiforge.cli import main

if __name__ == "__main__":
    sys.exit(main())
