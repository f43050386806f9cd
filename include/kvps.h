/*
 * kvps.h: the one public header of kvps, a blob store chosen at run time by a URL.
 *
 *     kvps_store *s;
 *     if (kvps_open("file:///var/lib/app/store", &s) != KVPS_OK)
 *         fprintf(stderr, "%s\n", kvps_last_error());
 *     kvps_put(s, "greeting", "hello", 5);
 *     kvps_close(s);
 *
 * Conventions that hold for every function below unless its comment says otherwise:
 * - A function that can fail returns a kvps_status; KVPS_OK is 0. Results come back through
 *   out-parameters, which are listed last and are only written on KVPS_OK. The one exception
 *   is the batch calls' per-item arrays (statuses, and data/sizes of kvps_get_many), which
 *   are filled item by item whatever the call returns.
 * - Every call that returns a status sets this thread's kvps_last_error(): a message naming
 *   the culprit on failure, "" on KVPS_OK. KVPS_NOT_FOUND from a read is a result, not a
 *   failure: it sets "" too, so no earlier message survives.
 * - Inputs (keys, data, option strings) are borrowed for the duration of the call and copied
 *   if kept. Memory the library returns is freed with the matching kvps_*_free function.
 * - Closing or freeing NULL is a harmless no-op.
 * - Keys are non-empty UTF-8 of at most KVPS_KEY_MAX bytes without control characters
 *   (U+0000..U+001F, U+007F); anything else is KVPS_INVALID_KEY. Values are any bytes.
 * - A write (kvps_put, kvps_writer_commit, an item of kvps_put_many) that fails leaves the old
 *   value in place, with one exception, KVPS_OUTCOME_UNKNOWN. When a remote store loses the
 *   answer to a write, kvps checks what is in place before it reports (S3: a HEAD comparing
 *   the ETag with the MD5 of what was sent, or the multipart ETag computed from the parts; for
 *   a conditional write, a random write id kvps stores in the value's own metadata, since the
 *   bytes sent may have been in place before):
 *   KVPS_OK when the new value is in place; the failure's own status (KVPS_NETWORK,
 *   KVPS_TIMEOUT, ...) when it is not, and the old value (or another writer's) stays.
 *   KVPS_OUTCOME_UNKNOWN only when the check failed too or the store cannot tell (ETags that
 *   are not MD5s): the key then holds the old value or the new one, whole, never a mix, and
 *   nothing more is known; read the key, or write again (a put can always be repeated).
 *
 * Threading: a kvps_store is safe to use from many threads at once; close it only after
 * every other call on it returned. Readers, writers and list pages belong to one thread at a
 * time, and may outlive kvps_close of their store (see kvps_close). The global functions
 * (registry, logger, version) are thread-safe.
 *
 * ABI: the shared library is libkvps.so.0. Status codes are never renumbered; new ones are
 * appended. Structs the caller allocates carry a `version` field set by their _INIT macro, so
 * fields can be appended without breaking old callers. Structs the library returns are only
 * read through pointers and may grow at the end.
 */
#ifndef KVPS_H
#define KVPS_H

/* The public header is laid out by hand for its readers (aligned comments on the status codes
 * and struct members): clang-format leaves it as written. */
/* clang-format off */

#include <stddef.h>
#include <stdint.h>

#if defined(KVPS_BUILDING_LIBRARY)
#define KVPS_API __attribute__((visibility("default")))
#else
#define KVPS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================== Version */

#define KVPS_VERSION_MAJOR 0
#define KVPS_VERSION_MINOR 1
#define KVPS_VERSION_PATCH 0
#define KVPS_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, for compile-time comparisons. */
#define KVPS_VERSION_NUMBER (KVPS_VERSION_MAJOR * 10000 + KVPS_VERSION_MINOR * 100 + KVPS_VERSION_PATCH)

/* The version of the library linked at run time ("0.1.0"); static storage. */
KVPS_API const char *kvps_version(void);
/* The same as a number, comparable with KVPS_VERSION_NUMBER. */
KVPS_API int kvps_version_number(void);

/* ========================================================================== Status and errors */

typedef enum kvps_status {
    KVPS_OK = 0,
    KVPS_NOT_FOUND = 1,            /* the key (or a store folder with create=false) does not exist */
    KVPS_INVALID_ARGUMENT = 2,     /* NULL where a value is required, a bad cursor, a bad size */
    KVPS_INVALID_URL = 3,          /* the store URL cannot be parsed */
    KVPS_UNKNOWN_SCHEME = 4,       /* no backend registered for the URL's scheme */
    KVPS_INVALID_OPTION = 5,       /* unknown option, missing required one, or a mistyped value */
    KVPS_INVALID_KEY = 6,          /* empty, too long, not UTF-8, control characters, escaping */
    KVPS_PERMISSION_DENIED = 7,    /* the OS or the server refused access (bad credentials too) */
    KVPS_PRECONDITION_FAILED = 8,  /* a condition on the value did not hold */
    KVPS_IO = 9,                   /* a local I/O failure */
    KVPS_NETWORK = 10,             /* the server could not be reached or the connection broke */
    KVPS_TIMEOUT = 11,             /* a deadline passed */
    KVPS_REMOTE = 12,              /* the server answered with an error not covered above */
    KVPS_UNSUPPORTED = 13,         /* the backend cannot do this operation */
    KVPS_NO_MEMORY = 14,           /* an allocation failed */
    KVPS_INTERNAL = 15,            /* a bug in kvps: please report it with the message */
    KVPS_NO_SPACE = 16,            /* the disk or the quota is full */
    KVPS_CANCELLED = 17,           /* the operation was cancelled */
    KVPS_OUTCOME_UNKNOWN = 18,     /* a write's answer was lost: the new value may or may not be in
                                      place (never a mix); read the key to find out */
    KVPS_CORRUPT = 19,             /* a stored value failed its checksum: no wrong bytes were returned */
    KVPS_NO_CREDENTIALS = 20       /* no credentials were found where the backend looked (the
                                      message lists the places, in order) */
} kvps_status;

/* The enumerator's name, e.g. "KVPS_NOT_FOUND"; "KVPS_UNKNOWN_STATUS" for other values.
 * Static storage. */
KVPS_API const char *kvps_status_name(kvps_status status);

/* This thread's message for its last failed call. Never NULL ("" when there was none);
 * owned by the library and valid until this thread's next kvps call. It names the culprit
 * (the key, the option, the scheme, the server's error code and request id) and never
 * contains a secret. */
KVPS_API const char *kvps_last_error(void);

/* ========================================================================== Buffers */

/* Frees memory the library returned through a void ** out-parameter (kvps_get,
 * kvps_get_range, kvps_get_many), and the URL of kvps_presign. */
KVPS_API void kvps_free(void *data);

/* ========================================================================== Store */

typedef struct kvps_store kvps_store;

/* An option given outside the URL, e.g. {"secret_access_key", "..."} for secrets that should
 * not be in a URL. Names are case-insensitive. */
typedef struct kvps_option {
    const char *name;
    const char *value;
} kvps_option;

