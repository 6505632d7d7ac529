"""The active export jobs: PENDING and RUNNING, on every volume, listed before any file.

The order is what makes a reading safe against jobs that finish while it reads. Jobs are
listed BEFORE files and objects, PENDING before RUNNING: a job that finishes meanwhile is then
either listed, or its effect (an alias, an object) is already visible in the reads that
follow. The other order can miss both and plan the same export again, which a re-run on
another machine would submit twice.

They are listed on every volume, not only the declared ones: a move must wait for a job that
reads its file for a volume no manifest names (the move would delete what that job reads).
That costs one listing per state, whatever the manifests declare, so jobs are not chosen by
what the desired items need.
"""

from __future__ import annotations

from reconciler.api.client import ApiClient
from reconciler.core.live import ACTIVE_JOB_STATES, LiveJob
from reconciler.live.convert import live_job


def active_jobs(client: ApiClient) -> tuple[LiveJob, ...]:
    """Every PENDING job, then every RUNNING one; call it before reading files and objects."""
    return tuple(
        live_job(export)
        for state in ACTIVE_JOB_STATES
        for export in client.list_exports(None, state)
    )
