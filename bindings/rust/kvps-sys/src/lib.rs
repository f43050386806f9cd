//! Raw declarations of the kvps C API (`include/kvps.h`), written by hand.
//!
//! Every item here mirrors the header one to one: same names, same values, same layouts. The
//! header's comments are the documentation of each function; they are not repeated here.
//! `tests/header.rs` parses the header and checks that the function signatures, enum values
//! and macros agree, and compiles a C file to compare struct sizes and field offsets.
//!
//! The library is found with pkg-config (`kvps.pc`), or built from this repository with CMake
//! when the `bundled` feature is on. Use the `kvps` crate for a safe API.

#![allow(non_camel_case_types, missing_docs)]
#![no_std]

use core::ffi::{c_char, c_int, c_uint, c_void};

// ------------------------------------------------------------------ Version

/// `KVPS_VERSION_MAJOR`.
pub const KVPS_VERSION_MAJOR: c_int = 0;
/// `KVPS_VERSION_MINOR`.
pub const KVPS_VERSION_MINOR: c_int = 1;
/// `KVPS_VERSION_PATCH`.
pub const KVPS_VERSION_PATCH: c_int = 0;
/// `KVPS_VERSION_STRING`, without the C string's NUL.
pub const KVPS_VERSION_STRING: &str = "0.1.0";
/// `KVPS_VERSION_NUMBER`: MAJOR * 10000 + MINOR * 100 + PATCH.
pub const KVPS_VERSION_NUMBER: c_int =
    KVPS_VERSION_MAJOR * 10000 + KVPS_VERSION_MINOR * 100 + KVPS_VERSION_PATCH;

// ------------------------------------------------------------------ Status and errors

/// `enum kvps_status`. A plain integer, not a Rust enum: the library may return values
/// appended after this crate was written, and an unknown value in a Rust enum is undefined
/// behaviour.
pub type kvps_status = c_uint;
/// Success.
pub const KVPS_OK: kvps_status = 0;
/// The key (or a store folder with create=false) does not exist.
pub const KVPS_NOT_FOUND: kvps_status = 1;
/// NULL where a value is required, a bad cursor, a bad size.
pub const KVPS_INVALID_ARGUMENT: kvps_status = 2;
/// The store URL cannot be parsed.
pub const KVPS_INVALID_URL: kvps_status = 3;
/// No backend registered for the URL's scheme.
pub const KVPS_UNKNOWN_SCHEME: kvps_status = 4;
/// Unknown option, missing required one, or a mistyped value.
pub const KVPS_INVALID_OPTION: kvps_status = 5;
/// Empty, too long, not UTF-8, control characters, escaping.
pub const KVPS_INVALID_KEY: kvps_status = 6;
/// The OS or the server refused access.
pub const KVPS_PERMISSION_DENIED: kvps_status = 7;
/// A condition on the value did not hold.
pub const KVPS_PRECONDITION_FAILED: kvps_status = 8;
/// A local I/O failure.
pub const KVPS_IO: kvps_status = 9;
/// The server could not be reached or the connection broke.
pub const KVPS_NETWORK: kvps_status = 10;
/// A deadline passed.
pub const KVPS_TIMEOUT: kvps_status = 11;
/// The server answered with an error not covered above.
pub const KVPS_REMOTE: kvps_status = 12;
/// The backend cannot do this operation.
pub const KVPS_UNSUPPORTED: kvps_status = 13;
/// An allocation failed.
pub const KVPS_NO_MEMORY: kvps_status = 14;
/// A bug in kvps.
pub const KVPS_INTERNAL: kvps_status = 15;
/// The disk or the quota is full.
pub const KVPS_NO_SPACE: kvps_status = 16;
/// The operation was cancelled.
pub const KVPS_CANCELLED: kvps_status = 17;
/// A write's answer was lost: the new value may or may not be in place (never a mix).
pub const KVPS_OUTCOME_UNKNOWN: kvps_status = 18;
/// A stored value failed its checksum: no wrong bytes were returned.
pub const KVPS_CORRUPT: kvps_status = 19;
/// No credentials were found where the backend looked.
pub const KVPS_NO_CREDENTIALS: kvps_status = 20;

// ------------------------------------------------------------------ Store

/// Opaque `kvps_store`.
#[repr(C)]
pub struct kvps_store {
    _private: [u8; 0],
}

