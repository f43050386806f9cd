use std::ffi::{CStr, CString};
use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::time::SystemTime;

use kvps_sys as sys;

use crate::error::{Error, ErrorKind, Result};
use crate::list::{self, List, Page};
use crate::raw::{self, BatchOutcome, RawPutOptions, RawStat, StoreHandle};
use crate::stream::{Reader, Writer};
use crate::{system_time, Capabilities};

/// An open store, chosen by the scheme of its URL: `memory://`, `file://`, `s3://`, ...
///
/// A `Store` is `Send + Sync`: share it between threads with `&Store` or an `Arc`. It is
/// closed when dropped; readers, writers and listings borrow it, so they end first.
///
/// ```
/// let store = kvps::Store::open("memory://")?;
/// store.put("greeting", "hello")?;
/// assert_eq!(store.get("greeting")?, Some(b"hello".to_vec()));
/// assert_eq!(store.get("missing")?, None);
/// # Ok::<(), kvps::Error>(())
/// ```
pub struct Store {
    handle: StoreHandle,
    url: String,
}

/// A value's metadata, from [`Store::stat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    size: u64,
    modified: SystemTime,
    etag: String,
    content_type: std::borrow::Cow<'static, str>,
    metadata: Vec<(String, String)>,
}

impl From<RawStat> for Metadata {
    fn from(s: RawStat) -> Metadata {
        Metadata {
            size: s.size,
            modified: system_time(s.mtime_ns),
            etag: s.etag,
            content_type: s.content_type,
            metadata: s.metadata,
        }
    }
}

impl Metadata {
    /// The value's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// When the value was last written.
    pub fn modified(&self) -> SystemTime {
        self.modified
    }

    /// A tag that changes whenever the value changes: what [`PutOptions::if_match`] takes.
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// The content type written with the value ("application/octet-stream" without one).
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The user metadata written with the value: (name, value) pairs, names in lower case, in
    /// byte order of the names.
    pub fn metadata(&self) -> &[(String, String)] {
        &self.metadata
    }

