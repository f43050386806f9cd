"""kvps's asyncio API beside obstore's on S3 (MinIO): N concurrent small GETs from one event loop.

    bench/async/bench_asyncio.py [--n 1000] [--reps 5] [--size 1024] [--out FILE.md]

Needs $KVPS_TEST_S3_URL (tests/s3/servers.sh start prints it), kvps's Python binding importable
(PYTHONPATH=bindings/python/src with KVPS_LIBRARY pointing at a Release libkvps, or the wheel)
and obstore (bench/run's virtual environment has the pinned one). One upload of N values of
--size bytes under a fresh prefix; then each repetition runs each library in a fresh process
(alternating which goes first), which warms up with one round of N GETs and times a second:
all N started at once with asyncio.gather and awaited. Reported per library: ops/s (median of the
repetitions) and the peak count of OS threads of the process (from /proc/self/status, sampled
every millisecond by one thread of the harness, not counted), and the ratio kvps / obstore.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit


def s3_params() -> dict[str, str]:
    url = os.environ.get("KVPS_TEST_S3_URL")
    if not url:
        sys.exit("bench_asyncio: KVPS_TEST_S3_URL is not set (tests/s3/servers.sh start prints it)")
    u = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    return {"url": url, "bucket": u.netloc, "endpoint": q["endpoint"], "region": q.get("region", "us-east-1"),
            "key": q["access_key_id"], "secret": q["secret_access_key"]}


def kvps_url(prefix: str) -> str:
    """$KVPS_TEST_S3_URL with "/<prefix>" after the bucket."""
    head, sep, query = s3_params()["url"].partition("?")
    return f"{head.rstrip('/')}/{prefix}{sep}{query}"


def keys(n: int) -> list[str]:
    return [f"k/{i:06d}" for i in range(n)]


def value(i: int, size: int) -> bytes:
    return (f"{i:06d}".encode() * (size // 6 + 1))[:size]


def os_threads() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise RuntimeError("no Threads: line in /proc/self/status")


class PeakThreads:
    """Samples the process's OS thread count every millisecond on one thread of its own,
    which it leaves out of the count."""

    def __init__(self) -> None:
        self.peak = os_threads()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            self.peak = max(self.peak, os_threads() - 1)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def child(impl: str, prefix: str, n: int, size: int) -> dict[str, Any]:
    """One measurement in this (fresh) process: a warm-up round of n GETs, then a timed one."""
    before = os_threads()
    sampler = PeakThreads()
    names = keys(n)
    expected = [value(i, size) for i in range(n)]
    if impl == "kvps":
        import kvps

        store = kvps.open(kvps_url(prefix))

        async def get(key: str) -> bytes | None:
            return await store.aget(key)
    else:
        import obstore
        from obstore.store import S3Store

        s3 = s3_params()
        ostore = S3Store(s3["bucket"], prefix=prefix, endpoint=s3["endpoint"], region=s3["region"],
                         access_key_id=s3["key"], secret_access_key=s3["secret"],
                         virtual_hosted_style_request=False, client_options={"allow_http": True})

        async def get(key: str) -> bytes | None:
            result = await obstore.get_async(ostore, key)
            return bytes(await result.bytes_async())

    async def round_of_gets() -> float:
        t0 = time.perf_counter()
        got = await asyncio.gather(*(get(k) for k in names))
        elapsed = time.perf_counter() - t0
        bad = sum(1 for g, e in zip(got, expected) if g != e)
        if bad:
            raise SystemExit(f"{impl}: {bad} of {n} GETs returned a wrong value")
        return elapsed

    async def main() -> float:
        await round_of_gets()  # warm-up: connections, pools, runtimes
        return await round_of_gets()

    elapsed = asyncio.run(main())
    peak = sampler.stop()
    return {"impl": impl, "ops_per_s": n / elapsed, "seconds": elapsed, "threads_before": before,
            "peak_threads": peak}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    try:
        out["obstore"] = version("obstore")
    except Exception:
        out["obstore"] = "?"
    import kvps

    out["kvps"] = kvps.library_version()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="concurrent GETs per round (default 1000)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions per library (default 5)")
    ap.add_argument("--size", type=int, default=1024, help="bytes per value (default 1024)")
    ap.add_argument("--out", help="also write the results as markdown to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--prefix", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.prefix, a.n, a.size)))
        return

    import kvps

    load_start = open("/proc/loadavg").read().split()[0]
    prefix = f"bench-asyncio-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    store = kvps.open(kvps_url(prefix), concurrency=64)
    store.put_many({k: value(i, a.size) for i, k in enumerate(keys(a.n))})
    runs: dict[str, list[dict[str, Any]]] = {"kvps": [], "obstore": []}
    try:
        for rep in range(a.reps):
            order = ["kvps", "obstore"] if rep % 2 == 0 else ["obstore", "kvps"]
            for impl in order:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", impl, "--prefix", prefix, "--n", str(a.n),
                     "--size", str(a.size)], capture_output=True, text=True)
                if out.returncode:
                    sys.exit(f"bench_asyncio: the {impl} run failed:\n{out.stderr}{out.stdout}")
                r = json.loads(out.stdout.strip().splitlines()[-1])
                runs[impl].append(r)
                print(f"rep {rep + 1}/{a.reps} {impl:8} {r['ops_per_s']:9.0f} ops/s  "
                      f"{r['seconds'] * 1000:7.1f} ms  threads {r['threads_before']} -> peak {r['peak_threads']}",
                      flush=True)
    finally:
        store.delete_many(keys(a.n))
        store.close()
    load_end = open("/proc/loadavg").read().split()[0]

    med = {impl: statistics.median(r["ops_per_s"] for r in rs) for impl, rs in runs.items()}
    peak = {impl: max(r["peak_threads"] for r in rs) for impl, rs in runs.items()}
    ratio = med["kvps"] / med["obstore"]
    v = versions()
    command = "bench/async/bench_asyncio.py " + " ".join(sys.argv[1:])
    lines = [
        "| library | ops/s (median of %d) | each repetition (ops/s) | peak OS threads |" % a.reps,
        "|---|---:|---|---:|",
    ]
    for impl in ("kvps", "obstore"):
        each = ", ".join(f"{r['ops_per_s']:.0f}" for r in runs[impl])
        lines.append(f"| {impl} | {med[impl]:.0f} | {each} | {peak[impl]} |")
    table = "\n".join(lines)
    print()
    print(table)
    print(f"\nratio kvps / obstore (ops/s): {ratio:.2f}")
    if a.out:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with open(a.out, "w") as f:
            f.write(f"""# kvps asyncio vs obstore: {a.n} concurrent small GETs from one event loop (S3, MinIO)

