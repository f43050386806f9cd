package kvps_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	kvps "github.com/kvps/kvps/bindings/go"
)

// doneOnStart is a context that a call finds not done when it first checks it (so the call
// starts its operation) and done from then on: the call then cancels the operation right
// after starting it. No timer decides anything, so a fast backend cannot outrun the test;
// what the cancellation catches (the op queued, running, or already finished) still varies,
// so the tests assert only what holds in every case.
type doneOnStart struct {
	context.Context
	checks atomic.Int32
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func newDoneOnStart() *doneOnStart { return &doneOnStart{Context: context.Background()} }

func (c *doneOnStart) Done() <-chan struct{} { return closedChan }

func (c *doneOnStart) Err() error {
	if c.checks.Add(1) == 1 {
		return nil
	}
	return context.Canceled
}

// outcomes counts what the cancelled calls of a test did, for the log.
type outcomes struct{ completed, cancelled, partial int }

func (o *outcomes) String() string {
	return fmt.Sprintf("%d completed, %d cancelled, %d partly done", o.completed, o.cancelled, o.partial)
}

// cancelledOnly fails unless err is nil or the context's own error (and nothing else).
func cancelledOnly(t *testing.T, what string, err error, o *outcomes) bool {
	t.Helper()
	switch {
	case err == nil:
		o.completed++
		return false
	case errors.Is(err, context.Canceled):
		o.cancelled++
		return true
	default:
		t.Fatalf("%s cancelled right after its start = %v, want success or context.Canceled", what, err)
		return false
	}
}

func wantValue(t *testing.T, s *kvps.Store, key string, want []byte, why string) {
	t.Helper()
	got, err := s.Get(key)
	if err != nil {
		t.Fatalf("%s: Get(%q): %v", why, key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %q holds %d bytes, not the %d expected (a torn or wrong value)", why, key, len(got), len(want))
	}
}

// Every ...Context call this binding cancels through the library (PutWith, Copy, Rename,
// GetWithStat, the batch calls, ListWith), cancelled right after it started on every store:
// a call that returned the context's error changed nothing; one that succeeded did all its
// work; a rename cut midway says its outcome for the target is unknown; a batch cut midway
// reports each item truthfully. Never a torn value.
func TestContextCancelsEveryOpRightAfterStart(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		size, rounds := 1<<20, 6
		if strings.HasPrefix(s.URL(), "s3") {
			size, rounds = 9<<20, 3 // above the default part_size: a multipart upload on s3://
		}
		// A rename is atomic only on memory:// and file:// (elsewhere a copy, then a delete).
		atomicRename := strings.HasPrefix(s.URL(), "memory") || strings.HasPrefix(s.URL(), "file")
		big := func(tag byte) []byte { return bytes.Repeat([]byte{tag}, size) }
		small := func(tag byte) []byte { return bytes.Repeat([]byte{tag}, 256<<10) }
		old := []byte("old")
		var o outcomes
		for i := 0; i < rounds; i++ {
			// PutWith.
			mustPut(t, s, "pw", "old")
			etag, err := s.PutWithContext(newDoneOnStart(), "pw", big('p'), &kvps.PutOptions{ContentType: "text/x-new"})
			if cancelledOnly(t, "PutWithContext", err, &o) {
				wantValue(t, s, "pw", old, "a cancelled PutWith")
			} else {
				wantValue(t, s, "pw", big('p'), "a PutWith that succeeded")
				if st, err := s.Stat("pw"); err != nil || st.ETag != etag || st.ContentType != "text/x-new" {
					t.Fatalf("after PutWith: Stat = %+v, %v; etag returned %q", st, err, etag)
				}
			}

			// GetWithStat.
			if err := s.Put("gw", big('g')); err != nil {
				t.Fatal(err)
			}
			v, st, err := s.GetWithStatContext(newDoneOnStart(), "gw")
			if cancelledOnly(t, "GetWithStatContext", err, &o) {
				if v != nil || st.Size != 0 {
					t.Fatalf("a cancelled GetWithStat returned %d bytes and %+v", len(v), st)
				}
			} else if !bytes.Equal(v, big('g')) || st.Size != int64(size) {
				t.Fatalf("GetWithStat gave %d bytes, size %d, want %d", len(v), st.Size, size)
			}

			// Copy.
			if err := s.Put("cp/src", big('c')); err != nil {
				t.Fatal(err)
			}
			mustPut(t, s, "cp/dst", "old")
			_, err = s.CopyContext(newDoneOnStart(), "cp/src", "cp/dst", nil)
			if cancelledOnly(t, "CopyContext", err, &o) {
				wantValue(t, s, "cp/dst", old, "a cancelled copy")
			} else {
				wantValue(t, s, "cp/dst", big('c'), "a copy that succeeded")
			}
			wantValue(t, s, "cp/src", big('c'), "the source of a copy")

			// Rename.
			if err := s.Put("rn/from", big('r')); err != nil {
				t.Fatal(err)
			}
			mustPut(t, s, "rn/to", "old")
			_, err = s.RenameContext(newDoneOnStart(), "rn/from", "rn/to", nil)
			if cancelledOnly(t, "RenameContext", err, &o) {
				var e *kvps.Error
				if !errors.Is(err, kvps.ErrOutcomeUnknown) || !errors.As(err, &e) || e.Key != "rn/to" {
					t.Fatalf("a rename cancelled while it may have run = %v, want ErrOutcomeUnknown naming rn/to", err)
				}
				wantValue(t, s, "rn/from", big('r'), "the source of a cancelled rename")
				to, err := s.Get("rn/to")
				if err != nil || !(bytes.Equal(to, old) || bytes.Equal(to, big('r'))) {
					t.Fatalf("a cancelled rename left rn/to with %d bytes (%v): neither old nor the copy", len(to), err)
				}
				if atomicRename && !bytes.Equal(to, old) {
					t.Fatal("a cancelled atomic rename changed its target")
				}
			} else {
				wantValue(t, s, "rn/to", big('r'), "a rename that succeeded")
				if _, err := s.Get("rn/from"); !errors.Is(err, kvps.ErrNotFound) {
					t.Fatalf("a rename that succeeded left its source: %v", err)
				}
			}

			// The batch calls.
			keys := []string{"b/0", "b/1", "b/2", "b/3"}
			items := make([]kvps.KV, len(keys))
			for j, k := range keys {
				mustPut(t, s, k, "old")
				items[j] = kvps.KV{Key: k, Value: small(byte('0' + j))}
			}
			err = s.PutManyContext(newDoneOnStart(), items)
			checkBatch(t, "PutManyContext", err, &o, len(keys), func(j int, done bool) {
				if done {
					wantValue(t, s, keys[j], items[j].Value, "a batch put item that succeeded")
				} else {
					wantValue(t, s, keys[j], old, "a cancelled batch put item")
				}
			})
			for _, it := range items {
				if err := s.Put(it.Key, it.Value); err != nil {
					t.Fatal(err)
				}
			}
			values, err := s.GetManyContext(newDoneOnStart(), keys)
			if err != nil && !errors.As(err, new(*kvps.BatchError)) && values != nil {
				t.Fatalf("GetManyContext = %d values with %v, want none", len(values), err)
			}
			checkBatch(t, "GetManyContext", err, &o, len(keys), func(j int, done bool) {
				if done && !bytes.Equal(values[j], items[j].Value) {
					t.Fatalf("batch get item %d gave %d bytes", j, len(values[j]))
				}
				if !done && values != nil && values[j] != nil {
					t.Fatalf("a cancelled batch get item gave %d bytes", len(values[j]))
				}
			})
			err = s.DeleteManyContext(newDoneOnStart(), keys)
			checkBatch(t, "DeleteManyContext", err, &o, len(keys), func(j int, done bool) {
				if done {
					if _, err := s.Get(keys[j]); !errors.Is(err, kvps.ErrNotFound) {
						t.Fatalf("a batch delete item that succeeded left %s: %v", keys[j], err)
					}
				} else {
					wantValue(t, s, keys[j], items[j].Value, "a cancelled batch delete item")
				}
			})

			// ListWith.
			page, err := s.ListWith(newDoneOnStart(), kvps.ListOptions{Prefix: "cp/"})
			if !cancelledOnly(t, "ListWith", err, &o) && len(page.Entries) != 2 {
				t.Fatalf("ListWith listed %d keys under cp/, want 2", len(page.Entries))
			}
		}
		t.Logf("calls cancelled right after their start: %s", &o)
	})
}