/// `struct kvps_option`: one option given outside the URL.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvps_option {
    pub name: *const c_char,
    pub value: *const c_char,
}

/// Ranges read without fetching the whole value.
pub const KVPS_CAP_RANGE: u64 = 1 << 0;
/// Readers stream in constant memory.
pub const KVPS_CAP_READ_STREAM: u64 = 1 << 1;
/// Writers stream in constant memory.
pub const KVPS_CAP_WRITE_STREAM: u64 = 1 << 2;
/// Listing is supported.
pub const KVPS_CAP_LIST: u64 = 1 << 3;
/// Batch calls run natively.
pub const KVPS_CAP_BATCH: u64 = 1 << 4;
/// Values outlive the process.
pub const KVPS_CAP_PERSISTENT: u64 = 1 << 5;
/// Other processes see the same values.
pub const KVPS_CAP_SHARED: u64 = 1 << 6;
/// Blobs are kept and handed back without a copy (`kvps_put_blob`, `kvps_get_blob`).
pub const KVPS_CAP_ZERO_COPY: u64 = 1 << 7;

// ------------------------------------------------------------------ Values

/// Largest key in bytes.
pub const KVPS_KEY_MAX: usize = 1024;
/// A length meaning "up to the end of the value".
pub const KVPS_TO_END: u64 = u64::MAX;
/// Largest etag in bytes, including its NUL.
pub const KVPS_ETAG_MAX: usize = 128;
/// Largest content type in bytes, including its NUL.
pub const KVPS_CONTENT_TYPE_MAX: usize = 256;
/// Most bytes of user metadata (names counted with their "x-amz-meta-" prefix, and values).
pub const KVPS_METADATA_MAX: usize = 2048;
/// The `version` that `KVPS_STAT_INIT` sets.
pub const KVPS_STAT_VERSION: c_uint = 2;

/// `struct kvps_stat_info`. Create it with [`kvps_stat_info::INIT`] (`KVPS_STAT_INIT`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct kvps_stat_info {
    pub version: c_uint,
    pub size: u64,
    pub mtime_ns: i64,
    pub etag: [c_char; KVPS_ETAG_MAX],
    // version 2
    pub content_type: [c_char; KVPS_CONTENT_TYPE_MAX],
    pub metadata_count: usize,
    pub metadata: [c_char; 3 * KVPS_METADATA_MAX],
}

impl kvps_stat_info {
    /// `KVPS_STAT_INIT`.
    pub const INIT: kvps_stat_info = kvps_stat_info {
        version: KVPS_STAT_VERSION,
        size: 0,
        mtime_ns: 0,
        etag: [0; KVPS_ETAG_MAX],
        content_type: [0; KVPS_CONTENT_TYPE_MAX],
        metadata_count: 0,
        metadata: [0; 3 * KVPS_METADATA_MAX],
    };
}

/// The `version` that `KVPS_PUT_OPTIONS_INIT` sets.
pub const KVPS_PUT_OPTIONS_VERSION: c_uint = 1;

/// `struct kvps_put_options`. Create it with [`kvps_put_options::INIT`].
#[repr(C)]
#[derive(Clone, Copy)]
pub struct kvps_put_options {
    pub version: c_uint,
    pub create_only: c_int,
    pub if_match: *const c_char,
    pub content_type: *const c_char,
    pub metadata: *const kvps_option,
    pub metadata_count: usize,
    pub etag_out: *mut c_char,
}

impl kvps_put_options {
    /// `KVPS_PUT_OPTIONS_INIT`.
    pub const INIT: kvps_put_options = kvps_put_options {
        version: KVPS_PUT_OPTIONS_VERSION,
        create_only: 0,
        if_match: core::ptr::null(),
        content_type: core::ptr::null(),
        metadata: core::ptr::null(),
        metadata_count: 0,
        etag_out: core::ptr::null_mut(),
    };
}

// ------------------------------------------------------------------ Streams

/// Opaque `kvps_reader`.
#[repr(C)]
pub struct kvps_reader {
    _private: [u8; 0],
}

/// Opaque `kvps_writer`.
#[repr(C)]
pub struct kvps_writer {
    _private: [u8; 0],
}

// ------------------------------------------------------------------ Listing

/// `struct kvps_entry`: one listed value, owned by its page.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvps_entry {
    pub key: *const c_char,
    pub size: u64,
    pub mtime_ns: i64,
    pub etag: *const c_char,
}