    /// The value of the user metadata named `name` (case-insensitive), if any.
    pub fn metadata_value(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.metadata
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a write is made ([`Store::put_with`], [`Store::writer_with`], [`Store::copy`],
/// [`Store::rename`]): a content type and user metadata stored with the value, and a condition
/// on the value it replaces. A failed condition is an error of kind
/// [`ErrorKind::PreconditionFailed`] and changes nothing; `create_only` together with
/// `if_match` is `InvalidArgument`. Built with `PutOptions::new()` and its methods, or as a
/// struct literal with `..Default::default()`.
///
/// ```
/// use kvps::{ErrorKind, PutOptions};
/// let store = kvps::Store::open("memory://")?;
/// let options = PutOptions::new().content_type("text/plain").metadata("owner", "ops");
/// let etag = store.put_with("k", "v1", &options.clone().create_only())?;
/// let again = store.put_with("k", "v2", &PutOptions::new().create_only());
/// assert_eq!(again.unwrap_err().kind(), ErrorKind::PreconditionFailed);
/// store.put_with("k", "v2", &options.if_match(&etag))?; // compare-and-swap
/// assert_eq!(store.stat("k")?.unwrap().metadata_value("Owner"), Some("ops"));
/// # Ok::<(), kvps::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// `None`: the backend's default ("application/octet-stream"); for copy and rename, the
    /// source's.
    pub content_type: Option<String>,
    /// User metadata (name, value). `None`: none; for copy and rename, the source's (an empty
    /// `Some` replaces them with none).
    pub metadata: Option<Vec<(String, String)>>,
    /// Replace only the value that has this etag.
    pub if_match: Option<String>,
    /// Write only if the key does not exist yet.
    pub create_only: bool,
}

impl PutOptions {
    /// No content type, no metadata, no condition: a plain write.
    pub fn new() -> PutOptions {
        PutOptions::default()
    }

    /// Stores `content_type` with the value.
    pub fn content_type(mut self, content_type: impl Into<String>) -> PutOptions {
        self.content_type = Some(content_type.into());
        self
    }

    /// Adds one user metadata pair.
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> PutOptions {
        self.metadata
            .get_or_insert_with(Vec::new)
            .push((name.into(), value.into()));
        self
    }

    /// Replaces only the value whose etag is `etag` (compare-and-swap).
    pub fn if_match(mut self, etag: impl Into<String>) -> PutOptions {
        self.if_match = Some(etag.into());
        self
    }

    /// Writes only if the key does not exist yet.
    pub fn create_only(mut self) -> PutOptions {
        self.create_only = true;
        self
    }

    pub(crate) fn raw(&self) -> Result<RawPutOptions> {
        let c = |text: &str, what: &str| c_text(text, ErrorKind::InvalidArgument, what);
        let metadata = match &self.metadata {
            None => None,
            Some(pairs) => Some(
                pairs
                    .iter()
                    .map(|(n, v)| Ok((c(n, "metadata name")?, c(v, "metadata value")?)))
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        Ok(RawPutOptions::new(
            self.content_type
                .as_deref()
                .map(|t| c(t, "content type"))
                .transpose()?,
            metadata,
            self.if_match.as_deref().map(|e| c(e, "etag")).transpose()?,
            self.create_only,
        ))
    }
}

/// A key as a C string; a NUL byte, which a C string cannot carry, is an invalid key.
pub(crate) fn c_key(key: &str) -> Result<CString> {
    CString::new(key).map_err(|_| {
        Error::new(
            ErrorKind::InvalidKey,
            format!("invalid key {key:?}: keys cannot contain control characters (U+0000)"),
        )
    })
}

/// Runs `f` with `key` as a C string, built in a stack buffer when the key is short (most are):
/// the point operations then allocate nothing for their key. A key with a NUL gets
/// [`c_key`]'s error.
fn with_c_key<R>(key: &str, f: impl FnOnce(&CStr) -> Result<R>) -> Result<R> {
    const STACK: usize = 256;
    let bytes = key.as_bytes();
    if bytes.len() < STACK {
        let mut buffer = [0u8; STACK];
        buffer[..bytes.len()].copy_from_slice(bytes);
        if let Ok(c) = CStr::from_bytes_with_nul(&buffer[..=bytes.len()]) {
            return f(c);
        }
    }
    f(&c_key(key)?)
}

fn c_text(text: &str, kind: ErrorKind, what: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::new(kind, format!("{what} {text:?} contains a NUL byte")))
}

/// The (offset, length) pair of a byte range, with `KVPS_TO_END` for an open end.
pub(crate) fn offset_length(range: impl RangeBounds<u64>) -> Result<(u64, u64)> {
    let overflow = || Error::new(ErrorKind::InvalidArgument, "byte range overflows u64");
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.checked_add(1).ok_or_else(overflow)?,
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => match e.checked_add(1) {
            Some(end) => end,
            None => return Ok((start, sys::KVPS_TO_END)),
        },
        Bound::Excluded(&e) => e,
        Bound::Unbounded => return Ok((start, sys::KVPS_TO_END)),
    };
    let length = end.checked_sub(start).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("byte range ends at {end}, before its start {start}"),
        )
    })?;
    Ok((start, length))
}

/// The C strings of batch keys, or the error every item gets: a key C cannot carry (a NUL
/// byte) refuses the whole call before any item runs, as in the other bindings
/// (docs/BINDINGS.md).
pub(crate) fn batch_keys<K: AsRef<str>>(keys: &[K]) -> std::result::Result<KeyBlock, Error> {
    let mut block = KeyBlock {
        bytes: Vec::with_capacity(keys.iter().map(|k| k.as_ref().len() + 1).sum()),
        ends: Vec::with_capacity(keys.len()),
    };
    for key in keys {
        let key = key.as_ref();
        if key.as_bytes().contains(&0) {
            c_key(key)?; // its error, which names the key
        }
        block.bytes.extend_from_slice(key.as_bytes());
        block.bytes.push(0);
        block.ends.push(block.bytes.len());
    }
    Ok(block)
}

/// A batch's keys as C strings in one block: one allocation for them all, not one per key.
pub(crate) struct KeyBlock {
    bytes: Vec<u8>,
    ends: Vec<usize>, // where each key's C string ends (past its NUL)
}

impl KeyBlock {
    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub(crate) fn c_strs(&self) -> Vec<&CStr> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let key = &self.bytes[start..end];
                start = end;
                CStr::from_bytes_with_nul(key).expect("batch_keys checked: one NUL, at the end")
            })
            .collect()
    }
}

