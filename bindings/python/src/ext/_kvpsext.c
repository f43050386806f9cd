/* kvps._kvpsext: the hot paths of kvps.Store (get, put, stat, delete) as a CPython extension,
 * for what a ctypes call costs in Python. The limited API of Python 3.9 (abi3): one wheel still
 * serves every CPython >= 3.9. kvps falls back to ctypes where this module does not import, or
 * with KVPS_PYTHON_CTYPES=1.
 *
 * It calls libkvps through the addresses of the library the ctypes side loaded (bind()), so one
 * libkvps serves the process whichever KVPS_LIBRARY chooses. Errors come from the Python side's
 * one mapping (kvps._errors.last_error), called on the failing thread right after the call, while
 * the library's thread-local message is still there. Every library call runs without the GIL,
 * except the constant-time ones on a zero-copy store (HOLD below).
 *
 * On a store with KVPS_CAP_ZERO_COPY (memory://) put keeps the bytes object itself in the store
 * (a kvps_blob over its buffer holding one reference), and get hands that very object back: no
 * copy either way, whatever the size, as a dict would. bytes are immutable, so sharing them is
 * safe; any other buffer is copied. */
#define Py_LIMITED_API 0x03090000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <time.h>

#include "kvps.h"

static struct {
    __typeof__(kvps_get) *get;
    __typeof__(kvps_get_into) *get_into;
    __typeof__(kvps_free) *free;
    __typeof__(kvps_put) *put;
    __typeof__(kvps_stat) *stat;
    __typeof__(kvps_stat_metadata_at) *stat_metadata_at;
    __typeof__(kvps_delete) *remove;
    __typeof__(kvps_list_page_count) *page_count;
    __typeof__(kvps_list_page_entry) *page_entry;
    __typeof__(kvps_blob_wrap) *blob_wrap;
    __typeof__(kvps_blob_data) *blob_data;
    __typeof__(kvps_blob_size) *blob_size;
    __typeof__(kvps_blob_free) *blob_free;
    __typeof__(kvps_blob_user) *blob_user;
    __typeof__(kvps_put_blob) *put_blob;
    __typeof__(kvps_get_blob) *get_blob;
    __typeof__(kvps_writer_write_blob) *writer_write_blob;
} lib;

static PyObject *last_error; /* status -> the exception to raise */
static PyObject *key_bytes;  /* key -> its C string as bytes, or raises the binding's error */

/* Values up to this size are read into the stack, then copied once into their bytes. */
enum { SMALL = 16384 };

static PyObject *fail(kvps_status status) {
    PyObject *error = PyObject_CallFunction(last_error, "i", (int)status);
    if (error) {
        PyObject *type = PyObject_Type(error);
        PyErr_SetObject(type, error);
        Py_DECREF(type);
        Py_DECREF(error);
    }
    return NULL;
}

/* The key as a new bytes object: UTF-8 here for the common case, the binding's key_bytes
 * (which names what is wrong) for anything else: not a str, a NUL, a lone surrogate. */
static PyObject *key_of(PyObject *key) {
    if (PyUnicode_Check(key)) {
        PyObject *raw = PyUnicode_AsUTF8String(key);
        if (raw) {
            char *data;
            Py_ssize_t size;
            if (PyBytes_AsStringAndSize(raw, &data, &size) == 0 && !memchr(data, 0, (size_t)size))
                return raw;
            Py_DECREF(raw);
        }
        PyErr_Clear();
    }
    return PyObject_CallFunctionObjArgs(key_bytes, key, NULL);
}

/* Arguments (handle, key, ...): the store and the key's C string (a new reference in *raw). */
static int unpack(PyObject *args, Py_ssize_t n, kvps_store **store, PyObject **raw) {
    if (PyTuple_Size(args) != n) {
        PyErr_Format(PyExc_TypeError, "expected %zd arguments", n);
        return -1;
    }
    *store = PyLong_AsVoidPtr(PyTuple_GetItem(args, 0));
    if (!*store) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no store handle");
        return -1;
    }
    *raw = key_of(PyTuple_GetItem(args, 1));
    return *raw ? 0 : -1;
}