/* Opens the store a URL names: scheme://authority/path?name=value&... The scheme picks the
 * backend (see kvps_backend_count). Query parameters are options of that backend, validated
 * against its declared types before the backend sees them.
 * Errors: KVPS_INVALID_URL, KVPS_UNKNOWN_SCHEME (the message lists the known schemes),
 * KVPS_INVALID_OPTION (names the option and the valid ones), and whatever opening the backend
 * gives (KVPS_NOT_FOUND, KVPS_PERMISSION_DENIED, KVPS_IO, ...). *out is set only on KVPS_OK. */
KVPS_API kvps_status kvps_open(const char *url, kvps_store **out);

/* kvps_open with n_options more options given as name/value pairs (copied). An option given
 * here overrides the same option in the URL. options may be NULL when n_options is 0. */
KVPS_API kvps_status kvps_open_with(const char *url, const kvps_option *options, size_t n_options,
                                    kvps_store **out);

/* Closes a store. NULL is a no-op. No other call on the store handle may be running or follow.
 * Readers and writers still open keep working and keep the store's resources alive until the
 * last of them is closed (as sqlite3_close_v2 does); list pages never depend on the store.
 * So they may be closed before or after the store, from any thread that owns them. */
KVPS_API void kvps_close(kvps_store *store);

/* The store's URL with secrets removed (secret options dropped, URL passwords masked).
 * Owned by the store, valid until kvps_close. */
KVPS_API const char *kvps_store_url(const kvps_store *store);

/* Capabilities: what a backend does natively. kvps_list returns KVPS_UNSUPPORTED on a store
 * without KVPS_CAP_LIST. Where another bit is clear the core supplies a generic fallback (a
 * batch as a loop, a stream over a whole value held in memory, a range cut from a whole value).
 * Every other operation works on every store, except what a store has no means for, which it
 * refuses with KVPS_UNSUPPORTED (no bit tells these; the message says why): kvps_presign where
 * there is no signing key (memory://, file://, postgres://, az:// without an account key);
 * conditions on an s3:// server found to ignore them; content type and metadata where there is
 * nowhere to keep them (file:// on a file system without user extended attributes,
 * postgres:// layout=kvpsbutter without its properties table). */
#define KVPS_CAP_RANGE ((uint64_t)1 << 0)        /* ranges read without fetching the whole value */
#define KVPS_CAP_READ_STREAM ((uint64_t)1 << 1)  /* readers stream in constant memory */
#define KVPS_CAP_WRITE_STREAM ((uint64_t)1 << 2) /* writers stream in constant memory */
#define KVPS_CAP_LIST ((uint64_t)1 << 3)         /* kvps_list works (else KVPS_UNSUPPORTED) */
#define KVPS_CAP_BATCH ((uint64_t)1 << 4)        /* batch calls run natively (parallel or bulk) */
#define KVPS_CAP_PERSISTENT ((uint64_t)1 << 5)   /* values outlive the process */
#define KVPS_CAP_SHARED ((uint64_t)1 << 6)       /* other processes see the same values */
#define KVPS_CAP_ZERO_COPY ((uint64_t)1 << 7)    /* blobs are kept and handed back, uncopied */

/* The store's capability bits (KVPS_CAP_*). */
KVPS_API uint64_t kvps_capabilities(const kvps_store *store);

/* ========================================================================== Values */

/* Largest key in bytes. */
#define KVPS_KEY_MAX 1024

/* Stores size bytes of data under key, replacing any old value atomically: a reader sees the
 * old value or the new one, never a mix. data may be NULL when size is 0. */
KVPS_API kvps_status kvps_put(kvps_store *store, const char *key, const void *data, size_t size);

/* Fetches the whole value of key. On KVPS_OK, *data is a new buffer of *size bytes followed by
 * one extra NUL byte (so text can be used as a C string), to free with kvps_free; it is never
 * NULL, even for an empty value. Returns KVPS_NOT_FOUND for a missing key. */
KVPS_API kvps_status kvps_get(kvps_store *store, const char *key, void **data, size_t *size);

/* Passed as a length: up to the end of the value. */
#define KVPS_TO_END UINT64_MAX

/* Fetches length bytes of key's value starting at offset, as kvps_get does. A range that runs
 * past the end is clamped to the end, as HTTP does; an offset at or past the end gives an empty
 * value. Use KVPS_TO_END as length for "up to the end". */
KVPS_API kvps_status kvps_get_range(kvps_store *store, const char *key, uint64_t offset,
                                    uint64_t length, void **data, size_t *size);

/* Largest etag in bytes, including its NUL. */
#define KVPS_ETAG_MAX 128

/* Largest content type in bytes, including its NUL. */
#define KVPS_CONTENT_TYPE_MAX 256
/* Most bytes of user metadata on one value: the sum of the lengths of every value and every
 * name with its "x-amz-meta-" prefix (11 bytes), as the strictest S3 servers count their 2 KiB
 * limit. Checked up front, the same on every backend. */
#define KVPS_METADATA_MAX 2048

#define KVPS_STAT_VERSION 2
/* Metadata of one value. Initialize with KVPS_STAT_INIT before passing it in.
 *
 * Why content type and user metadata are fields of this caller-owned struct (version 2) rather
 * than library-owned accessors: their sizes are bounded up front (KVPS_CONTENT_TYPE_MAX,
 * KVPS_METADATA_MAX, checked on every write), so fixed buffers always suffice; the caller then
 * owns everything stat returns, with no free function, no lifetime rule and no allocation.
 * A caller compiled against version 1 (without the last three fields) sets version 1 and gets
 * exactly the version 1 fields written. */
typedef struct kvps_stat_info {
    unsigned int version;           /* KVPS_STAT_VERSION: set by KVPS_STAT_INIT */
    uint64_t size;                  /* bytes */
    int64_t mtime_ns;               /* modification time, ns since 1970-01-01 UTC */
    char etag[KVPS_ETAG_MAX];       /* NUL-terminated; changes whenever the value changes */
    /* ---- version 2 */
    char content_type[KVPS_CONTENT_TYPE_MAX]; /* NUL-terminated; "application/octet-stream" when
                                                 the value was written without one */
    size_t metadata_count;          /* user metadata pairs in `metadata` */
    char metadata[3 * KVPS_METADATA_MAX]; /* metadata_count pairs "name\0value\0", names in lower
                                             case, in byte order; read with kvps_stat_metadata_at */
} kvps_stat_info;
#define KVPS_STAT_INIT {KVPS_STAT_VERSION, 0, 0, {0}, {0}, 0, {0}}

/* Fills *out with key's metadata. Returns KVPS_NOT_FOUND for a missing key, and
 * KVPS_INVALID_ARGUMENT when out->version is not one this library knows (1 or 2). */
KVPS_API kvps_status kvps_stat(kvps_store *store, const char *key, kvps_stat_info *out);

/* User metadata pair i (0 <= i < info->metadata_count) of a version 2 kvps_stat_info: *name and
 * *value point into *info and live as long as it does. KVPS_INVALID_ARGUMENT when i is out of
 * range or info is not version 2. */
KVPS_API kvps_status kvps_stat_metadata_at(const kvps_stat_info *info, size_t i, const char **name,
                                           const char **value);

/* The value of the user metadata named name (case-insensitive) in *info, pointing into *info;
 * NULL when there is none. */
