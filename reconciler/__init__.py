"""reconciler: declarative exports of Seven Bridges project files to cloud volumes."""

from __future__ import annotations

__version__ = "0.1.0"
