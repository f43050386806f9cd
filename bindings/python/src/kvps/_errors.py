"""One exception class per kvps_status, each under kvps.Error and the matching built-in."""

from __future__ import annotations

import enum

from ._native import lib, text


class Status(enum.IntEnum):
    """The kvps_status codes of kvps.h."""

    OK = 0
    NOT_FOUND = 1
    INVALID_ARGUMENT = 2
    INVALID_URL = 3
    UNKNOWN_SCHEME = 4
    INVALID_OPTION = 5
    INVALID_KEY = 6
    PERMISSION_DENIED = 7
    PRECONDITION_FAILED = 8
    IO = 9
    NETWORK = 10
    TIMEOUT = 11
    REMOTE = 12
    UNSUPPORTED = 13
    NO_MEMORY = 14
    INTERNAL = 15
    NO_SPACE = 16
    CANCELLED = 17
    OUTCOME_UNKNOWN = 18
    CORRUPT = 19
    NO_CREDENTIALS = 20


class Error(Exception):
    """A failed kvps call: .status is the kvps_status, str() the library's message."""

    status: int = -1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        #: For batch calls: the error of every failed item, by key.
        self.failures: dict[str, Error] = {}

    @property
    def status_name(self) -> str:
        """The C enumerator's name, e.g. "KVPS_NOT_FOUND"."""
        return text(lib.kvps_status_name(self.status))

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status_name})"


class NotFound(Error, KeyError):
    status = Status.NOT_FOUND


class InvalidArgument(Error, ValueError):
    status = Status.INVALID_ARGUMENT


class InvalidURL(Error, ValueError):
    status = Status.INVALID_URL


class UnknownScheme(Error, ValueError):
    status = Status.UNKNOWN_SCHEME


class InvalidOption(Error, ValueError):
    status = Status.INVALID_OPTION


class InvalidKey(Error, ValueError):
    status = Status.INVALID_KEY


class PermissionDenied(Error, PermissionError):
    status = Status.PERMISSION_DENIED


class PreconditionFailed(Error):
    status = Status.PRECONDITION_FAILED


class IOFailure(Error, OSError):
    status = Status.IO


class NetworkError(Error, ConnectionError):
    status = Status.NETWORK


class Timeout(Error, TimeoutError):
    status = Status.TIMEOUT


class RemoteError(Error):
    status = Status.REMOTE


class Unsupported(Error, NotImplementedError):
    status = Status.UNSUPPORTED


class NoMemory(Error, MemoryError):
    status = Status.NO_MEMORY


class InternalError(Error):
    status = Status.INTERNAL


class NoSpace(Error, OSError):
    status = Status.NO_SPACE


class Cancelled(Error):
    status = Status.CANCELLED


class OutcomeUnknown(Error):
    """A write's answer was lost: the new value may or may not be in place (never a mix)."""

    status = Status.OUTCOME_UNKNOWN


class Corrupt(Error):
    """A stored value failed its checksum; no wrong bytes were returned."""

    status = Status.CORRUPT


class NoCredentials(Error, PermissionError):
    """No credentials were found where the backend looked (the message lists the places)."""

    status = Status.NO_CREDENTIALS


ERROR_CLASSES: dict[int, type[Error]] = {
    cls.status: cls
    for cls in (
        NotFound,
        InvalidArgument,
        InvalidURL,
        UnknownScheme,
        InvalidOption,
        InvalidKey,
        PermissionDenied,
        PreconditionFailed,
        IOFailure,
        NetworkError,
        Timeout,
        RemoteError,
        Unsupported,
        NoMemory,
        InternalError,
        NoSpace,
        Cancelled,
        OutcomeUnknown,
        Corrupt,
        NoCredentials,
    )
}


def error_for(status: int, message: str) -> Error:
    """The exception for a status; a status this binding does not know yet gives Error."""
    cls = ERROR_CLASSES.get(status, Error)
    return cls(message, status)


def last_error(status: int, fallback: str = "") -> Error:
    """The exception for a call that just failed on this thread, with the library's message."""
    message = text(lib.kvps_last_error()) or fallback or text(lib.kvps_status_name(status))
    return error_for(status, message)
