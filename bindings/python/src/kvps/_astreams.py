"""asyncio readers and writers over kvps's asynchronous stream calls (kvps_reader_read_async,
kvps_writer_write_async, ...), through the loop's completion queue (_aio): no thread per call.

Cancelling the task that awaits a read or a write cancels that operation and closes the stream
(a reader is closed, a writer aborted: nothing it wrote becomes visible), since its position or
contents are then unknown. Cancelling the commit of a writer leaves the value either committed
or not, whole: .committed tells which once the library knows (None until then).
"""

from __future__ import annotations

import ctypes
from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Generic, TypeVar

from . import _aio
from ._convert import Buffer, data_pointer
from ._errors import Cancelled, Error, NotFound, Status, last_error
from ._native import ETAG_MAX, TO_END, AsyncOptions, lib, text

if TYPE_CHECKING:
    from ._store import Store

_byref = ctypes.byref
_CHUNK = 256 * 1024  # what read() without a size asks for at a time

S = TypeVar("S", bound="_AsyncStream")
T = TypeVar("T", bound="_AsyncStream")


class Opening(Generic[S]):
    """What store.aopen_reader() and store.aopen_writer() return: await it for the stream, or
    use it in `async with` (which closes the reader, or commits the writer on a clean exit and
    aborts it on an exception)."""

    def __init__(self, opener: Callable[[], Awaitable[S]]) -> None:
        self._opener: Callable[[], Awaitable[S]] = opener
        self._stream: S | None = None

    def __await__(self) -> Generator[object, None, S]:
        return self._opener().__await__()

    async def __aenter__(self) -> S:
        self._stream = await self._opener()
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._stream is not None
        await self._stream.__aexit__(exc_type, exc, tb)


class _AsyncStream:
    """A reader or writer handle with at most one operation in flight on it."""

    def __init__(self, store: Store, key: str, handle: int) -> None:
        self._store = store
        self.name = key
        self._handle: int | None = handle
        self._busy = False

    @property
    def closed(self) -> bool:
        return self._handle is None

    def _begin(self) -> int:
        if self._handle is None:
            raise ValueError("I/O operation on a closed kvps stream")
        if self._busy:
            raise RuntimeError(f"another operation is in flight on the stream of {self.name!r}")
        self._busy = True
        return self._handle

    def _free(self, free: Callable[[int], None]) -> bool:
        """Takes the handle and frees it with free (once); False when already closed."""
        if self._busy:
            raise RuntimeError(f"an operation is in flight on the stream of {self.name!r}")
        handle, self._handle = self._handle, None
        if handle is None:
            return False
        free(handle)
        return True

    def _drop(self) -> None:
        """Closes the stream without committing anything."""
        raise NotImplementedError

    async def _finish(self, clean: bool) -> None:
        """The end of an `async with` block, clean or by an exception."""
        if not self._busy:
            self._drop()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._finish(exc_type is None)

    def __del__(self) -> None:
        # Dropped unclosed: a reader is closed, a writer aborted (never committed half-done).
        if getattr(self, "_handle", None) is not None and not self._busy:
            self._drop()


def _start_on(handle: int, call: Callable[[int, AsyncOptions, ctypes.c_void_p], int]
              ) -> Callable[[AsyncOptions, ctypes.c_void_p], int]:
    return lambda options, out: call(handle, options, out)


class AsyncReader(_AsyncStream):
    """An asynchronous reader over a range of one value (store.aopen_reader). Positions are
    offsets in the whole value; read(n) returns b"" at the end of the range."""

    def __init__(self, store: Store, key: str, handle: int, offset: int, length: int | None) -> None:
        super().__init__(store, key, handle)
        self._size: int = lib.kvps_reader_value_size(handle)
        self._pos = offset
        self._end = self._size if length is None else min(self._size, offset + length)

    @property
    def size(self) -> int:
        """The size of the whole value when the reader opened."""
        return self._size

    def tell(self) -> int:
        if self._handle is None:
            raise ValueError("I/O operation on a closed kvps stream")
        return self._pos

    def seek(self, offset: int) -> int:
        """Moves to an absolute offset in the value (no I/O: the next read starts there)."""
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        handle = self._begin()
        try:
            status: int = lib.kvps_reader_seek(handle, offset)
        finally:
            self._busy = False
        if status:
            raise last_error(status)
        self._pos = offset
        return offset

    async def read(self, size: int = -1) -> bytes:
        """Up to size bytes (fewer is not the end: b"" is); size < 0: the rest of the range."""
        if size >= 0:
            return await self._read_some(size)
        parts: list[bytes] = []
        while True:
            part = await self._read_some(max(_CHUNK, min(self._end - self._pos, 64 << 20)))
            if not part:
                return b"".join(parts)
            parts.append(part)

    async def readinto(self, buffer: Buffer) -> int:
        """Reads into buffer; returns the count (0: the end of the range)."""
        view = memoryview(buffer).cast("B")
        data = await self._read_some(view.nbytes)
        view[: len(data)] = data
        return len(data)

    async def _read_some(self, size: int) -> bytes:
        # The library writes into a buffer of ours until the op completes, even if this task
        # is cancelled: the caller's memory is only written here, afterwards.
        handle = self._begin()
        if size == 0:
            self._busy = False
            return b""
        target = ctypes.create_string_buffer(size)

        def abandoned(op: int) -> None:  # closes the reader once the library is done with it
            del op
            lib.kvps_reader_close(handle)
            _ = target

        try:
            op = await _aio.run(
                _start_on(handle, lambda h, o, out: lib.kvps_reader_read_async(
                    h, target, size, _byref(o), _byref(out))),
                abandoned)
        except BaseException as e:
            # A cancelled read: the reader's position is unknown now, so it is closed.
            self._busy = False
            if not isinstance(e, Error):
                self._handle = None
            raise
        self._busy = False
        try:
            got = ctypes.c_size_t()
            status: int = lib.kvps_op_count(op, _byref(got))
        finally:
            lib.kvps_op_free(op)
        if status == Status.NOT_FOUND:
            raise NotFound(f"key {self.name!r} was deleted while a reader had it open", status)
        if status:
            raise last_error(status)
        self._pos += got.value
        return ctypes.string_at(target, got.value)

    async def aclose(self) -> None:
        """Closes the reader (no I/O). Harmless when closed."""
        self.close()

    def close(self) -> None:
        """Closes the reader (no I/O). Harmless when closed."""
        self._free(lib.kvps_reader_close)

    def _drop(self) -> None:
        self.close()


