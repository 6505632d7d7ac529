"""The poller against a fake platform whose jobs take a fixed time: one poll call per 100 jobs
once it has seen how long jobs take, and no call spent on jobs that cannot be done yet."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.api.resources import Export, ItemError
from reconciler.apply.poll import Poller, Schedule
from reconciler.apply.ports import ExportsApi


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Platform:
    """Jobs that are COMPLETED `duration` seconds after they were created."""

    def __init__(self, clock: Clock, duration: float) -> None:
        self.clock = clock
        self.duration = duration
        self.created: dict[str, float] = {}
        self.calls: list[list[str]] = []

    def create(self, n: int) -> list[str]:
        ids = [f"job{len(self.created) + i}" for i in range(n)]
        self.created.update({job_id: self.clock.now for job_id in ids})
        return ids

    def bulk_get_exports(self, export_ids: Sequence[str]) -> list[Export | ItemError]:
        # One call per 100 ids, as the client sends a longer bulk get.
        self.calls.extend(list(export_ids[i : i + 100]) for i in range(0, len(export_ids), 100))
        return [
            Export.model_validate(
                {
                    "id": job_id,
                    "state": "COMPLETED"
                    if self.clock.now >= self.created[job_id] + self.duration
                    else "RUNNING",
                    "source": {"file": "a" * 24},
                    "destination": {"volume": "o/v", "location": job_id},
                }
            )
            for job_id in export_ids
        ]


def wait_all(poller: Poller, clock: Clock) -> None:
    """What the engine does once everything is submitted: sleep until due, poll."""
    while len(poller):
        due = poller.next_due()
        assert due is not None
        clock.now = max(clock.now, due)
        poller.poll()


def start(duration: float) -> tuple[Clock, Platform, Poller]:
    clock = Clock()
    platform = Platform(clock, duration)
    api: ExportsApi = platform  # type: ignore[assignment]  # only bulk_get_exports is called
    return clock, platform, Poller(api, clock, Schedule(first=2.0, backoff=1.5, maximum=30.0))


def test_jobs_submitted_together_cost_one_call_per_100_after_the_first_look() -> None:
    clock, platform, poller = start(duration=5.0)
    for _ in range(10):  # ten create calls, 0.15 s apart, before any poll
        for job_id in platform.create(100):
            poller.watch(job_id)
        clock.now += 0.15
    wait_all(poller, clock)
    # The first 100 are looked at once too early (running at 2 s); the other 900 wait for the
    # age at which those are looked at again, then each job is read once, when done.
    assert len(platform.calls) == 11
    assert sum(len(call) for call in platform.calls) == 1100


def test_new_jobs_are_first_looked_at_after_the_age_jobs_were_seen_done() -> None:
    clock, platform, poller = start(duration=5.0)
    for job_id in platform.create(100):
        poller.watch(job_id)
    wait_all(poller, clock)
    assert len(platform.calls) == 2  # at 2 s (running), at 5 s (done)
    later = clock.now + 60
    clock.now = later
    for job_id in platform.create(100):
        poller.watch(job_id)
    assert poller.next_due() == later + 5.0
    wait_all(poller, clock)
    assert len(platform.calls) == 3  # one call: they were done at their first look


def test_quick_jobs_keep_the_schedules_first_look() -> None:
    clock, platform, poller = start(duration=0.5)
    for job_id in platform.create(100):
        poller.watch(job_id)
    wait_all(poller, clock)
    clock.now += 10
    for job_id in platform.create(1):
        poller.watch(job_id)
    assert poller.next_due() == clock.now + 2.0
    assert len(platform.calls) == 1


def test_a_job_still_running_never_stops_the_others_from_being_read() -> None:
    clock, platform, poller = start(duration=5.0)
    slow = platform.create(1)[0]
    platform.duration = 5.0
    poller.watch(slow)
    clock.now += 1
    for job_id in platform.create(99):
        poller.watch(job_id)
    platform.created[slow] += 95.0  # the slow job takes 100 s
    wait_all(poller, clock)
    assert len(poller) == 0
    assert len(platform.calls) < 20


def test_many_due_jobs_are_read_by_several_calls_at_once_and_no_more_calls() -> None:
    clock, platform, poller = start(duration=5.0)
    for job_id in platform.create(1000):  # all due at the same moment
        poller.watch(job_id, first=6.0)
    clock.now += 6.0
    rounds = 0
    while len(poller):
        read, missing = poller.poll()
        assert not missing and all(job.state == "COMPLETED" for job in read)
        rounds += 1
    # 4 calls at once (the default), 10 calls in all: the count one call at a time makes.
    assert rounds == 3
    assert len(platform.calls) == 10
    assert sum(len(call) for call in platform.calls) == 1000


def test_only_as_many_calls_as_the_due_jobs_need_go_out_together() -> None:
    clock, platform, poller = start(duration=5.0)
    for job_id in platform.create(150):
        poller.watch(job_id, first=6.0)
    clock.now += 3.0
    for job_id in platform.create(500):  # due 3 s later: only topping up the second call
        poller.watch(job_id, first=6.0)
    clock.now += 3.0
    poller.poll()
    assert [len(call) for call in platform.calls] == [100, 100]
