package kvps_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	kvps "github.com/kvps/kvps/bindings/go"
)

func TestPutGetStatDelete(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		before := time.Now().Add(-time.Minute) // clocks of a server may differ a little
		mustPut(t, s, "greeting", "hello")
		if got := mustGet(t, s, "greeting"); got != "hello" {
			t.Fatalf("Get = %q, want hello", got)
		}
		st, err := s.Stat("greeting")
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if st.Size != 5 {
			t.Errorf("Stat.Size = %d, want 5", st.Size)
		}
		if st.ETag == "" {
			t.Errorf("Stat.ETag is empty")
		}
		if st.ModTime.Before(before) || st.ModTime.After(time.Now().Add(time.Minute)) {
			t.Errorf("Stat.ModTime = %v, want about now", st.ModTime)
		}

		mustPut(t, s, "greeting", "bonjour!")
		st2, err := s.Stat("greeting")
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if st2.Size != 8 || st2.ETag == st.ETag {
			t.Errorf("after replacing: Stat = %+v, was %+v: want size 8 and a new etag", st2, st)
		}

		// Binary values with NUL bytes round-trip; an empty value is not a missing one.
		binary := []byte{0, 1, 2, 255, 0, 'x'}
		if err := s.Put("bin", binary); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get("bin"); !bytes.Equal(got, binary) {
			t.Errorf("Get(bin) = %v, want %v", got, binary)
		}
		if err := s.Put("empty", nil); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get("empty"); err != nil || got == nil || len(got) != 0 {
			t.Errorf("Get(empty) = %v, %v; want a non-nil empty slice", got, err)
		}

		if err := s.Delete("greeting"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		_, err = s.Get("greeting")
		e := wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
		if e.Key != "greeting" || !strings.Contains(err.Error(), `"greeting"`) {
			t.Errorf("error %q does not name the key", err)
		}
		_, err = s.Stat("greeting")
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
		if err := s.Delete("greeting"); err != nil {
			t.Errorf("Delete of a missing key: %v", err)
		}
	})
}

func TestGetRange(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		mustPut(t, s, "digits", "0123456789")
		for _, c := range []struct {
			offset, length int64
			want           string
		}{
			{0, kvps.ToEnd, "0123456789"},
			{2, 3, "234"},
			{8, kvps.ToEnd, "89"},
			{8, 100, "89"},
			{9, 1, "9"},
			{10, 5, ""},
			{20, kvps.ToEnd, ""},
			{3, 0, ""},
		} {
			got, err := s.GetRange("digits", c.offset, c.length)
			if err != nil {
				t.Errorf("GetRange(%d, %d): %v", c.offset, c.length, err)
				continue
			}
			if string(got) != c.want {
				t.Errorf("GetRange(%d, %d) = %q, want %q", c.offset, c.length, got, c.want)
			}
		}
		_, err := s.GetRange("digits", -1, 2)
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		_, err = s.GetRange("digits", 0, -2)
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		_, err = s.GetRange("missing", 0, 2)
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
	})
}

func TestInvalidKeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		for _, key := range []string{"", "nul\x00inside", "control\x01", "del\x7f", strings.Repeat("k", 1025), "bad\xffutf8"} {
			err := s.Put(key, []byte("v"))
			e := wantStatus(t, err, kvps.ErrInvalidKey, kvps.StatusInvalidKey)
			if e.Message == "" {
				t.Errorf("Put(%q): no message naming the culprit: %v", key, err)
			}
			_, err = s.Get(key)
			wantStatus(t, err, kvps.ErrInvalidKey, kvps.StatusInvalidKey)
		}
		// Nothing was written under a truncated key.
		if _, err := s.Get("nul"); !errors.Is(err, kvps.ErrNotFound) {
			t.Errorf("Get(nul) after a rejected key with a NUL: %v, want ErrNotFound", err)
		}
		// The longest key is fine, except on S3, GCS and Azure, where the test's prefix counts
		// against the server's own limit of 1024 bytes.
		if onServer(s.URL()) {
			return
		}
		long := strings.Repeat("k", 1024)
		mustPut(t, s, long, "v")
		if mustGet(t, s, long) != "v" {
			t.Error("the longest key does not round-trip")
		}
	})
}

