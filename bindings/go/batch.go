package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// The batch calls work on many keys at once; stores with CapBatch run them in parallel or in
// bulk requests. Items are independent: one failing neither undoes nor stops the others. The
// error is nil when every item succeeded, otherwise a *BatchError listing each failed item
// (errors.Is and errors.As see the items' errors). A key containing a NUL byte fails the
// whole call before any item runs.

// KV is a key and its value, an item of PutMany.
type KV struct {
	Key   string
	Value []byte
}

// cArray allocates n zeroed elements of T in C memory, where the library can write and read
// them even after a cancelled caller returned.
func cArray[T any](n int) (*T, []T) {
	var zero T
	p := (*T)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(zero))))
	if p == nil {
		panic("kvps: out of C memory")
	}
	return p, unsafe.Slice(p, n)
}

// cKeys copies keys to a C array of C strings; free releases all of it.
func cKeys(op string, keys []string) (array **C.char, free func(), err error) {
	array, items := cArray[*C.char](len(keys))
	free = func() {
		for _, p := range items {
			C.free(unsafe.Pointer(p))
		}
		C.free(unsafe.Pointer(array))
	}
	for i, key := range keys {
		if items[i], err = cString(key, StatusInvalidKey, op, key, "the key"); err != nil {
			free()
			return nil, nil, err
		}
	}
	return array, free, nil
}

// batchCall runs one batch call and returns the library's message for each item with the
// call's error (as call gives it), read on the same OS thread right after the call.
func batchCall(op string, n int, fn func() C.kvps_status) ([]string, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	status := fn()
	if status == C.KVPS_OK {
		return nil, nil
	}
	messages := make([]string, n)
	for i := range messages {
		messages[i] = C.GoString(C.kvps_last_item_error(C.size_t(i)))
	}
	return messages, &Error{Status: Status(status), Op: op, Message: C.GoString(C.kvps_last_error())}
}

// batchError turns the statuses of a batch call into a *BatchError, each failed item with the
// library's own message for it. err is the call's own error.
func batchError(op string, keys []string, statuses []C.kvps_status, err error, messages []string, failed func(C.kvps_status) bool) error {
	if err == nil {
		return nil
	}
	be := &BatchError{Errs: make([]error, len(keys))}
	found := false
	for i, st := range statuses {
		if !failed(st) {
			continue
		}
		be.Errs[i] = &Error{Status: Status(st), Op: op, Key: keys[i], Message: messages[i]}
		found = true
	}
	if !found {
		return err // the call failed as a whole, e.g. an invalid argument
	}
	return be
}

func notOK(st C.kvps_status) bool { return st != C.KVPS_OK }

// PutMany stores each item's value under its key.
func (s *Store) PutMany(items []KV) error { return s.PutManyContext(context.Background(), items) }

// PutManyContext is PutMany that stops waiting when ctx is done. When ctx can be cancelled the
// values are first copied to C memory, since the library call may outlive PutManyContext.
func (s *Store) PutManyContext(ctx context.Context, items []KV) error {
	if len(items) == 0 {
		return ctx.Err()
	}
	n := len(items)
	keys := make([]string, n)
	for i, it := range items {
		keys[i] = it.Key
	}
	ckeys, freeKeys, err := cKeys("put", keys)
	if err != nil {
		return err
	}
	data, dataItems := cArray[unsafe.Pointer](n)
	sizes, sizeItems := cArray[C.size_t](n)
	statuses, statusItems := cArray[C.kvps_status](n)
	var pinner runtime.Pinner
	copied := ctx.Done() != nil
	for i, it := range items {
		sizeItems[i] = C.size_t(len(it.Value))
		switch {
		case len(it.Value) == 0:
		case copied:
			dataItems[i] = C.CBytes(it.Value)
		default:
			// A Go pointer stored in C memory must be pinned for as long as C may use it.
			pinner.Pin(&it.Value[0])
			dataItems[i] = unsafe.Pointer(&it.Value[0])
		}
	}
	return s.run(ctx, func(c *C.kvps_store) error {
		messages, err := batchCall("put many", n, func() C.kvps_status {
			return C.kvps_put_many(c, C.size_t(n), ckeys, data, sizes, statuses)
		})
		return batchError("put", keys, statusItems, err, messages, notOK)
	}, func() {
		pinner.Unpin()
		if copied {
			for _, p := range dataItems {
				C.free(p)
			}
		}
		C.free(unsafe.Pointer(data))
		C.free(unsafe.Pointer(sizes))
		C.free(unsafe.Pointer(statuses))
		freeKeys()
	})
}

// GetMany returns the values of keys: values[i] is keys[i]'s value, nil when the key is
// missing (an empty value is a non-nil empty slice) or when its item failed.
func (s *Store) GetMany(keys []string) ([][]byte, error) {
	return s.GetManyContext(context.Background(), keys)
}

// GetManyContext is GetMany that stops waiting when ctx is done.
func (s *Store) GetManyContext(ctx context.Context, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return [][]byte{}, ctx.Err()
	}
	n := len(keys)
	ckeys, freeKeys, err := cKeys("get", keys)
	if err != nil {
		return nil, err
	}
	data, dataItems := cArray[unsafe.Pointer](n)
	sizes, sizeItems := cArray[C.size_t](n)
	statuses, statusItems := cArray[C.kvps_status](n)
	values := make([][]byte, n)
	err = s.run(ctx, func(c *C.kvps_store) error {
		messages, err := batchCall("get many", n, func() C.kvps_status {
			return C.kvps_get_many(c, C.size_t(n), ckeys, data, sizes, statuses)
		})
		for i := range dataItems {
			if dataItems[i] != nil {
				values[i] = takeBuffer(dataItems[i], sizeItems[i])
				dataItems[i] = nil
			}
		}
		return batchError("get", keys, statusItems, err, messages, func(st C.kvps_status) bool {
			return st != C.KVPS_OK && st != C.KVPS_NOT_FOUND
		})
	}, func() {
		for _, p := range dataItems {
			C.kvps_free(p)
		}
		C.free(unsafe.Pointer(data))
		C.free(unsafe.Pointer(sizes))
		C.free(unsafe.Pointer(statuses))
		freeKeys()
	})
	if err != nil {
		if _, ok := err.(*BatchError); ok {
			return values, err // the items that succeeded are there
		}
		return nil, err
	}
	return values, nil
}

// DeleteMany removes keys; missing keys are not an error.
func (s *Store) DeleteMany(keys []string) error {
	return s.DeleteManyContext(context.Background(), keys)
}

// DeleteManyContext is DeleteMany that stops waiting when ctx is done.
func (s *Store) DeleteManyContext(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return ctx.Err()
	}
	n := len(keys)
	ckeys, freeKeys, err := cKeys("delete", keys)
	if err != nil {
		return err
	}
	statuses, statusItems := cArray[C.kvps_status](n)
	return s.run(ctx, func(c *C.kvps_store) error {
		messages, err := batchCall("delete many", n, func() C.kvps_status {
			return C.kvps_delete_many(c, C.size_t(n), ckeys, statuses)
		})
		return batchError("delete", keys, statusItems, err, messages, notOK)
	}, func() {
		C.free(unsafe.Pointer(statuses))
		freeKeys()
	})
}