// checkBatch checks a cancelled batch call's error and calls item(j, done) for each item: done
// when the item completed (it must then have done all its work), not done when it was
// cancelled (it must have changed nothing).
func checkBatch(t *testing.T, what string, err error, o *outcomes, n int, item func(j int, done bool)) {
	t.Helper()
	var be *kvps.BatchError
	switch {
	case err == nil:
		o.completed++
		for j := 0; j < n; j++ {
			item(j, true)
		}
	case errors.As(err, &be):
		o.partial++
		if len(be.Errs) != n {
			t.Fatalf("%s: a BatchError of %d items, want %d", what, len(be.Errs), n)
		}
		for j, e := range be.Errs {
			if e != nil && !(errors.Is(e, kvps.ErrCancelled) && errors.Is(e, context.Canceled)) {
				t.Fatalf("%s: item %d failed with %v, want success or a cancellation matching ctx.Err()", what, j, e)
			}
			item(j, e == nil)
		}
	case errors.Is(err, context.Canceled):
		o.cancelled++
		for j := 0; j < n; j++ {
			item(j, false)
		}
	default:
		t.Fatalf("%s cancelled right after its start = %v", what, err)
	}
}

// A context that can be cancelled but is not changes nothing: the calls give what the
// plain ones give (they run on the asynchronous API).
func TestContextNotCancelledOps(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		etag, err := s.PutWithContext(ctx, "n/a", []byte("alpha"), &kvps.PutOptions{Metadata: map[string]string{"m": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		v, st, err := s.GetWithStatContext(ctx, "n/a")
		if err != nil || string(v) != "alpha" || st.ETag != etag || st.Metadata["m"] != "1" {
			t.Fatalf("GetWithStatContext = %q, %+v, %v (etag %q)", v, st, err, etag)
		}
		_, _, err = s.GetWithStatContext(ctx, "n/none")
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
		_, err = s.PutWithContext(ctx, "n/a", []byte("x"), &kvps.PutOptions{CreateOnly: true})
		wantStatus(t, err, kvps.ErrPreconditionFailed, kvps.StatusPreconditionFailed)
		copied, err := s.CopyContext(ctx, "n/a", "n/b", nil)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := s.Stat("n/b"); st.ETag != copied {
			t.Errorf("CopyContext returned etag %q, the copy has %q", copied, st.ETag)
		}
		if _, err := s.RenameContext(ctx, "n/b", "n/c", nil); err != nil {
			t.Fatal(err)
		}
		if mustGet(t, s, "n/c") != "alpha" {
			t.Error("RenameContext did not move the value")
		}
		_, err = s.CopyContext(ctx, "n/none", "n/d", nil)
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
		page, err := s.ListWith(ctx, kvps.ListOptions{Prefix: "n/", Delimiter: "/"})
		if err != nil || len(page.Entries) != 2 {
			t.Fatalf("ListWith = %+v, %v", page, err)
		}
		// A batch with a bad item: the item's own status and message, as the blocking call gives.
		err = s.PutManyContext(ctx, []kvps.KV{{"n/e", []byte("e")}, {"", []byte("x")}})
		var be *kvps.BatchError
		if !errors.As(err, &be) || be.Errs[0] != nil {
			t.Fatalf("PutManyContext with a bad key = %v", err)
		}
		e := wantStatus(t, be.Errs[1], kvps.ErrInvalidKey, kvps.StatusInvalidKey)
		plain := s.PutMany([]kvps.KV{{"", []byte("x")}}).(*kvps.BatchError).Errs[0].(*kvps.Error)
		if e.Message == "" || e.Message != plain.Message {
			t.Errorf("the async batch item message %q, the blocking one %q", e.Message, plain.Message)
		}
	})
}

// With a context done before the call, every call returns ctx.Err() and changes nothing.
func TestContextAlreadyDoneOps(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		mustPut(t, s, "d/a", "old")
		if _, err := s.PutWithContext(ctx, "d/a", []byte("new"), nil); !errors.Is(err, context.Canceled) {
			t.Errorf("PutWithContext = %v", err)
		}
		if _, err := s.CopyContext(ctx, "d/a", "d/b", nil); !errors.Is(err, context.Canceled) {
			t.Errorf("CopyContext = %v", err)
		}
		if _, err := s.RenameContext(ctx, "d/a", "d/c", nil); !errors.Is(err, context.Canceled) || errors.Is(err, kvps.ErrOutcomeUnknown) {
			t.Errorf("RenameContext = %v, want context.Canceled alone", err)
		}
		if _, _, err := s.GetWithStatContext(ctx, "d/a"); !errors.Is(err, context.Canceled) {
			t.Errorf("GetWithStatContext = %v", err)
		}
		if _, err := s.ListWith(ctx, kvps.ListOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("ListWith = %v", err)
		}
		if mustGet(t, s, "d/a") != "old" {
			t.Error("a cancelled call changed d/a")
		}
		for _, k := range []string{"d/b", "d/c"} {
			if _, err := s.Get(k); !errors.Is(err, kvps.ErrNotFound) {
				t.Errorf("a cancelled call made %s: %v", k, err)
			}
		}
	})
}

