"""Fault switches and pacing: the settings shared by the CLI flags and `/_sandbox/config`.

Settings can change at any time (a test flips maintenance on, then off); readers take a
snapshot. Random choices (which read or write gets a 5xx) come from one generator that
`random_seed` makes deterministic.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import SettingsError
from .ids import FILE_ID

CallKind = Literal["read", "write"]


@dataclass(frozen=True)
class Settings:
    latency: float = 0.0  # seconds added to every API request
    read_error_rate: float = 0.0  # share of reads (GET, bulk gets) answered with a 500
    write_error_rate: float = 0.0  # share of writes (export creates) answered with a 500
    maintenance: bool = False  # every API call answers 503 code 0
    lose_responses: int = 0  # the next N bulk creates commit, then drop the connection
    job_pace: float = 3.0  # seconds from a job's creation to its terminal state
    search_lag: float = 0.0  # seconds: files added more recently are missing from searches
    fail_files: tuple[str, ...] = field(default_factory=tuple)  # their jobs end FAILED
    rate_limit: int = 1000  # requests per window per token
    rate_window: float = 300.0  # seconds
    random_seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["fail_files"] = list(self.fail_files)
        return out


_NAMES = frozenset(f.name for f in dataclasses.fields(Settings))


def _number(name: str, value: Any, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"setting {name}: expected a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"setting {name}: {value!r} must be {bound}")
    return float(value)


def _integer(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SettingsError(f"setting {name}: expected an integer of at least {low}")
    return value


def _validated(name: str, value: Any) -> Any:
    if name in ("latency", "job_pace", "search_lag"):
        return _number(name, value, 0.0)
    if name in ("read_error_rate", "write_error_rate"):
        return _number(name, value, 0.0, 1.0)
    if name == "rate_window":
        return max(_number(name, value, 0.001), 0.001)
    if name == "rate_limit":
        return _integer(name, value, 1)
    if name == "lose_responses":
        return _integer(name, value, 0)
    if name == "maintenance":
        if not isinstance(value, bool):
            raise SettingsError("setting maintenance: expected true or false")
        return value
    if name == "fail_files":
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, str) and FILE_ID.match(item) for item in value
        ):
            raise SettingsError("setting fail_files: expected a list of 24-hex file ids")
        return tuple(value)
    if value is not None:
        return _integer(name, value, 0)  # random_seed
    return None


class Faults:
    """The live settings plus the state they drive (the generator, the lost-response count)."""

    def __init__(self, **settings: Any) -> None:
        self._lock = threading.Lock()
        self._settings = Settings()
        self._random = random.Random()
        self.update(settings)

    @property
    def settings(self) -> Settings:
        with self._lock:
            return self._settings

    def update(self, changes: Mapping[str, Any]) -> Settings:
        """Apply some settings, all or none; unknown names and bad values are refused."""
        unknown = sorted(set(changes) - _NAMES)
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        clean = {name: _validated(name, value) for name, value in changes.items()}
        with self._lock:
            self._settings = dataclasses.replace(self._settings, **clean)
            if "random_seed" in clean:
                self._random = random.Random(clean["random_seed"])
            return self._settings

    def inject_error(self, kind: CallKind) -> bool:
        with self._lock:
            rate = (
                self._settings.read_error_rate
                if kind == "read"
                else self._settings.write_error_rate
            )
            return rate > 0 and self._random.random() < rate

    def take_lost_response(self) -> bool:
        """Consume one 'lose the response' token, if any is left."""
        with self._lock:
            if self._settings.lose_responses <= 0:
                return False
            left = self._settings.lose_responses - 1
            self._settings = dataclasses.replace(self._settings, lose_responses=left)
            return True