KVPS_API const char *kvps_stat_metadata_get(const kvps_stat_info *info, const char *name);

/* Removes key. Removing a missing key is KVPS_OK. */
KVPS_API kvps_status kvps_delete(kvps_store *store, const char *key);

/* ---- Reads into the caller's memory, end-to-end checksums, presigned URLs */

/* Copies key's value from offset (to its end) into the caller's buffer of capacity bytes,
 * without any allocation by the library on memory:// and file:// (on s3:// the response body
 * is written straight into buffer; libcurl's own buffers aside). An offset at or past the end
 * gives 0 bytes. buffer may be NULL when capacity is 0.
 * - KVPS_OK: *size bytes (<= capacity) were written to buffer; they are the whole rest of the
 *   value.
 * - KVPS_INVALID_ARGUMENT with a message saying so, when the rest of the value is larger than
 *   capacity: *size is then set to the size needed (an exception to the rule that out-parameters
 *   are only written on KVPS_OK) and nothing was written to buffer. Retry with a buffer of
 *   *size bytes (the value may have changed meanwhile: check the status again).
 * - KVPS_NOT_FOUND for a missing key (*size untouched).
 * With offset 0 the copy is verified against the value's checksum (see below). */
KVPS_API kvps_status kvps_get_into(kvps_store *store, const char *key, uint64_t offset,
                                   void *buffer, size_t capacity, size_t *size);

/* End-to-end checksums. Every write (kvps_put, writers, kvps_put_many) computes the CRC32C of
 * the value and stores it with the value: file:// in the file's extended
 * attribute user.kvps.crc32c, s3:// as the object's x-amz-checksum-crc32c (or, on servers that
 * do not keep that, in the metadata x-amz-meta-kvps-crc32c; a value written in parts as S3's
 * full-object CRC32C where the server keeps one, else without a checksum). memory:// keeps
 * none: its bytes never leave the process, so there is nothing between write and read to check.
 * Reads verify it:
 * - kvps_get, kvps_get_with, kvps_get_many, kvps_get_into from offset 0, and
 *   kvps_get_range(0, KVPS_TO_END);
 * - readers opened at offset 0 over the whole value that read it in order without seeking: the
 *   read that reaches the end of a corrupted value fails instead of returning its bytes;
 * - other ranges are not verified (the checksum covers the whole value).
 * A mismatch is KVPS_CORRUPT, and the message names the key, the expected and the actual
 * checksum; no wrong bytes are handed over as the value. A value stored without a checksum
 * (written by another tool, or on a file system without extended attributes) reads unverified.
 * The store option verify_checksums=false (accepted by every backend, in the URL or
 * kvps_open_with) turns verification off; the default is true. Checksums are still written. */

/* A URL that lets anyone holding it do one thing to key until it expires, without credentials:
 * method "GET" reads the value, "PUT" writes it (the body is the value). expires_seconds is
 * from 1 to 604800 (7 days). On KVPS_OK, *url is a new NUL-terminated string to free with
 * kvps_free. Stores that cannot make such URLs (memory://, file://) return KVPS_UNSUPPORTED.
 * The URL carries a signature made with the store's secret, never the secret itself. */
KVPS_API kvps_status kvps_presign(kvps_store *store, const char *key, const char *method,
                                  uint64_t expires_seconds, char **url);
/* ---- Conditional writes, content type, metadata, copy and rename
 *
 * A write can carry a condition on the value it replaces, so writers that share a store can
 * coordinate (create-if-absent, compare-and-swap). A failed condition is
 * KVPS_PRECONDITION_FAILED, leaves the old value untouched, and the message names the key and
 * the condition. Conditions are atomic against every other writer, on every backend: memory://
 * (one lock), file:// (a lock on the key's folder, across processes; see its README), s3://
 * (If-None-Match / If-Match, also on CompleteMultipartUpload; a server found to ignore them makes
 * conditional writes KVPS_UNSUPPORTED rather than unconditional). A compare-and-swap loop:
 *
 *     kvps_stat_info info = KVPS_STAT_INIT;
 *     kvps_get_with(s, "counter", &data, &size, &info);       // the value and its etag
 *     kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
 *     o.if_match = info.etag;
 *     if (kvps_put_with(s, "counter", new_data, new_size, &o) == KVPS_PRECONDITION_FAILED)
 *         ... someone else wrote first: read again and retry ...
 *
 * Content type and metadata: a content type is printable ASCII of at most
 * KVPS_CONTENT_TYPE_MAX - 1 bytes. Metadata names follow S3's rules: HTTP token characters
 * (letters, digits and !#$%&'*+-.^_`|~), case-insensitive (kept in lower case), each at most
 * once; names starting "kvps-" are kvps's own (x-amz-meta-kvps-crc32c holds a checksum on s3://)
 * and are neither accepted nor reported. Values are printable ASCII without leading or trailing spaces. Names (each counted
 * with an 11-byte "x-amz-meta-" prefix) and values together are at most KVPS_METADATA_MAX bytes. Anything else is KVPS_INVALID_ARGUMENT naming
 * the culprit, before anything is written. On s3:// they are the standard Content-Type and
 * x-amz-meta-* headers, so other S3 tools see them. */

#define KVPS_PUT_OPTIONS_VERSION 1
typedef struct kvps_put_options {
    unsigned int version;          /* KVPS_PUT_OPTIONS_VERSION, set by KVPS_PUT_OPTIONS_INIT */
    int create_only;               /* nonzero: fail with KVPS_PRECONDITION_FAILED if the key exists */
    const char *if_match;          /* an etag: replace only the value that has it; NULL: no condition */
    const char *content_type;      /* NULL: the backend's default (application/octet-stream) */
    const kvps_option *metadata;   /* user metadata, name/value pairs (copied) */
    size_t metadata_count;
    char *etag_out;                /* NULL, or KVPS_ETAG_MAX bytes that receive the etag of the
                                      value the write made, on KVPS_OK (for a writer: at its
                                      commit, so the buffer must live until then); no extra
                                      round trip */
} kvps_put_options;
#define KVPS_PUT_OPTIONS_INIT {KVPS_PUT_OPTIONS_VERSION, 0, NULL, NULL, NULL, 0, NULL}

/* kvps_put with options (NULL options = kvps_put). create_only together with if_match is
 * KVPS_INVALID_ARGUMENT. if_match on a missing key is KVPS_PRECONDITION_FAILED. */
KVPS_API kvps_status kvps_put_with(kvps_store *store, const char *key, const void *data, size_t size,
                                   const kvps_put_options *options);

/* Fetches key's value as kvps_get does, and fills *info (as kvps_stat would; may be NULL) for
 * that same version of the value: the etag to pass as if_match. */
KVPS_API kvps_status kvps_get_with(kvps_store *store, const char *key, void **data, size_t *size,
                                   kvps_stat_info *info);

/* Copies from's value, content type and metadata to `to`. options: conditions apply to `to`;
 * a NULL content_type keeps the source's; a NULL metadata keeps the source's (a non-NULL one,
 * even of 0 pairs, replaces them). A missing source is KVPS_NOT_FOUND. Server-side on s3://
 * (CopyObject, UploadPartCopy for large values). Copying a key onto itself with no new content
 * type or metadata changes nothing (its conditions are still checked). */
