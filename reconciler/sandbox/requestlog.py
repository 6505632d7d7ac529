"""The request log: one JSON line per API request (time, method, path, status, duration).

A response lost on purpose is logged with `status: null` and `lost: true`.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

LOG_NAME = "requests.jsonl"


class RequestLog:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOG_NAME
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(line)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            if not self.path.exists():
                return []
            text = self.path.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]
