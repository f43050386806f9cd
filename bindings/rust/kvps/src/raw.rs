//! The only module with `unsafe` code: thin, safe wrappers over each C call of kvps-sys.
//!
//! Audit notes, the invariants everything here relies on (from the comments in kvps.h):
//! - A handle pointer is non-null and owned by exactly one wrapper, which frees it once in
//!   `Drop` (or hands it to a function that frees it, after which the wrapper forgets it).
//! - Readers and writers borrow their store (`'s`), so the store outlives them, as the header
//!   requires ("readers, writers and list pages must be closed first"). List pages never leave
//!   the function that fetched them.
//! - A store may be used from many threads at once (`Send + Sync`); readers and writers belong
//!   to one thread at a time (`Send`, not `Sync`).
//! - Inputs are borrowed only for the duration of a call. Buffers the library returns are
//!   copied into Rust memory and freed with `kvps_free` right away.
//! - `kvps_last_error()` is read on the same thread right after the failing call, before any
//!   other kvps call can replace it.
//! - Strings the library returns are NUL-terminated; text that is not UTF-8 is converted
//!   lossily where it is only descriptive, and reported as an error where it is data (keys).
//! - No Rust code runs inside a C call except the log trampoline, which catches panics.

#![allow(unsafe_code)]

use std::borrow::Cow;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

use kvps_sys as sys;

use crate::error::{Error, ErrorKind, Result};

#[cfg(feature = "async")]
mod op;
#[cfg(feature = "async")]
pub(crate) use op::OpFuture;

// ------------------------------------------------------------------ helpers

/// Text from a NUL-terminated C string; "" for NULL.
fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the library returns NUL-terminated strings that stay valid for the duration of
    // this copy (static storage, or owned by a handle the caller still holds).
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A `'static` string from the library's static storage, or `None` for NULL or non-UTF-8.
fn static_text(p: *const c_char) -> Option<&'static str> {
    if p.is_null() {
        return None;
    }
    // SAFETY: only called on strings the header documents as static storage.
    unsafe { CStr::from_ptr(p) }.to_str().ok()
}

/// This thread's message for its last failed kvps call.
fn last_error() -> String {
    // SAFETY: never NULL, valid until this thread's next kvps call; copied at once.
    text(unsafe { sys::kvps_last_error() })
}

/// The error for a failed status, with the library's message for this thread.
fn failure(status: sys::kvps_status) -> Error {
    Error::new(ErrorKind::from_status(status), last_error())
}

fn check(status: sys::kvps_status) -> Result<()> {
    if status == sys::KVPS_OK {
        Ok(())
    } else {
        Err(failure(status))
    }
}

/// Copies a buffer the library returned and frees it.
fn take_buffer(data: *mut c_void, size: usize) -> Vec<u8> {
    if data.is_null() {
        return Vec::new();
    }
    // SAFETY: on KVPS_OK the library returned `size` readable bytes at `data`, which we own.
    let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size) }.to_vec();
    // SAFETY: `data` came from the library and is freed exactly once.
    unsafe { sys::kvps_free(data) };
    bytes
}

fn nullable(s: Option<&CStr>) -> *const c_char {
    s.map_or(ptr::null(), CStr::as_ptr)
}

// ------------------------------------------------------------------ global functions

/// The `kvps_status_name` of a status.
pub(crate) fn status_name(status: sys::kvps_status) -> &'static str {
    // SAFETY: takes any value and returns static storage.
    static_text(unsafe { sys::kvps_status_name(status) }).unwrap_or("KVPS_UNKNOWN_STATUS")
}

/// The `kvps_option_type_name` of an option type.
pub(crate) fn option_type_name(option_type: sys::kvps_option_type) -> &'static str {
    // SAFETY: takes any value and returns static storage.
    static_text(unsafe { sys::kvps_option_type_name(option_type) }).unwrap_or("unknown")
}

/// The version of the library linked at run time.
pub(crate) fn version() -> &'static str {
    // SAFETY: no arguments; returns static storage.
    static_text(unsafe { sys::kvps_version() }).unwrap_or("")
}

// ------------------------------------------------------------------ store

/// An open `kvps_store`, closed on drop.
pub(crate) struct StoreHandle(NonNull<sys::kvps_store>, Reads);

/// How `get` reads a whole value: memory:// and file:// tell a value's size at no cost, so
/// `kvps_get_into` copies it straight into a `Vec` of its size (one copy, one block); any other
/// store (where a too-small `kvps_get_into` costs a request) answers `kvps_get` in one request,
/// whose buffer is then copied.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reads {
    Local,
    Remote,
}

// SAFETY: the header states that a kvps_store is safe to use from many threads at once, and
// close runs only from Drop, when no borrow (and so no other call) can remain.
unsafe impl Send for StoreHandle {}
// SAFETY: as above.
unsafe impl Sync for StoreHandle {}

impl Drop for StoreHandle {
    fn drop(&mut self) {
        // SAFETY: owned, closed once; readers and writers borrow self so they are gone.
        unsafe { sys::kvps_close(self.0.as_ptr()) }
    }
}

/// One value's metadata as the library reports it.
pub(crate) struct RawStat {
    pub size: u64,
    pub mtime_ns: i64,
    pub etag: String,
    pub content_type: Cow<'static, str>,
    pub metadata: Vec<(String, String)>,
}