KVPS_API kvps_status kvps_copy(kvps_store *store, const char *from, const char *to,
                               const kvps_put_options *options);

/* Moves from's value, content type and metadata to `to`, as kvps_copy then kvps_delete of
 * from. Atomic on memory:// and file:// (one rename); NOT atomic on s3://, which has no rename:
 * a copy then a delete, so for a moment both keys exist, and a failure between the two leaves
 * both (the status then says what failed). A key renamed onto itself is kvps_copy onto itself. */
KVPS_API kvps_status kvps_rename(kvps_store *store, const char *from, const char *to,
                                 const kvps_put_options *options);

/* ========================================================================== Streams */

typedef struct kvps_reader kvps_reader;
typedef struct kvps_writer kvps_writer;

/* Opens a reader over length bytes of key's value from offset (KVPS_TO_END for the rest),
 * clamped as kvps_get_range is. Memory use is constant where the store has
 * KVPS_CAP_READ_STREAM. Returns KVPS_NOT_FOUND for a missing key. */
KVPS_API kvps_status kvps_reader_open(kvps_store *store, const char *key, uint64_t offset,
                                      uint64_t length, kvps_reader **out);

/* Reads up to capacity bytes into buffer. *n is the count read; 0 means the end of the range.
 * A short read is not the end: call again. A reader stays on the version of the value it
 * opened: when the value was replaced since and the backend cannot keep reading the old
 * version, this returns KVPS_PRECONDITION_FAILED (KVPS_NOT_FOUND when it was deleted) rather
 * than mixing two versions. */
KVPS_API kvps_status kvps_reader_read(kvps_reader *reader, void *buffer, size_t capacity,
                                      size_t *n);

/* Moves to an absolute offset in the value (not in the range). Reads then run to the end of
 * the range the reader was opened with; an offset past it reads as the end. Seeking only
 * moves: it does not fail because the value changed; the next kvps_reader_read tells. */
KVPS_API kvps_status kvps_reader_seek(kvps_reader *reader, uint64_t offset);

/* The size of the whole value (not of the range) as seen when the reader opened. */
KVPS_API uint64_t kvps_reader_value_size(const kvps_reader *reader);

/* Closes a reader. NULL is a no-op. */
KVPS_API void kvps_reader_close(kvps_reader *reader);

/* Opens a writer that will replace key's value. Nothing is visible until kvps_writer_commit.
 * Memory use is constant where the store has KVPS_CAP_WRITE_STREAM. */
KVPS_API kvps_status kvps_writer_open(kvps_store *store, const char *key, kvps_writer **out);

/* Appends size bytes (copied) to the value being written. After a failed write the writer can
 * only be aborted. */
KVPS_API kvps_status kvps_writer_write(kvps_writer *writer, const void *data, size_t size);

/* Makes everything written visible atomically as key's value, and frees the writer whatever
 * the result. On failure the old value is left as it was. */
KVPS_API kvps_status kvps_writer_commit(kvps_writer *writer);

/* Discards everything written, leaves the old value, and frees the writer. NULL is a no-op. */
KVPS_API void kvps_writer_abort(kvps_writer *writer);

/* kvps_writer_open with options (NULL options = kvps_writer_open); the strings and metadata are
 * copied. The conditions are checked at kvps_writer_commit, atomically with making the value
 * visible (a failed one is KVPS_PRECONDITION_FAILED there, nothing changes); options->etag_out
 * is written at a successful commit. */
KVPS_API kvps_status kvps_writer_open_with(kvps_store *store, const char *key,
                                           const kvps_put_options *options, kvps_writer **out);

/* ========================================================================== Blobs: values without a copy
 *
 * A kvps_blob is an immutable block of bytes with shared ownership. Each kvps_blob handle holds
 * one reference; the bytes live until the last is gone. On a store with KVPS_CAP_ZERO_COPY
 * (memory://) kvps_put_blob keeps the caller's block itself and kvps_get_blob hands the stored
 * block back, so a value of any size goes in and out with no copy, in constant time; a writer
 * keeps the blocks given to kvps_writer_write_blob (those of 64 KiB and more), and
 * kvps_reader_read_blob hands out slices of the stored blocks. Every other store writes and
 * reads the bytes as kvps_put, kvps_get and the streams do, with the same checks.
 *
 * The bytes of a blob must not change while any reference to it lives: a store may hold one
 * for as long as the value is stored. Blob handles may be used, shared and freed from any
 * thread. */
typedef struct kvps_blob kvps_blob;

/* Called once with its user pointer when the last reference to a wrapped block is dropped, on
 * whichever thread drops it (a kvps_blob_free, a put that replaces the value, a delete, or
 * kvps_close), and never while the library holds a lock. */
typedef void (*kvps_release_fn)(void *user);

/* A blob over the caller's size bytes at data (NULL when size is 0), without a copy. release
 * (may be NULL, for memory that outlives every use) gets user once the bytes are no longer
 * needed. On KVPS_OK *out is a new handle to free with kvps_blob_free; on any other status
 * nothing was taken and release is not called. */
KVPS_API kvps_status kvps_blob_wrap(const void *data, size_t size, kvps_release_fn release,
                                    void *user, kvps_blob **out);

/* The bytes (never NULL, even when empty) and their count. */
KVPS_API const void *kvps_blob_data(const kvps_blob *blob);
KVPS_API size_t kvps_blob_size(const kvps_blob *blob);

/* Another handle on the same bytes (one more reference), to free on its own; NULL when out of
 * memory. */
KVPS_API kvps_blob *kvps_blob_share(const kvps_blob *blob);

/* Drops this handle's reference. NULL is a no-op. */
KVPS_API void kvps_blob_free(kvps_blob *blob);

/* When blob is exactly a whole block that kvps_blob_wrap made with this release function, its
 * user pointer; else NULL. A binding that wraps its own immutable objects (Python's bytes) uses
 * it to hand back the very object that was put, where kvps_get_blob returns the stored block. */
KVPS_API void *kvps_blob_user(const kvps_blob *blob, kvps_release_fn release);

/* Stores blob's bytes under key, as kvps_put does; a store with KVPS_CAP_ZERO_COPY keeps a
 * reference to blob's block instead of a copy. The caller's handle stays the caller's. */
KVPS_API kvps_status kvps_put_blob(kvps_store *store, const char *key, const kvps_blob *blob);

/* Fetches the whole value of key as a new blob handle (*out, to free with kvps_blob_free), as
 * kvps_get does, verified alike; a store with KVPS_CAP_ZERO_COPY returns the stored block
 * itself. KVPS_NOT_FOUND for a missing key. */
KVPS_API kvps_status kvps_get_blob(kvps_store *store, const char *key, kvps_blob **out);

/* Appends blob's bytes to the value being written, as kvps_writer_write does; a store with
 * KVPS_CAP_ZERO_COPY keeps a reference to a block of 64 KiB or more instead of a copy, and
 * s3:// sends a block of exactly part_size bytes (with nothing pending before it) as a part of
 * its own, holding a reference until it is sent: no copy and no buffer. */
