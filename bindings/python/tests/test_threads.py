"""One Store shared by threads, and the GIL released during library calls."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

import kvps


def test_eight_threads_share_one_store(store: kvps.Store) -> None:
    def work(t: int) -> int:
        done = 0
        for i in range(40):
            key = f"t{t}/{i:03d}"
            value = f"{t}:{i}".encode() * (i + 1)
            store[key] = value
            assert store[key] == value
            assert store.stat(key).size == len(value)
            assert store.get_range(key, 1, 3) == value[1:4]
            if i % 4 == 0:
                store.delete(key)
                assert key not in store
            done += 1
        with store.open(f"t{t}/stream", "wb") as w:
            w.write(b"s" * 100_000)
        with store.open(f"t{t}/stream") as r:
            assert r.read() == b"s" * 100_000
        listed = [e.key for e in store.list(f"t{t}/", page_size=7)]
        assert listed == sorted(f"t{t}/{i:03d}" for i in range(40) if i % 4) + [f"t{t}/stream"]
        return done

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(work, range(8))) == 8 * 40
    assert len(store) == 8 * 31


@pytest.fixture
def no_forced_switches() -> Iterator[None]:
    """With a huge switch interval, another thread can only run while this one releases the
    GIL of its own accord: blocking, or inside a foreign call made through ctypes.CDLL."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def ran_during(call: Callable[[], object], tries: int = 5) -> bool:
    """Whether a thread waiting for the GIL got to run while `call` ran in this thread
    (called up to `tries` times, in case a loaded machine wakes that thread late)."""
    go = threading.Event()
    ran: list[bool] = []

    def wait_then_run() -> None:
        go.wait()
        ran.append(True)

    other = threading.Thread(target=wait_then_run)
    other.start()
    go.set()  # the other thread now only waits for the GIL
    for _ in range(tries):
        call()
        if ran:  # read before anything here could release the GIL
            break
    result = bool(ran)
    other.join()
    return result


def test_gil_is_released_during_library_calls(memory_store: kvps.Store, no_forced_switches: None) -> None:
    # Large enough that the call takes a while; a bytearray, as memory:// keeps a bytes object
    # without a copy (in no time) and hands it back the same way.
    big = bytearray(256 * 1024 * 1024)
    assert ran_during(lambda: memory_store.put("big", big))
    assert ran_during(lambda: memory_store.get("big"))
    # The check can fail: pure Python work holds the GIL throughout.
    assert not ran_during(lambda: sum(range(3_000_000)))


def test_close_waits_for_calls_in_flight(url: str) -> None:
    """Closing while other threads still call the store never crashes: calls in flight finish,
    later ones raise ValueError."""
    store = kvps.open(url)
    started = threading.Barrier(5)
    outcomes: list[str] = []

    def hammer(t: int) -> None:
        started.wait()
        try:
            for i in range(100_000):
                store[f"h{t}/{i % 10}"] = b"x" * 1000
                store.get(f"h{t}/{i % 10}")
        except ValueError:
            outcomes.append("closed")
        except BaseException as e:  # anything else is a bug
            outcomes.append(repr(e))
        else:
            outcomes.append("finished")

    threads = [threading.Thread(target=hammer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    started.wait()
    store.put("main", b"y")
    store.close()
    for t in threads:
        t.join()
    assert outcomes == ["closed"] * 4
    if url.startswith("s3:"):
        with kvps.open(url) as again:
            again.clear()
