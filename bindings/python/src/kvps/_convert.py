"""Conversions between Python values and what the C functions take."""

from __future__ import annotations

import ctypes
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ._errors import Error, InvalidKey, Status

# What values may be given as: bytes, bytearray, memoryview, anything with the buffer protocol.
if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    Buffer = ReadableBuffer
else:
    Buffer = Any

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)



def key_bytes(key: object) -> bytes:
    """A key as the NUL-terminated UTF-8 the C API takes. Validation is the library's job;
    only what C strings cannot carry (NUL) is caught here, and lone surrogates are passed
    through as the invalid UTF-8 they are so the library rejects them by name."""
    if not isinstance(key, str):
        raise TypeError(f"kvps keys are str, not {type(key).__name__}")
    return c_string(key, "key", InvalidKey, Status.INVALID_KEY)


def c_string(text: str, what: str, error: type[Error], status: Status, show: bool = True) -> bytes:
    """text as a C string (UTF-8; lone surrogates passed on for the library to reject), or
    the error for the status if it holds a NUL, which C would silently cut it at. With
    show=False (a URL, which may carry a password; an option value, which may be a secret)
    the message names only what it is, never the text."""
    raw = text.encode("utf-8", "surrogatepass")
    if b"\0" in raw:
        shown = f" {text!r}" if show else ""
        raise error(f"invalid {what}{shown}: contains the control character U+0000", status)
    return raw


def data_pointer(value: Buffer) -> tuple[Any, int]:
    """(something ctypes passes as const void *, its size in bytes) for a bytes-like value,
    without a copy where the buffer allows it."""
    if isinstance(value, bytes):
        return value, len(value)
    if isinstance(value, str):
        raise TypeError("kvps values are bytes; encode the str first")
    view = memoryview(value)
    size = view.nbytes
    if size == 0:
        return None, 0
    if view.readonly or not view.c_contiguous:
        return view.tobytes(), size
    return (ctypes.c_char * size).from_buffer(view.cast("B")), size


def datetime_from_ns(ns: int) -> datetime:
    """A UTC datetime for nanoseconds since the epoch (to the microsecond)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def option_text(value: object) -> str:
    """An option value as the text the library parses (bools as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return f"{round(value.total_seconds() * 1000)}ms"
    return str(value)
