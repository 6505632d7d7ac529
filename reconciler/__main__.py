"""`python -m reconciler` is the same as the `reconciler` console script."""

from __future__ import annotations

from reconciler.cli import main

raise SystemExit(main())