// silentS3 opens an s3:// store on a server that accepts connections and never reads or
// answers: nothing there completes by itself (before its request_timeout), so a call that
// returns context.Canceled proves the library's operation was cancelled, not left running.
// A part_size above the values written keeps each put one request, whose body the silent
// server never takes all of: so it can always be cut.
func silentS3(t *testing.T) *kvps.Store {
	t.Helper()
	if !needBackend(t, "s3") {
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	url := "s3://silent-bucket?endpoint=http://" + ln.Addr().String() +
		"&region=us-east-1&path_style=true&request_timeout=20s&max_attempts=1&part_size=64MiB"
	s, err := kvps.Open(url, kvps.WithOption("access_key_id", "test"), kvps.WithOption("secret_access_key", "test-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return s
}

// On a server that never answers, each call is cancelled in flight by its context and returns
// context.Canceled (a rename: with ErrOutcomeUnknown too). Writes send 32 MiB, more than the
// connection buffers hold, so their body is never all sent and they can be cut. A batch of one
// item runs on the operation's own thread, where the cancellation reaches it. DeleteMany is
// not here: a bulk delete's small body is sent at once, and a sent write runs to its answer.
func TestContextCancelsOpsInFlight(t *testing.T) {
	s := silentS3(t)
	if s == nil {
		return
	}
	body := bytes.Repeat([]byte("s"), 32<<20)
	calls := map[string]func(ctx context.Context) error{
		"PutWith": func(ctx context.Context) error {
			_, err := s.PutWithContext(ctx, "k", body, &kvps.PutOptions{ContentType: "text/plain"})
			return err
		},
		"GetWithStat": func(ctx context.Context) error { _, _, err := s.GetWithStatContext(ctx, "k"); return err },
		"Copy":        func(ctx context.Context) error { _, err := s.CopyContext(ctx, "k", "k2", nil); return err },
		"Rename":      func(ctx context.Context) error { _, err := s.RenameContext(ctx, "k", "k2", nil); return err },
		"PutMany":     func(ctx context.Context) error { return s.PutManyContext(ctx, []kvps.KV{{"k", body}}) },
		"GetMany":     func(ctx context.Context) error { _, err := s.GetManyContext(ctx, []string{"k"}); return err },
		"ListWith":    func(ctx context.Context) error { _, err := s.ListWith(ctx, kvps.ListOptions{}); return err },
	}
	for name, fn := range calls {
		err := fn(newDoneOnStart())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s on a silent server, cancelled = %v, want context.Canceled", name, err)
		}
		if name == "Rename" && !errors.Is(err, kvps.ErrOutcomeUnknown) {
			t.Errorf("a rename cancelled in flight = %v, want ErrOutcomeUnknown too", err)
		}
	}
}

// A batch of several items runs them on several library threads (the s3 option concurrency,
// 4 by default); the cancellation reaches every one of them: on a server that never answers,
// each item of a cancelled batch fails with context.Canceled, none waits for its timeout.
func TestContextCancelsEveryBatchItem(t *testing.T) {
	s := silentS3(t)
	if s == nil {
		return
	}
	body := bytes.Repeat([]byte("b"), 32<<20)
	items := []kvps.KV{{"b1", body}, {"b2", body}, {"b3", body}, {"b4", body}}
	keys := []string{"b1", "b2", "b3", "b4"}
	calls := map[string]func(ctx context.Context) error{
		"PutMany": func(ctx context.Context) error { return s.PutManyContext(ctx, items) },
		"GetMany": func(ctx context.Context) error { _, err := s.GetManyContext(ctx, keys); return err },
	}
	for name, fn := range calls {
		// Either the whole batch reports the cancellation, or each item does: an item the
		// cancellation missed would end with its request_timeout's error instead.
		err := fn(newDoneOnStart())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s on a silent server, cancelled = %v, want context.Canceled", name, err)
		}
		var batch *kvps.BatchError
		if errors.As(err, &batch) {
			for i, itemErr := range batch.Errs {
				if !errors.Is(itemErr, context.Canceled) {
					t.Errorf("%s item %d on a silent server, cancelled = %v, want context.Canceled", name, i, itemErr)
				}
			}
		}
	}
}

// Streams bound to a context, cancelled before, during or not at all around Close and while
// reading: a Close that returned nil made the whole new value visible, one that returned the
// context's error left the old value; a reader gives a prefix of the value, all of it when it
// reports no error.
func TestContextStreamsTruthful(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		rounds := 9
		if strings.HasPrefix(s.URL(), "s3") {
			rounds = 3
		}
		chunk := bytes.Repeat([]byte("w"), 1<<20)
		var o outcomes
		for i := 0; i < rounds; i++ {
			mustPut(t, s, "st/k", "old")
			ctx, cancel := context.WithCancel(context.Background())
			w, err := s.NewWriterContext(ctx, "st/k")
			if err != nil {
				t.Fatal(err)
			}
			for j := 0; j < 2; j++ {
				if _, err := w.Write(chunk); err != nil {
					t.Fatalf("Write before any cancel: %v", err)
				}
			}
			switch i % 3 {
			case 0:
				cancel()
			case 1:
				go cancel()
			}
			err = w.Close()
			if cancelledOnly(t, "Writer.Close", err, &o) {
				wantValue(t, s, "st/k", []byte("old"), "a cancelled commit")
			} else {
				wantValue(t, s, "st/k", bytes.Repeat(chunk, 2), "a commit that succeeded")
			}
			cancel()

			if err := s.Put("st/r", bytes.Repeat(chunk, 2)); err != nil {
				t.Fatal(err)
			}
			ctx, cancel = context.WithCancel(context.Background())
			r, err := s.NewReaderContext(ctx, "st/r")
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64<<10)
			var got []byte
			for k := 0; ; k++ {
				if k == 3 && i%2 == 0 {
					cancel()
				}
				n, err := r.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("Read = %v", err)
					}
					break
				}
			}
			if !bytes.HasPrefix(bytes.Repeat(chunk, 2), got) {
				t.Fatal("a reader gave bytes that are not a prefix of the value")
			}
			if i%2 == 1 && len(got) != 2<<20 {
				t.Fatalf("a reader that was not cancelled gave %d bytes", len(got))
			}
			r.Close()
			cancel()
		}
		t.Logf("commits: %s", &o)
	})
}