KVPS_API kvps_status kvps_writer_write_blob(kvps_writer *writer, const kvps_blob *blob);

/* Reads up to max (>= 1) bytes as a new blob handle (*out), as kvps_reader_read does; at the
 * end of the range *out is NULL. A store with KVPS_CAP_ZERO_COPY hands out a slice of the stored
 * block without a copy; on another store the blob is a new block of the bytes read. */
KVPS_API kvps_status kvps_reader_read_blob(kvps_reader *reader, size_t max, kvps_blob **out);

/* ========================================================================== Listing */

/* One listed value. Owned by its page. */
typedef struct kvps_entry {
    const char *key;    /* NUL-terminated */
    uint64_t size;      /* bytes */
    int64_t mtime_ns;   /* ns since the epoch; 0 if the backend cannot tell cheaply */
    const char *etag;   /* "" if the backend cannot tell cheaply */
} kvps_entry;

typedef struct kvps_list_page kvps_list_page;

/* Lists up to page_size keys that start with prefix ("" or NULL for all), in byte order of the
 * keys, after the position cursor names (NULL or "" to start). A key that exists for the whole
 * listing is returned exactly once. page_size 0 means the backend's default (1000).
 * A cursor that is garbled, or comes from another store or prefix, is KVPS_INVALID_ARGUMENT. */
KVPS_API kvps_status kvps_list(kvps_store *store, const char *prefix, const char *cursor,
                               size_t page_size, kvps_list_page **out);

/* The number of entries on the page (may be 0 on the last page). */
KVPS_API size_t kvps_list_page_count(const kvps_list_page *page);

/* Entry i (0 <= i < count), valid until the page is freed; NULL when i is out of range. */
KVPS_API const kvps_entry *kvps_list_page_entry(const kvps_list_page *page, size_t i);

/* The cursor to pass to kvps_list for the next page, or NULL when the listing is complete.
 * Valid until the page is freed; an opaque printable string that may be stored and reused. */
KVPS_API const char *kvps_list_page_cursor(const kvps_list_page *page);

/* Frees a page. NULL is a no-op. */
KVPS_API void kvps_list_page_free(kvps_list_page *page);

/* ---- Listing one level at a time, and from a position */

#define KVPS_LIST_OPTIONS_VERSION 1
typedef struct kvps_list_options {
    unsigned int version;     /* KVPS_LIST_OPTIONS_VERSION */
    const char *prefix;       /* NULL or "": all keys */
    const char *cursor;       /* from kvps_list_page_cursor; NULL: from the start */
    const char *start_after;  /* list keys strictly greater than this one (ignored with a cursor) */
    const char *delimiter;    /* e.g. "/": keys past the next delimiter fold into one common prefix */
    size_t page_size;         /* 0: the default */
} kvps_list_options;
#define KVPS_LIST_OPTIONS_INIT {KVPS_LIST_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0}

/* kvps_list with more choices (options is borrowed for the call; NULL is all defaults).
 * With a delimiter, a key that has the delimiter somewhere after the prefix is not listed
 * itself: it folds into the common prefix "prefix + the text up to and including that first
 * delimiter", listed once (kvps_list_page_prefix), as S3 and `aws s3 ls` do. Keys and common
 * prefixes together come in one byte order across the pages, page_size counts both, and each
 * common prefix appears once in the whole listing. With start_after, only keys strictly
 * greater than it are listed, and with a delimiter only common prefixes greater than it too,
 * so passing the last key or prefix seen resumes right after it. A cursor resumes the listing
 * it came from and must come with the same prefix and delimiter (else KVPS_INVALID_ARGUMENT).
 * Errors: KVPS_INVALID_ARGUMENT (options->version unknown, a bad cursor, an empty delimiter
 * or one with control characters), KVPS_INVALID_KEY (a prefix or start_after that is too long
 * or not UTF-8), and the store's errors. */
KVPS_API kvps_status kvps_list_with(kvps_store *store, const kvps_list_options *options,
                                    kvps_list_page **out);

/* The number of common prefixes on the page (0 without a delimiter). */
KVPS_API size_t kvps_list_page_prefix_count(const kvps_list_page *page);

/* Common prefix i (0 <= i < prefix count), NUL-terminated, valid until the page is freed;
 * NULL when i is out of range. */
KVPS_API const char *kvps_list_page_prefix(const kvps_list_page *page, size_t i);

/* ========================================================================== Batch */

/* Batch calls work on n keys at once; backends with KVPS_CAP_BATCH run them in parallel or in
 * bulk requests. statuses[i] receives item i's own status. The call returns KVPS_OK when every
 * item succeeded (in kvps_get_many a KVPS_NOT_FOUND item counts as succeeded); otherwise the
 * status of the first failed item, and kvps_last_error() describes that item ("item 2: ...");
 * kvps_last_item_error(i) gives every failed item's own message. Items are independent: a
 * failure of one does not undo or stop the others. A NULL array where one is needed is
 * KVPS_INVALID_ARGUMENT and touches no item. */

/* This thread's message for item i of its last batch call: "" when that item succeeded (or
 * was not found, in kvps_get_many), when i is out of range, or when the last call was not a
 * batch call. Never NULL; owned by the library; valid until this thread's next kvps call
 * other than kvps_last_error and kvps_last_item_error. */
KVPS_API const char *kvps_last_item_error(size_t i);

/* Puts data[i] (sizes[i] bytes) under keys[i]. */
KVPS_API kvps_status kvps_put_many(kvps_store *store, size_t n, const char *const *keys,
                                   const void *const *data, const size_t *sizes,
                                   kvps_status *statuses);

/* Gets keys[i] into data[i] / sizes[i], as kvps_get does (free each with kvps_free). Items that
 * are not KVPS_OK get data[i] = NULL and sizes[i] = 0. */
KVPS_API kvps_status kvps_get_many(kvps_store *store, size_t n, const char *const *keys,
                                   void **data, size_t *sizes, kvps_status *statuses);

/* Deletes keys[i]; missing keys are KVPS_OK. */
KVPS_API kvps_status kvps_delete_many(kvps_store *store, size_t n, const char *const *keys,
                                      kvps_status *statuses);

/* ========================================================================== Backends and options */

typedef enum kvps_option_type {
    KVPS_OPTION_STRING = 0,
    KVPS_OPTION_BOOL = 1,     /* true/false, 1/0, yes/no, on/off (any case) */
    KVPS_OPTION_INTEGER = 2,  /* decimal, optionally signed */
    KVPS_OPTION_SIZE = 3,     /* bytes: 1048576, 512k, 8MiB, 1G (k/M/G/T = powers of 1024) */
    KVPS_OPTION_DURATION = 4, /* 250ms, 30s, 5m, 1h; a bare number is seconds */
    KVPS_OPTION_URL = 5,      /* an absolute URL */
    KVPS_OPTION_SECRET = 6    /* a string never shown in messages, logs or kvps_store_url */
} kvps_option_type;

/* The type's lowercase name: "string", "bool", "integer", "size", "duration", "url", "secret". */
KVPS_API const char *kvps_option_type_name(kvps_option_type type);

