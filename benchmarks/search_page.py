"""Search benchmark: pages of a recursive `POST /v2/files/search` over a folder with about a
million files below it, and what seeding such a sandbox costs.

    .venv/bin/python benchmarks/search_page.py [--batches 500] [--repeat 30] [--all]

The tree: `data/batchBBB/sSSS/{f0.bam, f1.bam.bai, f2.vcf.gz, f3.txt}`, 500 leaf folders a
batch, and one `one.txt`: with the defaults 1,000,001 files in 250,501 folders, one project.
The sandbox runs in this process; calls go over HTTP on one kept-alive session. Reports the
seed's building and seeding (apply_seed, one transaction, with the server's start), then median
and p95 in milliseconds of: the first page of 100 (which counts the matches), the next pages (by
token, one after the other), the same on a 2,500-row folder and with conditions, and one page
found the way a plain index on the path would find it (the path range sorted by id), for
comparison. `--all` also pages the whole recursive search to the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from reconciler.sandbox.server import Sandbox, start

PROJECT = "bench/genomes"
TOKEN = "bench-token"
LEAVES = 500  # leaf folders in a batch
NAMES = ("f0.bam", "f1.bam.bai", "f2.vcf.gz", "f3.txt")


def seed(batches: int) -> dict[str, Any]:
    files = [
        {"project": PROJECT, "path": f"data/batch{b:03d}/s{s:03d}/{name}", "size": 1}
        for b in range(batches)
        for s in range(LEAVES)
        for name in NAMES
    ]
    files.append({"project": PROJECT, "path": "data/batch001/s001/one.txt", "size": 1})
    return {
        "tokens": [{"token": TOKEN, "username": "bench"}],
        "projects": [{"id": PROJECT, "location": "aws:us-east-1"}],
        "files": files,
    }


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def summary(timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"{statistics.median(ordered):9.2f} ms median {p95:9.2f} ms p95"


class Searcher:
    def __init__(self, sandbox: Sandbox) -> None:
        self.url = f"{sandbox.url}/files/search"
        self.http = requests.Session()
        self.http.headers["X-SBG-Auth-Token"] = TOKEN

    def page(self, query: str, token: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": 100, **({"cont_token": token} if token else {})}
        answer = self.http.post(self.url, json={"query": query}, params=params)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def first_and_next(self, query: str, repeat: int) -> tuple[list[float], list[float], int]:
        """Times of the first page (asked `repeat` times) and of `repeat` pages after it."""
        firsts = [timed(lambda: self.page(query))[0] for _ in range(repeat)]
        body = self.page(query)
        nexts = []
        for _ in range(repeat):
            if body["cont_token"] is None:
                break
            spent, body = timed(lambda token=body["cont_token"]: self.page(query, token))
            nexts.append(spent)
        return firsts, nexts, int(body["count"])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--batches", type=int, default=500, help="2,000 files each")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--all", action="store_true", help="also page the search to the end")
    args = parser.parse_args()
    built, document = timed(lambda: seed(args.batches))
    with tempfile.TemporaryDirectory() as tmp:
        seeded, sandbox = timed(lambda: start(Path(tmp), seed=document, port=0))
        document.clear()  # its million entries are in the store now
        try:
            sandbox.configure(rate_limit=10**9)
            files = len(sandbox.query("SELECT id FROM files WHERE type = 'file'"))
            folders = len(sandbox.query("SELECT id FROM files WHERE type = 'folder'"))
            size = sum(p.stat().st_size for p in Path(tmp).glob("sandbox.db*")) / 2**20
            print(f"search benchmark: {files:,} files in {folders:,} folders, {args.repeat} runs")
            print(f"  building the seed document      {built / 1000:9.2f} s")
            print(f"  seeding (apply_seed) and start  {seeded / 1000:9.2f} s  ({size:,.0f} MiB)")
            report(sandbox, Searcher(sandbox), args.batches, args.repeat, args.all)
        finally:
            sandbox.stop()
    return 0


def report(
    sandbox: Sandbox, searcher: Searcher, batches: int, repeat: int, everything: bool
) -> None:
    data = f'"/Projects/{PROJECT}/data"'
    batch = f'"/Projects/{PROJECT}/data/batch{min(7, batches - 1):03d}"'
    cases = [
        ("data/, recursive", f"IN {data} RECURSIVE"),
        ("data/, recursive, DESC", f"IN {data} ORDER BY id DESC RECURSIVE"),
        ("data/, recursive, .txt", f'IN {data} WHERE file_extension IN ("TXT") RECURSIVE'),
        ("data/, recursive, 1 match", f'IN {data} WHERE name = "one.txt" RECURSIVE'),
        ("a batch (2,500 rows), recursive", f"IN {batch} RECURSIVE"),
        ("a batch, not recursive", f"IN {batch}"),
    ]
    for name, query in cases:
        firsts, nexts, count = searcher.first_and_next(query, repeat)
        print(f"  {name:<30} count {count:>9,}")
        print(f"    first page (counts)          {summary(firsts)}")
        if nexts:
            print(f"    next pages (token)           {summary(nexts)}")
    plain = [
        timed(
            lambda: sandbox.query(
                "SELECT id FROM files INDEXED BY files_by_path WHERE project = ? AND path > ?"
                " AND path < ? AND id > ? ORDER BY id LIMIT 101",
                (PROJECT, "data/", "data0", "8"),
            )
        )[0]
        for _ in range(max(3, repeat // 10))
    ]
    print(f"  a page by path range, sorted   {summary(plain)}  (SQL only, for comparison)")
    if everything:
        query, token, pages, seen = f"IN {data} RECURSIVE", None, 0, 0
        started = time.perf_counter()
        while True:
            body = searcher.page(query, token)
            pages, seen, token = pages + 1, seen + len(body["result_set"]), body["cont_token"]
            if token is None:
                break
        spent = time.perf_counter() - started
        print(f"  paging data/ to the end        {spent:9.2f} s  ({pages:,} pages, {seen:,} rows)")


if __name__ == "__main__":
    sys.exit(main())
