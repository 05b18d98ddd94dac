"""``python -m ldn_compound``: the ``ldn-compound`` command line."""

from __future__ import annotations

import sys

from ldn_compound.cli import main

if __name__ == "__main__":
    sys.exit(main())