/* One declared option of a backend. Static storage. */
typedef struct kvps_option_info {
    const char *name;
    kvps_option_type type;
    const char *default_value; /* as text; NULL when there is no default */
    int required;              /* nonzero: opening fails without it */
    const char *description;   /* one line */
    /* Appended in 0.2: other names accepted for this option (e.g. KVPSButter's), alias_count of
     * them. A value given under an alias is the option's value. */
    const char *const *aliases;
    size_t alias_count;
} kvps_option_info;

/* One registered backend. Static storage, valid for the life of the process. */
typedef struct kvps_backend_info {
    const char *name;             /* e.g. "file" */
    const char *description;      /* one line */
    const char *const *schemes;   /* scheme_count names: the primary first, then aliases */
    size_t scheme_count;
    size_t option_count;          /* options through kvps_backend_option */
    uint64_t capabilities;        /* KVPS_CAP_* */
} kvps_backend_info;

/* The number of registered backends; they are numbered 0..count-1 in name order. */
KVPS_API size_t kvps_backend_count(void);

/* Backend i, or NULL when i is out of range. */
KVPS_API const kvps_backend_info *kvps_backend_at(size_t i);

/* The backend registered for scheme (case-insensitive, aliases included), or NULL. */
KVPS_API const kvps_backend_info *kvps_backend_find(const char *scheme);

/* Option i of backend (0 <= i < option_count), or NULL when out of range. */
KVPS_API const kvps_option_info *kvps_backend_option(const kvps_backend_info *backend, size_t i);

/* ========================================================================== Logging */

typedef enum kvps_log_level {
    KVPS_LOG_ERROR = 0,
    KVPS_LOG_WARN = 1,
    KVPS_LOG_INFO = 2,  /* one line per store operation: op, key, status, bytes, duration */
    KVPS_LOG_DEBUG = 3  /* one line per backend request, e.g. an HTTP method, path and status */
} kvps_log_level;

/* Receives one log line (no trailing newline), valid only during the call. Called from
 * whatever thread did the work: it must be thread-safe. Lines never contain secrets. */
typedef void (*kvps_log_fn)(void *user, kvps_log_level level, const char *line);

/* Sends lines at max_level and below to fn, process-wide. fn NULL turns logging off (the
 * default). Thread-safe; takes effect for calls that start afterwards. */
KVPS_API void kvps_set_logger(kvps_log_fn fn, void *user, kvps_log_level max_level);

/* ========================================================================== Asynchronous operations */

/* Every operation below returns at once with an operation handle (kvps_op) and runs on a
 * library-owned pool of at most 16 threads (started on first use, shared by every store), so
 * an event loop can drive many requests without a thread of its own per request. On s3://,
 * gets, ranged gets, stats, deletes, and puts (put_with too) of values up to part_size run
 * instead on the store's own I/O thread (libcurl's multi interface, started on first use), over
 * at most the store option max_connections connections: their callbacks run on that thread,
 * and a callback that blocks stalls the store's other such operations. (The first conditional
 * put of a store handle runs on the pool: it probes the server's conditions once. Credentials
 * that must be refreshed are refreshed on a thread of their own, never on the I/O thread.) How the
 * caller learns that an operation completed, as it chooses per operation:
 * - a callback (kvps_async_options.callback), called exactly once per operation on a library
 *   thread (or, for an operation cancelled before it started, on the thread that called
 *   kvps_op_cancel or kvps_op_free); it may start new operations and may free its op, but must
 *   not wait for another operation (kvps_op_wait), which could need the same pool;
 * - a completion queue (kvps_queue) whose file descriptor is readable while completed
 *   operations wait in it (for poll/epoll, libuv, asyncio's add_reader); kvps_queue_next pops
 *   them;
 * - or kvps_op_wait / kvps_op_done.
 * Results are then read from the op (kvps_op_status, kvps_op_value, kvps_op_stat,
 * kvps_op_page), with the ownership of the blocking call: a value or a page taken from an op
 * belongs to the caller. Each asynchronous call does what its blocking call does (same checks,
 * same statuses, same log line) and validates its arguments before it returns: a bad key or a
 * NULL store is returned at once, and no op is made. Inputs are copied (keys, data, options).
 *
 * Cancellation and deadlines: kvps_op_cancel completes an operation that has not started with
 * KVPS_CANCELLED at once. One that is running stops where the backend can stop it safely:
 * - s3:// (and every backend on the shared HTTP layer): a request is cut while bytes move or
 *   while it waits for them, at libcurl's next progress check (milliseconds while data flows,
 *   at most about a second while a server is silent), and no further request of the operation
 *   starts. Requests that read (GET, HEAD, listings) stop at any moment; a request that sends a
 *   body (PUT, a part of a multipart upload, CompleteMultipartUpload) stops only while part of
 *   its body is unsent, so the server never acts on it; a request that changes something
 *   without a body (DELETE, starting a multipart upload) runs to its answer. A cancelled
 *   multipart write aborts its upload (no orphan parts). So a cancelled write leaves the old
 *   value whole; a write that could no longer be stopped completes with its own status. A
 *   write cancelled after an earlier attempt of it went unanswered is settled as a lost answer
 *   is (see the rules at the top): KVPS_OK when its value is in place, KVPS_CANCELLED when
 *   not, KVPS_OUTCOME_UNKNOWN when that cannot be told.
 * - memory:// and file:// (and any backend not on the HTTP layer): an operation that started
 *   runs to its end and completes with its own status.
 * A deadline (kvps_async_options.timeout_ms) takes the same path when it passes, and the
 * operation completes with KVPS_TIMEOUT instead of KVPS_CANCELLED.
 *
 * Lifetimes: an op keeps its store alive (as readers and writers do, see kvps_close): a store
 * may be closed while its operations are in flight; they run to their end and complete
 * normally. An op belongs to the caller from the asynchronous call to kvps_op_free, whatever
 * queue or callback it has. Op handles and queues are safe to use from several threads. */

typedef struct kvps_op kvps_op;
typedef struct kvps_queue kvps_queue;

/* Called once when op completes, on a library thread (see above). op stays valid during the
 * call (and after, until kvps_op_free). */
typedef void (*kvps_op_fn)(void *user, kvps_op *op);

#define KVPS_ASYNC_OPTIONS_VERSION 1
typedef struct kvps_async_options {
    unsigned int version;   /* KVPS_ASYNC_OPTIONS_VERSION, set by KVPS_ASYNC_OPTIONS_INIT */
    kvps_op_fn callback;    /* NULL: no callback */
    void *user;             /* given to the callback; also kvps_op_user */
    kvps_queue *queue;      /* NULL, or the queue the op is pushed to when it completes (both a
                               callback and a queue may be given: the push comes first) */
    uint64_t timeout_ms;    /* 0: no deadline; else the op is cancelled with KVPS_TIMEOUT when it
                               has not completed timeout_ms after the asynchronous call */
} kvps_async_options;
#define KVPS_ASYNC_OPTIONS_INIT {KVPS_ASYNC_OPTIONS_VERSION, NULL, NULL, NULL, 0}

