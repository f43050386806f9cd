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

// runOp runs one operation of the library's asynchronous API (kvps_*_async) for a ...Context
// call: start starts it (its inputs are copied by the library, so the caller's memory is free
// once start returns); when ctx is done first the operation is cancelled (kvps_op_cancel) and
// runOp waits for it to stop, which is prompt (see kvps.h). An operation stopped that way
// returns ctx.Err() and changed nothing; one that completed anyway returns its own result,
// read by result from the completed op. With a context that can never be done the blocking
// path (s.run) is cheaper, so callers only come here when ctx.Done() != nil.
func (s *Store) runOp(ctx context.Context, name, key string,
	start func(c *C.kvps_store, op **C.kvps_op) C.kvps_status,
	result func(op *C.kvps_op) error) error {
	return s.runOpCancel(ctx, name, key, start, func(op *C.kvps_op, cancelled error) error {
		if cancelled != nil && C.kvps_op_status(op) == C.KVPS_CANCELLED {
			return cancelled
		}
		return result(op)
	})
}

// runOpCancel is runOp for the operations whose cancellation may have done part of their
// work (a rename, the batch calls): result reads the completed op, told ctx.Err() when runOp
// cancelled it (nil when it completed on its own), and reports what the op did.
func (s *Store) runOpCancel(ctx context.Context, name, key string,
	start func(c *C.kvps_store, op **C.kvps_op) C.kvps_status,
	result func(op *C.kvps_op, cancelled error) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock() // Close waits for the operation, as it waits for blocking calls
	if s.c == nil {
		return ErrClosed
	}
	var op *C.kvps_op
	if err := call(name, key, func() C.kvps_status { return start(s.c, &op) }); err != nil {
		return err
	}
	defer C.kvps_op_free(op)
	return result(op, waitOp(ctx, op))
}

// waitOp waits until op completes. When ctx is done first it cancels op (kvps_op_cancel),
// waits for it to stop, and returns ctx.Err(); nil when op completed on its own.
func waitOp(ctx context.Context, op *C.kvps_op) error {
	done := make(chan struct{})
	go func() {
		C.kvps_op_wait(op, -1)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		C.kvps_op_cancel(op)
		<-done
		return ctx.Err()
	}
}

// opStatus is the result of an operation without one: its status.
func opStatus(name, key string) func(op *C.kvps_op) error {
	return func(op *C.kvps_op) error {
		return call(name, key, func() C.kvps_status { return C.kvps_op_status(op) })
	}
}

// opValue takes the value of a completed get into *value.
func opValue(name, key string, value *[]byte) func(op *C.kvps_op) error {
	return func(op *C.kvps_op) error {
		var data unsafe.Pointer
		var size C.size_t
		err := call(name, key, func() C.kvps_status { return C.kvps_op_value(op, &data, &size) })
		if err == nil {
			*value = takeBuffer(data, size)
		}
		return err
	}
}

// opETag reads the etag a completed put_with, copy or rename op made into *etag.
func opETag(name, key string, etag *string) func(op *C.kvps_op) error {
	return func(op *C.kvps_op) error {
		var buf [C.KVPS_ETAG_MAX]C.char
		err := call(name, key, func() C.kvps_status { return C.kvps_op_etag(op, &buf[0]) })
		if err == nil {
			*etag = C.GoString(&buf[0])
		}
		return err
	}
}

// asyncBytes is what the asynchronous calls take for a value: a pointer valid during the
// call (the library copies it).
func asyncBytes(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// asyncPutOptions is p as the asynchronous calls take it: without etag_out (the etag is read
// from the op). The copy is Go memory holding only C pointers, borrowed for the call.
func asyncPutOptions(p *cPutOptions) *C.kvps_put_options {
	o := *p.c
	o.etag_out = nil
	return &o
}
