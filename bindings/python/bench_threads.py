#!/usr/bin/env python3
"""Threads on one Store: the same puts and gets on 1 thread, then on N threads.

    python bench_threads.py [URL] [--ops 400] [--size 65536] [--threads 8] [--rounds 3]

URL defaults to $KVPS_TEST_S3_URL (a unique prefix is added). Because every library call
releases the GIL, network-bound work on N threads should finish several times faster.
As a peer measured in the same run, the same work goes through the library's own parallel
batches (put_many/get_many of N items, no Python threads): when the machine, not the GIL,
is the limit (a local server sharing the CPU), both gains are alike. The modes alternate
for --rounds rounds and each reports its median, so a change in the machine's load hits all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import kvps


def with_prefix(url: str, prefix: str) -> str:
    if not url.startswith(("s3://", "aws://")):
        return url
    head, sep, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    bucket, _, path = rest.partition("/")
    return f"{scheme}://{bucket}/{prefix}{'/' + path if path else ''}{sep}{query}"


def run(store: kvps.Store, threads: int, ops: int, value: bytes, tag: str) -> float:
    """Seconds for `ops` put+get pairs spread over `threads` threads."""

    def one(i: int) -> None:
        key = f"{tag}/{i:06d}"
        store[key] = value
        if store[key] != value:
            raise AssertionError(f"{key} read back wrong")

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(ops)))
    return time.perf_counter() - start


def run_batches(store: kvps.Store, width: int, ops: int, value: bytes, tag: str) -> float:
    """Seconds for the same work as put_many/get_many batches of `width` keys."""
    start = time.perf_counter()
    for first in range(0, ops, width):
        keys = [f"{tag}/{i:06d}" for i in range(first, min(first + width, ops))]
        store.put_many((k, value) for k in keys)
        if any(v != value for v in store.get_many(keys).values()):
            raise AssertionError(f"batch at {first} read back wrong")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", default=os.environ.get("KVPS_TEST_S3_URL"))
    parser.add_argument("--ops", type=int, default=400)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.url:
        print("bench_threads: give a store URL or set KVPS_TEST_S3_URL", file=sys.stderr)
        return 2
    url = with_prefix(args.url, f"bench-threads-{uuid.uuid4().hex[:8]}")
    value = os.urandom(args.size)
    with kvps.open(url) as store:
        try:
            run(store, args.threads, min(args.ops, 32), value, "warmup")
            times: dict[str, list[float]] = {"one": [], "many": [], "batch": []}
            for r in range(args.rounds):
                times["one"].append(run(store, 1, args.ops, value, f"r{r}/t1"))
                times["many"].append(run(store, args.threads, args.ops, value, f"r{r}/tn"))
                times["batch"].append(run_batches(store, args.threads, args.ops, value, f"r{r}/b"))
            one, many, batch = (statistics.median(times[m]) for m in ("one", "many", "batch"))
        finally:
            store.clear()
    print(f"store: {url.split('?')[0]}  ops: {args.ops} put+get of {args.size} bytes, "
          f"median of {args.rounds} rounds")
    print(f"1 thread:   {one:7.3f} s  {args.ops / one:8.1f} ops/s")
    print(f"{args.threads} threads:  {many:7.3f} s  {args.ops / many:8.1f} ops/s")
    print(f"batches of {args.threads}: {batch:7.3f} s  {args.ops / batch:8.1f} ops/s  (library-side parallelism)")
    print(f"speedup {args.threads} threads vs 1: {one / many:.2f}x")
    print(f"speedup batches of {args.threads} vs 1 (peer): {one / batch:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