/// The content type a value has when written without one.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// A NUL-terminated string inside a fixed array; never read past the array.
fn array_text(array: &[c_char]) -> String {
    String::from_utf8_lossy(array_bytes(array)).into_owned()
}

/// The bytes of a NUL-terminated string inside a fixed array, up to the NUL (or the end).
fn array_bytes(array: &[c_char]) -> &[u8] {
    let len = array.iter().position(|&c| c == 0).unwrap_or(array.len());
    // SAFETY: c_char and u8 have the same size and alignment; len is within the array.
    unsafe { std::slice::from_raw_parts(array.as_ptr().cast::<u8>(), len) }
}

fn raw_stat(info: &sys::kvps_stat_info) -> RawStat {
    let mut metadata = Vec::with_capacity(info.metadata_count);
    for i in 0..info.metadata_count {
        let mut name = ptr::null();
        let mut value = ptr::null();
        // SAFETY: info is a version 2 stat filled by the library; name and value point into it
        // and are copied before it goes.
        if unsafe { sys::kvps_stat_metadata_at(info, i, &mut name, &mut value) } == sys::KVPS_OK {
            metadata.push((text(name), text(value)));
        }
    }
    RawStat {
        size: info.size,
        mtime_ns: info.mtime_ns,
        etag: array_text(&info.etag),
        // The usual content type without an allocation.
        content_type: match array_bytes(&info.content_type) {
            b if b == DEFAULT_CONTENT_TYPE.as_bytes() => Cow::Borrowed(DEFAULT_CONTENT_TYPE),
            b => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
        },
        metadata,
    }
}

/// A `kvps_put_options` with the strings it points to and the buffer that receives the etag
/// the write made (`etag_out`), all owned here: heap storage, so moving this value keeps every
/// pointer valid. It lives as long as the call or the writer it was given to.
pub(crate) struct RawPutOptions {
    _strings: Vec<CString>,
    _pairs: Vec<sys::kvps_option>,
    etag: Box<[c_char; sys::KVPS_ETAG_MAX]>,
    c: sys::kvps_put_options,
}

// SAFETY: the raw pointers point only into this value's own heap storage, never shared.
unsafe impl Send for RawPutOptions {}

impl RawPutOptions {
    pub(crate) fn new(
        content_type: Option<CString>,
        metadata: Option<Vec<(CString, CString)>>,
        if_match: Option<CString>,
        create_only: bool,
    ) -> RawPutOptions {
        let mut c = sys::kvps_put_options::INIT;
        c.create_only = c_int::from(create_only);
        let mut strings = Vec::new();
        if let Some(t) = content_type {
            c.content_type = t.as_ptr();
            strings.push(t);
        }
        if let Some(e) = if_match {
            c.if_match = e.as_ptr();
            strings.push(e);
        }
        let mut pairs = Vec::new();
        if let Some(metadata) = metadata {
            for (name, value) in metadata {
                pairs.push(sys::kvps_option {
                    name: name.as_ptr(),
                    value: value.as_ptr(),
                });
                strings.push(name);
                strings.push(value);
            }
            // A non-NULL pointer even for no pairs: an empty map replaces the source's on copy.
            c.metadata = if pairs.is_empty() {
                NonNull::<sys::kvps_option>::dangling().as_ptr()
            } else {
                pairs.as_ptr()
            };
            c.metadata_count = pairs.len();
        }
        let mut etag = Box::new([0 as c_char; sys::KVPS_ETAG_MAX]);
        c.etag_out = etag.as_mut_ptr();
        RawPutOptions {
            _strings: strings,
            _pairs: pairs,
            etag,
            c,
        }
    }

    /// The etag the write made ("" before a successful write).
    pub(crate) fn etag(&self) -> String {
        array_text(&self.etag[..])
    }
}

/// One listed entry as the library reports it.
pub(crate) struct RawEntry {
    pub text: String, // the key, then the etag: one allocation for both
    pub key_len: usize,
    pub size: u64,
    pub mtime_ns: i64,
}

/// Copies entry `i` of a page.
///
/// # Safety
/// `page` is a live page from the library.
unsafe fn page_entry(page: *const sys::kvps_list_page, i: usize) -> Result<RawEntry> {
    // SAFETY: the caller's page is live; its strings are NUL-terminated and live as long.
    let Some(entry) =
        (unsafe { sys::kvps_list_page_entry(page, i).as_ref() }).filter(|e| !e.key.is_null())
    else {
        return Err(Error::new(ErrorKind::Internal, "list page entry missing"));
    };
    let key =
        std::str::from_utf8(unsafe { CStr::from_ptr(entry.key) }.to_bytes()).map_err(|_| {
            Error::new(
                ErrorKind::Internal,
                "the library listed a key that is not UTF-8",
            )
        })?;
    let etag = if entry.etag.is_null() {
        Default::default()
    } else {
        String::from_utf8_lossy(unsafe { CStr::from_ptr(entry.etag) }.to_bytes())
    };
    let mut text = String::with_capacity(key.len() + etag.len());
    text.push_str(key);
    text.push_str(&etag);
    Ok(RawEntry {
        text,
        key_len: key.len(),
        size: entry.size,
        mtime_ns: entry.mtime_ns,
    })
}

