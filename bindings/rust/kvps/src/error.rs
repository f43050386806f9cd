use std::fmt;
use std::io;

use kvps_sys as sys;

use crate::raw;

/// A `Result` whose error is a kvps [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed kvps call: the status as an [`ErrorKind`], and the library's message, which names
/// the culprit (the key, the option, the scheme, the server's error code) and never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong, one variant per `kvps_status`.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The library's message for this failure (may be empty when the library gave none).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.kind.status_name())
        } else {
            write!(f, "{} ({})", self.message, self.kind.status_name())
        }
    }
}

impl std::error::Error for Error {}

/// The kind of an [`Error`]: one variant for each failure status of `kvps_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `KVPS_NOT_FOUND`: the key (or a store folder with create=false) does not exist.
    NotFound,
    /// `KVPS_INVALID_ARGUMENT`: a bad cursor, a bad size or range.
    InvalidArgument,
    /// `KVPS_INVALID_URL`: the store URL cannot be parsed.
    InvalidUrl,
    /// `KVPS_UNKNOWN_SCHEME`: no backend is registered for the URL's scheme.
    UnknownScheme,
    /// `KVPS_INVALID_OPTION`: an unknown option, a missing required one, or a mistyped value.
    InvalidOption,
    /// `KVPS_INVALID_KEY`: empty, too long, control characters, or not allowed by the backend.
    InvalidKey,
    /// `KVPS_PERMISSION_DENIED`: the OS or the server refused access (bad credentials too).
    PermissionDenied,
    /// `KVPS_PRECONDITION_FAILED`: a condition on the value did not hold.
    PreconditionFailed,
    /// `KVPS_IO`: a local I/O failure.
    Io,
    /// `KVPS_NETWORK`: the server could not be reached or the connection broke.
    Network,
    /// `KVPS_TIMEOUT`: a deadline passed.
    Timeout,
    /// `KVPS_REMOTE`: the server answered with an error not covered by another kind.
    Remote,
    /// `KVPS_UNSUPPORTED`: the backend cannot do this operation.
    Unsupported,
    /// `KVPS_NO_MEMORY`: an allocation failed.
    NoMemory,
    /// `KVPS_INTERNAL`: a bug in kvps; please report it with the message.
    Internal,
    /// `KVPS_NO_SPACE`: the disk or the quota is full.
    NoSpace,
    /// `KVPS_CANCELLED`: the operation was cancelled.
    Cancelled,
    /// `KVPS_OUTCOME_UNKNOWN`: a write's answer was lost; the new value may or may not be in
    /// place (never a mix): read the key to find out.
    OutcomeUnknown,
    /// `KVPS_CORRUPT`: a stored value failed its checksum; no wrong bytes were returned.
    Corrupt,
    /// `KVPS_NO_CREDENTIALS`: no credentials were found where the backend looked (the message
    /// lists the places, in order).
    NoCredentials,
    /// A status added to the library after this crate was written (its number).
    Other(u32),
}

impl ErrorKind {
    pub(crate) fn from_status(status: sys::kvps_status) -> ErrorKind {
        match status {
            sys::KVPS_NOT_FOUND => ErrorKind::NotFound,
            sys::KVPS_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
            sys::KVPS_INVALID_URL => ErrorKind::InvalidUrl,
            sys::KVPS_UNKNOWN_SCHEME => ErrorKind::UnknownScheme,
            sys::KVPS_INVALID_OPTION => ErrorKind::InvalidOption,
            sys::KVPS_INVALID_KEY => ErrorKind::InvalidKey,
            sys::KVPS_PERMISSION_DENIED => ErrorKind::PermissionDenied,
            sys::KVPS_PRECONDITION_FAILED => ErrorKind::PreconditionFailed,
            sys::KVPS_IO => ErrorKind::Io,
            sys::KVPS_NETWORK => ErrorKind::Network,
            sys::KVPS_TIMEOUT => ErrorKind::Timeout,
            sys::KVPS_REMOTE => ErrorKind::Remote,
            sys::KVPS_UNSUPPORTED => ErrorKind::Unsupported,
            sys::KVPS_NO_MEMORY => ErrorKind::NoMemory,
            sys::KVPS_INTERNAL => ErrorKind::Internal,
            sys::KVPS_NO_SPACE => ErrorKind::NoSpace,
            sys::KVPS_CANCELLED => ErrorKind::Cancelled,
            sys::KVPS_OUTCOME_UNKNOWN => ErrorKind::OutcomeUnknown,
            sys::KVPS_CORRUPT => ErrorKind::Corrupt,
            sys::KVPS_NO_CREDENTIALS => ErrorKind::NoCredentials,
            other => ErrorKind::Other(other),
        }
    }

    /// The `kvps_status` value of this kind.
    pub fn status(self) -> u32 {
        match self {
            ErrorKind::NotFound => sys::KVPS_NOT_FOUND,
            ErrorKind::InvalidArgument => sys::KVPS_INVALID_ARGUMENT,
            ErrorKind::InvalidUrl => sys::KVPS_INVALID_URL,
            ErrorKind::UnknownScheme => sys::KVPS_UNKNOWN_SCHEME,
            ErrorKind::InvalidOption => sys::KVPS_INVALID_OPTION,
            ErrorKind::InvalidKey => sys::KVPS_INVALID_KEY,
            ErrorKind::PermissionDenied => sys::KVPS_PERMISSION_DENIED,
            ErrorKind::PreconditionFailed => sys::KVPS_PRECONDITION_FAILED,
            ErrorKind::Io => sys::KVPS_IO,
            ErrorKind::Network => sys::KVPS_NETWORK,
            ErrorKind::Timeout => sys::KVPS_TIMEOUT,
            ErrorKind::Remote => sys::KVPS_REMOTE,
            ErrorKind::Unsupported => sys::KVPS_UNSUPPORTED,
            ErrorKind::NoMemory => sys::KVPS_NO_MEMORY,
            ErrorKind::Internal => sys::KVPS_INTERNAL,
            ErrorKind::NoSpace => sys::KVPS_NO_SPACE,
            ErrorKind::Cancelled => sys::KVPS_CANCELLED,
            ErrorKind::OutcomeUnknown => sys::KVPS_OUTCOME_UNKNOWN,
            ErrorKind::Corrupt => sys::KVPS_CORRUPT,
            ErrorKind::NoCredentials => sys::KVPS_NO_CREDENTIALS,
            ErrorKind::Other(status) => status,
        }
    }

    /// The status's name as the library spells it, e.g. `"KVPS_NOT_FOUND"`.
    pub fn status_name(self) -> &'static str {
        raw::status_name(self.status())
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status_name())
    }
}

impl From<Error> for io::Error {
    /// Keeps the kvps error as the source, under the closest `io::ErrorKind`.
    fn from(error: Error) -> io::Error {
        let kind = match error.kind {
            ErrorKind::NotFound => io::ErrorKind::NotFound,
            ErrorKind::PermissionDenied | ErrorKind::NoCredentials => {
                io::ErrorKind::PermissionDenied
            }
            ErrorKind::InvalidArgument
            | ErrorKind::InvalidUrl
            | ErrorKind::UnknownScheme
            | ErrorKind::InvalidOption
            | ErrorKind::InvalidKey => io::ErrorKind::InvalidInput,
            ErrorKind::Timeout => io::ErrorKind::TimedOut,
            ErrorKind::Unsupported => io::ErrorKind::Unsupported,
            ErrorKind::NoMemory => io::ErrorKind::OutOfMemory,
            ErrorKind::NoSpace => io::ErrorKind::StorageFull,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, error)
    }
}
