package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"runtime"
	"time"
	"unsafe"
)

// ToEnd as a length of GetRange or ReadRange means "up to the end of the value".
const ToEnd int64 = -1

// Stat is the metadata of one value.
type Stat struct {
	Size    int64     // bytes
	ModTime time.Time // the zero Time when the backend cannot tell
	ETag    string    // changes whenever the value changes; "" when the backend cannot tell
	// ContentType: as written ("application/octet-stream" without one). Metadata: the user
	// metadata written with the value, names in lower case (empty when none).
	ContentType string
	Metadata    map[string]string
}

func modTime(ns C.int64_t) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(ns))
}

// takeBuffer copies a buffer the library returned into Go memory and frees it.
func takeBuffer(data unsafe.Pointer, size C.size_t) []byte {
	defer C.kvps_free(data)
	value := make([]byte, int(size))
	if size > 0 {
		copy(value, unsafe.Slice((*byte)(data), int(size)))
	}
	return value
}

// Get returns key's whole value. A missing key is an error for which
// errors.Is(err, ErrNotFound) holds.
func (s *Store) Get(key string) ([]byte, error) { return s.GetContext(context.Background(), key) }

// GetContext is Get that is cancelled when ctx is done (see the package documentation).
func (s *Store) GetContext(ctx context.Context, key string) ([]byte, error) {
	return s.getRange(ctx, "get", key, 0, ToEnd)
}

// GetRange returns length bytes of key's value from offset (ToEnd for the rest). A range past
// the end is clamped to the end; an offset at or past the end gives an empty value.
func (s *Store) GetRange(key string, offset, length int64) ([]byte, error) {
	return s.GetRangeContext(context.Background(), key, offset, length)
}

// GetRangeContext is GetRange that is cancelled when ctx is done.
func (s *Store) GetRangeContext(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	return s.getRange(ctx, "get range", key, offset, length)
}

// cLength converts a Go length (ToEnd or >= 0) to the C API's.
func cLength(length int64) C.uint64_t {
	if length == ToEnd {
		return C.KVPS_TO_END
	}
	return C.uint64_t(length)
}

func (s *Store) getRange(ctx context.Context, op, key string, offset, length int64) ([]byte, error) {
	if offset < 0 || length < ToEnd {
		return nil, invalid(StatusInvalidArgument, op, key, "negative offset or length")
	}
	ckey, err := cString(key, StatusInvalidKey, op, key, "the key")
	if err != nil {
		return nil, err
	}
	var value []byte
	if ctx.Done() != nil {
		defer C.free(unsafe.Pointer(ckey))
		err = s.runOp(ctx, op, key, func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			if op == "get" {
				return C.kvps_get_async(c, ckey, nil, o)
			}
			return C.kvps_get_range_async(c, ckey, C.uint64_t(offset), cLength(length), nil, o)
		}, opValue(op, key, &value))
		if err != nil {
			return nil, err
		}
		return value, nil
	}
	err = s.run(func(c *C.kvps_store) error {
		var data unsafe.Pointer
		var size C.size_t
		err := call(op, key, func() C.kvps_status {
			if op == "get" {
				return C.kvps_get(c, ckey, &data, &size)
			}
			return C.kvps_get_range(c, ckey, C.uint64_t(offset), cLength(length), &data, &size)
		})
		if err == nil {
			value = takeBuffer(data, size)
		}
		return err
	}, func() { C.free(unsafe.Pointer(ckey)) })
	if err != nil {
		return nil, err
	}
	return value, nil
}

// Put stores value under key, replacing any old value atomically: a reader sees the old
// value or the new one, never a mix.
func (s *Store) Put(key string, value []byte) error {
	return s.PutContext(context.Background(), key, value)
}

// PutContext is Put that is cancelled when ctx is done: it then returns ctx.Err() and the old
// value is left in place (see the package documentation).
func (s *Store) PutContext(ctx context.Context, key string, value []byte) error {
	ckey, err := cString(key, StatusInvalidKey, "put", key, "the key")
	if err != nil {
		return err
	}
	if ctx.Done() != nil {
		defer C.free(unsafe.Pointer(ckey))
		return s.runOp(ctx, "put", key, func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_put_async(c, ckey, asyncBytes(value), C.size_t(len(value)), nil, o)
		}, opStatus("put", key))
	}
	data, release := borrowBytes(value)
	return s.run(func(c *C.kvps_store) error {
		return call("put", key, func() C.kvps_status {
			return C.kvps_put(c, ckey, data, C.size_t(len(value)))
		})
	}, func() {
		release()
		C.free(unsafe.Pointer(ckey))
	})
}

// borrowBytes gives a blocking call a pointer to b, valid until release: Go memory may be
// passed to C for the duration of a call when it holds no Go pointers.
func borrowBytes(b []byte) (data unsafe.Pointer, release func()) {
	if len(b) == 0 {
		return nil, func() {}
	}
	return unsafe.Pointer(&b[0]), func() { runtime.KeepAlive(b) }
}

// Stat returns key's metadata.
func (s *Store) Stat(key string) (Stat, error) { return s.StatContext(context.Background(), key) }

// StatContext is Stat that is cancelled when ctx is done.
func (s *Store) StatContext(ctx context.Context, key string) (Stat, error) {
	ckey, err := cString(key, StatusInvalidKey, "stat", key, "the key")
	if err != nil {
		return Stat{}, err
	}
	var st Stat
	if ctx.Done() != nil {
		defer C.free(unsafe.Pointer(ckey))
		err = s.runOp(ctx, "stat", key, func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_stat_async(c, ckey, nil, o)
		}, func(o *C.kvps_op) error {
			info := newStatInfo()
			defer C.free(unsafe.Pointer(info))
			err := call("stat", key, func() C.kvps_status { return C.kvps_op_stat(o, info) })
			if err == nil {
				st = statOf(info)
			}
			return err
		})
		if err != nil {
			return Stat{}, err
		}
		return st, nil
	}
	err = s.run(func(c *C.kvps_store) error {
		info := newStatInfo()
		defer C.free(unsafe.Pointer(info))
		err := call("stat", key, func() C.kvps_status { return C.kvps_stat(c, ckey, info) })
		if err == nil {
			st = statOf(info)
		}
		return err
	}, func() { C.free(unsafe.Pointer(ckey)) })
	if err != nil {
		return Stat{}, err
	}
	return st, nil
}

// Delete removes key. Removing a missing key is not an error.
func (s *Store) Delete(key string) error { return s.DeleteContext(context.Background(), key) }

// DeleteContext is Delete that is cancelled when ctx is done.
func (s *Store) DeleteContext(ctx context.Context, key string) error {
	ckey, err := cString(key, StatusInvalidKey, "delete", key, "the key")
	if err != nil {
		return err
	}
	if ctx.Done() != nil {
		defer C.free(unsafe.Pointer(ckey))
		return s.runOp(ctx, "delete", key, func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_delete_async(c, ckey, nil, o)
		}, opStatus("delete", key))
	}
	return s.run(func(c *C.kvps_store) error {
		return call("delete", key, func() C.kvps_status { return C.kvps_delete(c, ckey) })
	}, func() { C.free(unsafe.Pointer(ckey)) })
}