/// Maps a batch call's outcome (with one value per key) back to one result per key, in
/// order: each failed item carries the library's own message for it. A `KVPS_NOT_FOUND` item
/// succeeds only when `not_found_ok`.
pub(crate) fn batch_results<T>(
    outcome: BatchOutcome,
    values: Vec<T>,
    not_found_ok: bool,
) -> Vec<Result<T>> {
    let failure = outcome.failure;
    values
        .into_iter()
        .zip(outcome.statuses)
        .zip(outcome.messages)
        .map(|((value, status), message)| match status {
            Some(sys::KVPS_OK) => Ok(value),
            Some(sys::KVPS_NOT_FOUND) if not_found_ok => Ok(value),
            Some(status) => Err(Error::new(ErrorKind::from_status(status), message)),
            // A call that failed as a whole touched no item: each gets the call's error.
            None => Err(failure.clone().unwrap_or_else(|| {
                Error::new(
                    ErrorKind::Internal,
                    "the library left a batch item without a status",
                )
            })),
        })
        .collect()
}

/// Converts batch keys, runs the call, and maps each item back to its own result (see
/// `batch_keys` and `batch_results`). `run` gets the C keys and returns the outcome with one
/// value per key.
fn batch<K: AsRef<str>, T>(
    keys: &[K],
    not_found_ok: bool,
    run: impl FnOnce(&[&CStr]) -> (BatchOutcome, Vec<T>),
) -> Vec<Result<T>> {
    let c_keys = match batch_keys(keys) {
        Ok(c_keys) => c_keys,
        Err(e) => return keys.iter().map(|_| Err(e.clone())).collect(),
    };
    if c_keys.is_empty() {
        return Vec::new();
    }
    let (outcome, values) = run(&c_keys.c_strs());
    batch_results(outcome, values, not_found_ok)
}

impl Store {
    pub(crate) fn handle(&self) -> &StoreHandle {
        &self.handle
    }

    /// Opens the store a URL names, e.g. `memory://`, `file:///var/lib/app?fsync=false` or
    /// `s3://bucket/prefix?region=eu-west-1`. Query parameters are options of the backend.
    ///
    /// ```
    /// let error = kvps::Store::open("nosuch://x").unwrap_err();
    /// assert_eq!(error.kind(), kvps::ErrorKind::UnknownScheme);
    /// assert!(error.message().contains("memory"), "lists the known schemes");
    /// ```
    pub fn open(url: &str) -> Result<Store> {
        Store::open_with(url, std::iter::empty::<(&str, &str)>())
    }

