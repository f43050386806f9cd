package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"fmt"
	"sort"
	"unsafe"
)

// PutOptions says how a value is written (PutWith, NewWriterWith, Copy, Rename): a content
// type and user metadata stored with it, and a condition on the value it replaces. A failed
// condition is an error for which errors.Is(err, ErrPreconditionFailed) holds, and nothing
// changes. CreateOnly together with IfMatch is ErrInvalidArgument. A nil *PutOptions is a
// plain write.
type PutOptions struct {
	// ContentType: "" is the backend's default (application/octet-stream); for Copy and
	// Rename, the source's.
	ContentType string
	// Metadata: user metadata, names case-insensitive (reported in lower case). nil is none;
	// for Copy and Rename nil keeps the source's, and an empty non-nil map removes them.
	Metadata map[string]string
	// IfMatch: an etag; replace only the value that has it. "" is no condition.
	IfMatch string
	// CreateOnly: write only if the key does not exist yet.
	CreateOnly bool
}

// cPutOptions is a kvps_put_options in C memory with every string it points to and the
// buffer that receives the etag the write made; free releases it all.
type cPutOptions struct {
	c       *C.kvps_put_options
	strings []*C.char
	pairs   *C.kvps_option
}

func newCPutOptions(o *PutOptions, op, key string) (*cPutOptions, error) {
	p := &cPutOptions{c: (*C.kvps_put_options)(C.calloc(1, C.sizeof_kvps_put_options))}
	p.c.version = C.KVPS_PUT_OPTIONS_VERSION
	p.c.etag_out = (*C.char)(C.calloc(1, C.KVPS_ETAG_MAX))
	if o == nil {
		return p, nil
	}
	str := func(s, what string) (*C.char, error) {
		cs, err := cString(s, StatusInvalidArgument, op, key, what)
		if err == nil {
			p.strings = append(p.strings, cs)
		}
		return cs, err
	}
	var err error
	if o.CreateOnly {
		p.c.create_only = 1
	}
	if o.IfMatch != "" {
		if p.c.if_match, err = str(o.IfMatch, "the etag"); err != nil {
			p.free()
			return nil, err
		}
	}
	if o.ContentType != "" {
		if p.c.content_type, err = str(o.ContentType, "the content type"); err != nil {
			p.free()
			return nil, err
		}
	}
	if o.Metadata != nil {
		names := make([]string, 0, len(o.Metadata))
		for name := range o.Metadata {
			names = append(names, name)
		}
		sort.Strings(names)
		// At least one element, so that an empty map is a non-NULL pointer (it replaces).
		n := max(len(names), 1)
		p.pairs = (*C.kvps_option)(C.calloc(C.size_t(n), C.sizeof_kvps_option))
		pairs := unsafe.Slice(p.pairs, n)
		for i, name := range names {
			if pairs[i].name, err = str(name, "a metadata name"); err != nil {
				p.free()
				return nil, err
			}
			if pairs[i].value, err = str(o.Metadata[name], "the value of metadata "+name); err != nil {
				p.free()
				return nil, err
			}
		}
		p.c.metadata = p.pairs
		p.c.metadata_count = C.size_t(len(names))
	}
	return p, nil
}

// etag is the etag the write made ("" before a successful write).
func (p *cPutOptions) etag() string { return C.GoString(p.c.etag_out) }

func (p *cPutOptions) free() {
	for _, s := range p.strings {
		C.free(unsafe.Pointer(s))
	}
	C.free(unsafe.Pointer(p.pairs))
	C.free(unsafe.Pointer(p.c.etag_out))
	C.free(unsafe.Pointer(p.c))
}

// statOf reads a version 2 kvps_stat_info.
func statOf(info *C.kvps_stat_info) Stat {
	st := Stat{
		Size:        int64(info.size),
		ModTime:     modTime(info.mtime_ns),
		ETag:        C.GoString(&info.etag[0]),
		ContentType: C.GoString(&info.content_type[0]),
		Metadata:    map[string]string{},
	}
	for i := C.size_t(0); i < info.metadata_count; i++ {
		var name, value *C.char
		if C.kvps_stat_metadata_at(info, i, &name, &value) == C.KVPS_OK {
			st.Metadata[C.GoString(name)] = C.GoString(value)
		}
	}
	return st
}

func newStatInfo() *C.kvps_stat_info {
	info := (*C.kvps_stat_info)(C.calloc(1, C.sizeof_kvps_stat_info))
	info.version = C.KVPS_STAT_VERSION
	return info
}

