"""asyncio on kvps's asynchronous C API: one completion queue per event loop, watched with
loop.add_reader on its file descriptor, so no thread is spent per call. Cancelling the task
that awaits an operation cancels the operation (kvps_op_cancel)."""

from __future__ import annotations

import asyncio
import ctypes
import weakref
from collections.abc import Callable

from ._errors import last_error
from ._native import ASYNC_OPTIONS_VERSION, AsyncOptions, lib


class _LoopQueue:
    """A kvps_queue whose completed ops resolve futures on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        handle = ctypes.c_void_p()
        status: int = lib.kvps_queue_new(ctypes.byref(handle))
        if status:
            raise last_error(status)
        self.ptr: int = handle.value  # type: ignore[assignment]
        self.fd: int = lib.kvps_queue_fd(self.ptr)
        self.waiting: dict[int, asyncio.Future[None]] = {}
        # What to do when an op whose task was cancelled completes, before it is freed: free
        # what the op used until then (a read's buffer, a reader or writer it worked on).
        self.abandoned: dict[int, Callable[[int], None]] = {}
        # Ops that completed after their task was cancelled but before that task's cancellation
        # handler in run() ran (task.cancel() cancels the future at once, the handler runs on a
        # later turn of the loop): run() finishes them, never drain().
        self.orphans: set[int] = set()
        loop.add_reader(self.fd, self.drain)
        # The queue goes with its loop (no strong reference to the loop here, so the entry of
        # _queues goes when the loop does): closing the loop removes the reader, and the queue
        # is freed when this object is collected.
        self._finalizer = weakref.finalize(self, lib.kvps_queue_free, self.ptr)

    def drain(self) -> None:
        while True:
            op = lib.kvps_queue_next(self.ptr)
            if not op:
                return
            future = self.waiting.pop(op, None)
            if future is not None and not future.done():
                future.set_result(None)
            elif future is not None and op not in self.abandoned:
                self.orphans.add(op)  # cancelled, and run() has not seen it yet: run() frees it
            else:  # its task was cancelled and run() let go of it: nobody reads it
                _finish(op, self.abandoned.pop(op, None))


def _finish(op: int, abandoned: Callable[[int], None] | None) -> None:
    """Frees an op nobody reads, after abandoned(op) has freed what it used."""
    try:
        if abandoned is not None:
            abandoned(op)
    finally:
        lib.kvps_op_free(op)


def _nothing(op: int) -> None:
    del op


_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue] = weakref.WeakKeyDictionary()


def _queue() -> _LoopQueue:
    loop = asyncio.get_running_loop()
    queue = _queues.get(loop)
    if queue is None:
        queue = _queues[loop] = _LoopQueue(loop)
    return queue


async def run(
    start: Callable[[AsyncOptions, ctypes.c_void_p], int],
    abandoned: Callable[[int], None] | None = None,
) -> int:
    """Starts an operation with start(options, op_out) and waits for it; returns the completed
    op (the caller reads its results and frees it with kvps_op_free). When the awaiting task is
    cancelled, the op is cancelled, and abandoned(op), if given, runs once it has completed
    (before the op is freed): the op may use memory and handles until then."""
    queue = _queue()
    options = AsyncOptions(version=ASYNC_OPTIONS_VERSION, queue=queue.ptr)
    handle = ctypes.c_void_p()
    status = start(options, handle)
    if status:
        raise last_error(status)
    op: int = handle.value  # type: ignore[assignment]
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    queue.waiting[op] = future
    try:
        await future
    except asyncio.CancelledError:
        if future.done() and not future.cancelled():  # it completed just before the cancel
            _finish(op, abandoned)
        elif op in queue.orphans:  # it completed after, before this handler ran
            queue.orphans.discard(op)
            _finish(op, abandoned)
        else:
            # Completes with KVPS_CANCELLED at once if it had not started; drain() frees it.
            queue.abandoned[op] = abandoned or _nothing
            lib.kvps_op_cancel(op)
        raise
    return op
