"""``python -m xrerank``: the same command line as ``xrerank``."""

import sys

from xrerank.cli import main

sys.exit(main())
