package kvps_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	kvps "github.com/kvps/kvps/bindings/go"
)

func TestContextAlreadyDone(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.PutContext(ctx, "ctx/k", []byte("v")); !errors.Is(err, context.Canceled) {
			t.Errorf("PutContext = %v, want context.Canceled", err)
		}
		if err := s.PutManyContext(ctx, []kvps.KV{{"ctx/m", []byte("v")}}); !errors.Is(err, context.Canceled) {
			t.Errorf("PutManyContext = %v, want context.Canceled", err)
		}
		if _, err := s.Get("ctx/k"); !errors.Is(err, kvps.ErrNotFound) {
			t.Errorf("a cancelled put wrote its value: %v", err)
		}
		if _, err := s.Get("ctx/m"); !errors.Is(err, kvps.ErrNotFound) {
			t.Errorf("a cancelled batch put wrote its value: %v", err)
		}
		mustPut(t, s, "ctx/k", "v")
		if _, err := s.GetContext(ctx, "ctx/k"); !errors.Is(err, context.Canceled) {
			t.Errorf("GetContext = %v", err)
		}
		if _, err := s.GetRangeContext(ctx, "ctx/k", 0, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("GetRangeContext = %v", err)
		}
		if _, err := s.StatContext(ctx, "ctx/k"); !errors.Is(err, context.Canceled) {
			t.Errorf("StatContext = %v", err)
		}
		if err := s.DeleteContext(ctx, "ctx/k"); !errors.Is(err, context.Canceled) {
			t.Errorf("DeleteContext = %v", err)
		}
		if _, err := s.GetManyContext(ctx, []string{"ctx/k"}); !errors.Is(err, context.Canceled) {
			t.Errorf("GetManyContext = %v", err)
		}
		if err := s.DeleteManyContext(ctx, []string{"ctx/k"}); !errors.Is(err, context.Canceled) {
			t.Errorf("DeleteManyContext = %v", err)
		}
		for _, err := range s.ListContext(ctx, "") {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("ListContext = %v", err)
			}
		}
		if _, err := kvps.OpenContext(ctx, "memory://"); !errors.Is(err, context.Canceled) {
			t.Errorf("OpenContext = %v", err)
		}
		if mustGet(t, s, "ctx/k") != "v" {
			t.Error("a cancelled delete removed the value")
		}
	})
}

// With a context that can be cancelled, the calls run on their own goroutine; they must
// behave like the plain ones when nothing is cancelled.
func TestContextCalls(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.PutContext(ctx, "ctx/a", []byte("alpha")); err != nil {
			t.Fatal(err)
		}
		if v, err := s.GetContext(ctx, "ctx/a"); err != nil || string(v) != "alpha" {
			t.Errorf("GetContext = %q, %v", v, err)
		}
		if v, err := s.GetRangeContext(ctx, "ctx/a", 1, 3); err != nil || string(v) != "lph" {
			t.Errorf("GetRangeContext = %q, %v", v, err)
		}
		if st, err := s.StatContext(ctx, "ctx/a"); err != nil || st.Size != 5 {
			t.Errorf("StatContext = %+v, %v", st, err)
		}
		if err := s.PutManyContext(ctx, []kvps.KV{{"ctx/b", []byte("beta")}, {"ctx/c", nil}}); err != nil {
			t.Fatal(err)
		}
		values, err := s.GetManyContext(ctx, []string{"ctx/a", "ctx/b", "ctx/c", "ctx/none"})
		if err != nil || string(values[0]) != "alpha" || string(values[1]) != "beta" || values[2] == nil || values[3] != nil {
			t.Errorf("GetManyContext = %q, %v", values, err)
		}
		n := 0
		for e, err := range s.ListContext(ctx, "ctx/") {
			if err != nil {
				t.Fatal(err)
			}
			n++
			_ = e
		}
		if n != 3 {
			t.Errorf("ListContext listed %d keys, want 3", n)
		}
		if err := s.DeleteManyContext(ctx, []string{"ctx/b", "ctx/c"}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteContext(ctx, "ctx/a"); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetContext(ctx, "ctx/a")
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
		err = s.PutContext(ctx, "", nil)
		wantStatus(t, err, kvps.ErrInvalidKey, kvps.StatusInvalidKey)
	})
}

// Calls cancelled at random points: a call that reported success did all its work, and the
// work of calls left in the background never corrupts a value (run with -race).
func TestContextCancelledMidway(t *testing.T) {
	s, err := kvps.Open("memory://go-cancel-midway")
	if err != nil {
		t.Fatal(err)
	}
	value := func(w, i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("%d:%d;", w, i)), 20_000) }
	var wg sync.WaitGroup
	var mu sync.Mutex
	succeeded := map[string][]byte{}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				key := fmt.Sprintf("k/%d/%d", w, i)
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%5)*50*time.Microsecond)
				v := value(w, i)
				err := s.PutContext(ctx, key, v)
				for j := range v {
					v[j] = 'X' // the caller may reuse its buffer as soon as PutContext returns
				}
				if err == nil {
					mu.Lock()
					succeeded[key] = value(w, i)
					mu.Unlock()
				} else if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("PutContext(%s): %v", key, err)
				}
				if got, err := s.GetContext(ctx, key); err == nil && !bytes.Equal(got, value(w, i)) {
					t.Errorf("GetContext(%s) gave a wrong value of %d bytes", key, len(got))
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d of 200 puts finished before their deadline", len(succeeded))
	if err := s.Close(); err != nil { // waits for calls still running in the background
		t.Fatal(err)
	}
	s, err = kvps.Open("memory://go-cancel-midway")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for key, want := range succeeded {
		if got, err := s.Get(key); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: a put that reported success is not there whole (%v)", key, err)
		}
	}
	for e, err := range s.List("k/") {
		if err != nil {
			t.Fatal(err)
		}
		var w, i int
		fmt.Sscanf(e.Key, "k/%d/%d", &w, &i)
		if got, _ := s.Get(e.Key); !bytes.Equal(got, value(w, i)) {
			t.Errorf("%s: a put finished in the background stored a corrupt value", e.Key)
		}
	}
}

// A server that accepts connections and never answers: the library waits up to its
// request_timeout, the ...Context call cancels the request as soon as its context is done.
func TestContextStopsWaiting(t *testing.T) {
	if !needBackend(t, "s3") {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
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
	defer func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()

	url := "s3://silent-bucket?endpoint=http://" + ln.Addr().String() +
		"&region=us-east-1&path_style=true&request_timeout=2s&max_attempts=1"
	s, err := kvps.Open(url, kvps.WithOption("access_key_id", "test"), kvps.WithOption("secret_access_key", "test-secret"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.GetContext(ctx, "k")
	waited := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GetContext = %v, want context.DeadlineExceeded", err)
	}
	if waited > 1500*time.Millisecond {
		t.Errorf("GetContext returned after %v, want about 100ms: it waited for the library", waited)
	}
	// The call was cancelled, not left in the background: Close has nothing to wait for.
	start = time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed := time.Since(start)
	t.Logf("GetContext returned after %v; Close took %v", waited, closed)
	if closed > 500*time.Millisecond {
		t.Errorf("Close took %v: the cancelled call kept running", closed)
	}
	// Without a context, the same call fails with the library's own timeout.
	s, err = kvps.Open(url, kvps.WithOption("access_key_id", "test"), kvps.WithOption("secret_access_key", "test-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Get("k")
	if !errors.Is(err, kvps.ErrTimeout) && !errors.Is(err, kvps.ErrNetwork) {
		t.Errorf("Get from a silent server = %v, want ErrTimeout or ErrNetwork", err)
	}
}