/* Set by exiting() at interpreter exit: from then on a released object keeps its reference (the
 * process is ending), so no thread takes the GIL of an interpreter being finalized. */
static volatile int finishing;

/* The release function of blobs over bytes objects: drops the blob's reference, on whichever
 * thread the library drops the last one (never under a lock of the library, kvps.h says). */
static void release_object(void *user) {
    if (finishing || !Py_IsInitialized()) return;
    PyGILState_STATE state = PyGILState_Ensure();
    Py_DECREF((PyObject *)user);
    PyGILState_Release(state);
}

/* HOLD: a zero-copy put and a delete on a store with KVPS_CAP_ZERO_COPY keep the GIL. They take
 * constant time (no copy), and the value they replace or remove is most often a bytes object
 * whose release needs the GIL: released first, it would be taken back inside the call. No
 * deadlock: the library never calls a release while it holds a lock, so a thread waiting for
 * the GIL in one holds no lock this thread could wait for. */

/* A blob over a bytes object's buffer, holding a reference to it; NULL with an error set. */
static kvps_blob *blob_of(PyObject *value) {
    kvps_blob *blob = NULL;
    Py_INCREF(value);
    kvps_status status = lib.blob_wrap(PyBytes_AsString(value), (size_t)PyBytes_Size(value),
                                       release_object, value, &blob);
    if (status) {
        Py_DECREF(value); /* nothing was taken */
        fail(status);
        return NULL;
    }
    return blob;
}

/* A new bytes object holding size bytes from data, copied without the GIL when large. */
static PyObject *bytes_of(const void *data, size_t size) {
    if (size <= SMALL) return PyBytes_FromStringAndSize(data, (Py_ssize_t)size);
    PyObject *value = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (!value) return NULL;
    char *target = PyBytes_AsString(value);
    PyThreadState *released = PyEval_SaveThread();
    memcpy(target, data, size);
    PyEval_RestoreThread(released);
    return value;
}

/* A store that reads a value's size cheaply (memory://, file://): the value goes into the stack
 * or, larger, straight into a bytes object of its size (one copy, one block). */
static PyObject *get_local(kvps_store *store, const char *key) {
    char small[SMALL];
    size_t size = 0;
    kvps_status status;
    PyThreadState *released = PyEval_SaveThread();
    status = lib.get_into(store, key, 0, small, sizeof small, &size);
    PyEval_RestoreThread(released);
    if (status == KVPS_OK) return PyBytes_FromStringAndSize(small, (Py_ssize_t)size);
    size_t capacity = sizeof small;
    while (status == KVPS_INVALID_ARGUMENT && size > capacity) { /* too small: size is needed */
        if (size > (size_t)PY_SSIZE_T_MAX) return PyErr_NoMemory();
        capacity = size;
        PyObject *value = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)capacity);
        if (!value) return NULL;
        char *buffer = PyBytes_AsString(value);
        size = 0;
        released = PyEval_SaveThread();
        status = lib.get_into(store, key, 0, buffer, capacity, &size);
        PyEval_RestoreThread(released);
        if (status == KVPS_OK) {
            if (size == capacity) return value;
            PyObject *shorter = PyBytes_FromStringAndSize(buffer, (Py_ssize_t)size); /* shrank */
            Py_DECREF(value);
            return shorter;
        }
        Py_DECREF(value); /* grew meanwhile: again, at its new size */
    }
    if (status == KVPS_NOT_FOUND) Py_RETURN_NONE;
    return fail(status);
}