/// What a batch call reports: one status per item, and the message of the first failure.
pub(crate) struct BatchOutcome {
    /// Per item; `None` when the library did not write the item's status.
    pub statuses: Vec<Option<sys::kvps_status>>,
    /// The call's status and message when it was not KVPS_OK.
    pub failure: Option<Error>,
    /// Per item, the library's own message ("" for an item that did not fail).
    pub messages: Vec<String>,
}

/// A status the library never returns, to find items a failed call did not touch.
const UNTOUCHED: sys::kvps_status = sys::kvps_status::MAX;

fn batch_outcome(status: sys::kvps_status, statuses: Vec<sys::kvps_status>) -> BatchOutcome {
    let failure = (status != sys::KVPS_OK).then(|| failure(status));
    // Asked only for the items that failed: the others have none.
    let messages = statuses
        .iter()
        .enumerate()
        .map(|(i, &s)| match s {
            sys::KVPS_OK | UNTOUCHED => String::new(),
            // SAFETY: never NULL, valid until this thread's next kvps call; copied at once, on
            // the thread that made the batch call.
            _ => text(unsafe { sys::kvps_last_item_error(i) }),
        })
        .collect();
    let statuses = statuses
        .into_iter()
        .map(|s| (s != UNTOUCHED).then_some(s))
        .collect();
    BatchOutcome {
        statuses,
        failure,
        messages,
    }
}

fn key_pointers(keys: &[&CStr]) -> Vec<*const c_char> {
    keys.iter().map(|k| k.as_ptr()).collect()
}

pub(crate) fn open(url: &CStr, options: &[(CString, CString)]) -> Result<StoreHandle> {
    let options: Vec<sys::kvps_option> = options
        .iter()
        .map(|(name, value)| sys::kvps_option {
            name: name.as_ptr(),
            value: value.as_ptr(),
        })
        .collect();
    let mut out = ptr::null_mut();
    // SAFETY: url and the option strings are NUL-terminated and outlive the call; the array
    // has options.len() elements; out is written only on KVPS_OK.
    let status =
        unsafe { sys::kvps_open_with(url.as_ptr(), options.as_ptr(), options.len(), &mut out) };
    check(status)?;
    let scheme = url
        .to_bytes()
        .split(|&b| b == b':')
        .next()
        .unwrap_or_default();
    let local = CString::new(scheme)
        .ok()
        .and_then(|s| backend_find(&s))
        .is_some_and(|b| matches!(b.name().as_str(), "memory" | "file"));
    let reads = if local { Reads::Local } else { Reads::Remote };
    NonNull::new(out)
        .map(|p| StoreHandle(p, reads))
        .ok_or_else(|| Error::new(ErrorKind::Internal, "kvps_open_with returned no store"))
}

impl StoreHandle {
    fn ptr(&self) -> *mut sys::kvps_store {
        self.0.as_ptr()
    }

    /// The store's URL with secrets removed.
    pub(crate) fn url(&self) -> String {
        // SAFETY: the returned string is owned by the open store and copied at once.
        text(unsafe { sys::kvps_store_url(self.ptr()) })
    }

    pub(crate) fn capabilities(&self) -> u64 {
        // SAFETY: a valid open store.
        unsafe { sys::kvps_capabilities(self.ptr()) }
    }

    pub(crate) fn put(&self, key: &CStr, data: &[u8]) -> Result<()> {
        // SAFETY: key is NUL-terminated, data has data.len() readable bytes; both borrowed.
        check(unsafe { sys::kvps_put(self.ptr(), key.as_ptr(), data.as_ptr().cast(), data.len()) })
    }

    pub(crate) fn get(&self, key: &CStr) -> Result<Option<Vec<u8>>> {
        if self.1 == Reads::Remote {
            return self.get_range(key, 0, sys::KVPS_TO_END);
        }
        // Up to SMALL bytes go into the stack first (a Vec of the exact size follows); a larger
        // value straight into a Vec of the size the first call reported.
        const SMALL: usize = 16 * 1024;
        let mut small = MaybeUninit::<[u8; SMALL]>::uninit();
        let mut size = 0;
        let mut status = self.get_into_raw(key, small.as_mut_ptr().cast(), SMALL, &mut size);
        if status == sys::KVPS_OK {
            // SAFETY: the library wrote `size` <= SMALL bytes at the start of `small`.
            let bytes = unsafe { std::slice::from_raw_parts(small.as_ptr().cast::<u8>(), size) };
            return Ok(Some(bytes.to_vec()));
        }
        let mut capacity = SMALL;
        while status == sys::KVPS_INVALID_ARGUMENT && size > capacity {
            capacity = size;
            let mut value = Vec::<u8>::with_capacity(capacity);
            status = self.get_into_raw(key, value.as_mut_ptr(), capacity, &mut size);
            if status == sys::KVPS_OK {
                // SAFETY: the library wrote `size` <= capacity bytes at the start of `value`.
                unsafe { value.set_len(size) };
                return Ok(Some(value));
            }
            // Too small again: the value grew meanwhile; again at its new size.
        }
        match status {
            sys::KVPS_NOT_FOUND => Ok(None),
            _ => Err(failure(status)),
        }
    }

