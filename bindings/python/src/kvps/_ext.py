"""The compiled fast path of Store's get, put, stat, delete and listing pages (_kvpsext, ../ext/_kvpsext.c),
bound to the library ctypes loaded; None where it does not import, or with
KVPS_PYTHON_CTYPES=1, and the Store then makes every call through ctypes."""

from __future__ import annotations

import atexit
import ctypes
import os

from ._convert import key_bytes
from ._errors import last_error
from ._native import lib

_FUNCTIONS = ("kvps_get", "kvps_get_into", "kvps_free", "kvps_put", "kvps_stat",
              "kvps_stat_metadata_at", "kvps_delete", "kvps_list_page_count", "kvps_list_page_entry",
              "kvps_blob_wrap", "kvps_blob_data", "kvps_blob_size", "kvps_blob_free", "kvps_blob_user",
              "kvps_put_blob", "kvps_get_blob", "kvps_writer_write_blob")

try:
    from . import _kvpsext
except ImportError:  # a build without it
    _kvpsext = None  # type: ignore[assignment]

ext = _kvpsext if os.environ.get("KVPS_PYTHON_CTYPES", "") in ("", "0") else None
if ext is not None:
    ext.bind({name: ctypes.cast(getattr(lib, name), ctypes.c_void_p).value for name in _FUNCTIONS},
             last_error, key_bytes)
    # bytes objects kept by a memory:// store are released no more once the interpreter exits.
    atexit.register(ext.exiting)