/// Opaque `kvps_list_page`.
#[repr(C)]
pub struct kvps_list_page {
    _private: [u8; 0],
}

pub const KVPS_LIST_OPTIONS_VERSION: c_uint = 1;

/// `struct kvps_list_options`. Create it with [`kvps_list_options::INIT`]
/// (`KVPS_LIST_OPTIONS_INIT`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvps_list_options {
    pub version: c_uint,
    pub prefix: *const c_char,
    pub cursor: *const c_char,
    pub start_after: *const c_char,
    pub delimiter: *const c_char,
    pub page_size: usize,
}

impl kvps_list_options {
    /// `KVPS_LIST_OPTIONS_INIT`.
    pub const INIT: kvps_list_options = kvps_list_options {
        version: KVPS_LIST_OPTIONS_VERSION,
        prefix: core::ptr::null(),
        cursor: core::ptr::null(),
        start_after: core::ptr::null(),
        delimiter: core::ptr::null(),
        page_size: 0,
    };
}

// ------------------------------------------------------------------ Backends and options

/// `enum kvps_option_type`, as a plain integer for the same reason as [`kvps_status`].
pub type kvps_option_type = c_uint;
/// Any text.
pub const KVPS_OPTION_STRING: kvps_option_type = 0;
/// true/false, 1/0, yes/no, on/off.
pub const KVPS_OPTION_BOOL: kvps_option_type = 1;
/// Decimal, optionally signed.
pub const KVPS_OPTION_INTEGER: kvps_option_type = 2;
/// Bytes, with k/M/G/T suffixes.
pub const KVPS_OPTION_SIZE: kvps_option_type = 3;
/// 250ms, 30s, 5m, 1h; a bare number is seconds.
pub const KVPS_OPTION_DURATION: kvps_option_type = 4;
/// An absolute URL.
pub const KVPS_OPTION_URL: kvps_option_type = 5;
/// A string never shown in messages, logs or URLs.
pub const KVPS_OPTION_SECRET: kvps_option_type = 6;

/// `struct kvps_option_info`: one declared option of a backend (static storage).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvps_option_info {
    pub name: *const c_char,
    pub type_: kvps_option_type,
    pub default_value: *const c_char,
    pub required: c_int,
    pub description: *const c_char,
    /// Appended in 0.2: other accepted names of the option, `alias_count` of them.
    pub aliases: *const *const c_char,
    pub alias_count: usize,
}

/// `struct kvps_backend_info`: one registered backend (static storage).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvps_backend_info {
    pub name: *const c_char,
    pub description: *const c_char,
    pub schemes: *const *const c_char,
    pub scheme_count: usize,
    pub option_count: usize,
    pub capabilities: u64,
}

// ------------------------------------------------------------------ Logging

/// `enum kvps_log_level`, as a plain integer.
pub type kvps_log_level = c_uint;
/// Errors only.
pub const KVPS_LOG_ERROR: kvps_log_level = 0;
/// Warnings and errors.
pub const KVPS_LOG_WARN: kvps_log_level = 1;
/// One line per store operation.
pub const KVPS_LOG_INFO: kvps_log_level = 2;
/// One line per backend request.
pub const KVPS_LOG_DEBUG: kvps_log_level = 3;

/// `kvps_log_fn`: receives one log line, from any thread.
pub type kvps_log_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, level: kvps_log_level, line: *const c_char)>;

// ------------------------------------------------------------------ Blobs

/// Opaque `kvps_blob`: one reference to an immutable block of bytes.
#[repr(C)]
pub struct kvps_blob {
    _private: [u8; 0],
}

/// `kvps_release_fn`: called once when the last reference to a wrapped block is dropped, on
/// whichever thread drops it.
pub type kvps_release_fn = Option<unsafe extern "C" fn(user: *mut c_void)>;

// ------------------------------------------------------------------ Asynchronous operations

/// Opaque `kvps_op`: one asynchronous operation.
#[repr(C)]
pub struct kvps_op {
    _private: [u8; 0],
}

/// Opaque `kvps_queue`: a completion queue with a file descriptor.
#[repr(C)]
pub struct kvps_queue {
    _private: [u8; 0],
}

/// `kvps_op_fn`: called once when an operation completes, on a library thread.
pub type kvps_op_fn = Option<unsafe extern "C" fn(user: *mut c_void, op: *mut kvps_op)>;

pub const KVPS_ASYNC_OPTIONS_VERSION: c_uint = 1;

