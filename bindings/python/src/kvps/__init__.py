"""kvps: a blob store chosen at run time by a URL (memory://, file://, s3://, ...).

    import kvps
    with kvps.open("file:///var/lib/app/store") as store:
        store["greeting"] = b"hello"
        print(store["greeting"])

A thin layer over libkvps (include/kvps.h) through ctypes; the library does the work.
"""

from __future__ import annotations

import logging

from ._backends import BackendInfo, Capability, OptionInfo, backend, backends
from ._errors import (
    Cancelled,
    Corrupt,
    Error,
    InternalError,
    InvalidArgument,
    InvalidKey,
    InvalidOption,
    InvalidURL,
    IOFailure,
    NetworkError,
    NoCredentials,
    NoMemory,
    NoSpace,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    PreconditionFailed,
    RemoteError,
    Status,
    Timeout,
    UnknownScheme,
    Unsupported,
)
from ._native import LOG_FN, lib, library_path, text
from ._store import Entry, Prefix, Stat, Store
from ._astreams import AsyncReader, AsyncWriter
from ._streams import RawReader, Reader, Writer

__version__ = "0.1.0"

KEY_MAX = 1024

__all__ = [
    "KEY_MAX",
    "AsyncReader",
    "AsyncWriter",
    "BackendInfo",
    "Cancelled",
    "Capability",
    "Corrupt",
    "Entry",
    "Error",
    "IOFailure",
    "InternalError",
    "InvalidArgument",
    "InvalidKey",
    "InvalidOption",
    "InvalidURL",
    "NetworkError",
    "NoCredentials",
    "NoMemory",
    "NoSpace",
    "NotFound",
    "OptionInfo",
    "OutcomeUnknown",
    "PermissionDenied",
    "PreconditionFailed",
    "Prefix",
    "RawReader",
    "Reader",
    "RemoteError",
    "Stat",
    "Status",
    "Store",
    "Timeout",
    "UnknownScheme",
    "Unsupported",
    "Writer",
    "backend",
    "backends",
    "library_path",
    "library_version",
    "log_to_python",
    "open",
]


def open(url: str, **options: object) -> Store:
    """Opens the store a URL names. Keyword options are given outside the URL (for secrets)
    and override the URL's; bools become true/false, timedeltas milliseconds, the rest str().

        kvps.open("s3://bucket/prefix?region=eu-west-1", secret_access_key=secret)
    """
    return Store(url, options)


def library_version() -> str:
    """The version of the libkvps in use, e.g. "0.1.0"."""
    return text(lib.kvps_version())


_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG}


def _forward(user: object, level: int, line: bytes | None) -> None:
    logging.getLogger("kvps").log(_LEVELS.get(level, logging.DEBUG), "%s", text(line))


# Created once and never freed: a call in flight may still use it after logging stops.
_LOG_CALLBACK = LOG_FN(_forward)


def log_to_python(level: int | None = logging.INFO) -> None:
    """Sends the library's log lines at `level` and above to the logging module's "kvps"
    logger (INFO: one line per operation; DEBUG: one per backend request). None stops it."""
    if level is None:
        lib.kvps_set_logger(LOG_FN(), None, 0)  # a NULL function pointer: logging off
        return
    max_level = max((c for c, py in _LEVELS.items() if py >= level), default=0)
    lib.kvps_set_logger(_LOG_CALLBACK, None, max_level)