    /// `kvps_get_into` from offset 0 into `capacity` writable bytes at `buffer`.
    fn get_into_raw(
        &self,
        key: &CStr,
        buffer: *mut u8,
        capacity: usize,
        size: &mut usize,
    ) -> sys::kvps_status {
        // SAFETY: key is NUL-terminated; buffer has `capacity` writable bytes for the call and
        // the library writes at most that many; size is written on KVPS_OK or too small.
        unsafe { sys::kvps_get_into(self.ptr(), key.as_ptr(), 0, buffer.cast(), capacity, size) }
    }

    pub(crate) fn get_range(
        &self,
        key: &CStr,
        offset: u64,
        length: u64,
    ) -> Result<Option<Vec<u8>>> {
        let mut data = ptr::null_mut();
        let mut size = 0;
        // SAFETY: key is NUL-terminated; data and size are written only on KVPS_OK.
        let status = unsafe {
            if offset == 0 && length == sys::KVPS_TO_END {
                sys::kvps_get(self.ptr(), key.as_ptr(), &mut data, &mut size)
            } else {
                sys::kvps_get_range(
                    self.ptr(),
                    key.as_ptr(),
                    offset,
                    length,
                    &mut data,
                    &mut size,
                )
            }
        };
        match status {
            sys::KVPS_OK => Ok(Some(take_buffer(data, size))),
            sys::KVPS_NOT_FOUND => Ok(None),
            _ => Err(failure(status)),
        }
    }

    pub(crate) fn stat(&self, key: &CStr) -> Result<Option<RawStat>> {
        let mut info = sys::kvps_stat_info::INIT;
        // SAFETY: key is NUL-terminated; info is initialized as KVPS_STAT_INIT does.
        let status = unsafe { sys::kvps_stat(self.ptr(), key.as_ptr(), &mut info) };
        match status {
            sys::KVPS_OK => Ok(Some(raw_stat(&info))),
            sys::KVPS_NOT_FOUND => Ok(None),
            _ => Err(failure(status)),
        }
    }

    // ---- conditional writes, content type, metadata, copy and rename

    pub(crate) fn put_with(&self, key: &CStr, data: &[u8], options: &RawPutOptions) -> Result<()> {
        // SAFETY: key is NUL-terminated, data readable, options points to owned live storage.
        check(unsafe {
            sys::kvps_put_with(
                self.ptr(),
                key.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                &options.c,
            )
        })
    }

    pub(crate) fn get_with(&self, key: &CStr) -> Result<Option<(Vec<u8>, RawStat)>> {
        let mut data = ptr::null_mut();
        let mut size = 0;
        let mut info = sys::kvps_stat_info::INIT;
        // SAFETY: key is NUL-terminated; data, size and info are written only on KVPS_OK.
        let status = unsafe {
            sys::kvps_get_with(self.ptr(), key.as_ptr(), &mut data, &mut size, &mut info)
        };
        match status {
            sys::KVPS_OK => Ok(Some((take_buffer(data, size), raw_stat(&info)))),
            sys::KVPS_NOT_FOUND => Ok(None),
            _ => Err(failure(status)),
        }
    }

    /// kvps_copy, or kvps_rename when `rename`.
    pub(crate) fn copy(
        &self,
        from: &CStr,
        to: &CStr,
        options: &RawPutOptions,
        rename: bool,
    ) -> Result<()> {
        // SAFETY: both keys NUL-terminated; options points to owned live storage.
        check(unsafe {
            if rename {
                sys::kvps_rename(self.ptr(), from.as_ptr(), to.as_ptr(), &options.c)
            } else {
                sys::kvps_copy(self.ptr(), from.as_ptr(), to.as_ptr(), &options.c)
            }
        })
    }

    pub(crate) fn delete(&self, key: &CStr) -> Result<()> {
        // SAFETY: key is NUL-terminated and borrowed for the call.
        check(unsafe { sys::kvps_delete(self.ptr(), key.as_ptr()) })
    }

    // ---- reads into the caller's memory, presigned URLs, listing by level

    /// `Ok(Some(n))`: n bytes copied; `Ok(None)`: no such key; a buffer too small is an
    /// `InvalidArgument` error and `needed` receives the size it takes (nothing is copied).
    pub(crate) fn get_into(
        &self,
        key: &CStr,
        offset: u64,
        buffer: &mut [u8],
        needed: &mut usize,
    ) -> Result<Option<usize>> {
        let mut size = 0;
        // SAFETY: key is NUL-terminated; buffer is writable for buffer.len() bytes for the
        // duration of the call, and the library writes at most that many.
        let status = unsafe {
            sys::kvps_get_into(
                self.ptr(),
                key.as_ptr(),
                offset,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut size,
            )
        };
        match status {
            sys::KVPS_OK => Ok(Some(size)),
            sys::KVPS_NOT_FOUND => Ok(None),
            _ => {
                if status == sys::KVPS_INVALID_ARGUMENT && size > buffer.len() {
                    *needed = size;
                }
                Err(failure(status))
            }
        }
    }

    pub(crate) fn presign(
        &self,
        key: &CStr,
        method: &CStr,
        expires_seconds: u64,
    ) -> Result<String> {
        let mut url: *mut c_char = ptr::null_mut();
        // SAFETY: key and method are NUL-terminated; url is written only on KVPS_OK, with a
        // NUL-terminated string we free once.
        let status = unsafe {
            sys::kvps_presign(
                self.ptr(),
                key.as_ptr(),
                method.as_ptr(),
                expires_seconds,
                &mut url,
            )
        };
        check(status)?;
        let text = text(url);
        // SAFETY: url came from the library and is freed exactly once.
        unsafe { sys::kvps_free(url.cast()) };
        Ok(text)
    }

