"""``python -m synthaudit``: the command line (see :mod:`synthaudit.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
