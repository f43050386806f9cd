"""Binary file objects over values: a raw reader (buffered by io.BufferedReader) and a writer."""

from __future__ import annotations

import ctypes
import io
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._convert import Buffer, data_pointer, key_bytes
from ._errors import Error, NotFound, Status, last_error
from ._ext import ext as _ext
from ._native import TO_END, lib

# The smallest bytes object a writer hands over as a blob (kvps.h: a zero-copy store keeps one
# of 64 KiB or more rather than copying it).
_KEEP = 64 << 10

if TYPE_CHECKING:
    from ._store import Store, _PutOptions


class _Stream:
    """What readers and writers share: a handle that the store can take away on close."""

    _store: Store
    _handle: int | None

    def _take(self) -> int | None:
        """Takes the handle to free it (once); None if it is gone."""
        handle, self._handle = self._handle, None
        return handle

    def _use(self) -> int:
        """The handle for one call. It keeps its store alive in the library, so a stream
        outlives Store.close() (docs/BINDINGS.md)."""
        if self._handle is None:
            raise ValueError("I/O operation on a closed kvps stream")
        return self._handle


class RawReader(_Stream, io.RawIOBase):
    """An unbuffered, seekable reader over a range of one value (kvps_reader_*).
    Positions are offsets in the whole value."""

    def __init__(self, store: Store, key: str, offset: int, length: int | None) -> None:
        super().__init__()
        self._store = store
        self._handle = None
        self.name = key
        k = key_bytes(key)
        out = ctypes.c_void_p()
        span = TO_END if length is None else length
        handle = store._enter()
        try:
            status: int = lib.kvps_reader_open(handle, k, offset, span, ctypes.byref(out))
            if status == Status.NOT_FOUND:
                raise NotFound(f"key not found: {key!r}", Status.NOT_FOUND)
            if status:
                raise last_error(status)
            self._handle = out.value
            self._size: int = lib.kvps_reader_value_size(out)
        finally:
            store._leave()
        self._pos = offset
        self._end = self._size if length is None else min(self._size, offset + length)

    @property
    def size(self) -> int:
        """The size of the whole value when the reader opened."""
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        capacity = view.nbytes
        if capacity == 0:
            return 0
        target = (ctypes.c_char * capacity).from_buffer(view)
        got = ctypes.c_size_t()
        handle = self._use()
        try:
            status: int = lib.kvps_reader_read(handle, target, capacity, ctypes.byref(got))
        finally:
            del target
            view.release()
        if status:
            raise self._error(status)
        self._pos += got.value
        return got.value

    def readall(self) -> bytes:
        """The rest of the range in one buffer sized from the value's size."""
        data = bytearray(max(0, self._end - self._pos))
        view = memoryview(data)
        filled = 0
        while filled < len(data):
            n = self.readinto(view[filled:])
            if n == 0:
                break
            filled += n
        view.release()
        del data[filled:]
        while True:  # never truncate silently, whatever the size said
            more = self.read(io.DEFAULT_BUFFER_SIZE)
            if not more:
                return bytes(data)
            data += more

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        handle = self._use()
        status: int = lib.kvps_reader_seek(handle, target)
        if status:
            raise self._error(status)
        self._pos = target
        return target

    def _error(self, status: int) -> Exception:
        # NOT_FOUND sets no library message (it is a result): say what happened here.
        if status == Status.NOT_FOUND:
            return NotFound(f"key {self.name!r} was deleted while a reader had it open", status)
        return last_error(status)

    def tell(self) -> int:
        if self.closed:
            raise ValueError("I/O operation on a closed kvps stream")
        return self._pos

    def close(self) -> None:
        handle = self._take() if hasattr(self, "_store") else None
        if handle is not None:
            lib.kvps_reader_close(handle)
        super().close()


class Reader(io.BufferedReader):
    """What store.open(key, "rb") returns: an io.BufferedReader over a RawReader."""

    raw: RawReader

    @property
    def size(self) -> int:
        """The size of the whole value when the reader opened."""
        return self.raw.size


class Writer(_Stream, io.RawIOBase):
    """Writes a value as a stream (kvps_writer_*). close() or a clean `with` exit commits
    it atomically; abort(), an exception out of `with`, or dropping the writer unclosed
    discards it and leaves the old value. Each write goes straight to the library, which
    copies it (no buffering here)."""

    def __init__(self, store: Store, key: str, options: _PutOptions | None = None) -> None:
        super().__init__()
        self._store = store
        self._handle = None
        self.name = key
        self._written = 0
        self._failed: Error | None = None
        self._options = options  # its buffers (and etag_out) must live until the commit
        k = key_bytes(key)
        out = ctypes.c_void_p()
        handle = store._enter()
        try:
            if options is None:
                status: int = lib.kvps_writer_open(handle, k, ctypes.byref(out))
            else:
                status = lib.kvps_writer_open_with(handle, k, ctypes.byref(options.options), ctypes.byref(out))
            if status:
                raise last_error(status)
            self._handle = out.value
        finally:
            store._leave()

    def writable(self) -> bool:
        return True

    @property
    def etag(self) -> str | None:
        """The etag of the value this writer committed, for store.writer(...) writers once
        closed cleanly; None before that or for writers from open(key, "wb")."""
        if self._options is None or not self.closed:
            return None
        return self._options.made_etag or None

    def tell(self) -> int:
        if self.closed:
            raise ValueError("I/O operation on a closed kvps stream")
        return self._written

    def write(self, data: Buffer) -> int:
        if type(data) is bytes and len(data) >= _KEEP and _ext is not None:
            return self._write_shared(data)
        pointer, size = data_pointer(data)
        if size == 0:
            self._use()
            return 0
        handle = self._use()
        status: int = lib.kvps_writer_write(handle, pointer, size)
        if status:
            error = last_error(status)
            self.abort()  # a writer that failed a write can only be aborted
            self._failed = error  # and close() reports it (docs/BINDINGS.md)
            raise error
        self._written += size
        return size

    def _write_shared(self, data: bytes) -> int:
        """Hands the bytes object itself to the library (kvps_writer_write_blob): memory://
        keeps it, s3:// sends a chunk of one part as that part, both without a copy."""
        assert _ext is not None
        try:
            _ext.write_shared(self._use(), data)
        except Error as error:
            self.abort()
            self._failed = error
            raise
        self._written += len(data)
        return len(data)

    def close(self) -> None:
        """Commits what was written (once) and closes. Raises if the commit fails, in which
        case the old value is left as it was; after a failed write, raises that write's error
        (once) and commits nothing."""
        failed, self._failed = getattr(self, "_failed", None), None
        if failed is not None:
            raise failed
        handle = self._take() if hasattr(self, "_store") else None
        try:
            if handle is not None:
                status: int = lib.kvps_writer_commit(handle)
                if status:
                    raise last_error(status)
        finally:
            super().close()

    def abort(self) -> None:
        """Discards what was written and closes; the old value stays. Harmless when closed."""
        handle = self._take() if hasattr(self, "_store") else None
        if handle is not None:
            lib.kvps_writer_abort(handle)
        io.RawIOBase.close(self)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        # Dropped without close(): never commit a value that may be incomplete.
        self.abort()

