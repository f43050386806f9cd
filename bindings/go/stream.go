package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"unsafe"
)

// Reader streams one value. It is an io.ReadSeekCloser and an io.ReaderAt, reading in constant
// memory where the store has CapReadStream. Size is the value's size when the reader opened.
// Its methods may be called from several goroutines: they take turns. For a stream over part
// of the value, use io.NewSectionReader(r, offset, length).
type Reader struct {
	mu   sync.Mutex
	key  string
	c    *C.kvps_reader // nil once closed
	size int64
	pos  int64 // the offset Read and Seek use
	cpos int64 // where the library's reader is; ReadAt moves it, Read moves it back
	// NewReaderContext: the context its reads are cancelled by (nil: plain blocking reads),
	// the context's error once it closed the reader, and what stops its watch.
	ctx    context.Context
	ctxErr error
	stop   func() bool
}

var (
	_ io.ReadSeekCloser = (*Reader)(nil)
	_ io.ReaderAt       = (*Reader)(nil)
)

// NewReader opens a reader over key's whole value. A missing key is ErrNotFound.
// Close it when done; Store.Close closes it otherwise.
func (s *Store) NewReader(key string) (*Reader, error) {
	ckey, err := cString(key, StatusInvalidKey, "open reader", key, "the key")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ckey))
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return nil, ErrClosed
	}
	var c *C.kvps_reader
	err = call("open reader", key, func() C.kvps_status {
		return C.kvps_reader_open(s.c, ckey, 0, C.KVPS_TO_END, &c)
	})
	if err != nil {
		return nil, err
	}
	r := &Reader{key: key, c: c, size: int64(C.kvps_reader_value_size(c))}
	return r, nil
}

// Size returns the size of the value as seen when the reader opened.
func (r *Reader) Size() int64 { return r.size }

// Read reads up to len(p) bytes at the current offset; io.EOF at the end of the value.
func (r *Reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.readAt(p, r.pos)
	r.pos += int64(n)
	return n, err
}

// readAt reads once (a short read is not the end) at off; the caller holds r.mu.
func (r *Reader) readAt(p []byte, off int64) (int, error) {
	if r.ctxErr != nil {
		return 0, r.ctxErr
	}
	if r.c == nil {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= r.size {
		return 0, io.EOF
	}
	if off != r.cpos {
		if err := call("seek", r.key, func() C.kvps_status {
			return C.kvps_reader_seek(r.c, C.uint64_t(off))
		}); err != nil {
			return 0, err
		}
		r.cpos = off
	}
	var n C.size_t
	var err error
	if r.ctx != nil {
		n, err = r.readContext(p)
	} else {
		// p is Go memory without Go pointers, borrowed only for the duration of this call.
		err = call("read", r.key, func() C.kvps_status {
			return C.kvps_reader_read(r.c, unsafe.Pointer(&p[0]), C.size_t(len(p)), &n)
		})
	}
	if err != nil {
		return 0, err
	}
	r.cpos += int64(n)
	if n == 0 {
		return 0, io.EOF
	}
	return int(n), nil
}

// readContext reads once into p with kvps_reader_read_async, cancelled when r.ctx is done; the
// caller holds r.mu. The op writes into p until it completes, so p stays pinned until then
// (waitOp returns only once the op completed). A read cancelled before it started read
// nothing and returns ctx.Err(); one that completed anyway returns what it read.
func (r *Reader) readContext(p []byte) (C.size_t, error) {
	var pinner runtime.Pinner
	pinner.Pin(&p[0])
	defer pinner.Unpin()
	var op *C.kvps_op
	if err := call("read", r.key, func() C.kvps_status {
		return C.kvps_reader_read_async(r.c, unsafe.Pointer(&p[0]), C.size_t(len(p)), nil, &op)
	}); err != nil {
		return 0, err
	}
	defer C.kvps_op_free(op)
	if cancelled := waitOp(r.ctx, op); cancelled != nil && C.kvps_op_status(op) == C.KVPS_CANCELLED {
		return 0, cancelled
	}
	var n C.size_t
	err := call("read", r.key, func() C.kvps_status { return C.kvps_op_count(op, &n) })
	return n, err
}

// ReadAt reads len(p) bytes at offset off, independently of the offset Read and Seek use;
// it returns io.EOF when the value ends first.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, invalid(StatusInvalidArgument, "read", r.key, "negative offset")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for total < len(p) {
		n, err := r.readAt(p[total:], off+int64(total))
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Seek sets the offset of the next Read, as io.Seeker describes; offsets past the end read as
// the end.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c == nil {
		return 0, ErrClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, invalid(StatusInvalidArgument, "seek", r.key, "invalid whence")
	}
	if abs < 0 {
		return 0, invalid(StatusInvalidArgument, "seek", r.key, "negative position")
	}
	r.pos = abs // the library's reader moves on the next Read
	return abs, nil
}

// WriteTo copies the rest of the value to w with a buffer of 1 MiB; io.Copy uses it.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, 1<<20)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if m < n {
				return total, io.ErrShortWrite
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close closes the reader. Closing twice is a no-op.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		r.stop()
	}
	if r.c != nil {
		C.kvps_reader_close(r.c)
		r.c = nil
	}
	return nil
}