/* Any other store: the library's buffer, copied once. */
static PyObject *get_remote(kvps_store *store, const char *key) {
    void *data = NULL;
    size_t size = 0;
    kvps_status status;
    PyThreadState *released = PyEval_SaveThread();
    status = lib.get(store, key, &data, &size);
    PyEval_RestoreThread(released);
    if (status == KVPS_NOT_FOUND) Py_RETURN_NONE;
    if (status) return fail(status);
    PyObject *value = bytes_of(size ? data : "", size);
    lib.free(data);
    return value;
}

/* A store with KVPS_CAP_ZERO_COPY: the stored block; the very bytes object that was put when
 * it is one (no copy), else a copy. */
static PyObject *get_shared(kvps_store *store, const char *key) {
    kvps_blob *blob = NULL;
    kvps_status status;
    PyThreadState *released = PyEval_SaveThread();
    status = lib.get_blob(store, key, &blob);
    PyEval_RestoreThread(released);
    if (status == KVPS_NOT_FOUND) Py_RETURN_NONE;
    if (status) return fail(status);
    PyObject *value = lib.blob_user(blob, release_object);
    if (value)
        Py_INCREF(value);
    else
        value = bytes_of(lib.blob_data(blob), lib.blob_size(blob));
    lib.blob_free(blob);
    return value;
}

enum { REMOTE, LOCAL, SHARED };

/* get(handle, key, reads) -> bytes, or None for a missing key. reads: 0 a remote store, 1 one
 * that reads a value's size cheaply, 2 one with KVPS_CAP_ZERO_COPY. */
static PyObject *ext_get(PyObject *self, PyObject *args) {
    (void)self;
    kvps_store *store;
    PyObject *raw;
    if (unpack(args, 3, &store, &raw)) return NULL;
    long reads = PyLong_AsLong(PyTuple_GetItem(args, 2));
    PyObject *value = NULL;
    const char *key = PyBytes_AsString(raw);
    if (reads == SHARED)
        value = get_shared(store, key);
    else if (reads == LOCAL)
        value = get_local(store, key);
    else if (!PyErr_Occurred())
        value = get_remote(store, key);
    Py_DECREF(raw);
    return value;
}

/* put(handle, key, value: bytes, shared) -> None. shared (a store with KVPS_CAP_ZERO_COPY):
 * an exact bytes object is kept by the store, not copied. */
static PyObject *ext_put(PyObject *self, PyObject *args) {
    (void)self;
    kvps_store *store;
    PyObject *raw;
    if (unpack(args, 4, &store, &raw)) return NULL;
    PyObject *value = PyTuple_GetItem(args, 2);
    char *data;
    Py_ssize_t size;
    if (PyBytes_AsStringAndSize(value, &data, &size)) {
        Py_DECREF(raw);
        return NULL;
    }
    kvps_blob *blob = NULL;
    if (PyObject_IsTrue(PyTuple_GetItem(args, 3)) == 1 && PyBytes_CheckExact(value)) {
        blob = blob_of(value);
        if (!blob) {
            Py_DECREF(raw);
            return NULL;
        }
    }
    const char *key = PyBytes_AsString(raw);
    kvps_status status;
    if (blob) {
        status = lib.put_blob(store, key, blob); /* see HOLD */
    } else {
        PyThreadState *released = PyEval_SaveThread();
        status = lib.put(store, key, data, (size_t)size);
        PyEval_RestoreThread(released);
    }
    lib.blob_free(blob); /* the store holds its own reference if it kept the object */
    Py_DECREF(raw);
    if (status) return fail(status);
    Py_RETURN_NONE;
}

/* write_shared(writer, value: bytes) -> None: appends an exact bytes object to a writer of a
 * store with KVPS_CAP_ZERO_COPY, which keeps it (64 KiB and more) rather than a copy. */
