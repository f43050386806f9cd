"""The asyncio methods (aget, aput, astat, adelete, alist) over kvps's asynchronous C API, on
every backend: results, errors, many operations at once from one loop without a thread per
call, and cancelling the awaiting task cancels the operation."""

from __future__ import annotations

import asyncio
import threading

import pytest

import kvps


def test_round_trip(store: kvps.Store) -> None:
    async def main() -> None:
        await store.aput("a/1", b"one")
        await store.aput("a/2", bytearray(b"two"))
        assert await store.aget("a/1") == b"one"
        assert await store.aget("missing") is None
        assert await store.aget("missing", b"default") == b"default"
        info = await store.astat("a/2")
        assert info.size == 3 and info.etag
        with pytest.raises(kvps.NotFound):
            await store.astat("missing")
        assert [e.key async for e in store.alist("a/", page_size=1)] == ["a/1", "a/2"]
        await store.adelete("a/1")
        await store.adelete("a/1")  # a missing key is not an error
        assert await store.aget("a/1") is None
        with pytest.raises(kvps.InvalidKey):
            await store.aget("")

    asyncio.run(main())
    assert store["a/2"] == b"two"  # the blocking API sees what the async one wrote


def test_many_at_once_without_a_thread_each(store: kvps.Store) -> None:
    n = 300

    async def main() -> list[bytes | None]:
        await asyncio.gather(*(store.aput(f"k/{i}", str(i).encode()) for i in range(n)))
        threads = threading.active_count()
        got = await asyncio.gather(*(store.aget(f"k/{i}") for i in range(n)))
        # No Python thread per call (the library's own pool is bounded and not counted here).
        assert threading.active_count() == threads
        return list(got)

    assert asyncio.run(main()) == [str(i).encode() for i in range(n)]


def test_cancelling_the_task_cancels_the_operation(store: kvps.Store) -> None:
    async def main() -> None:
        await store.aput("c", b"old")
        # Many puts cancelled at once: each completes whole or not at all.
        tasks = [asyncio.ensure_future(store.aput("c", bytes([i]) * 1000)) for i in range(1, 101)]
        await asyncio.sleep(0)
        for t in tasks:
            t.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(r is None or isinstance(r, asyncio.CancelledError) for r in results)
        assert any(isinstance(r, asyncio.CancelledError) for r in results)
        # (a put that had started may still be finishing: on memory:// and file:// a started
        # operation runs to its end)
        def whole(value: bytes | None) -> bool:
            return value == b"old" or (value is not None and len(value) == 1000 and len(set(value)) == 1)

        assert whole(await store.aget("c"))
        # A cancelled get gives its task CancelledError; the store goes on working.
        task = asyncio.ensure_future(store.aget("c"))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert whole(await store.aget("c"))

    asyncio.run(main())


def test_store_closed_while_operations_run(url: str) -> None:
    async def main() -> None:
        s = kvps.open(url)
        await s.aput("x", b"1")
        pending = [asyncio.ensure_future(s.aget("x")) for _ in range(20)]
        await asyncio.sleep(0)  # every operation started
        s.close()  # they keep the store alive and complete
        assert await asyncio.gather(*pending) == [b"1"] * 20
        with pytest.raises(ValueError):
            await s.aget("x")

    asyncio.run(main())


def test_two_loops_each_get_their_own_queue(store: kvps.Store) -> None:
    store["shared"] = b"v"
    out: list[bytes | None] = []

    def in_thread() -> None:
        out.append(asyncio.run(store.aget("shared")))

    t = threading.Thread(target=in_thread)
    t.start()
    got = asyncio.run(store.aget("shared"))
    t.join()
    assert got == b"v" and out == [b"v"]
