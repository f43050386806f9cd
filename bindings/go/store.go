package kvps

/*
#include <stdlib.h>
#include <string.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Version returns the version of the library linked at run time, e.g. "0.1.0".
func Version() string { return C.GoString(C.kvps_version()) }

// Option is an option of the store given outside the URL, e.g. a secret that should not be
// written into a URL. It overrides the same option in the URL. Names are case-insensitive.
type Option struct {
	name, value string
}

// WithOption returns the option name=value for Open.
func WithOption(name, value string) Option { return Option{name: name, value: value} }

// Store is an open store. It is safe for concurrent use by many goroutines.
type Store struct {
	// mu is held shared by every call into the library on this store (including calls
	// that a cancelled context left running in the background) and exclusively by Close,
	// which the C API allows only when no other call is running.
	mu sync.RWMutex
	c  *C.kvps_store
}

// call runs one library call and, on the same OS thread, collects the thread-local message
// that describes its failure.
func call(op, key string, fn func() C.kvps_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	status := fn()
	if status == C.KVPS_OK {
		return nil
	}
	return &Error{Status: Status(status), Op: op, Key: key, Message: C.GoString(C.kvps_last_error())}
}

// cString copies s to C memory, or reports which argument cannot be carried by a C string.
func cString(s string, status Status, op, key, what string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalid(status, op, key, what+" contains a NUL byte")
	}
	return C.CString(s), nil
}

// freeSecret clears and frees a C string that may hold a secret.
func freeSecret(p *C.char) {
	C.memset(unsafe.Pointer(p), 0, C.strlen(p))
	C.free(unsafe.Pointer(p))
}

// Open opens the store the URL names, e.g. "memory://", "file:///var/lib/app/store" or
// "s3://bucket/prefix?region=eu-west-1". The scheme picks the backend; query parameters and
// opts are options of that backend (see Backends).
func Open(url string, opts ...Option) (*Store, error) {
	return OpenContext(context.Background(), url, opts...)
}

// OpenContext is Open that stops waiting when ctx is done and then returns ctx.Err(). The
// library call itself is bounded by the store's own timeouts: it finishes in the background,
// and a store it opens after the cancel is closed there.
func OpenContext(ctx context.Context, url string, opts ...Option) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	curl, err := cString(url, StatusInvalidURL, "open", "", "the URL")
	if err != nil {
		return nil, err
	}
	options := make([]*C.char, 0, 2*len(opts))
	release := func() {
		freeSecret(curl)
		for _, p := range options {
			freeSecret(p)
		}
	}
	for _, o := range opts {
		name, err := cString(o.name, StatusInvalidOption, "open", "", "an option name")
		if err != nil {
			release()
			return nil, err
		}
		options = append(options, name)
		value, err := cString(o.value, StatusInvalidOption, "open", "", "option "+o.name)
		if err != nil {
			release()
			return nil, err
		}
		options = append(options, value)
	}

	open := func() (*C.kvps_store, error) {
		defer release()
		n := len(opts)
		var array *C.kvps_option
		if n > 0 {
			// The array of pointers lives in C memory: it outlives this call when cancelled.
			array = (*C.kvps_option)(C.calloc(C.size_t(n), C.sizeof_kvps_option))
			defer C.free(unsafe.Pointer(array))
			items := unsafe.Slice(array, n)
			for i := range items {
				items[i].name = options[2*i]
				items[i].value = options[2*i+1]
			}
		}
		var store *C.kvps_store
		err := call("open", "", func() C.kvps_status {
			return C.kvps_open_with(curl, array, C.size_t(n), &store)
		})
		return store, err
	}
	if ctx.Done() == nil {
		store, err := open()
		if err != nil {
			return nil, err
		}
		return newStore(store), nil
	}

	type result struct {
		store *C.kvps_store
		err   error
	}
	done := make(chan result, 1)
	var mu sync.Mutex
	abandoned := false
	go func() {
		store, err := open()
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			C.kvps_close(store)
			return
		}
		done <- result{store, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		return newStore(r.store), nil
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		select {
		case r := <-done: // it finished first: keep the store rather than leak it
			if r.err != nil {
				return nil, r.err
			}
			return newStore(r.store), nil
		default:
			abandoned = true
			return nil, ctx.Err()
		}
	}
}

func newStore(c *C.kvps_store) *Store {
	return &Store{c: c}
}

// Close closes the store: it waits for library calls still running (a call whose context
// was cancelled returns only once its library operation stopped, except OpenContext), then
// closes the store. Readers and writers still
// open keep working (the library keeps the store alive for them, docs/BINDINGS.md) and are
// closed on their own. Later calls on the Store return ErrClosed. Closing twice is a no-op.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil
	}
	C.kvps_close(s.c)
	s.c = nil
	return nil
}

// URL returns the store's URL with secrets removed, or "" after Close.
func (s *Store) URL() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return ""
	}
	return C.GoString(C.kvps_store_url(s.c))
}

// String returns the store's URL without secrets.
func (s *Store) String() string { return "kvps.Store(" + s.URL() + ")" }

// Capabilities returns what the store's backend does natively. Every method works on every
// store; where a bit is clear the library uses a generic fallback.
func (s *Store) Capabilities() Capabilities {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return 0
	}
	return Capabilities(C.kvps_capabilities(s.c))
}

// run calls fn with the open store, holding it open (Close waits) for the call: the blocking
// path of every call, taken when the call's context can never be done (the ...Context calls
// with a context that can be cancelled run on the library's asynchronous API: runOp).
// cleanup, if not nil, runs once after fn, or instead of fn when the store is closed.
func (s *Store) run(fn func(c *C.kvps_store) error, cleanup func()) error {
	if cleanup != nil {
		defer cleanup()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.c == nil {
		return ErrClosed
	}
	return fn(s.c)
}
