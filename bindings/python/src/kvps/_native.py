"""Loads libkvps and declares the C functions of include/kvps.h for ctypes.

Every function is called through a ctypes.CDLL, which releases the GIL for the duration of
each foreign call, so threads sharing a Store run their I/O in parallel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from typing import Any

STAT_VERSION = 2
ETAG_MAX = 128
CONTENT_TYPE_MAX = 256
METADATA_MAX = 2048
PUT_OPTIONS_VERSION = 1
TO_END = 2**64 - 1


class StatInfo(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("size", ctypes.c_uint64),
        ("mtime_ns", ctypes.c_int64),
        ("etag", ctypes.c_char * ETAG_MAX),
        # version 2
        ("content_type", ctypes.c_char * CONTENT_TYPE_MAX),
        ("metadata_count", ctypes.c_size_t),
        ("metadata", ctypes.c_char * (3 * METADATA_MAX)),
    ]


class Entry(ctypes.Structure):
    _fields_ = [
        ("key", ctypes.c_char_p),
        ("size", ctypes.c_uint64),
        ("mtime_ns", ctypes.c_int64),
        ("etag", ctypes.c_char_p),
    ]


LIST_OPTIONS_VERSION = 1


class ListOptions(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("prefix", ctypes.c_char_p),
        ("cursor", ctypes.c_char_p),
        ("start_after", ctypes.c_char_p),
        ("delimiter", ctypes.c_char_p),
        ("page_size", ctypes.c_size_t),
    ]


class Option(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class PutOptions(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("create_only", ctypes.c_int),
        ("if_match", ctypes.c_char_p),
        ("content_type", ctypes.c_char_p),
        ("metadata", ctypes.POINTER(Option)),
        ("metadata_count", ctypes.c_size_t),
        ("etag_out", ctypes.c_void_p),
    ]


ASYNC_OPTIONS_VERSION = 1


class AsyncOptions(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("callback", ctypes.c_void_p),
        ("user", ctypes.c_void_p),
        ("queue", ctypes.c_void_p),
        ("timeout_ms", ctypes.c_uint64),
    ]


class OptionInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("type", ctypes.c_int),
        ("default_value", ctypes.c_char_p),
        ("required", ctypes.c_int),
        ("description", ctypes.c_char_p),
    ]


class BackendInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("description", ctypes.c_char_p),
        ("schemes", ctypes.POINTER(ctypes.c_char_p)),
        ("scheme_count", ctypes.c_size_t),
        ("option_count", ctypes.c_size_t),
        ("capabilities", ctypes.c_uint64),
    ]


_p = ctypes.c_void_p
_s = ctypes.c_char_p
_z = ctypes.c_size_t
_u64 = ctypes.c_uint64
_st = ctypes.c_int  # kvps_status
_pp = ctypes.POINTER(ctypes.c_void_p)
_pz = ctypes.POINTER(ctypes.c_size_t)
_pst = ctypes.POINTER(ctypes.c_int)
_ps = ctypes.POINTER(ctypes.c_char_p)
_pbackend = ctypes.POINTER(BackendInfo)

# void (*)(void *user, kvps_log_level level, const char *line)
LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)

# name: (restype, argtypes)
_PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    "kvps_version": (_s, []),
    "kvps_version_number": (ctypes.c_int, []),
    "kvps_status_name": (_s, [_st]),
    "kvps_last_error": (_s, []),
    "kvps_last_item_error": (_s, [_z]),
    "kvps_free": (None, [_p]),
    "kvps_open": (_st, [_s, _pp]),
    "kvps_open_with": (_st, [_s, ctypes.POINTER(Option), _z, _pp]),
    "kvps_close": (None, [_p]),
    "kvps_store_url": (_s, [_p]),
    "kvps_capabilities": (_u64, [_p]),
    "kvps_put": (_st, [_p, _s, _p, _z]),
    "kvps_get": (_st, [_p, _s, _pp, _pz]),
    "kvps_get_range": (_st, [_p, _s, _u64, _u64, _pp, _pz]),
    "kvps_stat": (_st, [_p, _s, ctypes.POINTER(StatInfo)]),
    "kvps_delete": (_st, [_p, _s]),
    "kvps_reader_open": (_st, [_p, _s, _u64, _u64, _pp]),
    "kvps_reader_read": (_st, [_p, _p, _z, _pz]),
    "kvps_reader_seek": (_st, [_p, _u64]),
    "kvps_reader_value_size": (_u64, [_p]),
    "kvps_reader_close": (None, [_p]),
    "kvps_writer_open": (_st, [_p, _s, _pp]),
    "kvps_writer_write": (_st, [_p, _p, _z]),
    "kvps_writer_commit": (_st, [_p]),
    "kvps_writer_abort": (None, [_p]),
    "kvps_list": (_st, [_p, _s, _s, _z, _pp]),
    "kvps_list_page_count": (_z, [_p]),
    "kvps_list_page_entry": (ctypes.POINTER(Entry), [_p, _z]),
    "kvps_list_page_cursor": (_s, [_p]),
    "kvps_list_page_free": (None, [_p]),
    "kvps_put_many": (_st, [_p, _z, _ps, _pp, _pz, _pst]),
    "kvps_get_many": (_st, [_p, _z, _ps, _pp, _pz, _pst]),
    "kvps_delete_many": (_st, [_p, _z, _ps, _pst]),
    "kvps_option_type_name": (_s, [ctypes.c_int]),
    "kvps_backend_count": (_z, []),
    "kvps_backend_at": (_pbackend, [_z]),
    "kvps_backend_find": (_pbackend, [_s]),
    "kvps_backend_option": (ctypes.POINTER(OptionInfo), [_pbackend, _z]),
    "kvps_set_logger": (None, [LOG_FN, _p, ctypes.c_int]),
    # listing by level, reads into the caller's memory, presigned URLs
    "kvps_list_with": (_st, [_p, ctypes.POINTER(ListOptions), _pp]),
    "kvps_list_page_prefix_count": (_z, [_p]),
    "kvps_list_page_prefix": (_s, [_p, _z]),
    "kvps_get_into": (_st, [_p, _s, _u64, _p, _z, _pz]),
    "kvps_presign": (_st, [_p, _s, _s, _u64, _pp]),
    # conditional writes, content type and metadata, copy and rename
    "kvps_put_with": (_st, [_p, _s, _p, _z, ctypes.POINTER(PutOptions)]),
    "kvps_get_with": (_st, [_p, _s, _pp, _pz, ctypes.POINTER(StatInfo)]),
    "kvps_writer_open_with": (_st, [_p, _s, ctypes.POINTER(PutOptions), _pp]),
    "kvps_copy": (_st, [_p, _s, _s, ctypes.POINTER(PutOptions)]),
    "kvps_rename": (_st, [_p, _s, _s, ctypes.POINTER(PutOptions)]),
    "kvps_stat_metadata_at": (_st, [ctypes.POINTER(StatInfo), _z, _ps, _ps]),
    # asynchronous operations (completion through a queue's file descriptor)
    "kvps_get_async": (_st, [_p, _s, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_put_async": (_st, [_p, _s, _p, _z, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_stat_async": (_st, [_p, _s, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_delete_async": (_st, [_p, _s, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_list_async": (_st, [_p, ctypes.POINTER(ListOptions), ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_op_status": (_st, [_p]),
    "kvps_op_value": (_st, [_p, _pp, _pz]),
    "kvps_op_stat": (_st, [_p, ctypes.POINTER(StatInfo)]),
    "kvps_op_page": (_st, [_p, _pp]),
    "kvps_op_cancel": (None, [_p]),
    "kvps_op_free": (None, [_p]),
    "kvps_queue_new": (_st, [_pp]),
    "kvps_queue_fd": (ctypes.c_int, [_p]),
    "kvps_queue_next": (_p, [_p]),
    "kvps_queue_free": (None, [_p]),
    # asynchronous readers and writers
    "kvps_reader_open_async": (_st, [_p, _s, _u64, _u64, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_reader_read_async": (_st, [_p, _p, _z, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_writer_open_async": (_st, [_p, _s, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_writer_open_with_async": (
        _st, [_p, _s, ctypes.POINTER(PutOptions), ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_writer_write_async": (_st, [_p, _p, _z, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_writer_commit_async": (_st, [_p, ctypes.POINTER(AsyncOptions), _pp]),
    "kvps_op_reader": (_st, [_p, _pp]),
    "kvps_op_writer": (_st, [_p, _pp]),
    "kvps_op_count": (_st, [_p, _pz]),
    "kvps_op_etag": (_st, [_p, _p]),
}


def library_path() -> str:
    """Where libkvps is taken from: $KVPS_LIBRARY, else the copy bundled in this package,
    else the system's (found like the linker would)."""
    chosen = os.environ.get("KVPS_LIBRARY")
    if chosen:
        return chosen
    bundled = Path(__file__).with_name("libkvps.so.0")
    if bundled.exists():
        return str(bundled)
    found = ctypes.util.find_library("kvps")
    if found:
        return found
    raise ImportError(
        "kvps: libkvps not found: no copy bundled with the package, none on the system; "
        "set KVPS_LIBRARY to the path of libkvps.so"
    )


def _load() -> ctypes.CDLL:
    path = library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(f"kvps: cannot load libkvps from {path!r}: {e}") from e
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as e:
            raise ImportError(f"kvps: {path!r} lacks {name}; is it an older libkvps?") from e
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


lib: Any = _load()


def text(raw: bytes | None) -> str:
    """A C string from the library as str (library text is UTF-8)."""
    return "" if raw is None else raw.decode("utf-8", "replace")
