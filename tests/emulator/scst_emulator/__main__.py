"""``python -m scst_emulator`` (see cli.py)."""

import sys

from .cli import main

sys.exit(main())
