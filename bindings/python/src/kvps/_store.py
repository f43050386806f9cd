"""Store: a MutableMapping[str, bytes] over one kvps_store handle."""

from __future__ import annotations

import builtins
import ctypes
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from . import _aio
from ._backends import Capability
from ._convert import Buffer, c_string, data_pointer, datetime_from_ns, key_bytes, option_text
from ._ext import ext as _ext
from ._errors import (
    Error,
    InvalidArgument,
    InvalidOption,
    InvalidURL,
    NotFound,
    Status,
    error_for,
    last_error,
)
from ._native import (
    ETAG_MAX,
    LIST_OPTIONS_VERSION,
    PUT_OPTIONS_VERSION,
    STAT_VERSION,
    TO_END,
    AsyncOptions,
    ListOptions,
    Option,
    PutOptions,
    StatInfo,
    lib,
    text,
)

if TYPE_CHECKING:
    from ._astreams import AsyncReader, AsyncWriter, Opening
    from ._streams import Reader, Writer

_byref = ctypes.byref
T = TypeVar("T")

# get() on memory:// and file:// (Store._fetch_local): a scratch buffer per thread for values
# up to _SCRATCH bytes; larger ones go straight into a new bytes object, made with CPython's
# own calls (a fresh bytes object is writable until it is handed out, as in any C extension).
_SCRATCH = 64 * 1024
_scratch = threading.local()
_bytes_of_size = ctypes.pythonapi.PyBytes_FromStringAndSize
_bytes_of_size.restype = ctypes.py_object
_bytes_of_size.argtypes = [ctypes.c_char_p, ctypes.c_ssize_t]
_bytes_address = ctypes.pythonapi.PyBytes_AsString
_bytes_address.restype = ctypes.c_void_p
_bytes_address.argtypes = [ctypes.py_object]


class _Scratch:
    """One thread's buffer for small gets: its address (for the library) and a view of it."""

    __slots__ = ("array", "address", "view")

    def __init__(self) -> None:
        data = bytearray(_SCRATCH)
        self.array = (ctypes.c_char * _SCRATCH).from_buffer(data)  # keeps data exported, fixed
        self.address = ctypes.addressof(self.array)
        self.view = memoryview(data)


@dataclass(frozen=True)
class Stat:
    """Metadata of one value."""

    size: int
    modified: datetime  # UTC
    etag: str  # changes whenever the value changes
    mtime_ns: int  # modified, in ns since the epoch
    content_type: str = "application/octet-stream"
    metadata: Mapping[str, str] = field(default_factory=dict)  # names in lower case


class _ModifiedOnFirstRead:
    """Stat.modified of a Stat made by the library: the datetime is made from mtime_ns when first
    read, then kept (making it costs as much as the stat call itself). A Stat made by its
    constructor holds the one given, which this never sees."""

    def __get__(self, stat: Stat | None, owner: type | None = None) -> object:
        if stat is None:
            return self
        modified = datetime_from_ns(stat.mtime_ns)
        vars(stat)["modified"] = modified
        return modified


setattr(Stat, "modified", _ModifiedOnFirstRead())


def _stat_of(info: StatInfo) -> Stat:
    metadata: dict[str, str] = {}
    count = info.metadata_count
    if count:
        name = ctypes.c_char_p()
        value = ctypes.c_char_p()
        for i in range(count):
            if lib.kvps_stat_metadata_at(_byref(info), i, _byref(name), _byref(value)) == 0:
                metadata[text(name.value)] = text(value.value)
    # The fields set directly: a frozen dataclass's __init__ sets each through
    # object.__setattr__, which costs more than the library call.
    stat = _new(Stat)
    mtime_ns = info.mtime_ns
    vars(stat).update(  # modified: made on first read (_ModifiedOnFirstRead)
        size=info.size,
        etag=text(info.etag),
        mtime_ns=mtime_ns,
        content_type=text(info.content_type),
        metadata=metadata,
    )
    return stat


_new = object.__new__
_KEYS = ctypes.POINTER(ctypes.c_char_p)


class _PutOptions:
    """A kvps_put_options and the buffers it points to, alive as long as this object."""

    def __init__(
        self,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        create_only: bool = False,
    ) -> None:
        self.etag = ctypes.create_string_buffer(ETAG_MAX)
        self._keep: list[bytes] = []
        self.options = PutOptions(version=PUT_OPTIONS_VERSION, create_only=1 if create_only else 0)
        if if_match is not None:
            self.options.if_match = self._c(if_match)
        if content_type is not None:
            self.options.content_type = self._c(content_type)
        if metadata is not None:
            pairs = (Option * max(1, len(metadata)))()
            for i, (n, v) in enumerate(metadata.items()):
                pairs[i].name = self._c(n)
                pairs[i].value = self._c(v)
            self._pairs = pairs
            self.options.metadata = ctypes.cast(pairs, ctypes.POINTER(Option))
            self.options.metadata_count = len(metadata)
        self.options.etag_out = ctypes.cast(self.etag, ctypes.c_void_p)

    def _c(self, value: str) -> bytes:
        raw = c_string(value, "put option", InvalidArgument, Status.INVALID_ARGUMENT)
        self._keep.append(raw)
        return raw

    @property
    def made_etag(self) -> str:
        return text(self.etag.value)


