"""An fsspec filesystem over any kvps store, so pandas, pyarrow and dask read and write it.

Installed with the binding and registered for the protocol ``kvps`` (entry point
``fsspec.specs``), so no import is needed::

    fs = fsspec.filesystem("kvps", store="s3://bucket/prefix?endpoint=http://127.0.0.1:9000")
    fs.pipe_file("data/a.bin", b"...")

    pd.read_parquet("kvps://data/x.parquet", storage_options={"store": "file:///srv/store"})
    pd.read_parquet("kvps://data/x.parquet?store=file:///srv/store")   # one string

In a ``kvps://`` URL the path is the key; everything after ``?store=`` is the store's URL,
taken verbatim (so it may carry its own ``?query``); a store URL that contains "://" percent-
encoded is decoded. :func:`url` builds such a URL.

Keys are paths: ``/`` separates folders (pseudo-directories, as in s3fs), a folder exists
while a key is under it, and ``mkdir`` is a no-op. Values are written through kvps's streamed
writers: a file opened "wb" becomes visible atomically when it is closed cleanly and is
discarded when its ``with`` block ends by an exception.
"""

from __future__ import annotations

import shutil
import urllib.parse
from datetime import datetime, timezone
from typing import Any, Iterator

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from ._errors import NotFound, PreconditionFailed
from ._store import Store
from ._streams import RawReader

__all__ = ["KvpsFileSystem", "url"]

_STORE_MARK = "?store="
_COPY_CHUNK = 8 * 1024 * 1024


def url(store: str, key: str) -> str:
    """The one-string URL of key in store, e.g. for ``pandas.read_parquet``."""
    return f"kvps://{key.lstrip('/')}{_STORE_MARK}{store}"


def _split(path: str) -> tuple[str, str | None]:
    """(key part, store URL or None) of a kvps:// URL or a bare path."""
    if path.startswith("kvps://"):
        path = path[len("kvps://") :]
    store = None
    mark = path.find(_STORE_MARK)
    if mark >= 0:
        path, store = path[:mark], path[mark + len(_STORE_MARK) :]
        if "://" not in store:
            store = urllib.parse.unquote(store)
    return path, store


def _folder(path: str) -> str:
    """The listing prefix of the folder path ("" for the root)."""
    return path + "/" if path else ""


class KvpsFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """fsspec's interface over a kvps store.

    ``store`` is a store URL (options go in ``store_options`` or as extra keyword arguments,
    as for :func:`kvps.open`) or an open :class:`kvps.Store`, which stays the caller's.
    """

    protocol = ("kvps",)
    root_marker = ""
    # One instance per store: fsspec caches instances by their arguments.
    cachable = True

    def __init__(
        self,
        store: str | Store | None = None,
        store_options: dict[str, object] | None = None,
        **kwargs: Any,
    ) -> None:
        fsspec_keys = {"skip_instance_cache", "use_listings_cache", "listings_expiry_time",
                       "max_paths", "asynchronous", "loop"}
        options = dict(store_options or {})
        options.update({k: v for k, v in kwargs.items() if k not in fsspec_keys})
        super().__init__(**{k: v for k, v in kwargs.items() if k in fsspec_keys})
        if store is None:
            raise ValueError('the kvps filesystem needs a store: store="file:///..." or '
                             '"kvps://KEY?store=URL"')
        if isinstance(store, Store):
            self.store = store
            self._owned = False
        else:
            self.store = Store(store, options)
            self._owned = True

    # ------------------------------------------------------------------ paths

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        key, _ = _split(str(path))
        return key.strip("/")

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, object]:
        _, store = _split(path)
        return {} if store is None else {"store": store}

    def unstrip_protocol(self, name: str) -> str:
        return f"kvps://{name}"

    # ------------------------------------------------------------------ listing

    def _entry(self, key: str, size: int, modified: datetime | None, etag: str | None) -> dict[str, Any]:
        return {"name": key, "size": size, "type": "file", "mtime": modified, "etag": etag}

    @staticmethod
    def _dir(name: str) -> dict[str, Any]:
        return {"name": name, "size": 0, "type": "directory"}

    def _walk_level(self, path: str) -> Iterator[dict[str, Any]]:
        """The entries one level under folder path: files, then the folders among them."""
        prefix = _folder(path)
        listing = getattr(self.store, "list_level", None)
        if listing is not None:  # the store lists one level itself (delimiter listing)
            for item in listing(prefix, "/"):
                if isinstance(item, str):
                    yield self._dir(item.rstrip("/"))
                else:
                    yield self._entry(item.key, item.size, item.modified, item.etag)
            return
        last_dir = None
        for e in self.store.list(prefix):
            rest = e.key[len(prefix) :]
            cut = rest.find("/")
            if cut < 0:
                yield self._entry(e.key, e.size, e.modified, e.etag)
            else:
                name = prefix + rest[:cut]
                if name != last_dir:
                    last_dir = name
                    yield self._dir(name)

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        path = self._strip_protocol(path)
        entries = list(self._walk_level(path))
        if not entries:
            if path and self._stat(path) is not None:
                entries = [self.info(path)]
            elif path:
                raise FileNotFoundError(path)
        return entries if detail else [e["name"] for e in entries]

    def find(
        self, path: str, maxdepth: int | None = None, withdirs: bool = False, detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        path = self._strip_protocol(path)
        if maxdepth is not None:
            return super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs)
        out: dict[str, dict[str, Any]] = {}
        if path:
            st = self._stat(path)
            if st is not None:
                out[path] = st
        prefix = _folder(path)
        for e in self.store.list(prefix):
            out[e.key] = self._entry(e.key, e.size, e.modified, e.etag)
            if withdirs:
                parts = e.key[len(prefix) :].split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    name = prefix + "/".join(parts[:i])
                    out.setdefault(name, self._dir(name))
        if withdirs and path and out and path not in out:
            out[path] = self._dir(path)
        names = sorted(out)
        return {n: out[n] for n in names} if detail else names

    def _stat(self, key: str) -> dict[str, Any] | None:
        if not key:
            return None
        try:
            st = self.store.stat(key)
        except NotFound:
            return None
        return self._entry(key, st.size, st.modified, st.etag)

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        if not path:
            return self._dir("")
        st = self._stat(path)
        if st is not None:
            return st
        for _ in self.store.list(path + "/", page_size=1):
            return self._dir(path)
        raise FileNotFoundError(path)

    def exists(self, path: str, **kwargs: Any) -> bool:
        try:
            self.info(path)
            return True
        except FileNotFoundError:
            return False

    def modified(self, path: str) -> datetime:
        info = self.info(path)
        if info["type"] != "file" or info.get("mtime") is None:
            raise IsADirectoryError(path)
        mtime: datetime = info["mtime"]
        return mtime if mtime.tzinfo else mtime.replace(tzinfo=timezone.utc)

    def checksum(self, path: str) -> int:
        return hash(self.info(path).get("etag") or self.info(path)["size"])

    # ------------------------------------------------------------------ folders

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Folders exist while keys are under them: nothing to create."""

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        if not exist_ok and self._strip_protocol(path) and self.isfile(path):
            raise FileExistsError(path)

    def rmdir(self, path: str) -> None:
        """Folders vanish with their last key: nothing to remove."""

    # ------------------------------------------------------------------ values

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        key = self._strip_protocol(path)
        try:
            if start is None and end is None:
                return self.store[key]
            size = None
            if (start is not None and start < 0) or (end is not None and end < 0):
                size = self.store.stat(key).size
            lo = 0 if start is None else (max(size + start, 0) if start < 0 and size is not None else start)
            if end is None:
                return self.store.get_range(key, lo)
            hi = max(size + end, 0) if end < 0 and size is not None else end
            return self.store.get_range(key, lo, max(hi - lo, 0))
        except NotFound:
            raise FileNotFoundError(path) from None

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        key = self._strip_protocol(path)
        if mode == "create":
            try:
                self.store.put(key, value, create_only=True)
            except PreconditionFailed:
                raise FileExistsError(path) from None
            return
        self.store.put(key, value)

    def put_file(self, lpath: str, rpath: str, callback: Any = None, mode: str = "overwrite",
                 **kwargs: Any) -> None:
        import os

        if os.path.isdir(lpath):
            return  # folders exist through their keys
        key = self._strip_protocol(rpath)
        size = os.path.getsize(lpath)
        if callback is not None:
            callback.set_size(size)
        with open(lpath, "rb") as src, self.store.open(key, "wb") as dst:
            while chunk := src.read(_COPY_CHUNK):
                dst.write(chunk)
                if callback is not None:
                    callback.relative_update(len(chunk))

    def get_file(self, rpath: str, lpath: str, callback: Any = None, outfile: Any = None,
                 **kwargs: Any) -> None:
        import os

        key = self._strip_protocol(rpath)
        if self.isdir(key):
            os.makedirs(lpath, exist_ok=True)
            return
        try:
            reader = self.store.open(key, "rb")
        except NotFound:
            raise FileNotFoundError(rpath) from None
        with reader:
            if callback is not None:
                callback.set_size(reader.size)
            if outfile is not None:
                shutil.copyfileobj(reader, outfile, _COPY_CHUNK)
                return
            parent = os.path.dirname(lpath)
            if parent:
                os.makedirs(parent, exist_ok=True)
            with open(lpath, "wb") as dst:
                while chunk := reader.read(_COPY_CHUNK):
                    dst.write(chunk)
                    if callback is not None:
                        callback.relative_update(len(chunk))

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        src, dst = self._strip_protocol(path1), self._strip_protocol(path2)
        if self.isdir(src):
            return
        copy = getattr(self.store, "copy", None)
        try:
            if copy is not None:  # server-side where the store can
                copy(src, dst)
                return
            with self.store.open(src, "rb") as reader, self.store.open(dst, "wb") as writer:
                shutil.copyfileobj(reader, writer, _COPY_CHUNK)
        except NotFound:
            raise FileNotFoundError(path1) from None

    def mv(self, path1: Any, path2: Any, recursive: bool = False, maxdepth: int | None = None,
           **kwargs: Any) -> None:
        rename = getattr(self.store, "rename", None)
        if rename is None or recursive or isinstance(path1, list):
            super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)
            return
        src, dst = self._strip_protocol(path1), self._strip_protocol(path2)
        if src == dst:
            return
        try:
            rename(src, dst)
        except NotFound:
            if self.isdir(src):
                super().mv(path1, path2, recursive=True, maxdepth=maxdepth, **kwargs)
                return
            raise FileNotFoundError(path1) from None

    def rm_file(self, path: str) -> None:
        self.store.delete(self._strip_protocol(path))

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        paths = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        keys = [p for p in paths if self._stat(p) is not None]
        for start in range(0, len(keys), 1000):  # one batch request per thousand keys
            self.store.delete_many(keys[start : start + 1000])

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        key = self._strip_protocol(path)
        if truncate or not self.exists(key):
            self.store.put(key, b"")

    def sign(self, path: str, expiration: int = 100, **kwargs: Any) -> str:
        presign = getattr(self.store, "presign", None)
        if presign is None:
            raise NotImplementedError("this kvps store cannot presign URLs")
        result: str = presign(self._strip_protocol(path), expires=expiration)
        return result

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> KvpsFile:
        return KvpsFile(self, self._strip_protocol(path), mode, block_size or "default",
                        autocommit, cache_options=cache_options, **kwargs)

    def __del__(self) -> None:
        if getattr(self, "_owned", False):
            try:
                self.store.close()
            except Exception:  # pragma: no cover - interpreter shutdown
                pass


class KvpsFile(AbstractBufferedFile):  # type: ignore[misc]
    """A file of the kvps filesystem: "rb" reads ranges (with fsspec's read-ahead cache by
    default), "wb"/"xb" streams into a kvps writer committed atomically on close."""

    DEFAULT_BLOCK_SIZE = 5 * 2**20

    def __init__(self, fs: KvpsFileSystem, path: str, mode: str = "rb", block_size: Any = "default",
                 autocommit: bool = True, cache_type: str = "readahead", **kwargs: Any) -> None:
        self._writer: Any = None
        self._reader: Any = None
        self._whole: bytes | None = None
        self._at = 0
        self._create_only = mode == "xb"
        if mode == "xb":
            if fs.exists(path):
                raise FileExistsError(path)
            mode = "wb"
        if mode == "rb":
            try:
                info = fs.info(path)
            except FileNotFoundError:
                raise
            if info["type"] != "file":
                raise IsADirectoryError(path)
            kwargs["size"] = info["size"]
            self._etag = info.get("etag")
        super().__init__(fs, path, mode, block_size, autocommit, cache_type=cache_type, **kwargs)

    def _fetch_range(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the version seen at open, never a mix of two versions: a value
        that fits one block comes in one get; a bigger one through one kvps reader, pinned to
        its version, that reads on without a new request while reads are sequential."""
        try:
            if self.size <= self.blocksize:
                if self._whole is None:
                    whole = self.fs.store[self.path]
                    if len(whole) != self.size:
                        raise PreconditionFailed(f"{self.path!r} changed since it was opened")
                    self._whole = whole
                return self._whole[start:end]
            if self._reader is None:
                self._reader = RawReader(self.fs.store, self.path, start, None)
                if self._reader.size != self.size:
                    raise PreconditionFailed(f"{self.path!r} changed since it was opened")
                self._at = start
            if self._at != start:
                self._reader.seek(start)
            out = bytearray()
            while len(out) < end - start:
                chunk = self._reader.read(end - start - len(out))
                if not chunk:
                    break
                out += chunk
            self._at = start + len(out)
            return bytes(out)
        except NotFound:
            raise FileNotFoundError(self.path) from None

    def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()
        super().close()

    def _initiate_upload(self) -> None:
        self._writer = self.fs.store.open(self.path, "wb")

    def _upload_chunk(self, final: bool = False) -> bool:
        if self._writer is None:
            self._initiate_upload()
        self.buffer.seek(0)
        while chunk := self.buffer.read(_COPY_CHUNK):
            self._writer.write(chunk)
        if final and self.autocommit:
            self.commit()
        return True

    def commit(self) -> None:
        if self._writer is None:
            self._initiate_upload()
        writer, self._writer = self._writer, None
        writer.close()

    def discard(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self.mode != "rb":
            self.closed = True  # nothing more reaches the writer
            self.discard()
            return
        self.close()

    def __del__(self) -> None:
        # getattr: __init__ may have raised before fsspec set mode (FileExistsError for "xb").
        if getattr(self, "mode", "rb") != "rb" and not getattr(self, "closed", True):
            self.closed = True
            self.discard()  # an unclosed writer is discarded, never committed half-written