    /// One page of kvps_list_with: entries, common prefixes and the next cursor.
    pub(crate) fn list_level_page(
        &self,
        prefix: &CStr,
        delimiter: Option<&CStr>,
        start_after: Option<&CStr>,
        cursor: Option<&CStr>,
        page_size: usize,
    ) -> Result<(Vec<RawEntry>, Vec<String>, Option<CString>)> {
        let options = sys::kvps_list_options {
            prefix: prefix.as_ptr(),
            cursor: nullable(cursor),
            start_after: nullable(start_after),
            delimiter: nullable(delimiter),
            page_size,
            ..sys::kvps_list_options::INIT
        };
        let mut page = ptr::null_mut();
        // SAFETY: every string in options is NUL-terminated or NULL and outlives the call;
        // page is written only on KVPS_OK.
        check(unsafe { sys::kvps_list_with(self.ptr(), &options, &mut page) })?;
        if page.is_null() {
            return Err(Error::new(
                ErrorKind::Internal,
                "kvps_list_with returned no page",
            ));
        }
        let page = PageGuard(page);
        // SAFETY: page is valid until the guard frees it; everything is copied before that.
        unsafe {
            let entries = (0..sys::kvps_list_page_count(page.0))
                .map(|i| page_entry(page.0, i))
                .collect::<Result<Vec<_>>>()?;
            let prefixes = (0..sys::kvps_list_page_prefix_count(page.0))
                .map(|i| text(sys::kvps_list_page_prefix(page.0, i)))
                .collect();
            let cursor = sys::kvps_list_page_cursor(page.0);
            let cursor = (!cursor.is_null()).then(|| CStr::from_ptr(cursor).to_owned());
            Ok((entries, prefixes, cursor))
        }
    }

    pub(crate) fn list_page(
        &self,
        prefix: &CStr,
        cursor: Option<&CStr>,
        page_size: usize,
    ) -> Result<(Vec<RawEntry>, Option<CString>)> {
        let mut page = ptr::null_mut();
        // SAFETY: prefix and cursor are NUL-terminated (cursor may be NULL); page is written
        // only on KVPS_OK.
        let status = unsafe {
            sys::kvps_list(
                self.ptr(),
                prefix.as_ptr(),
                nullable(cursor),
                page_size,
                &mut page,
            )
        };
        check(status)?;
        if page.is_null() {
            return Err(Error::new(
                ErrorKind::Internal,
                "kvps_list returned no page",
            ));
        }
        read_page(PageGuard(page))
    }

    pub(crate) fn put_many(&self, keys: &[&CStr], values: &[&[u8]]) -> BatchOutcome {
        assert_eq!(keys.len(), values.len());
        let key_ptrs = key_pointers(keys);
        let data: Vec<*const c_void> = values.iter().map(|v| v.as_ptr().cast()).collect();
        let sizes: Vec<usize> = values.iter().map(|v| v.len()).collect();
        let mut statuses = vec![UNTOUCHED; keys.len()];
        // SAFETY: every array has keys.len() elements; keys are NUL-terminated and each data
        // pointer has sizes[i] readable bytes, all borrowed for the call.
        let status = unsafe {
            sys::kvps_put_many(
                self.ptr(),
                keys.len(),
                key_ptrs.as_ptr(),
                data.as_ptr(),
                sizes.as_ptr(),
                statuses.as_mut_ptr(),
            )
        };
        batch_outcome(status, statuses)
    }

    /// Batch get: the outcome, and each item's value where its status is KVPS_OK.
    pub(crate) fn get_many(&self, keys: &[&CStr]) -> (BatchOutcome, Vec<Option<Vec<u8>>>) {
        let key_ptrs = key_pointers(keys);
        let mut data = vec![ptr::null_mut::<c_void>(); keys.len()];
        let mut sizes = vec![0usize; keys.len()];
        let mut statuses = vec![UNTOUCHED; keys.len()];
        // SAFETY: every array has keys.len() elements; keys are NUL-terminated.
        let status = unsafe {
            sys::kvps_get_many(
                self.ptr(),
                keys.len(),
                key_ptrs.as_ptr(),
                data.as_mut_ptr(),
                sizes.as_mut_ptr(),
                statuses.as_mut_ptr(),
            )
        };
        let outcome = batch_outcome(status, statuses);
        // Take every buffer the library handed out, so none leaks.
        let values = data
            .into_iter()
            .zip(sizes)
            .zip(&outcome.statuses)
            .map(|((d, size), s)| {
                let bytes = take_buffer(d, size);
                (*s == Some(sys::KVPS_OK)).then_some(bytes)
            })
            .collect();
        (outcome, values)
    }

    pub(crate) fn delete_many(&self, keys: &[&CStr]) -> BatchOutcome {
        let key_ptrs = key_pointers(keys);
        let mut statuses = vec![UNTOUCHED; keys.len()];
        // SAFETY: both arrays have keys.len() elements; keys are NUL-terminated.
        let status = unsafe {
            sys::kvps_delete_many(
                self.ptr(),
                keys.len(),
                key_ptrs.as_ptr(),
                statuses.as_mut_ptr(),
            )
        };
        batch_outcome(status, statuses)
    }

