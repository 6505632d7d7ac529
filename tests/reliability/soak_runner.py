"""`python -m tests.reliability.soak_runner apply ...`: the real CLI, with apply's waits scaled
to the sandbox's pace (jobs end in a fraction of a second, answers take milliseconds).

Only timings change: the first poll after 0.2 s instead of 2 s, and a create whose answer was
lost is re-read after 3 s instead of 60 s. Safe here because the soak's sandbox never takes
longer than 3 s to answer (the longest latency spike is far shorter); against the platform the
grace must stay the client's read timeout.
"""

from __future__ import annotations

from reconciler import cli
from reconciler.apply.poll import Schedule
from reconciler.apply.settings import EngineSettings
from reconciler.commands.runtime import Runtime

FAST_POLLS = Schedule(first=0.2, backoff=1.5, maximum=1.0)
UNCERTAIN_GRACE = 3.0
# `--wait-timeout` still sets the wait.
SOAK = Runtime(engine=EngineSettings(schedule=FAST_POLLS, uncertain_grace=UNCERTAIN_GRACE))


def main() -> int:
    return cli.main(runtime=SOAK)


if __name__ == "__main__":
    raise SystemExit(main())
