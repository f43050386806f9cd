//! Safe Rust API for kvps, a blob store chosen at run time by a URL: `memory://`,
//! `file:///path`, `s3://bucket/prefix?region=...`, and any other backend the linked
//! libkvps has registered.
//!
//! ```
//! use kvps::Store;
//!
//! let store = Store::open("memory://")?;
//! store.put("greeting", "hello")?;
//! assert_eq!(store.get("greeting")?.as_deref(), Some(&b"hello"[..]));
//! assert_eq!(store.stat("greeting")?.map(|m| m.size()), Some(5));
//! store.delete("greeting")?;
//! assert_eq!(store.get("greeting")?, None);
//! # Ok::<(), kvps::Error>(())
//! ```
//!
//! Errors carry the library's status as an [`ErrorKind`] and its message, which names the
//! culprit:
//!
//! ```
//! let store = kvps::Store::open("memory://")?;
//! let error = store.put("", "x").unwrap_err();
//! assert_eq!(error.kind(), kvps::ErrorKind::InvalidKey);
//! println!("{error}");
//! # Ok::<(), kvps::Error>(())
//! ```
//!
//! With the cargo feature `async`, the store's operations also have `async fn` forms
//! (`get_async`, `put_async`, ...) that run on any executor; dropping one cancels it.
//!
//! All `unsafe` code lives in one private module (`raw`) that wraps each C call.

#![deny(unsafe_code)]

#[cfg(feature = "async")]
mod asynchronous;
mod backend;
mod blob;
mod error;
mod level;
mod list;
mod log;
mod raw;
mod store;
mod stream;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use backend::{backend, backends, Backend, Capabilities, OptionInfo, OptionType};
pub use blob::Blob;
pub use error::{Error, ErrorKind, Result};
pub use level::{LevelList, ListItem};
pub use list::{Entry, List, Page};
pub use log::{clear_logger, set_logger, LogLevel};
pub use store::{Metadata, PutOptions, Store};
pub use stream::{Reader, Writer};

/// The version of the libkvps linked at run time, e.g. "0.1.0".
pub fn version() -> &'static str {
    raw::version()
}

/// Nanoseconds since 1970-01-01 UTC as a `SystemTime`.
pub(crate) fn system_time(ns: i64) -> SystemTime {
    let magnitude = Duration::from_nanos(ns.unsigned_abs());
    if ns >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}
