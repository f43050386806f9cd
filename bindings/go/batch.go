package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"fmt"
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

// cArray allocates n zeroed elements of T in C memory (an array of pointers handed to C must
// live there: cgo forbids Go memory holding Go pointers).
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

// opBatch reads the outcome of a completed batch op as batchCall and batchError read a
// blocking call's, taking get_many's values into values (nil for the other calls). cancelled
// is ctx.Err() when the op was cancelled (nil otherwise): an op whose every item was cancelled
// did nothing and returns just that; where some items completed first, each cancelled item's
// error satisfies errors.Is with both ErrCancelled and ctx.Err().
func opBatch(op *C.kvps_op, name, itemOp string, keys []string, cancelled error, failed func(C.kvps_status) bool, values [][]byte) error {
	n := len(keys)
	statuses, items := cArray[C.kvps_status](n)
	defer C.free(unsafe.Pointer(statuses))
	err := call(name, "", func() C.kvps_status { return C.kvps_op_statuses(op, statuses) })
	for i, st := range items {
		var data unsafe.Pointer
		var size C.size_t
		if values != nil && st == C.KVPS_OK && C.kvps_op_item_value(op, C.size_t(i), &data, &size) == C.KVPS_OK {
			values[i] = takeBuffer(data, size)
		}
	}
	if err == nil {
		return nil
	}
	all := true
	for _, st := range items {
		all = all && st == C.KVPS_CANCELLED
	}
	if cancelled != nil && all {
		return cancelled
	}
	messages := make([]string, n)
	for i := range messages {
		if messages[i] = C.GoString(C.kvps_op_item_error(op, C.size_t(i))); messages[i] == "" && failed(items[i]) {
			if e, ok := err.(*Error); ok {
				messages[i] = e.Message
			}
		}
	}
	err = batchError(itemOp, keys, items, err, messages, failed)
	if be, ok := err.(*BatchError); ok && cancelled != nil {
		for i, st := range items {
			if st == C.KVPS_CANCELLED {
				be.Errs[i] = fmt.Errorf("%w (%w)", be.Errs[i], cancelled)
			}
		}
	}
	return err
}

// PutMany stores each item's value under its key.
func (s *Store) PutMany(items []KV) error { return s.PutManyContext(context.Background(), items) }

// PutManyContext is PutMany that is cancelled when ctx is done: the items not written yet are
// stopped, each leaving its old value. When none had been written it returns ctx.Err();
// otherwise a *BatchError whose cancelled items satisfy errors.Is with ErrCancelled and
// ctx.Err(), while the items that completed report their own results.
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
	defer freeKeys()
	data, dataItems := cArray[unsafe.Pointer](n)
	defer C.free(unsafe.Pointer(data))
	sizes, sizeItems := cArray[C.size_t](n)
	defer C.free(unsafe.Pointer(sizes))
	// A Go pointer stored in C memory must be pinned for as long as C may use it: until the
	// blocking call returns, or until the asynchronous call copied the values.
	var pinner runtime.Pinner
	defer pinner.Unpin()
	for i, it := range items {
		sizeItems[i] = C.size_t(len(it.Value))
		if len(it.Value) > 0 {
			pinner.Pin(&it.Value[0])
			dataItems[i] = unsafe.Pointer(&it.Value[0])
		}
	}
	if ctx.Done() != nil {
		return s.runOpCancel(ctx, "put many", "", func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_put_many_async(c, C.size_t(n), ckeys, data, sizes, nil, o)
		}, func(o *C.kvps_op, cancelled error) error {
			return opBatch(o, "put many", "put", keys, cancelled, notOK, nil)
		})
	}
	statuses, statusItems := cArray[C.kvps_status](n)
	defer C.free(unsafe.Pointer(statuses))
	return s.run(func(c *C.kvps_store) error {
		messages, err := batchCall("put many", n, func() C.kvps_status {
			return C.kvps_put_many(c, C.size_t(n), ckeys, data, sizes, statuses)
		})
		return batchError("put", keys, statusItems, err, messages, notOK)
	}, nil)
}

// GetMany returns the values of keys: values[i] is keys[i]'s value, nil when the key is
// missing (an empty value is a non-nil empty slice) or when its item failed.
func (s *Store) GetMany(keys []string) ([][]byte, error) {
	return s.GetManyContext(context.Background(), keys)
}

// GetManyContext is GetMany that is cancelled when ctx is done, as PutManyContext is: ctx.Err()
// when no item had been read, otherwise the values read and a *BatchError.
func (s *Store) GetManyContext(ctx context.Context, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return [][]byte{}, ctx.Err()
	}
	n := len(keys)
	ckeys, freeKeys, err := cKeys("get", keys)
	if err != nil {
		return nil, err
	}
	defer freeKeys()
	values := make([][]byte, n)
	failedGet := func(st C.kvps_status) bool { return st != C.KVPS_OK && st != C.KVPS_NOT_FOUND }
	if ctx.Done() != nil {
		err = s.runOpCancel(ctx, "get many", "", func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_get_many_async(c, C.size_t(n), ckeys, nil, o)
		}, func(o *C.kvps_op, cancelled error) error {
			return opBatch(o, "get many", "get", keys, cancelled, failedGet, values)
		})
	} else {
		data, dataItems := cArray[unsafe.Pointer](n)
		defer C.free(unsafe.Pointer(data))
		sizes, sizeItems := cArray[C.size_t](n)
		defer C.free(unsafe.Pointer(sizes))
		statuses, statusItems := cArray[C.kvps_status](n)
		defer C.free(unsafe.Pointer(statuses))
		err = s.run(func(c *C.kvps_store) error {
			messages, err := batchCall("get many", n, func() C.kvps_status {
				return C.kvps_get_many(c, C.size_t(n), ckeys, data, sizes, statuses)
			})
			for i := range dataItems {
				if dataItems[i] != nil {
					values[i] = takeBuffer(dataItems[i], sizeItems[i])
				}
			}
			return batchError("get", keys, statusItems, err, messages, failedGet)
		}, nil)
	}
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

// DeleteManyContext is DeleteMany that is cancelled when ctx is done, as PutManyContext is:
// ctx.Err() when no key had been removed, otherwise a *BatchError.
func (s *Store) DeleteManyContext(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return ctx.Err()
	}
	n := len(keys)
	ckeys, freeKeys, err := cKeys("delete", keys)
	if err != nil {
		return err
	}
	defer freeKeys()
	if ctx.Done() != nil {
		return s.runOpCancel(ctx, "delete many", "", func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_delete_many_async(c, C.size_t(n), ckeys, nil, o)
		}, func(o *C.kvps_op, cancelled error) error {
			return opBatch(o, "delete many", "delete", keys, cancelled, notOK, nil)
		})
	}
	statuses, statusItems := cArray[C.kvps_status](n)
	defer C.free(unsafe.Pointer(statuses))
	return s.run(func(c *C.kvps_store) error {
		messages, err := batchCall("delete many", n, func() C.kvps_status {
			return C.kvps_delete_many(c, C.size_t(n), ckeys, statuses)
		})
		return batchError("delete", keys, statusItems, err, messages, notOK)
	}, nil)
}
