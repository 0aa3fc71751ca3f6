"""``python -m scenarios.cli``: the same as the ``yingji`` command."""
import sys

from .main import main

sys.exit(main())
