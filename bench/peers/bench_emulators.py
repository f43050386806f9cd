"""kvps's Python binding beside obstore's GCSStore and AzureStore, against the emulators the tests
use (fake-gcs-server, tests/gcs/server.sh; Azurite, tests/azure/server.sh).

    python bench_emulators.py gs|az [--small N] [--big N]

gs needs $KVPS_TEST_GCS_URL and $KVPS_TEST_GCS_ENDPOINT, az $KVPS_TEST_AZ_URL,
$KVPS_TEST_AZ_ENDPOINT and $KVPS_TEST_AZ_KEY (as the server scripts print them). Run with the
bench venv's python (bench/run makes it: obstore pinned there), PYTHONPATH=bindings/python/src and
KVPS_LIBRARY=<libkvps.so>. Prints a markdown table: median latency per operation, each round
alternating which library goes first, and the ratio kvps / obstore (lower is better for kvps).

How obstore reaches the emulators:
- Azurite: AzureStore(use_emulator=True) with $AZURITE_BLOB_STORAGE_URL set to Azurite's address
  (object_store's documented emulator switch; the account is Azurite's devstoreaccount1).
- fake-gcs-server: a service-account file with "gcs_base_url" (the emulator) and
  "disable_oauth": true, object_store's own way of testing against it. object_store writes through
  GCS's XML API (PUT /BUCKET/NAME); fake-gcs-server 1.52.3 routes that to its JSON upload handler,
  which refuses a request without uploadType ("invalid uploadType", HTTP 400; only signed-URL PUTs
  pass). So obstore cannot write to it: its PUT rows show the error, and the keys its GET rows
  read are written by kvps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from typing import Any, Callable

KIB = 1024
MIB = 1024 * KIB


def kvps_store(variable: str, prefix: str) -> Any:
    import kvps
    head, sep, query = os.environ[variable].partition("?")
    if head.startswith("gs://"):  # gs://BUCKET/PREFIX
        return kvps.open(f"gs://{head[5:].split('/', 1)[0]}/{prefix}/{sep}{query}")
    return kvps.open(f"{head}{sep}{query}&prefix={prefix}/")  # az: the prefix option


def obstore_gcs(prefix: str, folder: str) -> Any:
    from obstore.store import GCSStore
    account = os.path.join(folder, "fake-gcs-account.json")
    with open(account, "w") as f:
        json.dump({"gcs_base_url": os.environ["KVPS_TEST_GCS_ENDPOINT"], "disable_oauth": True,
                   "client_email": "", "private_key": "", "private_key_id": ""}, f)
    bucket = os.environ["KVPS_TEST_GCS_URL"].split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
    return GCSStore(bucket, prefix=prefix, service_account_path=account)


def obstore_azure(prefix: str) -> Any:
    from obstore.store import AzureStore
    endpoint = os.environ["KVPS_TEST_AZ_ENDPOINT"]  # http://127.0.0.1:P/devstoreaccount1
    os.environ["AZURITE_BLOB_STORAGE_URL"] = endpoint.rsplit("/", 1)[0]
    container = os.environ.get("KVPS_TEST_AZ_CONTAINER", "kvps-test")
    return AzureStore(container, prefix=prefix, use_emulator=True,
                      account_name=os.environ.get("KVPS_TEST_AZ_ACCOUNT", "devstoreaccount1"),
                      account_key=os.environ["KVPS_TEST_AZ_KEY"])


def timed(f: Callable[[], Any]) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scheme", choices=["gs", "az"])
    parser.add_argument("--small", type=int, default=200, help="1 KiB operations per library")
    parser.add_argument("--big", type=int, default=10, help="8 MiB operations per library")
    args = parser.parse_args()

    import kvps
    import obstore

    prefix = f"bench-emu-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    folder = tempfile.mkdtemp()
    k = kvps_store("KVPS_TEST_GCS_URL" if args.scheme == "gs" else "KVPS_TEST_AZ_URL", prefix)
    o = obstore_gcs(prefix, folder) if args.scheme == "gs" else obstore_azure(prefix)

    def o_put(key: str, value: bytes) -> None: obstore.put(o, key, value)
    def o_get(key: str) -> Any: return obstore.get(o, key).bytes()
    def o_head(key: str) -> Any: return obstore.head(o, key)

    obstore_writes = True
    write_error = ""
    try:
        o_put("probe", b"x")
    except Exception as e:  # noqa: BLE001 - the error is the finding
        obstore_writes = False
        write_error = str(e).split("\n\n")[0]

    small, big = os.urandom(KIB), os.urandom(8 * MIB)
    rows: list[tuple[str, list[float], list[float]]] = []

    def measure(name: str, n: int, kf: Callable[[int], Any], of: Callable[[int], Any] | None) -> None:
        kt: list[float] = []
        ot: list[float] = []
        for i in range(n):
            order = [(kt, kf), (ot, of)] if i % 2 == 0 else [(ot, of), (kt, kf)]
            for into, f in order:
                if f is not None:
                    into.append(timed(lambda: f(i)))
        rows.append((name, kt, ot))

    measure("PUT 1 KiB", args.small, lambda i: k.put(f"k/s{i}", small),
            (lambda i: o_put(f"o/s{i}", small)) if obstore_writes else None)
    # Each reads keys its own library wrote, or kvps's where obstore cannot write.
    src = "o" if obstore_writes else "k"
    measure("GET 1 KiB", args.small, lambda i: k.get(f"k/s{i}"), lambda i: o_get(f"{src}/s{i}"))
    measure("HEAD (stat) 1 KiB", args.small, lambda i: k.stat(f"k/s{i}"),
            lambda i: o_head(f"{src}/s{i}"))
    measure("PUT 8 MiB", args.big, lambda i: k.put(f"k/b{i}", big),
            (lambda i: o_put(f"o/b{i}", big)) if obstore_writes else None)
    measure("GET 8 MiB", args.big, lambda i: k.get(f"k/b{i}"), lambda i: o_get(f"{src}/b{i}"))

    k.clear()
    if obstore_writes:
        keys = [m["path"] for batch in obstore.list(o, chunk_size=1000) for m in batch]
        obstore.delete(o, keys)

    from importlib.metadata import version
    load = open("/proc/loadavg").read().split()[0]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load}; "
          f"libkvps {kvps.library_version()} (Python binding {kvps.__version__}, this tree), "
          f"obstore {version('obstore')}, "
          f"Python {platform.python_version()}; {args.small} small and {args.big} big operations "
          "per library, medians.")
    print()
    print("| measure | kvps (Python) | obstore | ratio kvps/obstore |")
    print("| --- | ---: | ---: | ---: |")
    for name, kt, ot in rows:
        km = statistics.median(kt) * 1e6
        if ot:
            om = statistics.median(ot) * 1e6
            print(f"| {name}, median | {km:.0f} us | {om:.0f} us | {km / om:.2f} |")
        else:
            print(f"| {name}, median | {km:.0f} us | cannot write (below) | - |")
    if write_error:
        print()
        print(f"obstore's PUT against this emulator: `{write_error}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
