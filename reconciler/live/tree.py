"""The concurrent walk the folder and destination reads share: reads that lead to more reads.

A walk is a list of values and of reads still to make (`Node`); each read's answer is again
values and further reads, in the order a one-by-one walk would meet them. `walk` makes every
read as soon as it is known, from the threads of the pool `read_pool` gives; `flatten` then
gives the values in the one-by-one order, so the result is the same whichever read finishes
first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")
POOL_NAME = "reconciler-live"


@contextmanager
def read_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    """A pool of `workers` threads for one reading, shut down (pending reads dropped on an
    error) when it ends."""
    # Only the reading's own thread submits to the pool and waits on it; a task never waits
    # on another task of the pool (bulk gets wait on the client's own workers), so a full pool
    # cannot deadlock.
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=POOL_NAME)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


class Node(Generic[T]):
    """One read of a walk; its answer is a list of values and of further reads (nodes), in the
    order a one-by-one walk would meet them."""

    __slots__ = ("parts", "read")

    def __init__(self, read: Callable[[], list[T | Node[T]]]) -> None:
        self.read = read
        self.parts: list[T | Node[T]] = []


def nodes(parts: Iterable[T | Node[T]]) -> Iterator[Node[T]]:
    """The reads among `parts`."""
    return (part for part in parts if isinstance(part, Node))


def walk(pool: ThreadPoolExecutor, reads: list[Node[T]]) -> None:
    """Read `reads` and every node their answers name, each as soon as it is known, at most
    as many at once as the pool has threads. The first read that fails raises, and the reads
    not yet started are dropped."""
    running: dict[Future[list[T | Node[T]]], Node[T]] = {}
    try:
        running.update({pool.submit(node.read): node for node in reads})
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                node = running.pop(future)
                node.parts = future.result()
                running.update({pool.submit(child.read): child for child in nodes(node.parts)})
    finally:
        for future in running:
            future.cancel()


def flatten(parts: list[T | Node[T]]) -> Iterator[T]:
    """The values of a walk `walk` has read, depth first (no recursion: folders nest deep)."""
    stack = [iter(parts)]
    while stack:
        for part in stack[-1]:
            if isinstance(part, Node):
                stack.append(iter(part.parts))
                break
            yield part
        else:
            stack.pop()