/// `struct kvps_async_options`. Create it with [`kvps_async_options::INIT`]
/// (`KVPS_ASYNC_OPTIONS_INIT`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kvps_async_options {
    pub version: c_uint,
    pub callback: kvps_op_fn,
    pub user: *mut c_void,
    pub queue: *mut kvps_queue,
    pub timeout_ms: u64,
}

impl kvps_async_options {
    /// `KVPS_ASYNC_OPTIONS_INIT`.
    pub const INIT: kvps_async_options = kvps_async_options {
        version: KVPS_ASYNC_OPTIONS_VERSION,
        callback: None,
        user: core::ptr::null_mut(),
        queue: core::ptr::null_mut(),
        timeout_ms: 0,
    };
}

// ------------------------------------------------------------------ Functions

extern "C" {
    pub fn kvps_version() -> *const c_char;
    pub fn kvps_version_number() -> c_int;

    pub fn kvps_status_name(status: kvps_status) -> *const c_char;
    pub fn kvps_last_error() -> *const c_char;
    pub fn kvps_last_item_error(i: usize) -> *const c_char;

    pub fn kvps_free(data: *mut c_void);

    pub fn kvps_open(url: *const c_char, out: *mut *mut kvps_store) -> kvps_status;
    pub fn kvps_open_with(
        url: *const c_char,
        options: *const kvps_option,
        n_options: usize,
        out: *mut *mut kvps_store,
    ) -> kvps_status;
    pub fn kvps_close(store: *mut kvps_store);
    pub fn kvps_store_url(store: *const kvps_store) -> *const c_char;
    pub fn kvps_capabilities(store: *const kvps_store) -> u64;

    pub fn kvps_put(
        store: *mut kvps_store,
        key: *const c_char,
        data: *const c_void,
        size: usize,
    ) -> kvps_status;
    pub fn kvps_get(
        store: *mut kvps_store,
        key: *const c_char,
        data: *mut *mut c_void,
        size: *mut usize,
    ) -> kvps_status;
    pub fn kvps_get_range(
        store: *mut kvps_store,
        key: *const c_char,
        offset: u64,
        length: u64,
        data: *mut *mut c_void,
        size: *mut usize,
    ) -> kvps_status;
    pub fn kvps_stat(
        store: *mut kvps_store,
        key: *const c_char,
        out: *mut kvps_stat_info,
    ) -> kvps_status;
    pub fn kvps_delete(store: *mut kvps_store, key: *const c_char) -> kvps_status;
    pub fn kvps_stat_metadata_at(
        info: *const kvps_stat_info,
        i: usize,
        name: *mut *const c_char,
        value: *mut *const c_char,
    ) -> kvps_status;
    pub fn kvps_stat_metadata_get(
        info: *const kvps_stat_info,
        name: *const c_char,
    ) -> *const c_char;
    pub fn kvps_put_with(
        store: *mut kvps_store,
        key: *const c_char,
        data: *const c_void,
        size: usize,
        options: *const kvps_put_options,
    ) -> kvps_status;
    pub fn kvps_get_with(
        store: *mut kvps_store,
        key: *const c_char,
        data: *mut *mut c_void,
        size: *mut usize,
        info: *mut kvps_stat_info,
    ) -> kvps_status;
    pub fn kvps_copy(
        store: *mut kvps_store,
        from: *const c_char,
        to: *const c_char,
        options: *const kvps_put_options,
    ) -> kvps_status;
    pub fn kvps_rename(
        store: *mut kvps_store,
        from: *const c_char,
        to: *const c_char,
        options: *const kvps_put_options,
    ) -> kvps_status;
    pub fn kvps_writer_open_with(
        store: *mut kvps_store,
        key: *const c_char,
        options: *const kvps_put_options,
        out: *mut *mut kvps_writer,
    ) -> kvps_status;

    pub fn kvps_reader_open(
        store: *mut kvps_store,
        key: *const c_char,
        offset: u64,
        length: u64,
        out: *mut *mut kvps_reader,
    ) -> kvps_status;
    pub fn kvps_reader_read(
        reader: *mut kvps_reader,
        buffer: *mut c_void,
        capacity: usize,
        n: *mut usize,
    ) -> kvps_status;
    pub fn kvps_reader_seek(reader: *mut kvps_reader, offset: u64) -> kvps_status;
    pub fn kvps_reader_value_size(reader: *const kvps_reader) -> u64;
    pub fn kvps_reader_close(reader: *mut kvps_reader);

    pub fn kvps_writer_open(
        store: *mut kvps_store,
        key: *const c_char,
        out: *mut *mut kvps_writer,
    ) -> kvps_status;
    pub fn kvps_writer_write(
        writer: *mut kvps_writer,
        data: *const c_void,
        size: usize,
    ) -> kvps_status;
    pub fn kvps_writer_commit(writer: *mut kvps_writer) -> kvps_status;
    pub fn kvps_writer_abort(writer: *mut kvps_writer);

    pub fn kvps_blob_wrap(
        data: *const c_void,
        size: usize,
        release: kvps_release_fn,
        user: *mut c_void,
        out: *mut *mut kvps_blob,
    ) -> kvps_status;
    pub fn kvps_blob_data(blob: *const kvps_blob) -> *const c_void;
    pub fn kvps_blob_size(blob: *const kvps_blob) -> usize;
    pub fn kvps_blob_share(blob: *const kvps_blob) -> *mut kvps_blob;
    pub fn kvps_blob_free(blob: *mut kvps_blob);
    pub fn kvps_blob_user(blob: *const kvps_blob, release: kvps_release_fn) -> *mut c_void;
    pub fn kvps_put_blob(
        store: *mut kvps_store,
        key: *const c_char,
        blob: *const kvps_blob,
    ) -> kvps_status;
    pub fn kvps_get_blob(
        store: *mut kvps_store,
        key: *const c_char,
        out: *mut *mut kvps_blob,
    ) -> kvps_status;
    pub fn kvps_writer_write_blob(writer: *mut kvps_writer, blob: *const kvps_blob) -> kvps_status;
    pub fn kvps_reader_read_blob(
        reader: *mut kvps_reader,
        max: usize,
        out: *mut *mut kvps_blob,
    ) -> kvps_status;

    pub fn kvps_list(
        store: *mut kvps_store,
        prefix: *const c_char,
        cursor: *const c_char,
        page_size: usize,
        out: *mut *mut kvps_list_page,
    ) -> kvps_status;
    pub fn kvps_list_page_count(page: *const kvps_list_page) -> usize;
    pub fn kvps_list_page_entry(page: *const kvps_list_page, i: usize) -> *const kvps_entry;
    pub fn kvps_list_page_cursor(page: *const kvps_list_page) -> *const c_char;
    pub fn kvps_list_page_free(page: *mut kvps_list_page);

    pub fn kvps_put_many(
        store: *mut kvps_store,
        n: usize,
        keys: *const *const c_char,
        data: *const *const c_void,
        sizes: *const usize,
        statuses: *mut kvps_status,
    ) -> kvps_status;
    pub fn kvps_get_many(
        store: *mut kvps_store,
        n: usize,
        keys: *const *const c_char,
        data: *mut *mut c_void,
        sizes: *mut usize,
        statuses: *mut kvps_status,
    ) -> kvps_status;
    pub fn kvps_delete_many(
        store: *mut kvps_store,
        n: usize,
        keys: *const *const c_char,
        statuses: *mut kvps_status,
    ) -> kvps_status;

    pub fn kvps_option_type_name(type_: kvps_option_type) -> *const c_char;
    pub fn kvps_backend_count() -> usize;
    pub fn kvps_backend_at(i: usize) -> *const kvps_backend_info;
    pub fn kvps_backend_find(scheme: *const c_char) -> *const kvps_backend_info;
    pub fn kvps_backend_option(
        backend: *const kvps_backend_info,
        i: usize,
    ) -> *const kvps_option_info;

    pub fn kvps_set_logger(fn_: kvps_log_fn, user: *mut c_void, max_level: kvps_log_level);

    pub fn kvps_get_into(
        store: *mut kvps_store,
        key: *const c_char,
        offset: u64,
        buffer: *mut c_void,
        capacity: usize,
        size: *mut usize,
    ) -> kvps_status;
    pub fn kvps_presign(
        store: *mut kvps_store,
        key: *const c_char,
        method: *const c_char,
        expires_seconds: u64,
        url: *mut *mut c_char,
    ) -> kvps_status;
    pub fn kvps_list_with(
        store: *mut kvps_store,
        options: *const kvps_list_options,
        out: *mut *mut kvps_list_page,
    ) -> kvps_status;
    pub fn kvps_list_page_prefix_count(page: *const kvps_list_page) -> usize;
    pub fn kvps_list_page_prefix(page: *const kvps_list_page, i: usize) -> *const c_char;

    pub fn kvps_get_async(
        store: *mut kvps_store,
        key: *const c_char,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_get_range_async(
        store: *mut kvps_store,
        key: *const c_char,
        offset: u64,
        length: u64,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_put_async(
        store: *mut kvps_store,
        key: *const c_char,
        data: *const c_void,
        size: usize,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_stat_async(
        store: *mut kvps_store,
        key: *const c_char,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_delete_async(
        store: *mut kvps_store,
        key: *const c_char,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_list_async(
        store: *mut kvps_store,
        list_options: *const kvps_list_options,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_op_done(op: *const kvps_op) -> c_int;
    pub fn kvps_op_wait(op: *mut kvps_op, timeout_ms: i64) -> c_int;
    pub fn kvps_op_status(op: *mut kvps_op) -> kvps_status;
    pub fn kvps_op_value(op: *mut kvps_op, data: *mut *mut c_void, size: *mut usize)
        -> kvps_status;
    pub fn kvps_op_stat(op: *mut kvps_op, out: *mut kvps_stat_info) -> kvps_status;
    pub fn kvps_op_page(op: *mut kvps_op, out: *mut *mut kvps_list_page) -> kvps_status;
    pub fn kvps_op_user(op: *const kvps_op) -> *mut c_void;
    pub fn kvps_op_cancel(op: *mut kvps_op);
    pub fn kvps_op_free(op: *mut kvps_op);
    pub fn kvps_queue_new(out: *mut *mut kvps_queue) -> kvps_status;
    pub fn kvps_queue_fd(queue: *const kvps_queue) -> c_int;
    pub fn kvps_queue_next(queue: *mut kvps_queue) -> *mut kvps_op;
    pub fn kvps_queue_free(queue: *mut kvps_queue);

    pub fn kvps_put_with_async(
        store: *mut kvps_store,
        key: *const c_char,
        data: *const c_void,
        size: usize,
        put_options: *const kvps_put_options,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_copy_async(
        store: *mut kvps_store,
        from: *const c_char,
        to: *const c_char,
        put_options: *const kvps_put_options,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_rename_async(
        store: *mut kvps_store,
        from: *const c_char,
        to: *const c_char,
        put_options: *const kvps_put_options,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_op_etag(op: *mut kvps_op, etag: *mut c_char) -> kvps_status;
    pub fn kvps_get_with_async(
        store: *mut kvps_store,
        key: *const c_char,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_put_many_async(
        store: *mut kvps_store,
        n: usize,
        keys: *const *const c_char,
        data: *const *const c_void,
        sizes: *const usize,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_get_many_async(
        store: *mut kvps_store,
        n: usize,
        keys: *const *const c_char,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_delete_many_async(
        store: *mut kvps_store,
        n: usize,
        keys: *const *const c_char,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_op_statuses(op: *mut kvps_op, statuses: *mut kvps_status) -> kvps_status;
    pub fn kvps_op_item_error(op: *mut kvps_op, i: usize) -> *const c_char;
    pub fn kvps_op_item_value(
        op: *mut kvps_op,
        i: usize,
        data: *mut *mut c_void,
        size: *mut usize,
    ) -> kvps_status;
    pub fn kvps_reader_open_async(
        store: *mut kvps_store,
        key: *const c_char,
        offset: u64,
        length: u64,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_reader_read_async(
        reader: *mut kvps_reader,
        buffer: *mut c_void,
        capacity: usize,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_writer_open_async(
        store: *mut kvps_store,
        key: *const c_char,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_writer_open_with_async(
        store: *mut kvps_store,
        key: *const c_char,
        put_options: *const kvps_put_options,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_writer_write_async(
        writer: *mut kvps_writer,
        data: *const c_void,
        size: usize,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_writer_commit_async(
        writer: *mut kvps_writer,
        options: *const kvps_async_options,
        op: *mut *mut kvps_op,
    ) -> kvps_status;
    pub fn kvps_op_reader(op: *mut kvps_op, out: *mut *mut kvps_reader) -> kvps_status;
    pub fn kvps_op_writer(op: *mut kvps_op, out: *mut *mut kvps_writer) -> kvps_status;
    pub fn kvps_op_count(op: *mut kvps_op, n: *mut usize) -> kvps_status;
}