// Writer writes one value: nothing is visible until Close commits it atomically, and Abort
// discards it. Memory use is constant where the store has CapWriteStream. Its methods may be
// called from several goroutines: they take turns.
type Writer struct {
	mu  sync.Mutex
	key string
	c   *C.kvps_writer // nil once committed or aborted
	err error          // the first failed Write: the value can then only be aborted
	// opts: NewWriterWith's options (their etag_out buffer is written at the commit), freed
	// with the writer; etag: what the commit wrote there.
	opts *cPutOptions
	etag string
	// NewWriterContext: the context its writes and its commit are cancelled by (nil: plain
	// blocking calls), the context's error once it aborted the writer, and what stops its
	// watch.
	ctx    context.Context
	ctxErr error
	stop   func() bool
}

// freeOptions releases NewWriterWith's options once the writer is gone (w.mu held).
func (w *Writer) freeOptions() {
	if w.opts != nil {
		w.opts.free()
		w.opts = nil
	}
}

var (
	_ io.WriteCloser = (*Writer)(nil)
	_ io.ReaderFrom  = (*Writer)(nil)
	_ io.WriterTo    = (*Reader)(nil)
)

// NewWriter opens a writer that replaces key's value when it is closed. Call Abort (a no-op
// after Close) to discard it; Store.Close aborts writers still open.
func (s *Store) NewWriter(key string) (*Writer, error) {
	ckey, err := cString(key, StatusInvalidKey, "open writer", key, "the key")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ckey))
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return nil, ErrClosed
	}
	var c *C.kvps_writer
	err = call("open writer", key, func() C.kvps_status { return C.kvps_writer_open(s.c, ckey, &c) })
	if err != nil {
		return nil, err
	}
	w := &Writer{key: key, c: c}
	return w, nil
}

// Write appends p to the value. After a failed Write the value can only be aborted: later
// Writes return the same error, and Close aborts and returns it.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctxErr != nil {
		return 0, w.ctxErr
	}
	if w.c == nil {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	var err error
	if w.ctx != nil {
		err = w.writeContext(p)
	} else {
		// p is Go memory without Go pointers; the library copies it during the call.
		err = call("write", w.key, func() C.kvps_status {
			return C.kvps_writer_write(w.c, unsafe.Pointer(&p[0]), C.size_t(len(p)))
		})
	}
	if err != nil {
		w.err = err
		return 0, err
	}
	return len(p), nil
}

// writeContext appends p with kvps_writer_write_async (which copies p), cancelled when w.ctx
// is done; the caller holds w.mu. A write that did not complete with KVPS_OK leaves the
// writer failed (it can only be aborted): a cancelled one returns ctx.Err(), which Write keeps
// as the writer's error.
func (w *Writer) writeContext(p []byte) error {
	var op *C.kvps_op
	if err := call("write", w.key, func() C.kvps_status {
		return C.kvps_writer_write_async(w.c, unsafe.Pointer(&p[0]), C.size_t(len(p)), nil, &op)
	}); err != nil {
		return err
	}
	defer C.kvps_op_free(op)
	if cancelled := waitOp(w.ctx, op); cancelled != nil && C.kvps_op_status(op) == C.KVPS_CANCELLED {
		return cancelled
	}
	return call("write", w.key, func() C.kvps_status { return C.kvps_op_status(op) })
}

// commitContext commits c with kvps_writer_commit_async (which takes the writer), cancelled
// when w.ctx is done. The op's status says truthfully whether the value was made visible: a
// commit cancelled in time made nothing visible and returns ctx.Err().
func (w *Writer) commitContext(c *C.kvps_writer) error {
	var op *C.kvps_op
	if err := call("commit", w.key, func() C.kvps_status { return C.kvps_writer_commit_async(c, nil, &op) }); err != nil {
		return err
	}
	defer C.kvps_op_free(op)
	if cancelled := waitOp(w.ctx, op); cancelled != nil && C.kvps_op_status(op) == C.KVPS_CANCELLED {
		return cancelled
	}
	return opETag("commit", w.key, &w.etag)(op)
}

// ReadFrom appends everything src gives, in chunks of 1 MiB; io.Copy uses it.
func (w *Writer) ReadFrom(src io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var total int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close commits the value: everything written becomes key's value at once. On failure the old
// value is left as it was. Close after Close or Abort returns ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		w.stop()
	}
	if w.ctxErr != nil {
		return w.ctxErr
	}
	if w.c == nil {
		return ErrClosed
	}
	c := w.c
	w.c = nil
	defer w.freeOptions()
	if w.err != nil {
		C.kvps_writer_abort(c)
		return w.err
	}
	if w.ctx != nil {
		return w.commitContext(c)
	}
	err := call("commit", w.key, func() C.kvps_status { return C.kvps_writer_commit(c) })
	if err == nil && w.opts != nil {
		w.etag = w.opts.etag()
	}
	return err
}

// Abort discards everything written and leaves the old value. It is a no-op after Close or
// Abort, so `defer w.Abort()` is safe.
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		w.stop()
	}
	if w.c != nil {
		C.kvps_writer_abort(w.c)
		w.c = nil
	}
	w.freeOptions()
}
