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
 *   out-parameters, which are listed last and are only written on KVPS_OK.
 * - On failure, kvps_last_error() returns a message for this thread naming the culprit.
 *   KVPS_NOT_FOUND from a read is a result, not a failure: it sets no message.
 * - Inputs (keys, data, option strings) are borrowed for the duration of the call and copied
 *   if kept. Memory the library returns is freed with the matching kvps_*_free function.
 * - Closing or freeing NULL is a harmless no-op.
 * - Keys are non-empty UTF-8 of at most KVPS_KEY_MAX bytes without control characters
 *   (U+0000..U+001F, U+007F); anything else is KVPS_INVALID_KEY. Values are any bytes.
 *
 * Threading: a kvps_store is safe to use from many threads at once, including close racing
 * with nothing (close it only after every other call on it returned). Readers, writers and
 * list pages belong to one thread at a time. The global functions (registry, logger, version)
 * are thread-safe.
 *
 * ABI: the shared library is libkvps.so.0. Status codes are never renumbered; new ones are
 * appended. Structs the caller allocates carry a `version` field set by their _INIT macro, so
 * fields can be appended without breaking old callers. Structs the library returns are only
 * read through pointers and may grow at the end.
 */
#ifndef KVPS_H
#define KVPS_H

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
#define KVPS_VERSION_NUMBER \
    (KVPS_VERSION_MAJOR * 10000 + KVPS_VERSION_MINOR * 100 + KVPS_VERSION_PATCH)

/* The version of the library linked at run time ("0.1.0"); static storage. */
KVPS_API const char *kvps_version(void);
/* The same as a number, comparable with KVPS_VERSION_NUMBER. */
KVPS_API int kvps_version_number(void);

/* ========================================================================== Status and errors */

typedef enum kvps_status {
    KVPS_OK = 0,
    KVPS_NOT_FOUND = 1,           /* the key (or a store folder with create=false) does not exist */
    KVPS_INVALID_ARGUMENT = 2,    /* NULL where a value is required, a bad cursor, a bad size */
    KVPS_INVALID_URL = 3,         /* the store URL cannot be parsed */
    KVPS_UNKNOWN_SCHEME = 4,      /* no backend registered for the URL's scheme */
    KVPS_INVALID_OPTION = 5,      /* unknown option, missing required one, or a mistyped value */
    KVPS_INVALID_KEY = 6,         /* empty, too long, not UTF-8, control characters, escaping */
    KVPS_PERMISSION_DENIED = 7,   /* the OS or the server refused access (bad credentials too) */
    KVPS_PRECONDITION_FAILED = 8, /* a condition on the value did not hold */
    KVPS_IO = 9,                  /* a local I/O failure */
    KVPS_NETWORK = 10,            /* the server could not be reached or the connection broke */
    KVPS_TIMEOUT = 11,            /* a deadline passed */
    KVPS_REMOTE = 12,             /* the server answered with an error not covered above */
    KVPS_UNSUPPORTED = 13,        /* the backend cannot do this operation */
    KVPS_NO_MEMORY = 14,          /* an allocation failed */
    KVPS_INTERNAL = 15,           /* a bug in kvps: please report it with the message */
    KVPS_NO_SPACE = 16,           /* the disk or the quota is full */
    KVPS_CANCELLED = 17           /* the operation was cancelled */
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
 * kvps_get_range, kvps_get_many). */
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

/* Closes a store and frees its resources. NULL is a no-op. No other call on the store may be
 * running or follow. Readers, writers and list pages must be closed first. */
KVPS_API void kvps_close(kvps_store *store);

/* The store's URL with secrets removed (secret options dropped, URL passwords masked).
 * Owned by the store, valid until kvps_close. */
KVPS_API const char *kvps_store_url(const kvps_store *store);

/* Capabilities: what a backend does natively. Every operation in this header works on every
 * store; where a bit is clear the core supplies a generic fallback (a batch as a loop, a stream
 * over a whole value held in memory, a range cut from a whole value). */
#define KVPS_CAP_RANGE ((uint64_t)1 << 0)        /* ranges read without fetching the whole value */
#define KVPS_CAP_READ_STREAM ((uint64_t)1 << 1)  /* readers stream in constant memory */
#define KVPS_CAP_WRITE_STREAM ((uint64_t)1 << 2) /* writers stream in constant memory */
#define KVPS_CAP_LIST ((uint64_t)1 << 3)         /* listing is supported */
#define KVPS_CAP_BATCH ((uint64_t)1 << 4)        /* batch calls run natively (parallel or bulk) */
#define KVPS_CAP_PERSISTENT ((uint64_t)1 << 5)   /* values outlive the process */
#define KVPS_CAP_SHARED ((uint64_t)1 << 6)       /* other processes see the same values */

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

