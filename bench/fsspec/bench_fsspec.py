"""kvps's fsspec filesystem beside s3fs and obstore's fsspec wrapper, on one S3 server.

    python bench/fsspec/bench_fsspec.py [--mib 256] [--files 1000] [--rounds 3]

Needs $KVPS_TEST_S3_URL (tests/s3/servers.sh start prints it; MinIO is the first server) and,
in the Python running it, kvps, fsspec, pyarrow, s3fs and obstore. Workloads, each the same
bytes through each filesystem, alternating filesystems within a round, best round kept:
  - read one Parquet file of about --mib MiB with pyarrow.parquet.read_table(filesystem=...);
  - read a dataset of --files small Parquet files under one prefix with pyarrow.dataset.
Prints a Markdown table of seconds and the ratio of each peer to kvps (above 1: kvps faster).
"""

from __future__ import annotations

import argparse
import os
import time
import urllib.parse
from typing import Any, Callable

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq


def s3_parts(url: str) -> dict[str, str]:
    head, _, query = url.partition("?")
    bucket = head.split("://", 1)[1].split("/", 1)[0]
    q = dict(urllib.parse.parse_qsl(query))
    return {"bucket": bucket, "endpoint": q["endpoint"], "key": q["access_key_id"],
            "secret": q["secret_access_key"], "region": q.get("region", "us-east-1")}


def filesystems(url: str, prefix: str) -> dict[str, tuple[Any, str]]:
    """name -> (filesystem, root path of the bench data in it)."""
    import s3fs
    from obstore.fsspec import FsspecStore

    import kvps.fsspec

    p = s3_parts(url)
    head, _, query = url.partition("?")
    kv = kvps.fsspec.KvpsFileSystem(f"{head}?{query}", skip_instance_cache=True)
    s3 = s3fs.S3FileSystem(key=p["key"], secret=p["secret"], skip_instance_cache=True,
                           client_kwargs={"endpoint_url": p["endpoint"], "region_name": p["region"]})
    ob = FsspecStore("s3", config={"endpoint": p["endpoint"], "access_key_id": p["key"],
                                   "secret_access_key": p["secret"], "region": p["region"],
                                   "virtual_hosted_style_request": False},
                     client_options={"allow_http": True}, skip_instance_cache=True)
    return {"kvps": (kv, prefix), "s3fs": (s3, f"{p['bucket']}/{prefix}"),
            "obstore": (ob, f"{p['bucket']}/{prefix}")}


def make_data(fs: Any, root: str, mib: int, files: int) -> int:
    rows = mib * 2**20 // 16
    rng = os.urandom(rows * 8)
    big = pa.table({"a": pa.array(range(rows), pa.int64()),
                    "b": pa.array(memoryview(rng).cast("q").tolist(), pa.int64())})
    with fs.open(f"{root}/big.parquet", "wb") as f:
        pq.write_table(big, f, compression="none")
    for i in range(files):
        small = pa.table({"part": [i % 10] * 50, "v": list(range(i * 50, i * 50 + 50))})
        with fs.open(f"{root}/ds/f{i:05d}.parquet", "wb") as f:
            pq.write_table(small, f)
    return int(fs.info(f"{root}/big.parquet")["size"])


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    url = os.environ.get("KVPS_TEST_S3_URL")
    if not url:
        raise SystemExit("KVPS_TEST_S3_URL is not set: start tests/s3/servers.sh first")
    prefix = f"bench-fsspec-{os.getpid()}"
    fss = filesystems(url, prefix)
    kv, kv_root = fss["kvps"]
    size = make_data(kv, kv_root, args.mib, args.files)
    work = {
        "read_table, one Parquet file": lambda fs, root: pq.read_table(f"{root}/big.parquet", filesystem=fs),
        f"dataset of {args.files} files": lambda fs, root: ds.dataset(
            f"{root}/ds", filesystem=fs, format="parquet").to_table(filter=ds.field("part") == 3),
    }
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for name, fn in work.items():
            for fs_name, (fs, root) in fss.items():
                if hasattr(fs, "invalidate_cache"):
                    fs.invalidate_cache()
                t = timed(lambda: fn(fs, root))
                best[(name, fs_name)] = min(best.get((name, fs_name), t), t)
    print(f"Parquet file: {size / 2**20:.0f} MiB; dataset: {args.files} files; best of {args.rounds} rounds\n")
    print("| workload | kvps s | s3fs s | obstore s | s3fs / kvps | obstore / kvps |")
    print("|---|---|---|---|---|---|")
    for name in work:
        k, s, o = (best[(name, n)] for n in ("kvps", "s3fs", "obstore"))
        print(f"| {name} | {k:.3f} | {s:.3f} | {o:.3f} | {s / k:.2f} | {o / k:.2f} |")
    kv.rm(kv_root, recursive=True)


if __name__ == "__main__":
    main()