static PyObject *ext_write_shared(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *handle, *value;
    if (!PyArg_ParseTuple(args, "OO!", &handle, &PyBytes_Type, &value)) return NULL;
    kvps_writer *writer = PyLong_AsVoidPtr(handle);
    if (!writer) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no writer handle");
        return NULL;
    }
    kvps_blob *blob = blob_of(value);
    if (!blob) return NULL;
    kvps_status status;
    PyThreadState *released = PyEval_SaveThread();
    status = lib.writer_write_blob(writer, blob);
    PyEval_RestoreThread(released);
    lib.blob_free(blob);
    if (status) return fail(status);
    Py_RETURN_NONE;
}

/* exiting() -> None: called at interpreter exit (atexit); see finishing. */
static PyObject *ext_exiting(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    finishing = 1;
    Py_RETURN_NONE;
}

static PyObject *text(const char *s) {
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

/* stat(handle, key) -> (size, mtime_ns, etag, content_type, metadata dict), or None for a
 * missing key */
static PyObject *ext_stat(PyObject *self, PyObject *args) {
    (void)self;
    kvps_store *store;
    PyObject *raw;
    if (unpack(args, 2, &store, &raw)) return NULL;
    kvps_stat_info info;
    info.version = KVPS_STAT_VERSION;
    info.etag[0] = info.content_type[0] = '\0';
    info.metadata_count = 0;
    const char *key = PyBytes_AsString(raw);
    kvps_status status;
    PyThreadState *released = PyEval_SaveThread();
    status = lib.stat(store, key, &info);
    PyEval_RestoreThread(released);
    Py_DECREF(raw);
    if (status == KVPS_NOT_FOUND) Py_RETURN_NONE;
    if (status) return fail(status);
    PyObject *metadata = PyDict_New();
    for (size_t i = 0; metadata && i < info.metadata_count; i++) {
        const char *name, *value;
        if (lib.stat_metadata_at(&info, i, &name, &value)) continue;
        PyObject *n = text(name), *v = n ? text(value) : NULL;
        if (!v || PyDict_SetItem(metadata, n, v)) Py_CLEAR(metadata);
        Py_XDECREF(n);
        Py_XDECREF(v);
    }
    if (!metadata) return NULL;
    return Py_BuildValue("(KLNNN)", (unsigned long long)info.size, (long long)info.mtime_ns,
                         text(info.etag), text(info.content_type), metadata);
}

/* delete(handle, key) -> None */
static PyObject *ext_delete(PyObject *self, PyObject *args) {
    (void)self;
    kvps_store *store;
    PyObject *raw;
    if (unpack(args, 3, &store, &raw)) return NULL;
    const char *key = PyBytes_AsString(raw);
    kvps_status status;
    if (PyObject_IsTrue(PyTuple_GetItem(args, 2)) == 1) {
        status = lib.remove(store, key); /* see HOLD */
    } else {
        PyThreadState *released = PyEval_SaveThread();
        status = lib.remove(store, key);
        PyEval_RestoreThread(released);
    }
    Py_DECREF(raw);
    if (status) return fail(status);
    Py_RETURN_NONE;
}

/* key_block(keys: list) -> bytes: the keys' C strings and the array of pointers to them, in one
 * bytes object: its first len(keys) pointer-sized slots point at the NUL-terminated keys that
 * follow (a bytes object never moves, so they hold while it lives). The `const char *const
 * *keys` of the batch calls, without a bytes object and a ctypes conversion per key. */
static PyObject *ext_key_block(PyObject *self, PyObject *keys) {
    (void)self;
    if (!PyList_Check(keys)) return PyErr_Format(PyExc_TypeError, "key_block takes a list");
    Py_ssize_t n = PyList_Size(keys);
    PyObject *raws = PyTuple_New(n);
    if (!raws) return NULL;
    size_t total = (size_t)n * sizeof(char *);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *raw = key_of(PyList_GetItem(keys, i));
        if (!raw) {
            Py_DECREF(raws);
            return NULL;
        }
        PyTuple_SetItem(raws, i, raw); /* steals raw */
        total += (size_t)PyBytes_Size(raw) + 1;
    }
    PyObject *block = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (block) {
        char *base = PyBytes_AsString(block);
        char *at = base + (size_t)n * sizeof(char *);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *raw = PyTuple_GetItem(raws, i);
            size_t size = (size_t)PyBytes_Size(raw) + 1; /* with the NUL every bytes ends in */
            memcpy(at, PyBytes_AsString(raw), size);
            memcpy(base + (size_t)i * sizeof(char *), &at, sizeof at);
            at += size;
        }
    }
    Py_DECREF(raws);
    return block;
}