    /// A reader over `length` bytes from `offset`, or `None` for a missing key.
    pub(crate) fn reader(
        &self,
        key: &CStr,
        offset: u64,
        length: u64,
    ) -> Result<Option<ReaderHandle<'_>>> {
        let mut out = ptr::null_mut();
        // SAFETY: key is NUL-terminated; out is written only on KVPS_OK.
        let status =
            unsafe { sys::kvps_reader_open(self.ptr(), key.as_ptr(), offset, length, &mut out) };
        match status {
            sys::KVPS_OK => NonNull::new(out)
                .map(|ptr| {
                    Some(ReaderHandle {
                        ptr,
                        _store: PhantomData,
                    })
                })
                .ok_or_else(|| Error::new(ErrorKind::Internal, "kvps_reader_open gave NULL")),
            sys::KVPS_NOT_FOUND => Ok(None),
            _ => Err(failure(status)),
        }
    }

    pub(crate) fn writer(&self, key: &CStr) -> Result<WriterHandle<'_>> {
        self.writer_with(key, None)
    }

    /// A writer; with options, their etag_out buffer must outlive the commit (the caller keeps
    /// the RawPutOptions beside the handle).
    pub(crate) fn writer_with(
        &self,
        key: &CStr,
        options: Option<&RawPutOptions>,
    ) -> Result<WriterHandle<'_>> {
        let mut out = ptr::null_mut();
        // SAFETY: key is NUL-terminated; out is written only on KVPS_OK; options (copied by
        // the library, but for etag_out) lives as long as the writer.
        check(unsafe {
            match options {
                None => sys::kvps_writer_open(self.ptr(), key.as_ptr(), &mut out),
                Some(o) => sys::kvps_writer_open_with(self.ptr(), key.as_ptr(), &o.c, &mut out),
            }
        })?;
        NonNull::new(out)
            .map(|ptr| WriterHandle {
                ptr,
                _store: PhantomData,
            })
            .ok_or_else(|| Error::new(ErrorKind::Internal, "kvps_writer_open gave NULL"))
    }
}

/// Frees a list page when the function that fetched it returns, however it returns.
/// The entries and the next cursor of a page, copied out before the guard frees it.
fn read_page(page: PageGuard) -> Result<(Vec<RawEntry>, Option<CString>)> {
    // SAFETY: page is a valid page until the guard frees it at the end of this function;
    // entries and the cursor are copied before that.
    unsafe {
        let entries = (0..sys::kvps_list_page_count(page.0))
            .map(|i| page_entry(page.0, i))
            .collect::<Result<Vec<_>>>()?;
        let cursor = sys::kvps_list_page_cursor(page.0);
        let cursor = (!cursor.is_null()).then(|| CStr::from_ptr(cursor).to_owned());
        Ok((entries, cursor))
    }
}

struct PageGuard(*mut sys::kvps_list_page);

impl Drop for PageGuard {
    fn drop(&mut self) {
        // SAFETY: the page came from kvps_list and is freed once.
        unsafe { sys::kvps_list_page_free(self.0) }
    }
}

// ------------------------------------------------------------------ blobs

/// One reference to a `kvps_blob`, dropped with `kvps_blob_free`.
pub(crate) struct BlobHandle(NonNull<sys::kvps_blob>);

// SAFETY: the header says blob handles may be used, shared and freed from any thread, and the
// bytes never change while a reference lives (a wrapped Vec is owned by its blob).
unsafe impl Send for BlobHandle {}
// SAFETY: as above; the only access through &self is reading the immutable bytes.
unsafe impl Sync for BlobHandle {}

/// Frees the `Box<Vec<u8>>` that `BlobHandle::from_vec` gave the library as `user`.
extern "C" fn release_vec(user: *mut c_void) {
    // SAFETY: `user` came from Box::into_raw in from_vec, and the library calls this once.
    drop(unsafe { Box::from_raw(user.cast::<Vec<u8>>()) });
}

impl BlobHandle {
    fn wrap(data: &[u8], release: sys::kvps_release_fn, user: *mut c_void) -> Result<BlobHandle> {
        let mut out = ptr::null_mut();
        // SAFETY: data has data.len() readable bytes that stay valid and unchanged until
        // release(user) (or forever, with no release); out is written on KVPS_OK.
        check(unsafe {
            sys::kvps_blob_wrap(data.as_ptr().cast(), data.len(), release, user, &mut out)
        })?;
        Ok(BlobHandle(non_null(out)?))
    }

    /// The Vec's own buffer, no copy: the library frees the Vec when its last reference goes.
    pub(crate) fn from_vec(value: Vec<u8>) -> Result<BlobHandle> {
        let boxed = Box::new(value);
        // A Vec's buffer does not move when the Vec (its three words) is moved into the box.
        let data: *const [u8] = boxed.as_slice();
        let user = Box::into_raw(boxed).cast::<c_void>();
        // SAFETY: `data` points into the Vec now owned by `user`, alive until release_vec.
        match BlobHandle::wrap(unsafe { &*data }, Some(release_vec), user) {
            Ok(blob) => Ok(blob),
            Err(error) => {
                // SAFETY: the wrap failed, so the library took nothing: `user` is still ours.
                drop(unsafe { Box::from_raw(user.cast::<Vec<u8>>()) });
                Err(error)
            }
        }
    }