// gate is a context that is not done until open is called: its Done channel closes then.
type gate struct {
	context.Context
	done chan struct{}
}

func newGate() *gate { return &gate{Context: context.Background(), done: make(chan struct{})} }

func (g *gate) open()                 { close(g.done) }
func (g *gate) Done() <-chan struct{} { return g.done }
func (g *gate) Err() error {
	select {
	case <-g.done:
		return context.Canceled
	default:
		return nil
	}
}

// On a server that never answers, a reader's open is cancelled in flight, and so is a
// writer's commit of a 32 MiB PutObject (never all sent): both return context.Canceled.
func TestContextCancelsStreamsInFlight(t *testing.T) {
	s := silentS3(t)
	if s == nil {
		return
	}
	if _, err := s.NewReaderContext(newDoneOnStart(), "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("NewReaderContext on a silent server, cancelled = %v, want context.Canceled", err)
	}
	g := newGate()
	w, err := s.NewWriterContext(g, "k")
	if err != nil {
		t.Fatalf("NewWriterContext (no request yet) = %v", err)
	}
	if _, err := w.Write(bytes.Repeat([]byte("c"), 32<<20)); err != nil {
		t.Fatalf("Write (buffered: part_size is 64 MiB) = %v", err)
	}
	g.open()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close on a silent server, cancelled = %v, want context.Canceled", err)
	}
}