#define KVPS_STAT_VERSION 1
/* Metadata of one value. Initialize with KVPS_STAT_INIT before passing it in. */
typedef struct kvps_stat_info {
    unsigned int version;     /* KVPS_STAT_VERSION: set by KVPS_STAT_INIT */
    uint64_t size;            /* bytes */
    int64_t mtime_ns;         /* modification time, ns since 1970-01-01 UTC */
    char etag[KVPS_ETAG_MAX]; /* NUL-terminated; changes whenever the value changes */
} kvps_stat_info;
#define KVPS_STAT_INIT                 \
    {                                  \
        KVPS_STAT_VERSION, 0, 0, { 0 } \
    }

/* Fills *out with key's metadata. Returns KVPS_NOT_FOUND for a missing key, and
 * KVPS_INVALID_ARGUMENT when out->version is not one this library knows. */
KVPS_API kvps_status kvps_stat(kvps_store *store, const char *key, kvps_stat_info *out);

/* Removes key. Removing a missing key is KVPS_OK. */
KVPS_API kvps_status kvps_delete(kvps_store *store, const char *key);

/* ========================================================================== Streams */

typedef struct kvps_reader kvps_reader;
typedef struct kvps_writer kvps_writer;

/* Opens a reader over length bytes of key's value from offset (KVPS_TO_END for the rest),
 * clamped as kvps_get_range is. Memory use is constant where the store has
 * KVPS_CAP_READ_STREAM. Returns KVPS_NOT_FOUND for a missing key. */
KVPS_API kvps_status kvps_reader_open(kvps_store *store, const char *key, uint64_t offset,
                                      uint64_t length, kvps_reader **out);

/* Reads up to capacity bytes into buffer. *n is the count read; 0 means the end of the range.
 * A short read is not the end: call again. */
KVPS_API kvps_status kvps_reader_read(kvps_reader *reader, void *buffer, size_t capacity,
                                      size_t *n);

/* Moves to an absolute offset in the value (not in the range). Reads then run to the end of
 * the range the reader was opened with; an offset past it reads as the end. A reader stays on
 * the version of the value it opened: when the value was replaced since and the backend cannot
 * keep reading the old version, this returns KVPS_PRECONDITION_FAILED (KVPS_NOT_FOUND when it
 * was deleted) rather than mixing two versions. */
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

/* ========================================================================== Listing */

/* One listed value. Owned by its page. */
typedef struct kvps_entry {
    const char *key;  /* NUL-terminated */
    uint64_t size;    /* bytes */
    int64_t mtime_ns; /* ns since the epoch; 0 if the backend cannot tell cheaply */
    const char *etag; /* "" if the backend cannot tell cheaply */
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

/* ========================================================================== Batch */

/* Batch calls work on n keys at once; backends with KVPS_CAP_BATCH run them in parallel or in
 * bulk requests. statuses[i] receives item i's own status. The call returns KVPS_OK when every
 * item succeeded (in kvps_get_many a KVPS_NOT_FOUND item counts as succeeded); otherwise the
 * status of the first failed item, and kvps_last_error() describes that item. Items are
 * independent: a failure of one does not undo or stop the others. A NULL array where one is
 * needed is KVPS_INVALID_ARGUMENT and touches no item. */

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

/* ========================================================================== Backends and options
 */

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
} kvps_option_info;

/* One registered backend. Static storage, valid for the life of the process. */
typedef struct kvps_backend_info {
    const char *name;           /* e.g. "file" */
    const char *description;    /* one line */
    const char *const *schemes; /* scheme_count names: the primary first, then aliases */
    size_t scheme_count;
    size_t option_count;   /* options through kvps_backend_option */
    uint64_t capabilities; /* KVPS_CAP_* */
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
    KVPS_LOG_INFO = 2, /* one line per store operation: op, key, status, bytes, duration */
    KVPS_LOG_DEBUG = 3 /* one line per backend request, e.g. an HTTP method, path and status */
} kvps_log_level;

/* Receives one log line (no trailing newline), valid only during the call. Called from
 * whatever thread did the work: it must be thread-safe. Lines never contain secrets. */
typedef void (*kvps_log_fn)(void *user, kvps_log_level level, const char *line);

/* Sends lines at max_level and below to fn, process-wide. fn NULL turns logging off (the
 * default). Thread-safe; takes effect for calls that start afterwards. */
KVPS_API void kvps_set_logger(kvps_log_fn fn, void *user, kvps_log_level max_level);

#ifdef __cplusplus
}
#endif

#endif /* KVPS_H */