class AsyncWriter(_AsyncStream):
    """An asynchronous writer (store.aopen_writer): aclose() commits what was written,
    atomically; abort() discards it. After a failed or cancelled write the writer is aborted
    and aclose() raises that write's error (kvps.Cancelled for a cancelled one)."""

    def __init__(self, store: Store, key: str, handle: int) -> None:
        super().__init__(store, key, handle)
        self._written = 0
        self._failed: BaseException | None = None
        self._etag: str | None = None
        self.committed: bool | None = None
        """True once the commit made the value visible, False when it did not (abort, a failed
        or cancelled commit); None before, or while a cancelled commit is still settling."""

    @property
    def etag(self) -> str | None:
        """The etag of the value committed, once committed."""
        return self._etag

    def tell(self) -> int:
        return self._written

    async def write(self, data: Buffer) -> int:
        """Appends data (copied at once by the library); returns its size."""
        pointer, size = data_pointer(data)
        handle = self._begin()

        def abandoned(op: int) -> None:  # aborts the writer once the library is done with it
            del op
            lib.kvps_writer_abort(handle)

        try:
            op = await _aio.run(
                _start_on(handle, lambda h, o, out: lib.kvps_writer_write_async(
                    h, pointer, size, _byref(o), _byref(out))),
                abandoned)
        except BaseException as e:
            self._busy = False
            if not isinstance(e, Error):  # cancelled: abandoned() aborts the writer
                self._handle = None
                self.committed = False
                self._failed = Cancelled(
                    f"a write to the writer of {self.name!r} was cancelled: the writer was aborted",
                    Status.CANCELLED)
            raise
        self._busy = False
        try:
            status: int = lib.kvps_op_status(op)
        finally:
            lib.kvps_op_free(op)
        if status:
            error = last_error(status)
            self.abort()  # a writer that failed a write can only be aborted
            self._failed = error
            raise error
        self._written += size
        return size

    async def aclose(self) -> None:
        """Commits what was written (once) and closes. Raises if the commit fails (the old value
        stays), or, after a failed write, that write's error (once), committing nothing."""
        failed, self._failed = self._failed, None
        if failed is not None:
            raise failed
        if self._handle is None:
            return
        handle = self._begin()
        self._handle = None  # the commit takes the writer, whatever happens
        etag = ctypes.create_string_buffer(ETAG_MAX)

        def settled(op: int) -> None:  # a cancelled commit, once the library knows its outcome
            self.committed = lib.kvps_op_status(op) == Status.OK

        try:
            op = await _aio.run(
                lambda o, out: lib.kvps_writer_commit_async(handle, _byref(o), _byref(out)), settled)
        finally:
            self._busy = False
        try:
            status: int = lib.kvps_op_etag(op, etag)
            self.committed = status == Status.OK
            if status:
                raise last_error(status)
        finally:
            lib.kvps_op_free(op)
        self._etag = text(etag.value)

    def abort(self) -> None:
        """Discards what was written; the old value stays. Harmless when closed."""
        if self._free(lib.kvps_writer_abort):
            self.committed = False

    def _drop(self) -> None:
        self.abort()

    async def _finish(self, clean: bool) -> None:
        if clean:
            await self.aclose()
        elif not self._busy:
            self._failed = None
            self.abort()


async def open_reader(store: Store, key: str, k: bytes, offset: int, length: int) -> AsyncReader:
    def begin(options: AsyncOptions, out: ctypes.c_void_p) -> int:
        handle = store._enter()
        try:
            status: int = lib.kvps_reader_open_async(handle, k, offset, length, _byref(options), _byref(out))
            return status
        finally:
            store._leave()

    op = await _aio.run(begin)  # cancelled: freeing the op closes the reader it opened
    reader = ctypes.c_void_p()
    try:
        status: int = lib.kvps_op_reader(op, _byref(reader))
    finally:
        lib.kvps_op_free(op)
    if status == Status.NOT_FOUND:
        raise NotFound(f"key not found: {key!r}", status)
    if status:
        raise last_error(status)
    assert reader.value is not None
    return AsyncReader(store, key, reader.value, offset, None if length == TO_END else length)


async def open_writer(store: Store, key: str, k: bytes,
                      start: Callable[[int, bytes, AsyncOptions, ctypes.c_void_p], int]) -> AsyncWriter:
    def begin(options: AsyncOptions, out: ctypes.c_void_p) -> int:
        handle = store._enter()
        try:
            return start(handle, k, options, out)
        finally:
            store._leave()

    op = await _aio.run(begin)  # cancelled: freeing the op aborts the writer it opened
    writer = ctypes.c_void_p()
    try:
        status: int = lib.kvps_op_writer(op, _byref(writer))
    finally:
        lib.kvps_op_free(op)
    if status:
        raise last_error(status)
    assert writer.value is not None
    return AsyncWriter(store, key, writer.value)