/* The asynchronous forms of kvps_get, kvps_get_range, kvps_put, kvps_stat, kvps_delete and
 * kvps_list_with. options may be NULL (no callback, no queue, no deadline). On KVPS_OK *op is
 * a new operation to free with kvps_op_free; any other status means no operation was started
 * (a bad argument, options->version unknown). kvps_put_async copies data. */
KVPS_API kvps_status kvps_get_async(kvps_store *store, const char *key,
                                    const kvps_async_options *options, kvps_op **op);
KVPS_API kvps_status kvps_get_range_async(kvps_store *store, const char *key, uint64_t offset,
                                          uint64_t length, const kvps_async_options *options,
                                          kvps_op **op);
KVPS_API kvps_status kvps_put_async(kvps_store *store, const char *key, const void *data,
                                    size_t size, const kvps_async_options *options, kvps_op **op);
KVPS_API kvps_status kvps_stat_async(kvps_store *store, const char *key,
                                     const kvps_async_options *options, kvps_op **op);
KVPS_API kvps_status kvps_delete_async(kvps_store *store, const char *key,
                                       const kvps_async_options *options, kvps_op **op);
/* list_options as for kvps_list_with (NULL: all defaults; copied). */
KVPS_API kvps_status kvps_list_async(kvps_store *store, const kvps_list_options *list_options,
                                     const kvps_async_options *options, kvps_op **op);

/* Nonzero once op has completed (its results are then fixed). */
KVPS_API int kvps_op_done(const kvps_op *op);

/* Waits until op completes or timeout_ms passes (a negative timeout waits for ever). Returns
 * nonzero when op has completed. Must not be called from a completion callback. */
KVPS_API int kvps_op_wait(kvps_op *op, int64_t timeout_ms);

/* The status op completed with, and sets this thread's kvps_last_error() to its message ("" on
 * success or KVPS_NOT_FOUND). An op that has not completed yet: KVPS_INVALID_ARGUMENT, with a
 * message saying it is pending. */
KVPS_API kvps_status kvps_op_status(kvps_op *op);

/* The value of a completed get or get_range op, handed over as kvps_get does: on KVPS_OK *data
 * (NUL-terminated, free with kvps_free) and *size; the op no longer holds it. Returns the op's
 * status when that is not KVPS_OK, and KVPS_INVALID_ARGUMENT when op is pending, is not a get,
 * or its value was already taken. */
KVPS_API kvps_status kvps_op_value(kvps_op *op, void **data, size_t *size);

/* The metadata of a completed stat op, into *out as kvps_stat fills it (out->version 1 or 2).
 * Returns the op's status when that is not KVPS_OK; KVPS_INVALID_ARGUMENT as kvps_op_value. */
KVPS_API kvps_status kvps_op_stat(kvps_op *op, kvps_stat_info *out);

/* The page of a completed list op, handed over (free it with kvps_list_page_free). Returns the
 * op's status when that is not KVPS_OK; KVPS_INVALID_ARGUMENT as kvps_op_value. */
KVPS_API kvps_status kvps_op_page(kvps_op *op, kvps_list_page **out);

/* The user pointer of the op's options (NULL when none). */
KVPS_API void *kvps_op_user(const kvps_op *op);

/* Asks op to stop (see "Cancellation" above); returns at once. An op that has not started
 * completes with KVPS_CANCELLED before this returns; a completed op is unchanged. Cancelling
 * twice, or NULL, is harmless. */
KVPS_API void kvps_op_cancel(kvps_op *op);

/* Frees op. NULL is a no-op. A pending op is cancelled first, and its resources are released
 * when it completes; its callback still runs once, and it is not pushed to its queue. An op
 * waiting in its queue is taken out of it. A value or page not taken is freed. */
KVPS_API void kvps_op_free(kvps_op *op);

/* Makes a completion queue. KVPS_NO_MEMORY or KVPS_IO (no file descriptor) on failure. */
KVPS_API kvps_status kvps_queue_new(kvps_queue **out);

/* The queue's file descriptor (an eventfd): readable while at least one completed op waits in
 * the queue. Owned by the queue: never read, write or close it; only wait on it. */
KVPS_API int kvps_queue_fd(const kvps_queue *queue);

/* Pops the oldest completed op, or returns NULL when none waits. Never blocks. The op still
 * belongs to the caller (free it with kvps_op_free). */
KVPS_API kvps_op *kvps_queue_next(kvps_queue *queue);

/* Frees the queue. NULL is a no-op. Ops waiting in it are taken out (they stay the caller's);
 * ops still pending that name it complete without being pushed anywhere. */
KVPS_API void kvps_queue_free(kvps_queue *queue);

/* ---- More asynchronous operations: put_with, get_with, copy, rename, and the batch calls.
 * Everything said above holds for them (completion, cancellation, deadlines, lifetimes). Their
 * inputs are copied, put_options included (checked before the call returns, as the blocking
 * call checks them; its etag_out must be NULL: the etag a write made is read from the op with
 * kvps_op_etag). kvps_list_async above is already the asynchronous form of kvps_list_with. */

/* The asynchronous forms of kvps_put_with, kvps_copy and kvps_rename (put_options may be NULL;
 * a non-NULL etag_out in it is KVPS_INVALID_ARGUMENT). Their result is the op's status, and the
 * etag of the value they made (kvps_op_etag). */
KVPS_API kvps_status kvps_put_with_async(kvps_store *store, const char *key, const void *data,
                                         size_t size, const kvps_put_options *put_options,
                                         const kvps_async_options *options, kvps_op **op);
KVPS_API kvps_status kvps_copy_async(kvps_store *store, const char *from, const char *to,
                                     const kvps_put_options *put_options,
                                     const kvps_async_options *options, kvps_op **op);
KVPS_API kvps_status kvps_rename_async(kvps_store *store, const char *from, const char *to,
                                       const kvps_put_options *put_options,
                                       const kvps_async_options *options, kvps_op **op);

/* The etag of the value a completed put_with, copy or rename op made, into etag (KVPS_ETAG_MAX
 * bytes, NUL-terminated). Returns the op's status when that is not KVPS_OK (etag untouched);
 * KVPS_INVALID_ARGUMENT when op is pending or another kind of op. */
KVPS_API kvps_status kvps_op_etag(kvps_op *op, char *etag);

/* The asynchronous form of kvps_get_with: the value comes from kvps_op_value, and the stat
 * info of that same version from kvps_op_stat. */
KVPS_API kvps_status kvps_get_with_async(kvps_store *store, const char *key,
                                         const kvps_async_options *options, kvps_op **op);

/* The asynchronous forms of kvps_put_many, kvps_get_many and kvps_delete_many. keys (and data,
 * sizes) are copied, and are checked as the blocking calls check them: a NULL array where one is
 * needed is KVPS_INVALID_ARGUMENT and no op is made; a bad key is that item's status. The op's
 * status is what the blocking call returns (the first failed item's); the items' own results
 * come from kvps_op_statuses, kvps_op_item_error and (get_many) kvps_op_item_value. */
KVPS_API kvps_status kvps_put_many_async(kvps_store *store, size_t n, const char *const *keys,
                                         const void *const *data, const size_t *sizes,
                                         const kvps_async_options *options, kvps_op **op);
KVPS_API kvps_status kvps_get_many_async(kvps_store *store, size_t n, const char *const *keys,
                                         const kvps_async_options *options, kvps_op **op);
