"""The asyncio methods (aget, aput, astat, adelete, alist, aopen_reader, aopen_writer) over kvps's asynchronous C API, on
every backend: results, errors, many operations at once from one loop without a thread per
call, and cancelling the awaiting task cancels the operation."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest

import kvps


async def _settled(w: kvps.AsyncWriter) -> None:
    """Waits (up to 10 s) until a cancelled writer's .committed says whether it committed."""
    for _ in range(1000):
        if w.committed is not None:
            return
        await asyncio.sleep(0.01)


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


# ---- asynchronous readers and writers (store.aopen_reader, store.aopen_writer)


def test_async_writer_and_reader_round_trip(store: kvps.Store) -> None:
    chunks = [bytes([65 + i]) * (100_000 + i) for i in range(5)]
    value = b"".join(chunks)

    async def main() -> None:
        async with store.aopen_writer("s/v", content_type="text/x-test", metadata={"m": "1"}) as w:
            for c in chunks:
                assert await w.write(c) == len(c)
            assert await w.write(b"") == 0
            assert w.tell() == len(value)
            assert await store.aget("s/v") is None  # nothing visible before the commit
        assert w.committed is True and w.closed
        info = await store.astat("s/v")
        assert info.size == len(value) and info.etag == w.etag
        assert info.content_type == "text/x-test" and info.metadata == {"m": "1"}

        async with store.aopen_reader("s/v") as r:
            assert r.size == len(value)
            parts = []
            while part := await r.read(77_777):
                parts.append(part)
            assert b"".join(parts) == value and r.tell() == len(value)
        assert r.closed

        r = await store.aopen_reader("s/v", offset=10, length=20)
        buffer = bytearray(64)
        assert await r.readinto(buffer) == 20 and bytes(buffer[:20]) == value[10:30]
        assert await r.read() == b""
        assert r.seek(99_999) == 99_999
        assert await r.read() == value[99_999:30]  # past the range: its end
        r.seek(5)
        assert await r.read() == value[5:30]
        r.close()
        r.close()  # twice: harmless
        with pytest.raises(ValueError):
            await r.read(1)

        async with store.aopen_reader("s/v") as r:
            assert await r.read() == value  # the rest, whole
        with pytest.raises(kvps.NotFound):
            await store.aopen_reader("s/missing")
        with pytest.raises(kvps.InvalidKey):
            await store.aopen_writer("")
        with pytest.raises(ValueError):
            store.aopen_reader("s/v", offset=-1)

    asyncio.run(main())
    assert store["s/v"] == value


def test_async_writer_aborts_on_an_exception(store: kvps.Store) -> None:
    store["s/w"] = b"old"

    async def main() -> None:
        with pytest.raises(RuntimeError):
            async with store.aopen_writer("s/w") as w:
                await w.write(b"new")
                raise RuntimeError("boom")
        assert w.committed is False
        w2 = await store.aopen_writer("s/w")
        await w2.write(b"dropped")
        w2.abort()
        with pytest.raises(ValueError):
            await w2.write(b"more")
        async with store.aopen_writer("s/w", create_only=True) as w3:
            await w3.write(b"x")
            with pytest.raises(kvps.PreconditionFailed):
                await w3.aclose()  # the condition fails at the commit
        assert w3.committed is False

    asyncio.run(main())
    assert store["s/w"] == b"old"


def test_many_async_readers_from_one_loop_without_a_thread_each(store: kvps.Store) -> None:
    n = 100
    for i in range(n):
        store[f"r/{i}"] = str(i).encode() * 100

    async def one(i: int) -> bytes:
        async with store.aopen_reader(f"r/{i}") as r:
            return await r.read()

    async def main() -> list[bytes]:
        threads = threading.active_count()
        got = await asyncio.gather(*(one(i) for i in range(n)))
        assert threading.active_count() == threads
        return list(got)

    assert asyncio.run(main()) == [str(i).encode() * 100 for i in range(n)]


def test_cancelling_a_stream_operation(store: kvps.Store) -> None:
    store["c/k"] = b"old"

    async def main() -> None:
        # A cancelled read closes its reader (its position is unknown); the store goes on.
        r = await store.aopen_reader("c/k")
        reading = asyncio.ensure_future(r.read(3))
        await asyncio.sleep(0)
        reading.cancel()
        try:
            assert await reading == b"old"  # it may have completed before the cancel
        except asyncio.CancelledError:
            assert r.closed
        r.close()

        # A cancelled write aborts its writer: nothing of it is ever visible.
        w = await store.aopen_writer("c/k")
        await w.write(b"new")
        writing = asyncio.ensure_future(w.write(b"more"))
        await asyncio.sleep(0)
        writing.cancel()
        try:
            await writing
            await w.aclose()
            assert await store.aget("c/k") == b"newmore"
            store["c/k"] = b"old"
        except asyncio.CancelledError:
            assert w.closed and w.committed is False
            with pytest.raises(kvps.Cancelled):
                await w.aclose()  # reports the cancelled write, commits nothing
            await w.aclose()  # then closed: harmless
            assert await store.aget("c/k") == b"old"

        # A cancelled commit: committed or not, whole; .committed tells which once known.
        w = await store.aopen_writer("c/k")
        await w.write(b"committed?")
        closing = asyncio.ensure_future(w.aclose())
        await asyncio.sleep(0)
        closing.cancel()
        try:
            await closing
        except asyncio.CancelledError:
            pass
        await _settled(w)
        assert w.committed is not None
        assert await store.aget("c/k") == (b"committed?" if w.committed else b"old")

    asyncio.run(main())


def test_a_cancel_that_lands_as_the_op_completes_still_settles(store: kvps.Store) -> None:
    # The commit completes while the loop is blocked; the task is then cancelled by a callback
    # that runs, in the next turn, before the queue's reader and before the task's own handler:
    # the queue sees a cancelled future first. The commit's outcome must still reach
    # .committed, and the op be freed once (a lost outcome left .committed None for ever).
    async def main() -> None:
        w = await store.aopen_writer("race")
        await w.write(b"x" * 10)
        task = asyncio.ensure_future(w.aclose())
        await asyncio.sleep(0)  # the task starts the commit and awaits it
        time.sleep(0.3)  # the commit completes meanwhile
        asyncio.get_running_loop().call_soon(task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass
        await _settled(w)
        assert w.committed is True
        assert await store.aget("race") == b"x" * 10

    asyncio.run(main())


def test_cancelling_stream_writes_at_random_instants(store: kvps.Store) -> None:
    rng = random.Random(22)
    store["rc"] = b"old"

    async def write_value(b: int, w: kvps.AsyncWriter) -> None:
        for _ in range(4):
            await w.write(bytes([b]) * 50_000)
        await w.aclose()

    async def main() -> None:
        expected = b"old"
        for b in range(1, 41):
            w = await store.aopen_writer("rc")
            task = asyncio.ensure_future(write_value(b, w))
            await asyncio.sleep(rng.random() * 0.004)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            if not w.closed:  # cancelled before its first write started
                w.abort()
            await _settled(w)
            if w.committed:
                expected = bytes([b]) * 200_000
            assert await store.aget("rc") == expected, f"round {b}: not what .committed said"

    asyncio.run(main())
