package kvps_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	kvps "github.com/kvps/kvps/bindings/go"
)

// s3Store opens a fresh prefix of the first S3 server, or skips (fails with CI=true).
func s3Store(t *testing.T) *kvps.Store {
	t.Helper()
	url := os.Getenv("KVPS_TEST_S3_URL")
	if url == "" {
		skipOrFail(t, "KVPS_TEST_S3_URL is not set (scripts/test.sh starts a server and sets it)")
		return nil
	}
	s, err := kvps.Open(withPrefix(url, unique(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A context cancelled while a large put is in flight cancels the put itself: PutContext
// returns ctx.Err() only once the library stopped, and the old value is still there, whole.
func TestContextCancelsPutInFlight(t *testing.T) {
	s := s3Store(t)
	if s == nil {
		return
	}
	mustPut(t, s, "cancel/big", "old")
	big := bytes.Repeat([]byte("n"), 48<<20)
	cancelled := 0
	for _, delay := range []time.Duration{2 * time.Millisecond, 10 * time.Millisecond, 40 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(delay, cancel)
		start := time.Now()
		err := s.PutContext(ctx, "cancel/big", big)
		t.Logf("a 48 MiB put cancelled after %v: %v after %v", delay, err, time.Since(start))
		switch {
		case errors.Is(err, context.Canceled):
			cancelled++
			if got := mustGet(t, s, "cancel/big"); got != "old" {
				t.Fatalf("a cancelled put left %d bytes, not the old value", len(got))
			}
		case err == nil:
			if got, _ := s.Get("cancel/big"); !bytes.Equal(got, big) {
				t.Fatal("a put that succeeded is not there whole")
			}
			mustPut(t, s, "cancel/big", "old")
		default:
			t.Fatalf("PutContext = %v, want context.Canceled or success", err)
		}
		cancel()
	}
	if cancelled == 0 {
		t.Error("no put was cancelled")
	}
}

// A deadline is a cancellation too: a large get past its deadline returns DeadlineExceeded
// promptly, and the store is usable at once (nothing left running in the background).
func TestContextDeadlineCancelsGet(t *testing.T) {
	s := s3Store(t)
	if s == nil {
		return
	}
	big := bytes.Repeat([]byte("g"), 48<<20)
	if err := s.Put("deadline/big", big); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	start := time.Now()
	v, err := s.GetContext(ctx, "deadline/big")
	took := time.Since(start)
	t.Logf("a 48 MiB get with a 5 ms deadline: %v after %v", err, took)
	if err == nil {
		if !bytes.Equal(v, big) {
			t.Fatal("a get that succeeded gave a wrong value")
		}
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetContext = %v, want context.DeadlineExceeded", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	for _, err := range s.ListContext(ctx2, "deadline/") {
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ListContext = %v", err)
		}
	}
	start = time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("Close waited %v: an operation kept running after its context ended", waited)
	}
}

// On every store, a context cancelled before the op gets its turn cancels it: nothing written.
func TestContextCancelsOnEveryStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		mustPut(t, s, "c/k", "old")
		for i := 0; i < 50; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%5)*20*time.Microsecond)
			err := s.PutContext(ctx, "c/k", []byte("new"))
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("PutContext = %v", err)
			}
			got := mustGet(t, s, "c/k")
			if err != nil && got != "old" {
				t.Fatalf("a put that returned %v wrote %q", err, got)
			}
			if err == nil {
				mustPut(t, s, "c/k", "old")
			}
			if err := s.DeleteContext(ctx, "c/k"); err == nil {
				mustPut(t, s, "c/k", "old")
			} else if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("DeleteContext = %v", err)
			} else if mustGet(t, s, "c/k") != "old" {
				t.Fatal("a delete that returned DeadlineExceeded removed the value")
			}
			cancel()
		}
	})
}

// A writer bound to a context that ends midway is aborted: Write and Close return ctx.Err(),
// and the old value stays. A reader bound to one stops reading.
func TestContextAbortsWriterAndReader(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		mustPut(t, s, "cw/k", "old")
		ctx, cancel := context.WithCancel(context.Background())
		w, err := s.NewWriterContext(ctx, "cw/k")
		if err != nil {
			t.Fatal(err)
		}
		chunk := bytes.Repeat([]byte("w"), 1<<20)
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
		cancel()
		for i := 0; i < 100; i++ { // the abort runs on a goroutine of the context's
			if _, err = w.Write(chunk); err != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Write after cancel = %v, want context.Canceled", err)
		}
		if err := w.Close(); !errors.Is(err, context.Canceled) {
			t.Errorf("Close after cancel = %v, want context.Canceled", err)
		}
		w.Abort() // harmless
		if got := mustGet(t, s, "cw/k"); got != "old" {
			t.Errorf("an aborted writer changed the value to %d bytes", len(got))
		}

		// Not cancelled: it commits as NewWriter does.
		ctx2, cancel2 := context.WithCancel(context.Background())
		w, err = s.NewWriterWithContext(ctx2, "cw/k", &kvps.PutOptions{ContentType: "text/plain"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("new")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		cancel2() // after the commit: nothing happens
		if got := mustGet(t, s, "cw/k"); got != "new" {
			t.Errorf("value = %q, want new", got)
		}

		ctx3, cancel3 := context.WithCancel(context.Background())
		r, err := s.NewReaderContext(ctx3, "cw/k")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1)
		if _, err := r.Read(buf); err != nil {
			t.Fatal(err)
		}
		cancel3()
		for i := 0; i < 100; i++ {
			if _, err = r.Read(buf); err != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Read after cancel = %v, want context.Canceled", err)
		}
		r.Close()
		cancelled, stop := context.WithCancel(context.Background())
		stop()
		if _, err := s.NewWriterContext(cancelled, "cw/x"); !errors.Is(err, context.Canceled) {
			t.Errorf("NewWriterContext(done ctx) = %v", err)
		}
	})
}