/* The attribute names of a listed entry, interned once. */
static PyObject *entry_fields[4];

/* One listed entry as an instance of entry_type (a dataclass: key, size, modified, etag), made
 * without its __init__ (which a frozen dataclass runs through object.__setattr__ per field):
 * the fields go straight into the new object's attributes, as object.__setattr__ does. */
static PyObject *entry_of(const kvps_entry *e, PyTypeObject *entry_type, PyObject *empty,
                          PyObject *modified) {
    PyObject *entry = PyType_GenericNew(entry_type, empty, NULL);
    if (!entry) return NULL;
    Py_INCREF(modified);
    PyObject *etag = Py_None;
    if (e->etag[0])
        etag = text(e->etag);
    else
        Py_INCREF(etag);
    PyObject *values[4] = {text(e->key), PyLong_FromUnsignedLongLong(e->size), modified, etag};
    for (int i = 0; i < 4; i++) {
        if (entry && (!values[i] || PyObject_GenericSetAttr(entry, entry_fields[i], values[i])))
            Py_CLEAR(entry);
        Py_XDECREF(values[i]);
    }
    return entry;
}

/* A UTC datetime for ns since the epoch, to the microsecond (rounded down, as the binding's
 * datetime_from_ns does): datetime_type(year, ..., microsecond, utc), the fields from gmtime_r
 * (the limited API has no datetime C API; a Python-level conversion per entry cost most of a
 * listing). */
static PyObject *datetime_of(int64_t ns, PyObject *datetime_type, PyObject *utc) {
    int64_t us = ns / 1000 - (ns % 1000 < 0), seconds = us / 1000000 - (us % 1000000 < 0);
    time_t t = (time_t)seconds;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return PyErr_Format(PyExc_OverflowError, "time out of range: %lld ns", (long long)ns);
    return PyObject_CallFunction(datetime_type, "iiiiiiiO", tm.tm_year + 1900, tm.tm_mon + 1,
                                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                                 (int)(us - seconds * 1000000), utc);
}

/* entries(page, entry_type, datetime_type, utc) -> list: the entries of a kvps_list_page (its
 * address as int), each an entry_type; modified is a datetime_type in utc (None for 0), one per
 * run of equal times (datetimes are immutable). */
static PyObject *ext_entries(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *address, *entry_type, *datetime_type, *utc;
    if (!PyArg_ParseTuple(args, "OO!OO", &address, &PyType_Type, &entry_type, &datetime_type, &utc))
        return NULL;
    const kvps_list_page *page = PyLong_AsVoidPtr(address);
    if (!page) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no list page");
        return NULL;
    }
    static const char *names[4] = {"key", "size", "modified", "etag"};
    for (int i = 0; i < 4; i++)
        if (!entry_fields[i] && !(entry_fields[i] = PyUnicode_InternFromString(names[i])))
            return NULL;
    PyObject *empty = PyTuple_New(0);
    if (!empty) return NULL;
    size_t n = lib.page_count(page);
    PyObject *list = PyList_New((Py_ssize_t)n);
    PyObject *when = Py_None; /* the datetime of when_ns */
    Py_INCREF(when);
    int64_t when_ns = 0;
    for (size_t i = 0; list && i < n; i++) {
        const kvps_entry *e = lib.page_entry(page, i);
        if (e->mtime_ns != when_ns) {
            Py_DECREF(when);
            when_ns = e->mtime_ns;
            if (when_ns) {
                when = datetime_of(when_ns, datetime_type, utc);
            } else {
                when = Py_None;
                Py_INCREF(when);
            }
            if (!when) {
                Py_CLEAR(list);
                break;
            }
        }
        PyObject *entry = entry_of(e, (PyTypeObject *)entry_type, empty, when);
        if (!entry || PyList_SetItem(list, (Py_ssize_t)i, entry)) Py_CLEAR(list);
    }
    Py_XDECREF(when);
    Py_DECREF(empty);
    return list;
}