@dataclass(frozen=True)
class Entry:
    """One listed value. modified and etag are None where the backend cannot tell cheaply."""

    key: str
    size: int
    modified: datetime | None
    etag: str | None


class Prefix(str):
    """A common prefix ("folder") of a listing with a delimiter, e.g. "photos/2024/": a str,
    told apart from the keys' Entry objects by its type."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Prefix({str(self)!r})"


def _not_found(key: str) -> NotFound:
    return NotFound(f"key not found: {key!r}", Status.NOT_FOUND)


class Store(MutableMapping[str, bytes]):
    """A kvps store, opened by kvps.open(url, **options).

    Safe to share between threads: every call releases the GIL while the library works.
    Iteration and len() list the whole store (in key order); `del store[k]` raises KeyError
    for a missing key as a dict does, while delete(k) does not.
    """

    def __init__(self, url: str, options: Mapping[str, object] | None = None) -> None:
        self._ptr: int | None = None
        # One item per call in flight (list.append and pop are atomic), so that close() waits
        # for them; cheaper per call than a lock. _closing serialises close() calls.
        self._calls: builtins.list[None] = []
        self._closing = threading.Lock()
        if not isinstance(url, str):
            raise TypeError(f"a store URL is a str, not {type(url).__name__}")
        pairs = list((options or {}).items())
        bad = Status.INVALID_OPTION
        names = [c_string(name, "option name", InvalidOption, bad) for name, _ in pairs]
        values = [c_string(option_text(v), f"value of option {n}", InvalidOption, bad, show=False)
                  for n, v in pairs]
        array = (Option * len(pairs))(*(Option(n, v) for n, v in zip(names, values)))
        c_url = c_string(url, "URL", InvalidURL, Status.INVALID_URL, show=False)
        handle = ctypes.c_void_p()
        status: int = lib.kvps_open_with(c_url, array, len(pairs), _byref(handle))
        if status:
            raise last_error(status)
        self._ptr = handle.value
        # memory:// and file:// (by any alias) read straight into the caller's memory at no extra
        # cost, so get() copies each value once there (the compiled get, or _fetch_local);
        # remote stores take kvps_get, whose one request returns the value whatever its size.
        found = lib.kvps_backend_find(c_url.partition(b":")[0])
        self._local = bool(found) and found.contents.name in (b"memory", b"file")
        # A store with KVPS_CAP_ZERO_COPY (memory://) keeps the bytes objects put() gives it and
        # get() hands them back: no copy either way (the compiled module only).
        self._shared = bool(lib.kvps_capabilities(self._ptr) & Capability.ZERO_COPY)
        self._reads = 2 if self._shared else 1 if self._local else 0

    # ------------------------------------------------------------------ life cycle

    def _enter(self) -> int:
        """The handle, with the store marked busy so close() waits for this call. The mark
        comes first: close() clears _ptr, then waits until no call is marked, so a call that
        still sees the handle here is one close() waits for."""
        self._calls.append(None)
        handle = self._ptr
        if handle is None:
            self._calls.pop()
            raise ValueError("operation on a closed kvps store")
        return handle

    def _leave(self) -> None:
        self._calls.pop()

    def close(self) -> None:
        """Closes the store, after the calls in flight on it. Readers and writers still open
        keep working (the library keeps the store alive for them) and are closed on their own.
        Closing twice is harmless."""
        with self._closing:
            handle, self._ptr = self._ptr, None
            if handle is None:
                return
            pause = 0.0001
            while self._calls:
                time.sleep(pause)
                pause = min(pause * 2, 0.01)
            lib.kvps_close(handle)

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_ptr", None) is not None:
            self.close()

    def __repr__(self) -> str:
        return f"<kvps.Store {self.url!r}>" if not self.closed else "<kvps.Store (closed)>"

    @property
    def url(self) -> str:
        """The store's URL with secrets removed."""
        handle = self._enter()
        try:
            return text(lib.kvps_store_url(handle))
        finally:
            self._leave()

    @property
    def capabilities(self) -> Capability:
        """What the backend does natively (the rest works through generic fallbacks)."""
        handle = self._enter()
        try:
            return Capability(lib.kvps_capabilities(handle))
        finally:
            self._leave()

    # ------------------------------------------------------------------ values

    def put(
        self,
        key: str,
        value: Buffer,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        create_only: bool = False,
    ) -> str | None:
        """Stores value under key, replacing any old value atomically.

        With content_type / metadata they are stored with the value. if_match (an etag)
        replaces only the value that has it; create_only only writes a missing key; a failed
        condition raises PreconditionFailed and changes nothing. With any of them, returns the
        etag of the value written (else None)."""
        if _ext is not None and isinstance(value, bytes) and content_type is None and metadata is None \
                and if_match is None and not create_only:
            handle = self._enter()
            try:
                _ext.put(handle, key, value, self._shared)
            finally:
                self._leave()
            return None
        k = key_bytes(key)
        data, size = data_pointer(value)
        plain = content_type is None and metadata is None and if_match is None and not create_only
        opts = None if plain else _PutOptions(content_type, metadata, if_match, create_only)
        handle = self._enter()
        try:
            if opts is None:
                status: int = lib.kvps_put(handle, k, data, size)
            else:
                status = lib.kvps_put_with(handle, k, data, size, _byref(opts.options))
            if status:
                raise last_error(status)
        finally:
            self._leave()
        return None if opts is None else opts.made_etag

    def get_with_stat(self, key: str) -> tuple[bytes, Stat]:
        """The value of key and the Stat (etag, content type, metadata) of that same version,
        for compare-and-swap: put(..., if_match=stat.etag). NotFound for a missing key."""
        k = key_bytes(key)
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        info = StatInfo(version=STAT_VERSION)
        handle = self._enter()
        try:
            status: int = lib.kvps_get_with(handle, k, _byref(data), _byref(size), _byref(info))
            if status == Status.NOT_FOUND:
                raise _not_found(key)
            if status:
                raise last_error(status)
        finally:
            self._leave()
        try:
            value = ctypes.string_at(data.value, size.value) if size.value and data.value else b""
        finally:
            lib.kvps_free(data)
        return value, _stat_of(info)

    def _move(self, rename: bool, source: str, target: str, content_type: str | None,
              metadata: Mapping[str, str] | None, if_match: str | None, create_only: bool) -> str:
        s, t = key_bytes(source), key_bytes(target)
        opts = _PutOptions(content_type, metadata, if_match, create_only)
        handle = self._enter()
        try:
            fn = lib.kvps_rename if rename else lib.kvps_copy
            status: int = fn(handle, s, t, _byref(opts.options))
            if status == Status.NOT_FOUND:
                raise _not_found(source)
            if status:
                raise last_error(status)
        finally:
            self._leave()
        return opts.made_etag

    def copy(self, source: str, target: str, *, content_type: str | None = None,
             metadata: Mapping[str, str] | None = None, if_match: str | None = None,
             create_only: bool = False) -> str:
        """Copies source's value, content type and metadata to target (None keeps the source's);
        the conditions apply to target. Server-side on s3://. Returns target's new etag."""
        return self._move(False, source, target, content_type, metadata, if_match, create_only)

    def rename(self, source: str, target: str, *, content_type: str | None = None,
               metadata: Mapping[str, str] | None = None, if_match: str | None = None,
               create_only: bool = False) -> str:
        """Moves source to target as copy() then a delete of source: atomic on memory:// and
        file://, not on s3://. Returns target's new etag."""
        return self._move(True, source, target, content_type, metadata, if_match, create_only)

    def _fetch_local(self, key: str) -> bytes | None:
        """The value of key on memory:// or file://, copied once: into this thread's scratch
        buffer with kvps_get_into when it fits (then into the bytes returned), else straight
        into a bytes object of the size the library reported. Fewer foreign calls than kvps_get
        + string_at + kvps_free, and no second block of the value's size (which made glibc
        trim and grow the heap on every large get)."""
        k = key_bytes(key)
        size = ctypes.c_size_t()
        buf = getattr(_scratch, "buf", None)
        if buf is None:
            buf = _scratch.buf = _Scratch()
        handle = self._enter()
        try:
            status: int = lib.kvps_get_into(handle, k, 0, buf.address, _SCRATCH, _byref(size))
            if not status:
                return buf.view[:size.value].tobytes()
            while status == Status.INVALID_ARGUMENT and size.value > _SCRATCH:
                value: bytes = _bytes_of_size(None, size.value)
                n = size.value
                status = lib.kvps_get_into(handle, k, 0, _bytes_address(value), n, _byref(size))
                if not status:
                    return value if size.value == n else value[:size.value]
                if size.value <= n:  # not "too small": a real failure
                    break
        finally:
            self._leave()
        if status == Status.NOT_FOUND:
            return None
        raise last_error(status)

    def _fetch(self, key: str, offset: int | None = None, length: int | None = None) -> bytes | None:
        if _ext is not None and offset is None:
            handle = self._enter()
            try:
                value: bytes | None = _ext.get(handle, key, self._reads)
            finally:
                self._leave()
            return value
        if offset is None and self._local:  # ctypes (KVPS_PYTHON_CTYPES=1, or no module)
            return self._fetch_local(key)
        k = key_bytes(key)
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        handle = self._enter()
        try:
            if offset is None:
                status: int = lib.kvps_get(handle, k, _byref(data), _byref(size))
            else:
                span = TO_END if length is None else length
                status = lib.kvps_get_range(handle, k, offset, span, _byref(data), _byref(size))
            if status == Status.NOT_FOUND:
                return None
            if status:
                raise last_error(status)
        finally:
            self._leave()
        try:
            return ctypes.string_at(data.value, size.value) if size.value and data.value else b""
        finally:
            lib.kvps_free(data)

    @overload
    def get(self, key: str) -> bytes | None: ...

    @overload
    def get(self, key: str, default: bytes | T) -> bytes | T: ...

    def get(self, key: str, default: object = None) -> object:
        """The value of key, or default when there is none."""
        value = self._fetch(key)
        return default if value is None else value

    def get_range(self, key: str, offset: int, length: int | None = None) -> bytes:
        """length bytes (None: up to the end) of key's value from offset, clamped to the
        value's end as HTTP ranges are. NotFound for a missing key."""
        if offset < 0 or (length is not None and length < 0):
            raise ValueError(f"a range needs offset >= 0 and length >= 0, not {offset}, {length}")
        value = self._fetch(key, offset, length)
        if value is None:
            raise _not_found(key)
        return value

    def stat(self, key: str) -> Stat:
        """Size, modification time and etag of key's value. NotFound for a missing key."""
        if _ext is not None:
            handle = self._enter()
            try:
                raw = _ext.stat(handle, key)
            finally:
                self._leave()
            if raw is None:
                raise _not_found(key)
            stat = _new(Stat)
            size, mtime_ns, etag, content_type, metadata = raw
            vars(stat).update(size=size, etag=etag, mtime_ns=mtime_ns,  # modified: on first read
                              content_type=content_type, metadata=metadata)
            return stat
        k = key_bytes(key)
        info = StatInfo(version=STAT_VERSION)
        handle = self._enter()
        try:
            status: int = lib.kvps_stat(handle, k, _byref(info))
            if status == Status.NOT_FOUND:
                raise _not_found(key)
            if status:
                raise last_error(status)
        finally:
            self._leave()
        return _stat_of(info)

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except NotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        """Removes key; removing a missing key is not an error."""
        if _ext is not None:
            handle = self._enter()
            try:
                _ext.delete(handle, key, self._shared)
            finally:
                self._leave()
            return
        k = key_bytes(key)
        handle = self._enter()
        try:
            status: int = lib.kvps_delete(handle, k)
            if status:
                raise last_error(status)
        finally:
            self._leave()

    # ------------------------------------------------------------------ mapping

    def __getitem__(self, key: str) -> bytes:
        value = self._fetch(key)
        if value is None:
            raise _not_found(key)
        return value

    def __setitem__(self, key: str, value: Buffer) -> None:
        self.put(key, value)

    def __delitem__(self, key: str) -> None:
        if not self.exists(key):
            raise _not_found(key)
        self.delete(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.exists(key)

    def __iter__(self) -> Iterator[str]:
        return (entry.key for entry in self.list())

    def __len__(self) -> int:
        return sum(1 for _ in self.list())

    def clear(self) -> None:
        """Deletes every key, a page at a time."""
        while True:
            entries, _ = self.list_page()
            if not entries:
                return
            self.delete_many(entry.key for entry in entries)

    # ------------------------------------------------------------------ batch

    def _batch_error(self, status: int, keys: list[str], statuses: ctypes.Array[ctypes.c_int]) -> Error:
        """The exception for a failed batch: the first failed item's, with the library's
        message, and .failures holding every failed item's error (with the library's message
        for that item) by key. Call it on the thread that made the batch call, right after."""
        first = last_error(status)
        for i, (key, item) in enumerate(zip(keys, statuses)):
            if item and item != Status.NOT_FOUND:
                message = text(lib.kvps_last_item_error(i)) or text(lib.kvps_status_name(item))
                first.failures.setdefault(key, error_for(item, message))
        return first

    def _keys_array(self, keys: list[str]) -> Any:
        """The keys as the batch calls' `const char *const *` (kept alive by what is returned)."""
        if _ext is not None:  # one bytes object: the pointers, then the strings
            return ctypes.cast(ctypes.c_char_p(_ext.key_block(keys)), _KEYS)
        return (ctypes.c_char_p * len(keys))(*(key_bytes(k) for k in keys))

    def put_many(self, items: Mapping[str, Buffer] | Iterable[tuple[str, Buffer]]) -> None:
        """Puts every (key, value). Items are independent: on failure the others are still
        stored, and the error raised (the first failed item's) has .failures by key."""
        pairs = list(items.items() if isinstance(items, Mapping) else items)
        if not pairs:
            return
        keys = [key for key, _ in pairs]
        karray = self._keys_array(keys)
        buffers = [data_pointer(value) for _, value in pairs]
        darray = (ctypes.c_void_p * len(pairs))()
        for i, (data, _) in enumerate(buffers):
            darray[i] = ctypes.cast(data, ctypes.c_void_p).value if data is not None else None
        sizes = (ctypes.c_size_t * len(pairs))(*(size for _, size in buffers))
        statuses = (ctypes.c_int * len(pairs))()
        handle = self._enter()
        try:
            status: int = lib.kvps_put_many(handle, len(pairs), karray, darray, sizes, statuses)
            if status:
                raise self._batch_error(status, keys, statuses)
        finally:
            self._leave()

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The values of the keys that exist, by key. On a failure (other than a missing key)
        raises the first failed item's error, with .failures by key."""
        names = list(keys)
        if not names:
            return {}
        karray = self._keys_array(names)
        n = len(names)
        darray = (ctypes.c_void_p * n)()
        sizes = (ctypes.c_size_t * n)()
        statuses = (ctypes.c_int * n)()
        handle = self._enter()
        try:
            status: int = lib.kvps_get_many(handle, n, karray, darray, sizes, statuses)
            error = self._batch_error(status, names, statuses) if status else None
        finally:
            self._leave()
        found: dict[str, bytes] = {}
        try:
            for i, key in enumerate(names):
                if statuses[i] == Status.OK:
                    pointer = darray[i]
                    found[key] = ctypes.string_at(pointer, sizes[i]) if sizes[i] and pointer else b""
        finally:
            for pointer in darray:
                lib.kvps_free(pointer)
        if error is not None:
            raise error
        return found

    def delete_many(self, keys: Iterable[str]) -> None:
        """Deletes every key (missing keys are fine). On failure the others are still
        deleted, and the error raised (the first failed item's) has .failures by key."""
        names = list(keys)
        if not names:
            return
        karray = self._keys_array(names)
        statuses = (ctypes.c_int * len(names))()
        handle = self._enter()
        try:
            status: int = lib.kvps_delete_many(handle, len(names), karray, statuses)
            if status:
                raise self._batch_error(status, names, statuses)
        finally:
            self._leave()

    # ------------------------------------------------------------------ streams

    @overload
    def open(
        self,
        key: str,
        mode: Literal["rb"] = "rb",
        *,
        offset: int = 0,
        length: int | None = None,
        buffer_size: int = ...,
    ) -> Reader: ...

    @overload
    def open(self, key: str, mode: Literal["wb"]) -> Writer: ...

    @overload
    def open(
        self,
        key: str,
        mode: str,
        *,
        offset: int = 0,
        length: int | None = None,
        buffer_size: int = ...,
    ) -> Reader | Writer: ...

    def open(
        self,
        key: str,
        mode: str = "rb",
        *,
        offset: int = 0,
        length: int | None = None,
        buffer_size: int = 256 * 1024,
    ) -> Reader | Writer:
        """A binary file object over key's value.

        "rb": a seekable io.BufferedReader over length bytes from offset (None: to the end);
        positions are offsets in the whole value. NotFound for a missing key.
        "wb": a writer whose value becomes visible, atomically, when it is closed cleanly;
        leaving a `with` block by an exception, abort(), or dropping it unclosed discards it.
        """
        from ._streams import RawReader, Reader, Writer

        if mode == "rb":
            if offset < 0 or (length is not None and length < 0):
                raise ValueError(f"a range needs offset >= 0 and length >= 0, not {offset}, {length}")
            return Reader(RawReader(self, key, offset, length), buffer_size)
        if mode == "wb":
            if offset or length is not None:
                raise ValueError("a writer replaces the whole value: no offset or length")
            return Writer(self, key)
        raise ValueError(f"mode must be 'rb' or 'wb', not {mode!r}")

    def writer(
        self,
        key: str,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        create_only: bool = False,
    ) -> Writer:
        """A writer as open(key, "wb") gives, with put()'s options: the content type and
        metadata are stored with the value; the conditions are checked when close() commits
        (PreconditionFailed there, nothing changes). After a clean close, .etag is the etag of
        the value written."""
        from ._streams import Writer

        return Writer(self, key, _PutOptions(content_type, metadata, if_match, create_only))

    # ------------------------------------------------------------------ listing

    def list_page(
        self, prefix: str = "", cursor: str | None = None, page_size: int = 0
    ) -> tuple[list[Entry], str | None]:
        """One page of the keys starting with prefix, in byte order, after cursor; returns
        the entries and the cursor of the next page (None when the listing is complete).
        page_size 0 is the backend's default."""
        bad = Status.INVALID_ARGUMENT
        p = c_string(prefix, "prefix", InvalidArgument, bad)
        c = None if cursor is None else c_string(cursor, "cursor", InvalidArgument, bad)
        if page_size < 0:
            raise ValueError(f"page_size must be >= 0, not {page_size}")
        page = ctypes.c_void_p()
        handle = self._enter()
        try:
            status: int = lib.kvps_list(handle, p, c, page_size, _byref(page))
            if status:
                raise last_error(status)
        finally:
            self._leave()
        try:
            if _ext is not None:  # the compiled module decodes the page in C
                entries = _ext.entries(page.value, Entry, datetime, timezone.utc)
                next_cursor = lib.kvps_list_page_cursor(page)
                return entries, None if next_cursor is None else text(next_cursor)
            entries = []
            for i in range(lib.kvps_list_page_count(page)):
                raw = lib.kvps_list_page_entry(page, i).contents
                entries.append(
                    Entry(
                        key=text(raw.key),
                        size=raw.size,
                        modified=datetime_from_ns(raw.mtime_ns) if raw.mtime_ns else None,
                        etag=text(raw.etag) or None,
                    )
                )
            next_cursor = lib.kvps_list_page_cursor(page)
            return entries, None if next_cursor is None else text(next_cursor)
        finally:
            lib.kvps_list_page_free(page)

    @overload
    def list(
        self, prefix: str = "", page_size: int = 0, *, delimiter: None = None, start_after: str | None = None
    ) -> Iterator[Entry]: ...

    @overload
    def list(
        self, prefix: str = "", page_size: int = 0, *, delimiter: str, start_after: str | None = None
    ) -> Iterator[Entry | Prefix]: ...

    def list(
        self,
        prefix: str = "",
        page_size: int = 0,
        *,
        delimiter: str | None = None,
        start_after: str | None = None,
    ) -> Iterator[Entry | Prefix]:
        """Every key starting with prefix, in byte order of the keys, fetched a page at a
        time (page_size 0: the backend's default).

        With a delimiter (e.g. "/"), keys that have it after the prefix fold into one Prefix
        each ("folders", listed once), yielded among the Entry objects in byte order. With
        start_after, only items after it are listed."""
        if delimiter is None and start_after is None:
            cursor: str | None = None
            while True:
                entries, cursor = self.list_page(prefix, cursor, page_size)
                yield from entries
                if cursor is None:
                    return
        cursor = None
        while True:
            items, cursor = self.list_level_page(prefix, cursor, page_size, delimiter=delimiter,
                                                 start_after=start_after)
            yield from items
            if cursor is None:
                return

    def list_level_page(
        self,
        prefix: str = "",
        cursor: str | None = None,
        page_size: int = 0,
        *,
        delimiter: str | None = None,
        start_after: str | None = None,
    ) -> tuple[builtins.list[Entry | Prefix], str | None]:
        """One page of list(prefix, delimiter=..., start_after=...): its Entry and Prefix items
        in byte order, and the cursor of the next page (None when the listing is complete)."""
        bad = Status.INVALID_ARGUMENT
        options = ListOptions(version=LIST_OPTIONS_VERSION)
        options.prefix = c_string(prefix, "prefix", InvalidArgument, bad)
        options.cursor = None if cursor is None else c_string(cursor, "cursor", InvalidArgument, bad)
        options.start_after = None if start_after is None else c_string(start_after, "start_after", InvalidArgument, bad)
        options.delimiter = None if delimiter is None else c_string(delimiter, "delimiter", InvalidArgument, bad)
        if page_size < 0:
            raise ValueError(f"page_size must be >= 0, not {page_size}")
        options.page_size = page_size
        page = ctypes.c_void_p()
        handle = self._enter()
        try:
            status: int = lib.kvps_list_with(handle, _byref(options), _byref(page))
            if status:
                raise last_error(status)
        finally:
            self._leave()
        try:
            items: builtins.list[Entry | Prefix] = []
            if _ext is not None:  # the compiled module decodes the page's entries in C
                items.extend(_ext.entries(page.value, Entry, datetime, timezone.utc))
            else:
                for i in range(lib.kvps_list_page_count(page)):
                    raw = lib.kvps_list_page_entry(page, i).contents
                    items.append(
                        Entry(
                            key=text(raw.key),
                            size=raw.size,
                            modified=datetime_from_ns(raw.mtime_ns) if raw.mtime_ns else None,
                            etag=text(raw.etag) or None,
                        )
                    )
            for i in range(lib.kvps_list_page_prefix_count(page)):
                items.append(Prefix(text(lib.kvps_list_page_prefix(page, i))))
            items.sort(key=lambda item: (item.key if isinstance(item, Entry) else item).encode())
            next_cursor = lib.kvps_list_page_cursor(page)
            return items, None if next_cursor is None else text(next_cursor)
        finally:
            lib.kvps_list_page_free(page)

    # ------------------------------------------------------------------ reads into a buffer, URLs

    def readinto(self, key: str, buffer: Buffer, offset: int = 0) -> int:
        """Copies key's value (from offset to its end) into buffer, a writable bytes-like object
        (bytearray, memoryview, array, numpy array), without an intermediate copy; returns the
        number of bytes written. NotFound for a missing key; InvalidArgument, with .size_needed,
        when the value does not fit (nothing is written then). Corrupt when the value fails its
        checksum."""
        k = key_bytes(key)
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        view = memoryview(buffer)
        if view.readonly:
            raise TypeError("readinto needs a writable buffer")
        if not view.c_contiguous:
            raise ValueError("readinto needs a contiguous buffer")
        capacity = view.nbytes
        target = (ctypes.c_char * capacity).from_buffer(view.cast("B")) if capacity else None
        size = ctypes.c_size_t()
        handle = self._enter()
        try:
            status: int = lib.kvps_get_into(handle, k, offset, target, capacity, _byref(size))
            if status == Status.NOT_FOUND:
                raise _not_found(key)
            if status:
                error = last_error(status)
                if status == Status.INVALID_ARGUMENT and size.value > capacity:
                    error.size_needed = size.value  # type: ignore[attr-defined]
                raise error
        finally:
            self._leave()
        return size.value

    def presign(self, key: str, method: str = "GET", expires: float = 3600) -> str:
        """A URL that lets anyone holding it GET (read) or PUT (write) key for expires seconds
        (1 to 604800), without credentials. Unsupported on stores that cannot sign (memory://,
        file://)."""
        k = key_bytes(key)
        m = c_string(method, "method", InvalidArgument, Status.INVALID_ARGUMENT)
        seconds = int(expires)
        if seconds != expires or seconds < 1:
            raise ValueError(f"expires must be a whole number of seconds >= 1, not {expires!r}")
        url = ctypes.c_void_p()
        handle = self._enter()
        try:
            status: int = lib.kvps_presign(handle, k, m, seconds, _byref(url))
            if status:
                raise last_error(status)
        finally:
            self._leave()
        try:
            assert url.value is not None  # set on success
            return text(ctypes.string_at(url.value))
        finally:
            lib.kvps_free(url)

    # ------------------------------------------------------------------ asyncio (kvps's asynchronous C API)
    # On any running asyncio loop, with no thread per call: the library's pool does the work
    # and a completion queue's file descriptor wakes the loop. Cancelling the awaiting task
    # cancels the operation (an S3 request in flight stops; see "Cancellation" in kvps.h).

    async def _aop(self, start: Callable[[int, AsyncOptions, ctypes.c_void_p], int]) -> int:
        def begin(options: AsyncOptions, out: ctypes.c_void_p) -> int:
            handle = self._enter()
            try:
                return start(handle, options, out)
            finally:
                self._leave()

        return await _aio.run(begin)

    @overload
    async def aget(self, key: str) -> bytes | None: ...

    @overload
    async def aget(self, key: str, default: bytes | T) -> bytes | T: ...

    async def aget(self, key: str, default: object = None) -> object:
        """The value of key, or default when there is none (as get)."""
        k = key_bytes(key)
        op = await self._aop(lambda h, o, out: lib.kvps_get_async(h, k, _byref(o), _byref(out)))
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        try:
            status: int = lib.kvps_op_value(op, _byref(data), _byref(size))
            if status == Status.NOT_FOUND:
                return default
            if status:
                raise last_error(status)
        finally:
            lib.kvps_op_free(op)
        try:
            return ctypes.string_at(data.value, size.value) if size.value and data.value else b""
        finally:
            lib.kvps_free(data)

    async def aput(self, key: str, value: Buffer) -> None:
        """Stores value under key (as put without options); value is copied at once."""
        k = key_bytes(key)
        data, size = data_pointer(value)
        op = await self._aop(lambda h, o, out: lib.kvps_put_async(h, k, data, size, _byref(o), _byref(out)))
        try:
            status: int = lib.kvps_op_status(op)
            if status:
                raise last_error(status)
        finally:
            lib.kvps_op_free(op)

    async def astat(self, key: str) -> Stat:
        """As stat: NotFound for a missing key."""
        k = key_bytes(key)
        op = await self._aop(lambda h, o, out: lib.kvps_stat_async(h, k, _byref(o), _byref(out)))
        info = StatInfo(version=STAT_VERSION)
        try:
            status: int = lib.kvps_op_stat(op, _byref(info))
            if status == Status.NOT_FOUND:
                raise _not_found(key)
            if status:
                raise last_error(status)
        finally:
            lib.kvps_op_free(op)
        return _stat_of(info)

    async def adelete(self, key: str) -> None:
        """As delete: removing a missing key is not an error."""
        k = key_bytes(key)
        op = await self._aop(lambda h, o, out: lib.kvps_delete_async(h, k, _byref(o), _byref(out)))
        try:
            status: int = lib.kvps_op_status(op)
            if status:
                raise last_error(status)
        finally:
            lib.kvps_op_free(op)

    def aopen_reader(self, key: str, *, offset: int = 0, length: int | None = None) -> Opening[AsyncReader]:
        """An asynchronous reader over length bytes of key's value from offset (None: to the
        end): `async with store.aopen_reader(key) as r: data = await r.read()`, or
        `r = await store.aopen_reader(key)` (close it with r.close()). NotFound for a missing
        key. Cancelling a read closes the reader (see kvps._astreams)."""
        from ._astreams import Opening, open_reader

        if offset < 0 or (length is not None and length < 0):
            raise ValueError(f"a range needs offset >= 0 and length >= 0, not {offset}, {length}")
        k = key_bytes(key)
        return Opening(lambda: open_reader(self, key, k, offset, TO_END if length is None else length))

    def aopen_writer(
        self,
        key: str,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        create_only: bool = False,
    ) -> Opening[AsyncWriter]:
        """An asynchronous writer, with writer()'s options: `async with store.aopen_writer(key)
        as w: await w.write(data)` commits atomically on a clean exit (aclose()) and aborts on
        an exception. Cancelling a write aborts the writer; cancelling the commit leaves the
        value committed or not, whole (w.committed tells once known)."""
        from ._astreams import Opening, open_writer

        k = key_bytes(key)
        if content_type is None and metadata is None and if_match is None and not create_only:
            return Opening(lambda: open_writer(
                self, key, k, lambda h, k, o, out: lib.kvps_writer_open_async(h, k, _byref(o), _byref(out))))
        options = _PutOptions(content_type, metadata, if_match, create_only)
        options.options.etag_out = None  # the etag comes from the commit
        return Opening(lambda: open_writer(
            self, key, k, lambda h, k, o, out: lib.kvps_writer_open_with_async(
                h, k, _byref(options.options), _byref(o), _byref(out))))

    async def alist(self, prefix: str = "", page_size: int = 0) -> AsyncIterator[Entry]:
        """Every key starting with prefix, in byte order, a page at a time (as list)."""
        bad = Status.INVALID_ARGUMENT
        p = c_string(prefix, "prefix", InvalidArgument, bad)
        if page_size < 0:
            raise ValueError(f"page_size must be >= 0, not {page_size}")
        cursor: bytes | None = None
        while True:
            options = ListOptions(version=LIST_OPTIONS_VERSION, prefix=p, cursor=cursor, page_size=page_size)
            op = await self._aop(lambda h, o, out: lib.kvps_list_async(h, _byref(options), _byref(o), _byref(out)))
            page = ctypes.c_void_p()
            try:
                status: int = lib.kvps_op_page(op, _byref(page))
                if status:
                    raise last_error(status)
            finally:
                lib.kvps_op_free(op)
            try:
                entries = []
                for i in range(lib.kvps_list_page_count(page)):
                    raw = lib.kvps_list_page_entry(page, i).contents
                    entries.append(
                        Entry(
                            key=text(raw.key),
                            size=raw.size,
                            modified=datetime_from_ns(raw.mtime_ns) if raw.mtime_ns else None,
                            etag=text(raw.etag) or None,
                        )
                    )
                cursor = lib.kvps_list_page_cursor(page)
            finally:
                lib.kvps_list_page_free(page)
            for entry in entries:
                yield entry
            if cursor is None:
                return