Issue 22's Python benchmark: `await store.aget(key)` (kvps's asynchronous C API, completion
through the queue's file descriptor on the loop) beside `await obstore.get_async(store, key)`
then `await result.bytes_async()` (obstore's tokio runtime). Each repetition runs each library
in a fresh process, alternating which goes first; in each, one warm-up round of {a.n} GETs, then
the timed round: all {a.n} started at once with `asyncio.gather` on one event loop.

- Date: {stamp}
- Machine: {os.cpu_count()} cores shared with other jobs; load average {load_start} at the start,
  {load_end} at the end
- Versions: kvps {v['kvps']}, obstore {v['obstore']}, Python {v['python']}; MinIO from
  tests/s3/servers.sh on 127.0.0.1
- Values: {a.n} keys of {a.size} bytes
- Command: `{command}` (with KVPS_TEST_S3_URL from tests/s3/servers.sh, a Release libkvps)

{table}

Ratio kvps / obstore (median ops/s): **{ratio:.2f}**

Peak OS threads: the whole process (the interpreter's main thread included, the harness's
sampling thread not), over the warm-up and the timed round. kvps's GETs on s3:// run on the
store's one I/O thread (libcurl's multi interface; the library's worker pool, at most 16
threads, is not used by GETs); obstore's on its tokio runtime's worker threads.
""")
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