    pub(crate) fn from_static(value: &'static [u8]) -> Result<BlobHandle> {
        BlobHandle::wrap(value, None, ptr::null_mut())
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: a valid blob: its data (never NULL) has size readable bytes, immutable and
        // alive while this reference is.
        unsafe {
            std::slice::from_raw_parts(
                sys::kvps_blob_data(self.0.as_ptr()).cast::<u8>(),
                sys::kvps_blob_size(self.0.as_ptr()),
            )
        }
    }

    pub(crate) fn ptr(&self) -> *const sys::kvps_blob {
        self.0.as_ptr()
    }
}

impl Clone for BlobHandle {
    fn clone(&self) -> BlobHandle {
        // SAFETY: a valid blob; the result is a new handle we own.
        match NonNull::new(unsafe { sys::kvps_blob_share(self.0.as_ptr()) }) {
            Some(p) => BlobHandle(p),
            None => std::alloc::handle_alloc_error(std::alloc::Layout::new::<usize>()),
        }
    }
}

impl Drop for BlobHandle {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { sys::kvps_blob_free(self.0.as_ptr()) }
    }
}

/// A handle the library returned on KVPS_OK, which is never NULL.
fn non_null<T>(p: *mut T) -> Result<NonNull<T>> {
    NonNull::new(p).ok_or_else(|| Error::new(ErrorKind::Internal, "the library returned NULL"))
}

impl StoreHandle {
    pub(crate) fn put_blob(&self, key: &CStr, blob: &BlobHandle) -> Result<()> {
        // SAFETY: key is NUL-terminated; blob is a valid handle, borrowed for the call.
        check(unsafe { sys::kvps_put_blob(self.ptr(), key.as_ptr(), blob.ptr()) })
    }

    pub(crate) fn get_blob(&self, key: &CStr) -> Result<Option<BlobHandle>> {
        let mut out = ptr::null_mut();
        // SAFETY: key is NUL-terminated; out is written on KVPS_OK with a handle we own.
        let status = unsafe { sys::kvps_get_blob(self.ptr(), key.as_ptr(), &mut out) };
        if status == sys::KVPS_NOT_FOUND {
            return Ok(None);
        }
        check(status)?;
        Ok(Some(BlobHandle(non_null(out)?)))
    }
}

// ------------------------------------------------------------------ streams

/// An open `kvps_reader` borrowing its store, closed on drop.
pub(crate) struct ReaderHandle<'s> {
    ptr: NonNull<sys::kvps_reader>,
    _store: PhantomData<&'s StoreHandle>,
}

// SAFETY: a reader belongs to one thread at a time; &mut self methods and the absence of Sync
// guarantee that, and moving it to another thread is allowed.
unsafe impl Send for ReaderHandle<'_> {}

impl ReaderHandle<'_> {
    pub(crate) fn read(&mut self, buffer: &mut [u8]) -> Result<usize> {
        let mut n = 0;
        // SAFETY: buffer has buffer.len() writable bytes; n is written on KVPS_OK.
        check(unsafe {
            sys::kvps_reader_read(
                self.ptr.as_ptr(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut n,
            )
        })?;
        // Never trust a count larger than the buffer.
        Ok(n.min(buffer.len()))
    }

    /// Up to max bytes as a blob; None at the end of the range.
    pub(crate) fn read_blob(&mut self, max: usize) -> Result<Option<BlobHandle>> {
        let mut out = ptr::null_mut();
        // SAFETY: a valid reader used from one thread; out is NULL or a handle we own.
        check(unsafe { sys::kvps_reader_read_blob(self.ptr.as_ptr(), max, &mut out) })?;
        Ok(NonNull::new(out).map(BlobHandle))
    }

    pub(crate) fn seek(&mut self, offset: u64) -> Result<()> {
        // SAFETY: a valid reader used from one thread.
        check(unsafe { sys::kvps_reader_seek(self.ptr.as_ptr(), offset) })
    }

    pub(crate) fn value_size(&self) -> u64 {
        // SAFETY: a valid reader.
        unsafe { sys::kvps_reader_value_size(self.ptr.as_ptr()) }
    }
}

impl Drop for ReaderHandle<'_> {
    fn drop(&mut self) {
        // SAFETY: owned, closed once, before its store (it borrows it).
        unsafe { sys::kvps_reader_close(self.ptr.as_ptr()) }
    }
}

/// An open `kvps_writer` borrowing its store; aborted on drop unless committed.
pub(crate) struct WriterHandle<'s> {
    ptr: NonNull<sys::kvps_writer>,
    _store: PhantomData<&'s StoreHandle>,
}

// SAFETY: as for ReaderHandle: one thread at a time, movable between threads.
unsafe impl Send for WriterHandle<'_> {}

