"""kvps's Python binding with its compiled hot paths (_kvpsext) against the same binding on
ctypes alone, and obstore, in one process, in alternating order (issue 18).

    python bench/python-ext/bench_ext.py [--reps 5] [--n 20000] [--mib-n 100] [--backends memory,file]

Needs kvps installed with _kvpsext (bench/run's venv, or bindings/python/test.sh's); obstore is
measured where it imports. The ctypes side is the same Store with the module switched off
(kvps._store._ext = None, what KVPS_PYTHON_CTYPES=1 does at import). file:// runs without fsync
on both kvps sides, as obstore does not fsync. Prints a JSON document of every repetition and a
Markdown table of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "peers"))
import bench_py  # noqa: E402  (the peers bench's implementations and workloads)

import kvps  # noqa: E402
from kvps import _store  # noqa: E402

EXT = _store._ext


class Mode(bench_py.Kvps):
    """kvps with the compiled module on or off for every call of this implementation."""

    def __init__(self, name: str, url: str, ext: Any, **options: Any) -> None:
        super().__init__(name, url, **options)
        self.ext = ext

    def _on(self) -> None:
        _store._ext = self.ext


def make(name: str, backend: str, folder: str) -> bench_py.Impl:
    if name == "obstore":
        from obstore.store import LocalStore, MemoryStore

        return bench_py.Obstore(MemoryStore() if backend == "memory" else LocalStore(folder))
    ext = EXT if name == "kvps ext" else None
    if backend == "memory":
        return Mode(name, f"memory://bench-{name.replace(' ', '-')}", ext)
    return Mode(name, "file://" + folder, ext, fsync=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--n", type=int, default=20000, help="1 KiB operations per workload")
    ap.add_argument("--mib-n", type=int, default=100, help="1 MiB values per workload")
    ap.add_argument("--backends", default="memory,file")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    assert EXT is not None, "kvps._kvpsext did not load (KVPS_PYTHON_CTYPES set?)"
    names = ["kvps ext", "kvps ctypes"]
    try:
        import obstore  # noqa: F401

        names.append("obstore")
    except ImportError:
        pass
    results: dict[str, dict[str, list[float]]] = {}

    def record(row: str, name: str, value: float) -> None:
        results.setdefault(row, {}).setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory(dir=os.environ.get("KVPS_BENCH_TMP")) as tmp:
        for backend in args.backends.split(","):
            impls = {}
            for name in names:
                folder = os.path.join(tmp, backend, name.replace(" ", "-"))
                os.makedirs(folder, exist_ok=True)
                impls[name] = make(name, backend, folder)
            for rep in range(args.reps):
                order = names if rep % 2 == 0 else names[::-1]
                for name in order:
                    impl = impls[name]
                    if isinstance(impl, Mode):
                        impl._on()
                    for threads in (1, 8):
                        for op, v in bench_py.small_ops(impl, threads, args.n, rep).items():
                            record(f"{backend} 1 KiB {op}, {threads} thread{'s' if threads > 1 else ''} (ops/s)", name, v)
                    for op, v in bench_py.mib_ops(impl, args.mib_n, rep).items():
                        record(f"{backend} 1 MiB {op} (MB/s)", name, v)
                print(f"{backend}: repetition {rep + 1}/{args.reps} done, load {os.getloadavg()[0]:.1f}",
                      file=sys.stderr, flush=True)
    _store._ext = EXT
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    head = "| workload | " + " | ".join(names) + " | ext / ctypes |" + (" ext / obstore |" if "obstore" in names else "")
    print(head)
    print("|" + " --- |" * (head.count("|") - 1))
    for row, by in results.items():
        med = {n: statistics.median(v) for n, v in by.items()}
        cells = [f"{med[n]:,.0f} ({min(by[n]):,.0f}-{max(by[n]):,.0f})" for n in names]
        ratios = [f"{med['kvps ext'] / med['kvps ctypes']:.2f}"]
        if "obstore" in names:
            ratios.append(f"{med['kvps ext'] / med['obstore']:.2f}")
        print(f"| {row} | " + " | ".join(cells + ratios) + " |")


if __name__ == "__main__":
    main()