// PutWith stores value under key as Put does, with opts (content type, metadata, a
// condition), and returns the etag of the value written, without another round trip.
func (s *Store) PutWith(key string, value []byte, opts *PutOptions) (string, error) {
	return s.PutWithContext(context.Background(), key, value, opts)
}

// PutWithContext is PutWith that is cancelled when ctx is done, as PutContext is: it then
// returns ctx.Err() and the old value is left in place (see the package documentation).
func (s *Store) PutWithContext(ctx context.Context, key string, value []byte, opts *PutOptions) (string, error) {
	ckey, err := cString(key, StatusInvalidKey, "put", key, "the key")
	if err != nil {
		return "", err
	}
	copts, err := newCPutOptions(opts, "put", key)
	if err != nil {
		C.free(unsafe.Pointer(ckey))
		return "", err
	}
	var etag string
	if ctx.Done() != nil {
		defer C.free(unsafe.Pointer(ckey))
		defer copts.free()
		err = s.runOp(ctx, "put", key, func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_put_with_async(c, ckey, asyncBytes(value), C.size_t(len(value)), asyncPutOptions(copts), nil, o)
		}, opETag("put", key, &etag))
		if err != nil {
			return "", err
		}
		return etag, nil
	}
	data, release := borrowBytes(value)
	err = s.run(func(c *C.kvps_store) error {
		err := call("put", key, func() C.kvps_status {
			return C.kvps_put_with(c, ckey, data, C.size_t(len(value)), copts.c)
		})
		etag = copts.etag()
		return err
	}, func() {
		release()
		copts.free()
		C.free(unsafe.Pointer(ckey))
	})
	if err != nil {
		return "", err
	}
	return etag, nil
}

// GetWithStat returns key's value and the Stat (etag, content type, metadata) of that same
// version: the read of a compare-and-swap loop (PutWith with IfMatch: st.ETag). A missing key
// is ErrNotFound.
func (s *Store) GetWithStat(key string) ([]byte, Stat, error) {
	return s.GetWithStatContext(context.Background(), key)
}

// GetWithStatContext is GetWithStat that is cancelled when ctx is done.
func (s *Store) GetWithStatContext(ctx context.Context, key string) ([]byte, Stat, error) {
	ckey, err := cString(key, StatusInvalidKey, "get", key, "the key")
	if err != nil {
		return nil, Stat{}, err
	}
	var value []byte
	var st Stat
	if ctx.Done() != nil {
		defer C.free(unsafe.Pointer(ckey))
		err = s.runOp(ctx, "get", key, func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_get_with_async(c, ckey, nil, o)
		}, func(o *C.kvps_op) error {
			info := newStatInfo()
			defer C.free(unsafe.Pointer(info))
			if err := call("get", key, func() C.kvps_status { return C.kvps_op_stat(o, info) }); err != nil {
				return err
			}
			st = statOf(info)
			return opValue("get", key, &value)(o)
		})
		if err != nil {
			return nil, Stat{}, err
		}
		return value, st, nil
	}
	err = s.run(func(c *C.kvps_store) error {
		info := newStatInfo()
		defer C.free(unsafe.Pointer(info))
		var data unsafe.Pointer
		var size C.size_t
		err := call("get", key, func() C.kvps_status { return C.kvps_get_with(c, ckey, &data, &size, info) })
		if err == nil {
			value = takeBuffer(data, size)
			st = statOf(info)
		}
		return err
	}, func() { C.free(unsafe.Pointer(ckey)) })
	if err != nil {
		return nil, Stat{}, err
	}
	return value, st, nil
}

// Copy copies from's value, content type and metadata to to, server-side on s3://. opts: its
// condition applies to to; a ContentType or Metadata given replaces the source's. It returns
// to's new etag. A missing from is ErrNotFound.
func (s *Store) Copy(from, to string, opts *PutOptions) (string, error) {
	return s.move(context.Background(), "copy", from, to, opts)
}

// CopyContext is Copy that is cancelled when ctx is done, as PutContext is: it then returns
// ctx.Err() and to is left as it was.
func (s *Store) CopyContext(ctx context.Context, from, to string, opts *PutOptions) (string, error) {
	return s.move(ctx, "copy", from, to, opts)
}

// Rename moves from to to as Copy then a delete of from: one atomic rename on memory:// and
// file://, NOT atomic on s3:// (a copy, then a delete). It returns to's etag.
func (s *Store) Rename(from, to string, opts *PutOptions) (string, error) {
	return s.move(context.Background(), "rename", from, to, opts)
}

