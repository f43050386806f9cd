package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"unsafe"
)

// NewReaderContext opens a reader as NewReader does, bound to ctx. With a ctx that can be done
// the reader runs on the library's asynchronous stream calls: the open and each read are
// cancelled when ctx is done (kvps_op_cancel). A read cancelled before it started reads
// nothing and returns ctx.Err(); one that started runs until its bytes arrive, as the library
// defines it (kvps.h, "Asynchronous streams"; on s3:// a silent server is not cut), and returns
// them. Once ctx is done the reader is closed (as soon as a Read in progress returns) and every
// later Read, ReadAt and WriteTo returns ctx.Err(). Close it as usual.
func (s *Store) NewReaderContext(ctx context.Context, key string) (*Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ctx.Done() == nil {
		return s.NewReader(key)
	}
	ckey, err := cString(key, StatusInvalidKey, "open reader", key, "the key")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ckey))
	var c *C.kvps_reader
	err = s.runOp(ctx, "open reader", key, func(cs *C.kvps_store, o **C.kvps_op) C.kvps_status {
		return C.kvps_reader_open_async(cs, ckey, 0, C.KVPS_TO_END, nil, o)
	}, func(o *C.kvps_op) error {
		return call("open reader", key, func() C.kvps_status { return C.kvps_op_reader(o, &c) })
	})
	if err != nil {
		return nil, err
	}
	r := &Reader{key: key, c: c, size: int64(C.kvps_reader_value_size(c)), ctx: ctx}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stop = context.AfterFunc(ctx, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.c != nil {
			C.kvps_reader_close(r.c)
			r.c = nil
			r.ctxErr = ctx.Err()
		}
	})
	return r, nil
}

// NewWriterContext opens a writer as NewWriter does, bound to ctx. With a ctx that can be done
// the writer runs on the library's asynchronous stream calls, each cancelled when ctx is done:
//   - the open;
//   - a Write: one cancelled before it started wrote nothing and returns ctx.Err(); one that
//     started runs to its end (on s3:// it may wait for parts in flight). Either way a Write
//     that failed leaves the writer failed: it can only be aborted;
//   - Close: a commit cancelled in time made nothing visible (the old value stays, and the
//     writer is aborted, on s3:// its multipart upload too) and returns ctx.Err(); one that
//     could no longer be stopped returns its own result: nil means the value is in place.
//
// Once ctx is done outside a Close, the writer is aborted (as soon as a Write in progress
// returns), so no part of the value is ever visible; every later Write and Close returns
// ctx.Err().
func (s *Store) NewWriterContext(ctx context.Context, key string) (*Writer, error) {
	return s.NewWriterWithContext(ctx, key, nil)
}

// NewWriterWithContext is NewWriterWith bound to ctx as NewWriterContext is; Writer.ETag gives
// the etag of the value a successful Close made.
func (s *Store) NewWriterWithContext(ctx context.Context, key string, opts *PutOptions) (*Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ctx.Done() == nil {
		if opts == nil {
			return s.NewWriter(key)
		}
		return s.NewWriterWith(key, opts)
	}
	ckey, err := cString(key, StatusInvalidKey, "open writer", key, "the key")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ckey))
	copts, err := newCPutOptions(opts, "open writer", key)
	if err != nil {
		return nil, err
	}
	defer copts.free() // the asynchronous open copies the options
	var c *C.kvps_writer
	err = s.runOp(ctx, "open writer", key, func(cs *C.kvps_store, o **C.kvps_op) C.kvps_status {
		if opts == nil {
			return C.kvps_writer_open_async(cs, ckey, nil, o)
		}
		return C.kvps_writer_open_with_async(cs, ckey, asyncPutOptions(copts), nil, o)
	}, func(o *C.kvps_op) error {
		return call("open writer", key, func() C.kvps_status { return C.kvps_op_writer(o, &c) })
	})
	if err != nil {
		return nil, err
	}
	w := &Writer{key: key, c: c, ctx: ctx}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stop = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.c != nil {
			C.kvps_writer_abort(w.c)
			w.c = nil
			w.freeOptions()
			w.ctxErr = ctx.Err()
		}
	})
	return w, nil
}
