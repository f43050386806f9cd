"""shutil.copyfileobj streams a 2 GiB value through a writer and a reader in constant memory.

Runs in a child process so its peak RSS is the stream's alone. KVPS_PY_BIG_BYTES sets the
size (default 2 GiB). On file:// and s3:// (memory:// holds the value in memory by design)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import kvps
from conftest import store_url

CHILD = r"""
import io, resource, shutil, sys, zlib
import kvps

url, size = sys.argv[1], int(sys.argv[2])
block = bytes(range(256)) * 4099  # 1,049,344 bytes: chunk edges never line up with it

class Source(io.RawIOBase):
    def __init__(self):
        self.left, self.crc = size, 0
    def readable(self):
        return True
    def readinto(self, b):
        n = min(len(b), self.left, len(block))
        b[:n] = block[:n]
        self.crc = zlib.crc32(block[:n], self.crc)
        self.left -= n
        return n

class Sink(io.RawIOBase):
    def __init__(self):
        self.count, self.crc = 0, 0
    def writable(self):
        return True
    def write(self, b):
        self.crc = zlib.crc32(b, self.crc)
        self.count += len(b)
        return len(b)

with kvps.open(url) as store:
    source, sink = Source(), Sink()
    with store.open("big", "wb") as writer:
        shutil.copyfileobj(io.BufferedReader(source), writer, 1 << 20)
    assert store.stat("big").size == size
    with store.open("big", "rb") as reader:
        shutil.copyfileobj(reader, sink, 1 << 20)
    assert sink.count == size, (sink.count, size)
    assert sink.crc == source.crc
    store.delete("big")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)  # MiB
"""


# Peak RSS allowed: the interpreter and library (~30 MiB) with room to spare, plus on s3://
# the writer's part buffers (part_size 8 MiB x concurrency 4 by default).
BOUND_MIB = {"file": 96, "s3": 96 + 32}


@pytest.mark.parametrize("kind", ["file", "s3"])
def test_two_gib_copyfileobj_in_constant_memory(kind: str, tmp_path: Path) -> None:
    size = int(os.environ.get("KVPS_PY_BIG_BYTES", str(2 * 1024**3)))
    url = store_url(kind, tmp_path)
    if kind == "file":
        url += "?fsync=false"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(size)], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr
    peak_mib = int(done.stdout.strip().splitlines()[-1])
    print(f"{size} bytes copied out and back, peak RSS {peak_mib} MiB")
    assert peak_mib < BOUND_MIB[kind], f"peak RSS {peak_mib} MiB for a {size}-byte stream on {kind}://"


@pytest.mark.parametrize("chunk", [1, 4096])
def test_small_chunks_stream_too(memory_store: kvps.Store, chunk: int) -> None:
    data = bytes(range(256)) * 40
    with memory_store.open("v", "wb") as w:
        for i in range(0, len(data), chunk * 97):
            w.write(data[i : i + chunk * 97])
    with memory_store.open("v") as r:
        pieces = iter(lambda: r.read(chunk), b"")
        assert b"".join(pieces) == data