func TestList(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		var want []string
		for i := 0; i < 7; i++ {
			key := fmt.Sprintf("p/%02d", 6-i) // written out of order
			mustPut(t, s, key, strings.Repeat("x", i))
			want = append(want, key)
		}
		mustPut(t, s, "q/other", "y")
		// Not "p" itself: S3 servers that keep objects as files refuse a key that is also a
		// folder of other keys.
		mustPut(t, s, "p-sibling", "starts with p but not with p/")
		slices.Sort(want)

		var got []string
		for e, err := range s.List("p/") {
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			got = append(got, e.Key)
			if wantSize := int64(6 - (e.Key[3] - '0')); e.Size != wantSize {
				t.Errorf("entry %s: size %d, want %d", e.Key, e.Size, wantSize)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("List(p/) = %v, want %v", got, want)
		}

		all := 0
		for _, err := range s.List("") {
			if err != nil {
				t.Fatal(err)
			}
			all++
		}
		if all != 9 {
			t.Errorf("List(\"\") gave %d entries, want 9", all)
		}

		// Breaking out of the loop stops the listing.
		n := 0
		for range s.List("p/") {
			n++
			if n == 2 {
				break
			}
		}

		// Pages of 3 with the cursor.
		got = nil
		cursor, pages := "", 0
		for {
			page, err := s.ListPage("p/", cursor, 3)
			if err != nil {
				t.Fatalf("ListPage: %v", err)
			}
			pages++
			if len(page.Entries) > 3 {
				t.Fatalf("page of %d entries, want at most 3", len(page.Entries))
			}
			for _, e := range page.Entries {
				got = append(got, e.Key)
			}
			if page.Cursor == "" {
				break
			}
			if pages > 10 {
				t.Fatal("the listing does not end")
			}
			cursor = page.Cursor
		}
		if !slices.Equal(got, want) || pages < 3 {
			t.Errorf("paged listing = %v in %d pages, want %v in at least 3", got, pages, want)
		}

		_, err := s.ListPage("p/", "garbled\x01cursor", 3)
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		_, err = s.ListPage("p/", "", -1)
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		for _, err := range s.List("nul\x00prefix") {
			wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		}
	})
}

func TestBatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		items := []kvps.KV{{"b/1", []byte("one")}, {"b/2", []byte("two")}, {"b/empty", nil}}
		if err := s.PutMany(items); err != nil {
			t.Fatalf("PutMany: %v", err)
		}
		values, err := s.GetMany([]string{"b/1", "b/missing", "b/2", "b/empty"})
		if err != nil {
			t.Fatalf("GetMany: %v", err)
		}
		if string(values[0]) != "one" || values[1] != nil || string(values[2]) != "two" ||
			values[3] == nil || len(values[3]) != 0 {
			t.Errorf("GetMany = %q, want [one <nil> two \"\"] with a non-nil empty value", values)
		}

		// Items are independent: the good ones are stored, the bad one is reported.
		err = s.PutMany([]kvps.KV{{"b/3", []byte("three")}, {"", []byte("x")}, {"b/4", []byte("four")}})
		var be *kvps.BatchError
		if !errors.As(err, &be) {
			t.Fatalf("PutMany with a bad key: %v (%T), want a *kvps.BatchError", err, err)
		}
		if be.Errs[0] != nil || be.Errs[2] != nil || be.Errs[1] == nil {
			t.Errorf("BatchError.Errs = %v, want only item 1 failed", be.Errs)
		}
		if !errors.Is(err, kvps.ErrInvalidKey) {
			t.Errorf("errors.Is(%v, ErrInvalidKey) is false", err)
		}
		if mustGet(t, s, "b/3") != "three" || mustGet(t, s, "b/4") != "four" {
			t.Error("the good items of a failed batch were not stored")
		}

		if err := s.DeleteMany([]string{"b/1", "b/2", "b/3", "b/missing"}); err != nil {
			t.Fatalf("DeleteMany: %v", err)
		}
		values, err = s.GetMany([]string{"b/1", "b/4"})
		if err != nil || values[0] != nil || string(values[1]) != "four" {
			t.Errorf("after DeleteMany: GetMany = %q, %v", values, err)
		}

		// A key C cannot carry fails the whole call before any item runs.
		err = s.PutMany([]kvps.KV{{"b/5", []byte("five")}, {"nul\x00", nil}})
		wantStatus(t, err, kvps.ErrInvalidKey, kvps.StatusInvalidKey)
		if _, err := s.Get("b/5"); !errors.Is(err, kvps.ErrNotFound) {
			t.Errorf("b/5 was written by a rejected batch: %v", err)
		}
		if err := s.PutMany(nil); err != nil {
			t.Errorf("PutMany(nil): %v", err)
		}
		if v, err := s.GetMany(nil); err != nil || len(v) != 0 {
			t.Errorf("GetMany(nil) = %v, %v", v, err)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		const workers, rounds = 8, 20
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					own := fmt.Sprintf("c/%d/%d", w, i)
					value := []byte(strings.Repeat(own, 10))
					if err := s.Put(own, value); err != nil {
						errs <- err
						return
					}
					got, err := s.Get(own)
					if err != nil || !bytes.Equal(got, value) {
						errs <- fmt.Errorf("Get(%s) = %q, %v", own, got, err)
						return
					}
					// All workers race on one shared key: a reader sees one whole value.
					shared := []byte(strings.Repeat(fmt.Sprint(w), 100))
					if err := s.Put("c/shared", shared); err != nil {
						errs <- err
						return
					}
					got, err = s.Get("c/shared")
					if err != nil || len(got) != 100 || strings.Count(string(got), string(got[:1])) != 100 {
						errs <- fmt.Errorf("c/shared is torn: %q, %v", got, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	_, err := kvps.Open("nosuchscheme://x")
	e := wantStatus(t, err, kvps.ErrUnknownScheme, kvps.StatusUnknownScheme)
	if !strings.Contains(e.Message, "memory") {
		t.Errorf("the message %q does not list the known schemes", e.Message)
	}
	_, err = kvps.Open("not a url")
	wantStatus(t, err, kvps.ErrInvalidURL, kvps.StatusInvalidURL)
	_, err = kvps.Open("memory://\x00")
	wantStatus(t, err, kvps.ErrInvalidURL, kvps.StatusInvalidURL)
	_, err = kvps.Open("memory://", kvps.WithOption("no_such_option", "1"))
	e = wantStatus(t, err, kvps.ErrInvalidOption, kvps.StatusInvalidOption)
	if !strings.Contains(e.Message, "no_such_option") {
		t.Errorf("the message %q does not name the option", e.Message)
	}
}

func TestStoreInfo(t *testing.T) {
	s, err := kvps.Open("memory://")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "memory://") || !strings.Contains(s.String(), "memory://") {
		t.Errorf("URL() = %q, String() = %q", s.URL(), s.String())
	}
	if !s.Capabilities().Has(kvps.CapList) {
		t.Errorf("memory:// capabilities %v lack list", s.Capabilities())
	}
	if kvps.Version() == "" {
		t.Error("Version() is empty")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if s.URL() != "" || s.Capabilities() != 0 {
		t.Error("a closed store still reports a URL or capabilities")
	}
	if _, err := s.Get("k"); !errors.Is(err, kvps.ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
	if err := s.Put("k", nil); !errors.Is(err, kvps.ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
	for _, err := range s.List("") {
		if !errors.Is(err, kvps.ErrClosed) {
			t.Errorf("List after Close: %v, want ErrClosed", err)
		}
	}
	if _, err := s.NewReader("k"); !errors.Is(err, kvps.ErrClosed) {
		t.Errorf("NewReader after Close: %v, want ErrClosed", err)
	}
}

func TestBackends(t *testing.T) {
	backends := kvps.Backends()
	var memory *kvps.Backend
	for i := range backends {
		if i > 0 && backends[i-1].Name >= backends[i].Name {
			t.Errorf("backends not in name order: %s before %s", backends[i-1].Name, backends[i].Name)
		}
		if backends[i].Name == "memory" {
			memory = &backends[i]
		}
	}
	if memory == nil {
		t.Fatalf("no memory backend in %+v", backends)
	}
	if len(memory.Schemes) == 0 || memory.Schemes[0] != "memory" || memory.Description == "" {
		t.Errorf("memory backend = %+v", *memory)
	}
	if !memory.Capabilities.Has(kvps.CapList) {
		t.Errorf("memory capabilities %v", memory.Capabilities)
	}
	found, ok := kvps.FindBackend("MEMORY")
	if !ok || found.Name != "memory" {
		t.Errorf("FindBackend(MEMORY) = %+v, %v", found, ok)
	}
	if _, ok := kvps.FindBackend("nosuchscheme"); ok {
		t.Error("FindBackend(nosuchscheme) found something")
	}
	if s3, ok := kvps.FindBackend("s3"); ok {
		secret := false
		for _, o := range s3.Options {
			if o.Name == "secret_access_key" {
				secret = o.Type == kvps.OptionSecret && o.Type.String() == "secret"
			}
		}
		if !secret {
			t.Errorf("s3 options %+v: want secret_access_key of type secret", s3.Options)
		}
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &kvps.Error{Status: kvps.StatusInvalidKey, Op: "put", Key: "a\x01", Message: "control character in key"}
	if got, want := e.Error(), `kvps: put "a\x01": control character in key (KVPS_INVALID_KEY)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &kvps.Error{Status: kvps.StatusNotFound, Op: "get", Key: "k"}
	if got, want := e.Error(), `kvps: get "k": KVPS_NOT_FOUND`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if errors.Is(e, kvps.ErrInvalidKey) || !errors.Is(e, kvps.ErrNotFound) {
		t.Error("errors.Is matches the wrong sentinel")
	}
	if kvps.StatusCancelled.String() != "KVPS_CANCELLED" || kvps.Status(999).String() != "KVPS_UNKNOWN_STATUS" {
		t.Error("Status.String does not use the library's names")
	}
	newest := map[kvps.Status]error{
		kvps.StatusOutcomeUnknown: kvps.ErrOutcomeUnknown,
		kvps.StatusCorrupt:        kvps.ErrCorrupt,
		kvps.StatusNoCredentials:  kvps.ErrNoCredentials,
	}
	for status, sentinel := range newest {
		if !errors.Is(&kvps.Error{Status: status, Op: "get"}, sentinel) || status.String() == "KVPS_UNKNOWN_STATUS" {
			t.Errorf("status %d has no sentinel or name", int(status))
		}
	}
}

// Close racing with calls on other goroutines: each call either completes or returns
// ErrClosed; nothing crashes or touches a freed store (run with -race).
func TestCloseWhileInUse(t *testing.T) {
	for round := 0; round < 20; round++ {
		s, err := kvps.Open("memory://")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				for i := 0; ; i++ {
					key := fmt.Sprintf("k%d", i%10)
					var err error
					switch i % 5 {
					case 0:
						err = s.Put(key, []byte("value"))
					case 1:
						_, err = s.Get(key)
					case 2:
						err = s.PutContext(ctx, key, []byte("value"))
					case 3:
						var r *kvps.Reader
						if r, err = s.NewReader(key); err == nil {
							_, err = io.ReadAll(r)
							r.Close()
						}
					case 4:
						var w *kvps.Writer
						if w, err = s.NewWriter(key); err == nil {
							if _, err = w.Write([]byte("streamed")); err == nil {
								err = w.Close()
							}
						}
					}
					if errors.Is(err, kvps.ErrClosed) {
						return
					}
					if err != nil && !errors.Is(err, kvps.ErrNotFound) {
						t.Errorf("call %d: %v", i, err)
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(round%4) * time.Millisecond)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}
}
