"""``python -m zoo.cli``."""

from . import main

raise SystemExit(main())