KVPS_API kvps_status kvps_delete_many_async(kvps_store *store, size_t n, const char *const *keys,
                                            const kvps_async_options *options, kvps_op **op);

/* Copies the n item statuses of a completed batch op into statuses (n as given to the call).
 * An op cancelled (or timed out) before it started gives every item the op's status. Returns
 * the op's status (and sets kvps_last_error() to its message); KVPS_INVALID_ARGUMENT when op is
 * pending or not a batch op. */
KVPS_API kvps_status kvps_op_statuses(kvps_op *op, kvps_status *statuses);

/* The message of item i of a completed batch op, as kvps_last_item_error gives it after the
 * blocking call: "" when the item succeeded (or was not found, in get_many), when i is out of
 * range, or when op is pending or not a batch op. Never NULL; owned by the op, valid until
 * kvps_op_free. */
KVPS_API const char *kvps_op_item_error(kvps_op *op, size_t i);

/* The value of item i of a completed get_many op, handed over as kvps_get does (*data
 * NUL-terminated, free with kvps_free); the op no longer holds it. Returns the item's status
 * when that is not KVPS_OK (KVPS_NOT_FOUND for a missing key; the op's own status for an op
 * cancelled before it started) and sets kvps_last_error() to the item's message;
 * KVPS_INVALID_ARGUMENT when op is pending, not a get_many, i is out of range, or the value was
 * already taken. */
KVPS_API kvps_status kvps_op_item_value(kvps_op *op, size_t i, void **data, size_t *size);

/* ---- Asynchronous streams: the asynchronous forms of kvps_reader_open, kvps_reader_read,
 * kvps_writer_open, kvps_writer_open_with, kvps_writer_write and kvps_writer_commit.
 * Everything said above holds for them (completion, deadlines, lifetimes, inputs copied: keys,
 * put_options as for kvps_put_with_async, the data of a write), with these rules of their own:
 * - An open op hands its reader or writer over with kvps_op_reader / kvps_op_writer; one never
 *   taken is closed (a writer aborted) by kvps_op_free.
 * - From kvps_reader_read_async or kvps_writer_write_async until that op has completed, the
 *   reader or writer belongs to the op: no other call may use, close or abort it, and a read's
 *   buffer must stay valid, since the op writes into it until it completes, even after
 *   kvps_op_cancel or kvps_op_free (cancel, then wait for the completion, then free). One read
 *   or write at a time per reader or writer.
 * - kvps_writer_commit_async takes the writer whatever it returns (as kvps_writer_commit frees
 *   it whatever its result): the caller never uses that writer again. When no op is made (a bad
 *   argument) the writer is aborted before the call returns.
 * Cancellation (and a deadline, the same way):
 * - A read or write cancelled before it started did nothing. A read that started runs until
 *   bytes arrive (at once while data flows; on s3:// a silent server is not cut) or its stream
 *   fails, as kvps_reader_read does; it is never torn: a failed read advances nothing.
 * - A write op that completes with any status but KVPS_OK (KVPS_CANCELLED and KVPS_TIMEOUT
 *   included, even before it started) leaves its writer failed, as a failed kvps_writer_write
 *   does: it can only be aborted, and a commit of it fails with KVPS_INVALID_ARGUMENT and
 *   aborts it. A write that started runs to its end (on s3:// it may wait for parts in flight,
 *   which are not cut). Nothing written is visible before a commit.
 * - A commit op's status says truthfully whether the value was made visible: KVPS_OK means it
 *   was; any other status (KVPS_CANCELLED and KVPS_TIMEOUT included) means it was not, the old
 *   value stays and the writer was aborted (on s3:// its multipart upload too: no orphan
 *   parts), with the one exception of KVPS_OUTCOME_UNKNOWN (see the top of this header). A
 *   commit cancelled before it started aborts its writer on the pool; one that started stops
 *   only where a write request can stop safely (see "Cancellation" above: on s3:// while the
 *   body of the PutObject or CompleteMultipartUpload is unsent; waiting for parts in flight is
 *   not cut), else it completes with its own status.
 * - kvps_reader_seek does no I/O (it only moves), so it has no asynchronous form; it must not
 *   be called while a read op of the reader is pending. */

/* The asynchronous form of kvps_reader_open: the reader comes from kvps_op_reader. */
KVPS_API kvps_status kvps_reader_open_async(kvps_store *store, const char *key, uint64_t offset,
                                            uint64_t length, const kvps_async_options *options,
                                            kvps_op **op);

/* The asynchronous form of kvps_reader_read: reads up to capacity bytes into buffer (borrowed
 * until the op completes, see above); the count read comes from kvps_op_count (0: the end of
 * the range). */
KVPS_API kvps_status kvps_reader_read_async(kvps_reader *reader, void *buffer, size_t capacity,
                                            const kvps_async_options *options, kvps_op **op);

/* The asynchronous forms of kvps_writer_open and kvps_writer_open_with (put_options may be
 * NULL; its etag_out must be NULL: the etag comes from the commit op, kvps_op_etag). The writer
 * comes from kvps_op_writer. */
KVPS_API kvps_status kvps_writer_open_async(kvps_store *store, const char *key,
                                            const kvps_async_options *options, kvps_op **op);
KVPS_API kvps_status kvps_writer_open_with_async(kvps_store *store, const char *key,
                                                 const kvps_put_options *put_options,
                                                 const kvps_async_options *options, kvps_op **op);

/* The asynchronous form of kvps_writer_write: data is copied before the call returns. */
KVPS_API kvps_status kvps_writer_write_async(kvps_writer *writer, const void *data, size_t size,
                                             const kvps_async_options *options, kvps_op **op);

/* The asynchronous form of kvps_writer_commit: takes the writer (see above). The op's status is
 * the commit's; on KVPS_OK the etag of the value it made comes from kvps_op_etag (and is also
 * written to the etag_out of a writer opened by kvps_writer_open_with). */
KVPS_API kvps_status kvps_writer_commit_async(kvps_writer *writer,
                                              const kvps_async_options *options, kvps_op **op);

/* The reader of a completed kvps_reader_open_async op, handed over (close it with
 * kvps_reader_close); the op no longer holds it. Returns the op's status when that is not
 * KVPS_OK (KVPS_NOT_FOUND for a missing key); KVPS_INVALID_ARGUMENT when op is pending, another
 * kind of op, or its reader was already taken. */
KVPS_API kvps_status kvps_op_reader(kvps_op *op, kvps_reader **out);

/* The writer of a completed kvps_writer_open_async or kvps_writer_open_with_async op, handed
 * over (commit or abort it); as kvps_op_reader otherwise. */
KVPS_API kvps_status kvps_op_writer(kvps_op *op, kvps_writer **out);

/* The count of bytes a completed kvps_reader_read_async op read into its buffer (0: the end of
 * the range). Returns the op's status when that is not KVPS_OK (*n untouched);
 * KVPS_INVALID_ARGUMENT when op is pending or not a read op. */
KVPS_API kvps_status kvps_op_count(kvps_op *op, size_t *n);

#ifdef __cplusplus
}
#endif

#endif /* KVPS_H */