/* bind(addresses: dict[name, int], last_error, key_bytes): the library's functions, taken from
 * the ctypes side's library, and the binding's error and key conversions. */
static PyObject *ext_bind(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *addresses, *error, *key;
    if (!PyArg_ParseTuple(args, "O!OO", &PyDict_Type, &addresses, &error, &key)) return NULL;
    struct {
        const char *name;
        void **slot;
    } table[] = {
        {"kvps_get", (void **)&lib.get},
        {"kvps_get_into", (void **)&lib.get_into},
        {"kvps_free", (void **)&lib.free},
        {"kvps_put", (void **)&lib.put},
        {"kvps_stat", (void **)&lib.stat},
        {"kvps_stat_metadata_at", (void **)&lib.stat_metadata_at},
        {"kvps_delete", (void **)&lib.remove},
        {"kvps_list_page_count", (void **)&lib.page_count},
        {"kvps_list_page_entry", (void **)&lib.page_entry},
        {"kvps_blob_wrap", (void **)&lib.blob_wrap},
        {"kvps_blob_data", (void **)&lib.blob_data},
        {"kvps_blob_size", (void **)&lib.blob_size},
        {"kvps_blob_free", (void **)&lib.blob_free},
        {"kvps_blob_user", (void **)&lib.blob_user},
        {"kvps_put_blob", (void **)&lib.put_blob},
        {"kvps_get_blob", (void **)&lib.get_blob},
        {"kvps_writer_write_blob", (void **)&lib.writer_write_blob},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        PyObject *address = PyDict_GetItemString(addresses, table[i].name);
        if (!address) return PyErr_Format(PyExc_KeyError, "bind: no address for %s", table[i].name);
        void *fn = PyLong_AsVoidPtr(address);
        if (!fn)
            return PyErr_Occurred()
                       ? NULL
                       : PyErr_Format(PyExc_ValueError, "bind: %s is NULL", table[i].name);
        *table[i].slot = fn;
    }
    Py_INCREF(error);
    Py_XDECREF(last_error);
    last_error = error;
    Py_INCREF(key);
    Py_XDECREF(key_bytes);
    key_bytes = key;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", ext_bind, METH_VARARGS, "bind(addresses, last_error, key_bytes): set up the module"},
    {"get", ext_get, METH_VARARGS, "get(handle, key, reads) -> bytes, or None for a missing key"},
    {"put", ext_put, METH_VARARGS, "put(handle, key, value: bytes, shared) -> None"},
    {"write_shared", ext_write_shared, METH_VARARGS,
     "write_shared(writer, value: bytes) -> None"},
    {"exiting", ext_exiting, METH_NOARGS, "exiting() -> None: the interpreter is exiting"},
    {"stat", ext_stat, METH_VARARGS,
     "stat(handle, key) -> (size, mtime_ns, etag, content_type, metadata) or None"},
    {"delete", ext_delete, METH_VARARGS, "delete(handle, key, shared) -> None"},
    {"key_block", ext_key_block, METH_O,
     "key_block(keys: list) -> bytes: pointers to the keys' C strings, then the strings"},
    {"entries", ext_entries, METH_VARARGS,
     "entries(page, entry_type, datetime_type, utc) -> list of entry_type: a list page's entries"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "_kvpsext",
    "kvps.Store's hot paths, over libkvps's C API",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__kvpsext(void) { return PyModule_Create(&module); }