// RenameContext is Rename that is cancelled when ctx is done. A rename cancelled that way
// leaves from whole and in place, but where a rename is a copy and then a delete (s3://) the
// copy may already have been made: so its error says the outcome for to is unknown. It
// satisfies errors.Is with both ctx.Err() and ErrOutcomeUnknown, and errors.As finds a *Error
// of StatusOutcomeUnknown whose Key is to. (Where a rename is atomic, on memory:// and file://,
// a cancelled rename never began: to is in fact unchanged.) With ctx done before the call it
// returns ctx.Err() and changes nothing; a rename that completed anyway returns its own result.
func (s *Store) RenameContext(ctx context.Context, from, to string, opts *PutOptions) (string, error) {
	return s.move(ctx, "rename", from, to, opts)
}

func (s *Store) move(ctx context.Context, op, from, to string, opts *PutOptions) (string, error) {
	cfrom, err := cString(from, StatusInvalidKey, op, from, "the key")
	if err != nil {
		return "", err
	}
	cto, err := cString(to, StatusInvalidKey, op, to, "the key")
	if err != nil {
		C.free(unsafe.Pointer(cfrom))
		return "", err
	}
	copts, err := newCPutOptions(opts, op, to)
	if err != nil {
		C.free(unsafe.Pointer(cfrom))
		C.free(unsafe.Pointer(cto))
		return "", err
	}
	var etag string
	if ctx.Done() != nil {
		defer C.free(unsafe.Pointer(cfrom))
		defer C.free(unsafe.Pointer(cto))
		defer copts.free()
		err = s.runOpCancel(ctx, op, from, func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			if op == "rename" {
				return C.kvps_rename_async(c, cfrom, cto, asyncPutOptions(copts), nil, o)
			}
			return C.kvps_copy_async(c, cfrom, cto, asyncPutOptions(copts), nil, o)
		}, func(o *C.kvps_op, cancelled error) error {
			if cancelled == nil || C.kvps_op_status(o) != C.KVPS_CANCELLED {
				return opETag(op, from, &etag)(o)
			}
			if op == "copy" {
				return cancelled // the copy was stopped before the server made it
			}
			return renameCancelled(cancelled, o, from, to)
		})
		if err != nil {
			return "", err
		}
		return etag, nil
	}
	err = s.run(func(c *C.kvps_store) error {
		err := call(op, from, func() C.kvps_status {
			if op == "rename" {
				return C.kvps_rename(c, cfrom, cto, copts.c)
			}
			return C.kvps_copy(c, cfrom, cto, copts.c)
		})
		etag = copts.etag()
		return err
	}, func() {
		copts.free()
		C.free(unsafe.Pointer(cfrom))
		C.free(unsafe.Pointer(cto))
	})
	if err != nil {
		return "", err
	}
	return etag, nil
}

// renameCancelled is the error of a rename op that completed with KVPS_CANCELLED after ctx
// was done: where rename is a copy and then a delete, the copy may have been made before the
// delete was stopped, so the outcome for to is unknown (from is whole either way: a delete
// that was sent runs to its answer, and the rename then completes with its own status).
func renameCancelled(cancelled error, op *C.kvps_op, from, to string) error {
	message := fmt.Sprintf("%q is whole and in place, but %q may hold its copy or its old value", from, to)
	if err, ok := call("rename", from, func() C.kvps_status { return C.kvps_op_status(op) }).(*Error); ok && err.Message != "" {
		message = err.Message + "; " + message
	}
	return fmt.Errorf("%w: %w", cancelled, &Error{Status: StatusOutcomeUnknown, Op: "rename", Key: to, Message: message})
}

// NewWriterWith opens a writer as NewWriter does, with opts: the content type and metadata
// are stored with the value, and the condition is checked when Close commits it, atomically
// with making it visible (a failed one is ErrPreconditionFailed from Close; nothing changes).
// After a successful Close, ETag returns the etag of the value written.
func (s *Store) NewWriterWith(key string, opts *PutOptions) (*Writer, error) {
	ckey, err := cString(key, StatusInvalidKey, "open writer", key, "the key")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ckey))
	copts, err := newCPutOptions(opts, "open writer", key)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		copts.free()
		return nil, ErrClosed
	}
	var c *C.kvps_writer
	err = call("open writer", key, func() C.kvps_status { return C.kvps_writer_open_with(s.c, ckey, copts.c, &c) })
	if err != nil {
		copts.free()
		return nil, err
	}
	return &Writer{key: key, c: c, opts: copts}, nil
}

// ETag returns the etag of the value a writer from NewWriterWith committed, once Close
// succeeded; "" otherwise.
func (w *Writer) ETag() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.etag
}