    /// Opens a store with more options given as name/value pairs, for values that should not
    /// be in a URL (secrets). An option given here overrides the same one in the URL.
    ///
    /// ```
    /// let store = kvps::Store::open_with("memory://", [("no_such_option", "1")]);
    /// assert_eq!(store.unwrap_err().kind(), kvps::ErrorKind::InvalidOption);
    /// ```
    pub fn open_with<I, N, V>(url: &str, options: I) -> Result<Store>
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let c_url = c_text(url, ErrorKind::InvalidUrl, "store URL")?;
        let options = options
            .into_iter()
            .map(|(name, value)| {
                let name = name.as_ref();
                let c_name = c_text(name, ErrorKind::InvalidOption, "option name")?;
                let c_value = CString::new(value.as_ref()).map_err(|_| {
                    // The value may be a secret: name only the option.
                    Error::new(
                        ErrorKind::InvalidOption,
                        format!("the value of option {name:?} contains a NUL byte"),
                    )
                })?;
                Ok((c_name, c_value))
            })
            .collect::<Result<Vec<_>>>()?;
        let handle = raw::open(&c_url, &options)?;
        let url = handle.url();
        Ok(Store { handle, url })
    }

    /// The store's URL with secrets removed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What the store's backend does natively; everything works on every store regardless.
    pub fn capabilities(&self) -> Capabilities {
        Capabilities::from_bits(self.handle.capabilities())
    }

    /// Stores `value` under `key`, replacing any old value atomically.
    pub fn put(&self, key: &str, value: impl AsRef<[u8]>) -> Result<()> {
        with_c_key(key, |k| self.handle.put(k, value.as_ref()))
    }

    /// The whole value of `key`, or `None` when the key does not exist.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        with_c_key(key, |k| self.handle.get(k))
    }

    /// Stores `blob` under `key`, as [`Store::put`] does. On a store with
    /// [`Capabilities::ZERO_COPY`](crate::Capabilities::ZERO_COPY) the store keeps the blob
    /// itself (a reference, no copy); see [`Blob`](crate::Blob).
    pub fn put_blob(&self, key: &str, blob: &crate::Blob) -> Result<()> {
        with_c_key(key, |k| self.handle.put_blob(k, &blob.0))
    }

    /// The whole value of `key` as a [`Blob`](crate::Blob), or `None` when the key does not
    /// exist. On a store with [`Capabilities::ZERO_COPY`](crate::Capabilities::ZERO_COPY) it is
    /// the stored blob itself, in constant time whatever its size.
    pub fn get_blob(&self, key: &str) -> Result<Option<crate::Blob>> {
        Ok(with_c_key(key, |k| self.handle.get_blob(k))?.map(crate::Blob))
    }

    /// The bytes of `key`'s value in `range` (offsets into the value), or `None` when the key
    /// does not exist. A range running past the end is clamped to it, as HTTP does.
    ///
    /// ```
    /// let store = kvps::Store::open("memory://")?;
    /// store.put("k", "0123456789")?;
    /// assert_eq!(store.get_range("k", 2..5)?.unwrap(), b"234");
    /// assert_eq!(store.get_range("k", 8..)?.unwrap(), b"89");
    /// assert_eq!(store.get_range("k", 8..100)?.unwrap(), b"89");
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn get_range(&self, key: &str, range: impl RangeBounds<u64>) -> Result<Option<Vec<u8>>> {
        let key = c_key(key)?;
        let (offset, length) = offset_length(range)?;
        self.handle.get_range(&key, offset, length)
    }

    /// `key`'s metadata, or `None` when the key does not exist.
    ///
    /// ```
    /// let store = kvps::Store::open("memory://")?;
    /// store.put("k", "abc")?;
    /// assert_eq!(store.stat("k")?.unwrap().size(), 3);
    /// assert!(store.stat("nope")?.is_none());
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn stat(&self, key: &str) -> Result<Option<Metadata>> {
        Ok(with_c_key(key, |k| self.handle.stat(k))?.map(Metadata::from))
    }

    /// Stores `value` under `key` as [`Store::put`] does, with `options` (content type,
    /// metadata, a condition); returns the etag of the value written, without another round
    /// trip.
    pub fn put_with(
        &self,
        key: &str,
        value: impl AsRef<[u8]>,
        options: &PutOptions,
    ) -> Result<String> {
        let key = c_key(key)?;
        let raw = options.raw()?;
        self.handle.put_with(&key, value.as_ref(), &raw)?;
        Ok(raw.etag())
    }

    /// The value of `key` and the [`Metadata`] (etag, content type, metadata) of that same
    /// version, or `None` when the key does not exist: the read of a compare-and-swap loop.
    ///
    /// ```
    /// use kvps::{ErrorKind, PutOptions};
    /// let store = kvps::Store::open("memory://")?;
    /// store.put("n", "41")?;
    /// loop {
    ///     let (value, meta) = store.get_with_stat("n")?.unwrap();
    ///     let next = String::from_utf8(value).unwrap().parse::<u64>().unwrap() + 1;
    ///     match store.put_with("n", next.to_string(), &PutOptions::new().if_match(meta.etag())) {
    ///         Err(e) if e.kind() == ErrorKind::PreconditionFailed => continue, // raced: retry
    ///         result => break result.map(|_| ())?,
    ///     }
    /// }
    /// assert_eq!(store.get("n")?.unwrap(), b"42");
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn get_with_stat(&self, key: &str) -> Result<Option<(Vec<u8>, Metadata)>> {
        Ok(self
            .handle
            .get_with(&c_key(key)?)?
            .map(|(value, s)| (value, Metadata::from(s))))
    }

    /// Copies `from`'s value, content type and metadata to `to` (server-side on s3://).
    /// `options`: its condition applies to `to`; a content type or metadata given replaces the
    /// source's. Returns `to`'s new etag. A missing `from` is an error of kind `NotFound`.
    pub fn copy(&self, from: &str, to: &str, options: &PutOptions) -> Result<String> {
        let raw = options.raw()?;
        self.handle.copy(&c_key(from)?, &c_key(to)?, &raw, false)?;
        Ok(raw.etag())
    }

    /// Moves `from` to `to` as [`Store::copy`] then a delete of `from`: one atomic rename on
    /// memory:// and file://, NOT atomic on s3:// (a copy, then a delete). Returns `to`'s etag.
    pub fn rename(&self, from: &str, to: &str, options: &PutOptions) -> Result<String> {
        let raw = options.raw()?;
        self.handle.copy(&c_key(from)?, &c_key(to)?, &raw, true)?;
        Ok(raw.etag())
    }

    /// Removes `key`. Removing a missing key succeeds.
    pub fn delete(&self, key: &str) -> Result<()> {
        with_c_key(key, |k| self.handle.delete(k))
    }

    /// The entries whose keys start with `prefix` ("" for all), in byte order of the keys,
    /// fetched a page at a time as the iterator advances.
    ///
    /// ```
    /// let store = kvps::Store::open("memory://")?;
    /// for key in ["a/1", "a/2", "b/1"] {
    ///     store.put(key, "")?;
    /// }
    /// let keys: Vec<String> = store
    ///     .list("a/")
    ///     .map(|entry| entry.map(|e| e.key().to_string()))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(keys, ["a/1", "a/2"]);
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn list(&self, prefix: &str) -> List<'_> {
        List::new(&self.handle, prefix)
    }

    /// One page of up to `page_size` entries under `prefix` (0: the backend's default), after
    /// the position `cursor` names (`None` to start), for callers that page explicitly, e.g.
    /// across requests. [`Store::list`] does this for you.
    ///
    /// ```
    /// let store = kvps::Store::open("memory://")?;
    /// for key in ["a", "b", "c"] {
    ///     store.put(key, "")?;
    /// }
    /// let first = store.list_page("", None, 2)?;
    /// assert_eq!(first.entries().len(), 2);
    /// let cursor = first.cursor().expect("more to come").to_string();
    /// let second = store.list_page("", Some(&cursor), 2)?;
    /// assert_eq!(second.entries()[0].key(), "c");
    /// assert_eq!(second.cursor(), None);
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn list_page(&self, prefix: &str, cursor: Option<&str>, page_size: usize) -> Result<Page> {
        list::page(&self.handle, prefix, cursor, page_size)
    }

    /// Puts many values at once; the backend may run them in parallel or in bulk. Returns one
    /// result per item, in order; items are independent (a failure does not undo the others).
    ///
    /// ```
    /// let store = kvps::Store::open("memory://")?;
    /// let results = store.put_many([("a", "1"), ("", "empty key"), ("b", "2")]);
    /// assert!(results[0].is_ok() && results[2].is_ok());
    /// assert_eq!(results[1].as_ref().unwrap_err().kind(), kvps::ErrorKind::InvalidKey);
    /// // All or nothing, when that is what you need:
    /// store.put_many([("c", "3")]).into_iter().collect::<Result<Vec<()>, _>>()?;
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn put_many<I, K, V>(&self, items: I) -> Vec<Result<()>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<[u8]>,
    {
        let (keys, values): (Vec<K>, Vec<V>) = items.into_iter().unzip();
        batch(&keys, false, |c_keys| {
            let data: Vec<&[u8]> = values.iter().map(AsRef::as_ref).collect();
            (self.handle.put_many(c_keys, &data), vec![(); c_keys.len()])
        })
    }

    /// Gets many values at once: one result per key, in order, `Ok(None)` for a missing key.
    ///
    /// ```
    /// let store = kvps::Store::open("memory://")?;
    /// store.put("a", "1")?;
    /// let values = store.get_many(["a", "b"]);
    /// assert_eq!(values[0], Ok(Some(b"1".to_vec())));
    /// assert_eq!(values[1], Ok(None));
    /// # Ok::<(), kvps::Error>(())
    /// ```
    pub fn get_many<I, K>(&self, keys: I) -> Vec<Result<Option<Vec<u8>>>>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        let keys: Vec<K> = keys.into_iter().collect();
        batch(&keys, true, |c_keys| self.handle.get_many(c_keys))
    }

    /// Deletes many keys at once: one result per key, in order. Missing keys succeed.
    pub fn delete_many<I, K>(&self, keys: I) -> Vec<Result<()>>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<str>,
    {
        let keys: Vec<K> = keys.into_iter().collect();
        batch(&keys, false, |c_keys| {
            (self.handle.delete_many(c_keys), vec![(); c_keys.len()])
        })
    }

    /// A reader over `key`'s value (`std::io::Read + Seek`), or `None` when the key does not
    /// exist. Streams in constant memory where the backend can.
    ///
    /// ```
    /// use std::io::{Read, Seek, SeekFrom};
    /// let store = kvps::Store::open("memory://")?;
    /// store.put("k", "hello world")?;
    /// let mut reader = store.reader("k")?.expect("exists");
    /// reader.seek(SeekFrom::Start(6))?;
    /// let mut text = String::new();
    /// reader.read_to_string(&mut text)?;
    /// assert_eq!(text, "world");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reader(&self, key: &str) -> Result<Option<Reader<'_>>> {
        self.reader_range(key, ..)
    }

    /// A reader over the bytes of `key`'s value in `range`, clamped as in [`Store::get_range`].
    /// Seeking takes offsets in the whole value; reads stop at the end of the range.
    pub fn reader_range(
        &self,
        key: &str,
        range: impl RangeBounds<u64>,
    ) -> Result<Option<Reader<'_>>> {
        let c = c_key(key)?;
        let (offset, length) = offset_length(range)?;
        Ok(self
            .handle
            .reader(&c, offset, length)?
            .map(|handle| Reader::new(handle, offset)))
    }

    /// A writer (`std::io::Write`) that replaces `key`'s value when [`Writer::commit`] is
    /// called. Nothing is visible before; dropping it uncommitted leaves the old value.
    ///
    /// ```
    /// use std::io::Write;
    /// let store = kvps::Store::open("memory://")?;
    /// let mut writer = store.writer("k")?;
    /// writer.write_all(b"part 1, ")?;
    /// writer.write_all(b"part 2")?;
    /// assert_eq!(store.get("k")?, None, "not visible before commit");
    /// writer.commit()?;
    /// assert_eq!(store.get("k")?.unwrap(), b"part 1, part 2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn writer(&self, key: &str) -> Result<Writer<'_>> {
        let handle = self.handle.writer(&c_key(key)?)?;
        Ok(Writer::new(handle, key))
    }

    /// A writer as [`Store::writer`] gives, with `options`: the content type and metadata are
    /// stored with the value, the condition is checked at the commit, atomically with making
    /// the value visible. [`Writer::commit_with_etag`] returns the etag it made.
    ///
    /// ```
    /// use std::io::Write;
    /// let store = kvps::Store::open("memory://")?;
    /// let mut writer = store.writer_with("k", &kvps::PutOptions::new().create_only())?;
    /// writer.write_all(b"streamed")?;
    /// let etag = writer.commit_with_etag()?.unwrap();
    /// assert_eq!(store.stat("k")?.unwrap().etag(), etag);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn writer_with(&self, key: &str, options: &PutOptions) -> Result<Writer<'_>> {
        let raw = options.raw()?;
        let handle = self.handle.writer_with(&c_key(key)?, Some(&raw))?;
        Ok(Writer::with_options(handle, key, raw))
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_become_offset_and_length() {
        assert_eq!(offset_length(..).unwrap(), (0, sys::KVPS_TO_END));
        assert_eq!(offset_length(2..5).unwrap(), (2, 3));
        assert_eq!(offset_length(2..=5).unwrap(), (2, 4));
        assert_eq!(offset_length(7..).unwrap(), (7, sys::KVPS_TO_END));
        assert_eq!(offset_length(..4).unwrap(), (0, 4));
        assert_eq!(offset_length(3..3).unwrap(), (3, 0));
        assert_eq!(offset_length(1..=u64::MAX).unwrap(), (1, sys::KVPS_TO_END));
        let (start, end) = (Bound::Excluded(1u64), Bound::Included(1u64));
        assert_eq!(offset_length((start, end)).unwrap(), (2, 0));
        #[allow(clippy::reversed_empty_ranges)]
        let inverted = offset_length(5..2).unwrap_err();
        assert_eq!(inverted.kind(), ErrorKind::InvalidArgument);
        assert!(inverted.message().contains("before its start 5"));
        let (start, end) = (Bound::Excluded(u64::MAX), Bound::Unbounded);
        assert_eq!(
            offset_length((start, end)).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn a_nul_byte_is_an_invalid_key_named_in_the_message() {
        let error = c_key("a\0b").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidKey);
        assert!(error.message().contains("\"a\\0b\""), "{}", error.message());
    }
}
