"""kvps's Python binding beside obstore, opendal and boto3, on memory://, file:// and s3://.

Run by bench/run (which makes the virtual environment, starts MinIO and writes the report);
by hand: `python bench_py.py --out results.json [--smoke] [--backends memory,file,s3]`
(s3 needs $KVPS_TEST_S3_URL, as tests/s3/servers.sh prints it).

Every figure is higher-is-better (ops/s, MB/s, keys/s) except peak RSS. Each workload runs its
implementations in alternating order, once per repetition, so that a burst of load on the shared
machine hits every side alike; the report keeps the median and the min-max of the repetitions.
"limit" is the same work without a store library: a dict behind a lock (memory://), plain
os calls (file://).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

KIB = 1024
MIB = 1024 * 1024
CHUNK = 8 * MIB


# ---------------------------------------------------------------- implementations

class Impl:
    """One store reached through one library; keys are plain 'a/b' paths."""

    name = ""

    def put(self, key: str, value: bytes) -> None: raise NotImplementedError
    def get(self, key: str) -> Any: raise NotImplementedError
    def stat(self, key: str) -> Any: raise NotImplementedError
    def delete(self, key: str) -> None: raise NotImplementedError
    def count(self, prefix: str) -> int: raise NotImplementedError
    def delete_many(self, keys: list[str]) -> None:
        for k in keys:
            self.delete(k)
    def fill(self, keys: list[str], value: bytes) -> None:
        for k in keys:
            self.put(k, value)
    def stream_in(self, key: str, size: int, chunk: bytes) -> None: raise NotImplementedError
    def stream_out(self, key: str, buf: bytearray) -> int: raise NotImplementedError


def _write_chunks(w: Any, size: int, chunk: bytes) -> None:
    left = size
    while left > 0:
        n = min(left, len(chunk))
        w.write(chunk if n == len(chunk) else chunk[:n])
        left -= n


class Kvps(Impl):
    def __init__(self, name: str, url: str, **options: Any) -> None:
        import kvps
        self.name = name
        self.s = kvps.open(url, **options)

    def put(self, key: str, value: bytes) -> None: self.s.put(key, value)
    def get(self, key: str) -> Any: return self.s[key]
    def stat(self, key: str) -> Any: return self.s.stat(key)
    def delete(self, key: str) -> None: self.s.delete(key)
    def count(self, prefix: str) -> int: return sum(1 for _ in self.s.list(prefix, 1000))
    def delete_many(self, keys: list[str]) -> None: self.s.delete_many(keys)
    def fill(self, keys: list[str], value: bytes) -> None:
        for i in range(0, len(keys), 1000):
            self.s.put_many((k, value) for k in keys[i:i + 1000])

    def stream_in(self, key: str, size: int, chunk: bytes) -> None:
        with self.s.open(key, "wb") as w:
            _write_chunks(w, size, chunk)

    def stream_out(self, key: str, buf: bytearray) -> int:
        total = 0
        view = memoryview(buf)
        with self.s.open(key, "rb") as r:
            while n := r.readinto(view):
                total += n
        return total


class Obstore(Impl):
    name = "obstore"

    def __init__(self, store: Any) -> None:
        import obstore
        self.o = obstore
        self.s = store

    def put(self, key: str, value: bytes) -> None: self.o.put(self.s, key, value)
    def get(self, key: str) -> Any: return self.o.get(self.s, key).bytes()
    def stat(self, key: str) -> Any: return self.o.head(self.s, key)
    def delete(self, key: str) -> None: self.o.delete(self.s, key)
    def count(self, prefix: str) -> int:
        return sum(len(batch) for batch in self.o.list(self.s, prefix=prefix, chunk_size=1000))
    def delete_many(self, keys: list[str]) -> None: self.o.delete(self.s, keys)

    def stream_in(self, key: str, size: int, chunk: bytes) -> None:
        w = self.o.open_writer(self.s, key)
        _write_chunks(w, size, chunk)
        w.close()

    def stream_out(self, key: str, buf: bytearray) -> int:
        return sum(len(c) for c in self.o.get(self.s, key).stream(min_chunk_size=CHUNK))


class Opendal(Impl):
    name = "opendal"

    def __init__(self, scheme: str, **config: str) -> None:
        import opendal
        self.op = opendal.Operator(scheme, **config)

    def put(self, key: str, value: bytes) -> None: self.op.write(key, value)
    def get(self, key: str) -> Any: return self.op.read(key)
    def stat(self, key: str) -> Any: return self.op.stat(key)
    def delete(self, key: str) -> None: self.op.delete(key)
    def count(self, prefix: str) -> int: return sum(1 for e in self.op.list(prefix) if not e.path.endswith("/"))

    def stream_in(self, key: str, size: int, chunk: bytes) -> None:
        with self.op.open(key, "wb") as w:
            _write_chunks(w, size, chunk)

    def stream_out(self, key: str, buf: bytearray) -> int:
        total = 0
        view = memoryview(buf)
        with self.op.open(key, "rb") as r:
            while n := r.readinto(view):
                total += n
        return total


class Boto3(Impl):
    name = "boto3"

    def __init__(self, s3: dict[str, str]) -> None:
        import boto3
        from botocore.config import Config
        self.bucket = s3["bucket"]
        self.c = boto3.client(
            "s3", endpoint_url=s3["endpoint"], region_name=s3["region"],
            aws_access_key_id=s3["key"], aws_secret_access_key=s3["secret"],
            config=Config(s3={"addressing_style": "path"}, max_pool_connections=32))

    def put(self, key: str, value: bytes) -> None: self.c.put_object(Bucket=self.bucket, Key=key, Body=value)
    def get(self, key: str) -> Any: return self.c.get_object(Bucket=self.bucket, Key=key)["Body"].read()
    def stat(self, key: str) -> Any: return self.c.head_object(Bucket=self.bucket, Key=key)
    def delete(self, key: str) -> None: self.c.delete_object(Bucket=self.bucket, Key=key)
    def count(self, prefix: str) -> int:
        pages = self.c.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sum(len(p.get("Contents", [])) for p in pages)
    def delete_many(self, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            self.c.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})

    def stream_in(self, key: str, size: int, chunk: bytes) -> None:
        import io

        class Source(io.RawIOBase):
            left = size

            def readable(self) -> bool: return True

            def readinto(self, b: Any) -> int:
                n = min(len(b), self.left, len(chunk))
                b[:n] = chunk[:n]
                self.left -= n
                return n

        self.c.upload_fileobj(io.BufferedReader(Source(), CHUNK), self.bucket, key)

    def stream_out(self, key: str, buf: bytearray) -> int:
        body = self.c.get_object(Bucket=self.bucket, Key=key)["Body"]
        return sum(len(c) for c in body.iter_chunks(CHUNK))


class LimitMemory(Impl):
    """A dict behind a lock: what any in-process store must at least do."""

    name = "limit"

    def __init__(self) -> None:
        self.d: dict[str, bytes] = {}
        self.lock = threading.Lock()

    def put(self, key: str, value: bytes) -> None:
        v = bytes(value)
        with self.lock:
            self.d[key] = v

    def get(self, key: str) -> Any:
        with self.lock:
            return self.d[key]

    def stat(self, key: str) -> Any:
        with self.lock:
            return len(self.d[key])

    def delete(self, key: str) -> None:
        with self.lock:
            self.d.pop(key, None)

    def count(self, prefix: str) -> int:
        with self.lock:
            return sum(1 for k in sorted(self.d) if k.startswith(prefix))

    def stream_in(self, key: str, size: int, chunk: bytes) -> None:
        parts: list[bytes] = []

        class Sink:
            write = parts.append

        _write_chunks(Sink, size, chunk)
        self.put(key, b"".join(parts))

    def stream_out(self, key: str, buf: bytearray) -> int:
        v = memoryview(self.get(key))
        for i in range(0, len(v), len(buf)):
            n = min(len(buf), len(v) - i)
            buf[:n] = v[i:i + n]
        return len(v)


class LimitFile(Impl):
    """Plain os calls on one flat folder: write a temporary file and rename it (no fsync),
    read a whole file, stat, unlink, scandir."""

    name = "limit"

    def __init__(self, root: str) -> None:
        self.root = root
        os.makedirs(root, exist_ok=True)

    def _p(self, key: str) -> str: return os.path.join(self.root, key.replace("/", "%"))

    def put(self, key: str, value: bytes) -> None:
        p = self._p(key)
        tmp = f"{p}.{threading.get_ident()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, value)
        finally:
            os.close(fd)
        os.replace(tmp, p)

    def get(self, key: str) -> Any:
        with open(self._p(key), "rb", buffering=0) as f:
            return f.read()

    def stat(self, key: str) -> Any: return os.stat(self._p(key))
    def delete(self, key: str) -> None:
        try:
            os.unlink(self._p(key))
        except FileNotFoundError:
            pass

    def count(self, prefix: str) -> int:
        p = prefix.replace("/", "%")
        return sum(1 for e in os.scandir(self.root) if e.name.startswith(p) and e.stat().st_size >= 0)

    def stream_in(self, key: str, size: int, chunk: bytes) -> None:
        p = self._p(key)
        with open(p + ".tmp", "wb", buffering=0) as f:
            _write_chunks(f, size, chunk)
        os.replace(p + ".tmp", p)

    def stream_out(self, key: str, buf: bytearray) -> int:
        total = 0
        with open(self._p(key), "rb", buffering=0) as f:
            while n := f.readinto(buf):
                total += n
        return total


def _plain_fill(impl: Impl, folder: str) -> Impl:
    """impl, whose untimed fills (the listing's and the batch delete's keys) write plain files
    into folder, the layout obstore's LocalStore and opendal's fs read: opendal's fs syncs every
    write (about 40 puts/s here), which would make a 100,000-key fill take most of an hour."""
    made: set[str] = set()

    def fill(keys: list[str], value: bytes) -> None:
        for k in keys:
            path = os.path.join(folder, k)
            parent = os.path.dirname(path)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            with open(path, "wb", buffering=0) as f:
                f.write(value)

    impl.fill = fill  # type: ignore[method-assign]
    return impl


def s3_params() -> dict[str, str]:
    url = os.environ["KVPS_TEST_S3_URL"]
    u = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    return {"url": url, "bucket": u.netloc, "endpoint": q["endpoint"], "region": q.get("region", "us-east-1"),
            "key": q["access_key_id"], "secret": q["secret_access_key"]}


def make(impl: str, backend: str, root: str) -> Impl:
    """The implementation impl on backend; root is this run's scratch folder (file://).
    Each library is imported only when used, so a fresh process holds only its own."""
    if backend == "memory":
        if impl == "kvps":
            return Kvps("kvps", "memory://")
        if impl == "obstore":
            from obstore.store import MemoryStore
            return Obstore(MemoryStore())
        if impl == "opendal":
            return Opendal("memory")
        if impl == "limit":
            return LimitMemory()
    if backend == "file":
        if impl in ("kvps", "kvps fsync"):  # one folder: the same files, read or written both ways
            folder = os.path.join(root, "kvps")
            return Kvps(impl, "file://" + folder) if impl == "kvps fsync" else Kvps(impl, "file://" + folder, fsync=False)
        folder = os.path.join(root, impl)
        os.makedirs(folder, exist_ok=True)
        if impl == "obstore":
            from obstore.store import LocalStore
            return _plain_fill(Obstore(LocalStore(folder)), folder)
        if impl == "opendal":
            return _plain_fill(Opendal("fs", root=folder), folder)
        if impl == "limit":
            return LimitFile(folder)
    if backend == "s3":
        s3 = s3_params()
        if impl == "kvps":
            return Kvps("kvps", s3["url"], unsigned_payload=True)  # its https default: notes.md
        if impl == "filler":  # fills the listing and batch-delete prefixes fast, untimed
            return Kvps("filler", s3["url"], concurrency=64)
        if impl == "obstore":
            from obstore.store import S3Store
            return Obstore(S3Store(s3["bucket"], endpoint=s3["endpoint"], region=s3["region"],
                                   access_key_id=s3["key"], secret_access_key=s3["secret"],
                                   virtual_hosted_style_request=False,
                                   client_options={"allow_http": True}))
        if impl == "opendal":
            return Opendal("s3", bucket=s3["bucket"], endpoint=s3["endpoint"], region=s3["region"],
                           access_key_id=s3["key"], secret_access_key=s3["secret"])
        if impl == "boto3":
            return Boto3(s3)
    raise ValueError(f"no {impl} on {backend}")


IMPLS = {
    "memory": ["kvps", "obstore", "opendal", "limit"],
    "file": ["kvps", "kvps fsync", "obstore", "opendal", "limit"],
    "s3": ["kvps", "obstore", "opendal", "boto3"],
}


# ---------------------------------------------------------------- workloads

def threaded(threads: int, n: int, op: Callable[[int], Any]) -> float:
    """Seconds for n calls op(i) split over threads (each thread its own range of i)."""
    if threads == 1:
        t = time.perf_counter()
        for i in range(n):
            op(i)
        return time.perf_counter() - t
    per = n // threads
    start = threading.Barrier(threads)
    errors: list[BaseException] = []
    spans: list[tuple[float, float]] = []

    # The row's time is the workers' own: from the first one past the barrier to the last one
    # done. (A clock read by the main thread after the barrier ran late whenever that thread
    # waited for the GIL while the workers ran.)
    def run(t: int) -> None:
        start.wait()
        began = time.perf_counter()
        try:
            for i in range(t * per, (t + 1) * per):
                op(i)
        except BaseException as e:  # reported below
            errors.append(e)
        spans.append((began, time.perf_counter()))

    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    if errors:
        raise errors[0]
    return max(s[1] for s in spans) - min(s[0] for s in spans)


def small_ops(impl: Impl, threads: int, n: int, rep: int) -> dict[str, float]:
    value = os.urandom(KIB)
    keys = [f"small/{rep}/{threads}/{i:06d}" for i in range(n)]
    n = (n // threads) * threads
    out = {}
    out["put"] = n / threaded(threads, n, lambda i: impl.put(keys[i], value))
    out["get"] = n / threaded(threads, n, lambda i: impl.get(keys[i]))
    out["stat"] = n / threaded(threads, n, lambda i: impl.stat(keys[i]))
    out["delete"] = n / threaded(threads, n, lambda i: impl.delete(keys[i]))
    return out


def mib_ops(impl: Impl, n: int, rep: int) -> dict[str, float]:
    value = os.urandom(MIB)
    keys = [f"mib/{rep}/{i:04d}" for i in range(n)]
    t = time.perf_counter()
    for k in keys:
        impl.put(k, value)
    put = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for k in keys:
        got = impl.get(k)
        assert len(got) == MIB
    get = n / (time.perf_counter() - t)
    impl.delete_many(keys)
    return {"put": put * MIB / 1e6, "get": get * MIB / 1e6}


def listing(impl: Impl, prefix: str, n: int) -> float:
    t = time.perf_counter()
    got = impl.count(prefix)
    elapsed = time.perf_counter() - t
    assert got == n, f"{impl.name} listed {got} of {n}"
    return n / elapsed


def batch_delete(impl: Impl, filler: Impl, prefix: str, n: int) -> float:
    keys = [f"{prefix}{i:06d}" for i in range(n)]
    filler.fill(keys, b"x")
    t = time.perf_counter()
    impl.delete_many(keys)
    elapsed = time.perf_counter() - t
    return n / elapsed


def child_stream(args: argparse.Namespace) -> None:
    """In a fresh process: stream args.mib MiB in (and, --out, read it back); prints JSON with
    the seconds and the peak RSS above the baseline after imports and opening the store."""
    impl = make(args.impl, args.backend, args.root)
    chunk = os.urandom(CHUNK)
    buf = bytearray(CHUNK)
    size = args.mib * MIB
    result: dict[str, float] = {}
    base = _rss_reset()
    if args.child in ("in", "inout"):
        t = time.perf_counter()
        impl.stream_in(args.key, size, chunk)
        result["in_s"] = time.perf_counter() - t
        result["in_rss_mib"] = (_rss("VmHWM") - base) / 1024
    if args.child in ("out", "inout"):
        base = _rss_reset()
        t = time.perf_counter()
        got = impl.stream_out(args.key, buf)
        result["out_s"] = time.perf_counter() - t
        result["out_rss_mib"] = (_rss("VmHWM") - base) / 1024
        assert got == size, f"{args.impl} streamed out {got} of {size}"
    result["base_rss_mib"] = base / 1024
    print(json.dumps(result))


def _rss(field: str) -> int:
    """VmRSS or VmHWM (the peak) of this process, in KiB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def _rss_reset() -> int:
    """Resets the peak RSS to the current one (clear_refs 5) and returns it, in KiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _rss("VmRSS")


def run_child(mode: str, impl: str, backend: str, root: str, key: str, mib: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", mode, "--impl", impl, "--backend", backend,
           "--root", root, "--key", key, "--mib", str(mib)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the run

def versions() -> dict[str, str]:
    from importlib.metadata import version
    v = {"python": platform.python_version()}
    import kvps
    v["kvps"] = kvps.__version__  # from this tree (PYTHONPATH), not an installed wheel
    for p in ("obstore", "opendal", "boto3"):
        v[p] = version(p)
    return v


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--backends", default="memory,file,s3")
    ap.add_argument("--reps", type=int, help="repetitions (default 5, smoke 1)")
    ap.add_argument("--smoke", action="store_true", help="tiny counts, one repetition: seconds")
    ap.add_argument("--list-n", type=int)
    ap.add_argument("--delete-n", type=int)
    ap.add_argument("--stream-mib", type=int)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the 1 KiB and 1 MiB counts")
    ap.add_argument("--only", default="", help="comma-separated workload groups: small,mib,stream,list,delete")
    ap.add_argument("--child")
    ap.add_argument("--impl")
    ap.add_argument("--backend")
    ap.add_argument("--root")
    ap.add_argument("--key")
    ap.add_argument("--mib", type=int)
    args = ap.parse_args()
    if args.child:
        return child_stream(args)

    smoke = args.smoke
    args.reps = args.reps or (1 if smoke else 5)
    list_n = args.list_n or (200 if smoke else 100_000)
    delete_n = args.delete_n or (100 if smoke else 10_000)
    stream_mib = args.stream_mib or (8 if smoke else 1024)
    # 1 KiB ops per repetition, and 1 MiB values per repetition, by backend.
    small_n = {"memory": 20_000, "file": 4_000, "s3": 3_200}
    mib_n = {"memory": 200, "file": 100, "s3": 40}
    if smoke:  # enough to run every line, not to measure
        small_n = {"memory": 256, "file": 32, "s3": 16}
        mib_n = {"memory": 4, "file": 4, "s3": 2}
    small_n = {k: max(16 if smoke else 64, int(v * args.scale)) for k, v in small_n.items()}
    mib_n = {k: max(2, int(v * args.scale)) for k, v in mib_n.items()}
    groups = set(args.only.split(",")) if args.only else {"small", "mib", "stream", "list", "delete"}
    backends = [b for b in args.backends.split(",") if b]
    if "s3" in backends and not os.environ.get("KVPS_TEST_S3_URL"):
        sys.exit("s3 needs $KVPS_TEST_S3_URL (tests/s3/servers.sh start DIR prints it)")

    results: list[dict[str, Any]] = []

    def record(backend: str, workload: str, unit: str, impl: str, value: float) -> None:
        results.append({"backend": backend, "workload": workload, "unit": unit, "impl": impl, "value": value})

    root = tempfile.mkdtemp(prefix="kvps-peers-", dir=os.environ.get("KVPS_BENCH_TMP"))
    run_id = f"{os.getpid()}-{int(time.time())}"
    began = time.time()
    try:
        for backend in backends:
            names = IMPLS[backend]
            impls = {n: make(n, backend, root) for n in names}
            s3_filler = make("filler", backend, root) if backend == "s3" else None
            prefix = f"peers-{run_id}/"

            def order(rep: int) -> list[str]:
                k = rep % len(names)
                return names[k:] + names[:k]

            def log(msg: str) -> None:
                print(f"[{time.time() - began:6.1f}s] {backend}: {msg}", flush=True)

            if "small" in groups:
                for threads in (1, 16):
                    for rep in range(args.reps):
                        for n in order(rep):
                            r = small_ops(_scoped(impls[n], prefix + n.replace(" ", "_") + "/"),
                                          threads, small_n[backend], rep)
                            for op, v in r.items():
                                record(backend, f"1 KiB {op}, {threads} thread{'s' if threads > 1 else ''}", "ops/s", n, v)
                    log(f"1 KiB ops at {threads} threads done")
            if "mib" in groups:
                for rep in range(args.reps):
                    for n in order(rep):
                        r = mib_ops(_scoped(impls[n], prefix + n.replace(" ", "_") + "/"), mib_n[backend], rep)
                        for op, v in r.items():
                            record(backend, f"1 MiB {op}", "MB/s", n, v)
                log("1 MiB ops done")
            if "list" in groups:
                # One filled prefix per implementation (memory stores are separate; on file://
                # each library has its own layout; kvps and kvps fsync share a folder). On s3://
                # one prefix, filled by kvps, serves all.
                lp: dict[str, str] = {}
                for n in names:
                    if backend == "s3":
                        lp[n] = prefix + "list/"
                        if n != names[0]:
                            continue
                    elif n == "kvps fsync":
                        lp[n] = lp["kvps"]
                        continue
                    else:
                        lp[n] = prefix + n + "/list/"
                    keys = [f"{lp[n]}{i:07d}" for i in range(list_n)]
                    (s3_filler or impls[n]).fill(keys, b"x")
                log(f"filled {list_n} keys for listing")
                for rep in range(args.reps):
                    for n in order(rep):
                        record(backend, f"list {list_n} keys", "keys/s", n, listing(impls[n], lp[n], list_n))
                log("listing done")
                for n in names:
                    if backend != "s3" or n == names[0]:
                        if n != "kvps fsync":
                            (s3_filler or impls[n]).delete_many([f"{lp[n]}{i:07d}" for i in range(list_n)])
            if "delete" in groups:
                for rep in range(args.reps):
                    for n in order(rep):
                        filler = s3_filler if backend == "s3" else impls[n]
                        p = f"{prefix}{n.replace(' ', '_')}/del{rep}/"
                        record(backend, f"batch delete {delete_n} keys", "keys/s", n,
                               batch_delete(impls[n], filler, p, delete_n))
                log("batch delete done")
            if "stream" in groups:
                for rep in range(args.reps):
                    for n in order(rep):
                        key = f"{prefix}{n.replace(' ', '_')}/stream"
                        if backend == "memory" or smoke:  # the store lives in the process; smoke: one child
                            r = run_child("inout", n, backend, root, key, stream_mib)
                            if backend != "memory":
                                impls[n].delete(key)
                        else:
                            r = run_child("in", n, backend, root, key, stream_mib)
                            r.update(run_child("out", n, backend, root, key, stream_mib))
                            impls[n].delete(key)
                        size = stream_mib * MIB / 1e6
                        record(backend, f"{stream_mib} MiB streamed in", "MB/s", n, size / r["in_s"])
                        record(backend, f"{stream_mib} MiB streamed out", "MB/s", n, size / r["out_s"])
                        record(backend, f"{stream_mib} MiB streamed in: peak RSS", "MiB", n, r["in_rss_mib"])
                        if backend != "memory":
                            record(backend, f"{stream_mib} MiB streamed out: peak RSS", "MiB", n, r["out_rss_mib"])
                log("streams done")
            del impls, s3_filler
    finally:
        shutil.rmtree(root, ignore_errors=True)

    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seconds": round(time.time() - began),
        "machine": machine(),
        "versions": versions(),
        "reps": args.reps,
        "smoke": smoke,
        "counts": {"1 KiB ops per repetition": small_n, "1 MiB values per repetition": mib_n,
                   "list": list_n, "delete": delete_n, "stream MiB": stream_mib},
    }
    doc = {"meta": meta, "results": results}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=1)
    else:
        json.dump(doc, sys.stdout, indent=1)


class _scoped(Impl):
    """impl with every key under a prefix, so that runs and implementations never collide."""

    def __init__(self, impl: Impl, prefix: str) -> None:
        self.i, self.p, self.name = impl, prefix, impl.name

    def put(self, key: str, value: bytes) -> None: self.i.put(self.p + key, value)
    def get(self, key: str) -> Any: return self.i.get(self.p + key)
    def stat(self, key: str) -> Any: return self.i.stat(self.p + key)
    def delete(self, key: str) -> None: self.i.delete(self.p + key)
    def delete_many(self, keys: list[str]) -> None: self.i.delete_many([self.p + k for k in keys])


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    load = os.getloadavg()[0]
    return f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}, load average {load:.1f} at the end"


if __name__ == "__main__":
    main()
