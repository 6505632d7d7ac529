"""The request log: one JSON line per API request (time, method, path, status, duration).

A response lost on purpose is logged with `status: null` and `lost: true`. The log is opened
for each line without following a link (`datafiles.open_regular`): a link planted in its place
is refused, never written through.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from .datafiles import open_regular
from .errors import SandboxError

log = logging.getLogger(__name__)

LOG_NAME = "requests.jsonl"


class RequestLog:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOG_NAME
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        with self._lock:
            try:
                fd = open_regular(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            except SandboxError as exc:
                log.error("request not logged: %s", exc)
                return
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        """Every line logged; SandboxError when the log is not a regular file of its own."""
        with self._lock:
            if not os.path.lexists(self.path):
                return []
            fd = open_regular(self.path, os.O_RDONLY)
            with os.fdopen(fd, "rb") as log_file:
                text = log_file.read().decode("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]
