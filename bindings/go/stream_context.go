package kvps

/*
#include <kvps.h>
*/
import "C"

import "context"

// NewReaderContext opens a reader as NewReader does, bound to ctx: when ctx is done the reader
// is closed (as soon as a Read in progress returns), and every later Read, ReadAt and WriteTo
// returns ctx.Err(). Close it as usual.
func (s *Store) NewReaderContext(ctx context.Context, key string) (*Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := s.NewReader(key)
	if err != nil {
		return nil, err
	}
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

// NewWriterContext opens a writer as NewWriter does, bound to ctx: when ctx is done before
// Close commits, the writer is aborted (as soon as a Write in progress returns), so no part of
// the value is ever visible and the old value stays; every later Write and Close returns
// ctx.Err(). A Close that began before ctx was done commits as usual.
func (s *Store) NewWriterContext(ctx context.Context, key string) (*Writer, error) {
	return s.bindWriter(ctx, func() (*Writer, error) { return s.NewWriter(key) })
}

// NewWriterWithContext is NewWriterWith bound to ctx as NewWriterContext is.
func (s *Store) NewWriterWithContext(ctx context.Context, key string, opts *PutOptions) (*Writer, error) {
	return s.bindWriter(ctx, func() (*Writer, error) { return s.NewWriterWith(key, opts) })
}

func (s *Store) bindWriter(ctx context.Context, open func() (*Writer, error)) (*Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w, err := open()
	if err != nil {
		return nil, err
	}
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