impl WriterHandle<'_> {
    pub(crate) fn write(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: data has data.len() readable bytes, copied by the library.
        check(unsafe {
            sys::kvps_writer_write(self.ptr.as_ptr(), data.as_ptr().cast(), data.len())
        })
    }

    pub(crate) fn write_blob(&mut self, blob: &BlobHandle) -> Result<()> {
        // SAFETY: a valid writer and blob; the library takes its own reference if it keeps it.
        check(unsafe { sys::kvps_writer_write_blob(self.ptr.as_ptr(), blob.ptr()) })
    }

    /// Commits, which frees the writer whatever the result.
    pub(crate) fn commit(self) -> Result<()> {
        let ptr = self.ptr.as_ptr();
        std::mem::forget(self); // the commit frees it; Drop must not abort it too
                                // SAFETY: a valid writer, freed by this call and never used again.
        check(unsafe { sys::kvps_writer_commit(ptr) })
    }
}

impl Drop for WriterHandle<'_> {
    fn drop(&mut self) {
        // SAFETY: owned and not committed (commit forgets self); freed once.
        unsafe { sys::kvps_writer_abort(self.ptr.as_ptr()) }
    }
}

// ------------------------------------------------------------------ backends

/// A registered backend's description, in the library's static storage.
#[derive(Clone, Copy)]
pub(crate) struct BackendRef(&'static sys::kvps_backend_info);

/// One declared option of a backend, in the library's static storage.
#[derive(Clone, Copy)]
pub(crate) struct OptionRef(&'static sys::kvps_option_info);

fn backend_ref(p: *const sys::kvps_backend_info) -> Option<BackendRef> {
    // SAFETY: backend descriptions are static storage valid for the life of the process.
    unsafe { p.as_ref() }.map(BackendRef)
}

pub(crate) fn backend_count() -> usize {
    // SAFETY: no arguments; thread-safe.
    unsafe { sys::kvps_backend_count() }
}

pub(crate) fn backend_at(i: usize) -> Option<BackendRef> {
    // SAFETY: any index is allowed; out of range gives NULL.
    backend_ref(unsafe { sys::kvps_backend_at(i) })
}

pub(crate) fn backend_find(scheme: &CStr) -> Option<BackendRef> {
    // SAFETY: scheme is NUL-terminated and borrowed for the call.
    backend_ref(unsafe { sys::kvps_backend_find(scheme.as_ptr()) })
}

impl BackendRef {
    pub(crate) fn name(self) -> String {
        text(self.0.name)
    }

    pub(crate) fn description(self) -> String {
        text(self.0.description)
    }

    pub(crate) fn schemes(self) -> Vec<String> {
        if self.0.schemes.is_null() {
            return Vec::new();
        }
        // SAFETY: `schemes` points to scheme_count string pointers in static storage.
        let schemes = unsafe { std::slice::from_raw_parts(self.0.schemes, self.0.scheme_count) };
        schemes.iter().map(|&s| text(s)).collect()
    }

    pub(crate) fn capabilities(self) -> u64 {
        self.0.capabilities
    }

    pub(crate) fn options(self) -> Vec<OptionRef> {
        (0..self.0.option_count)
            .filter_map(|i| {
                // SAFETY: self.0 is a backend from the registry; out of range gives NULL.
                let p = unsafe { sys::kvps_backend_option(self.0, i) };
                // SAFETY: option descriptions are static storage.
                unsafe { p.as_ref() }.map(OptionRef)
            })
            .collect()
    }
}

impl OptionRef {
    pub(crate) fn name(self) -> String {
        text(self.0.name)
    }

    pub(crate) fn type_code(self) -> sys::kvps_option_type {
        self.0.type_
    }

    pub(crate) fn default_value(self) -> Option<String> {
        (!self.0.default_value.is_null()).then(|| text(self.0.default_value))
    }

    pub(crate) fn required(self) -> bool {
        self.0.required != 0
    }

    pub(crate) fn description(self) -> String {
        text(self.0.description)
    }
}

// ------------------------------------------------------------------ logging

/// The Rust logger the C trampoline forwards to: (level, line).
pub(crate) type LogFn = dyn Fn(sys::kvps_log_level, &str) + Send + Sync;

static LOGGER: std::sync::RwLock<Option<std::sync::Arc<LogFn>>> = std::sync::RwLock::new(None);

fn current_logger() -> Option<std::sync::Arc<LogFn>> {
    LOGGER.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Called by the library from any thread. A panic in the Rust logger is caught here: it must
/// never unwind into C.
unsafe extern "C" fn log_trampoline(
    _user: *mut c_void,
    level: sys::kvps_log_level,
    line: *const c_char,
) {
    let _ = std::panic::catch_unwind(|| {
        if let Some(logger) = current_logger() {
            // `line` is valid for the duration of this call; text() copies it.
            logger(level, &text(line));
        }
    });
}

/// Installs (or with `None` removes) the process-wide logger.
pub(crate) fn set_logger(logger: Option<std::sync::Arc<LogFn>>, max_level: sys::kvps_log_level) {
    let enabled = logger.is_some();
    // Publish the logger before the library can call the trampoline; on removal the
    // trampoline finds None and does nothing.
    *LOGGER.write().unwrap_or_else(|e| e.into_inner()) = logger;
    let callback: sys::kvps_log_fn = if enabled { Some(log_trampoline) } else { None };
    // SAFETY: the trampoline is a valid function for the life of the process and ignores
    // `user`; kvps_set_logger is thread-safe.
    unsafe { sys::kvps_set_logger(callback, ptr::null_mut(), max_level) }
}
