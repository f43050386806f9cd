package kvps_test

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"sync"
	"testing"

	kvps "github.com/kvps/kvps/bindings/go"
)

// Issue #14 through Go: PutOptions, PutWith, NewWriterWith, GetWithStat, Copy, Rename and the
// Stat fields, on every backend the tests reach.

func TestPutWithStoresPropertiesAndReturnsTheETag(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		opts := &kvps.PutOptions{ContentType: "text/csv", Metadata: map[string]string{"Owner": "ops", "tier": "gold"}}
		etag, err := s.PutWith("p", []byte("1,2"), opts)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.Stat("p")
		if err != nil {
			t.Fatal(err)
		}
		if st.ETag != etag || st.ContentType != "text/csv" ||
			!maps.Equal(st.Metadata, map[string]string{"owner": "ops", "tier": "gold"}) {
			t.Fatalf("stat %+v, etag %q", st, etag)
		}
		mustPut(t, s, "plain", "x")
		if st, _ := s.Stat("plain"); st.ContentType != "application/octet-stream" || len(st.Metadata) != 0 {
			t.Fatalf("plain stat %+v", st)
		}
		value, st, err := s.GetWithStat("p")
		if err != nil || string(value) != "1,2" || st.ETag != etag {
			t.Fatalf("GetWithStat: %q %+v %v", value, st, err)
		}
		_, _, err = s.GetWithStat("missing")
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
		if etag, err := s.PutWith("nil", []byte("n"), nil); err != nil || etag == "" {
			t.Fatalf("PutWith nil options: %q %v", etag, err)
		}
	})
}

func TestFailedConditionsChangeNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		first, err := s.PutWith("c", []byte("one"), &kvps.PutOptions{CreateOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.PutWith("c", []byte("two"), &kvps.PutOptions{CreateOnly: true})
		wantStatus(t, err, kvps.ErrPreconditionFailed, kvps.StatusPreconditionFailed)
		_, err = s.PutWith("c", []byte("two"), &kvps.PutOptions{IfMatch: `"stale"`})
		wantStatus(t, err, kvps.ErrPreconditionFailed, kvps.StatusPreconditionFailed)
		if got := mustGet(t, s, "c"); got != "one" {
			t.Fatalf("after failed conditions: %q", got)
		}
		if _, err := s.PutWith("c", []byte("two"), &kvps.PutOptions{IfMatch: first}); err != nil {
			t.Fatal(err)
		}
		_, err = s.PutWith("c", []byte("x"), &kvps.PutOptions{IfMatch: first, CreateOnly: true})
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		_, err = s.PutWith("c", []byte("x"), &kvps.PutOptions{Metadata: map[string]string{"bad name": "v"}})
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		_, err = s.PutWith("c", []byte("x"), &kvps.PutOptions{ContentType: "a\x00b"})
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		if got := mustGet(t, s, "c"); got != "two" {
			t.Fatalf("after bad options: %q", got)
		}
	})
}

func TestWriterWithChecksItsConditionAtClose(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		opts := &kvps.PutOptions{ContentType: "text/plain", CreateOnly: true}
		w, err := s.NewWriterWith("w", opts)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("streamed "))
		_, _ = w.Write([]byte("value"))
		if w.ETag() != "" {
			t.Fatal("an etag before the commit")
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		st, _ := s.Stat("w")
		if w.ETag() == "" || w.ETag() != st.ETag || st.ContentType != "text/plain" {
			t.Fatalf("writer etag %q, stat %+v", w.ETag(), st)
		}
		again, err := s.NewWriterWith("w", opts)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = again.Write([]byte("other"))
		wantStatus(t, again.Close(), kvps.ErrPreconditionFailed, kvps.StatusPreconditionFailed)
		if again.ETag() != "" || mustGet(t, s, "w") != "streamed value" {
			t.Fatal("a failed conditional writer changed something")
		}
		aborted, err := s.NewWriterWith("w", &kvps.PutOptions{IfMatch: st.ETag})
		if err != nil {
			t.Fatal(err)
		}
		aborted.Abort()
		_, err = s.NewWriterWith("w", &kvps.PutOptions{IfMatch: st.ETag, CreateOnly: true})
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
	})
}

func TestCopyAndRenameKeepOrReplaceProperties(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		opts := &kvps.PutOptions{ContentType: "image/png", Metadata: map[string]string{"a": "1"}}
		if _, err := s.PutWith("dir/src", nil, opts); err != nil {
			t.Fatal(err)
		}
		etag, err := s.Copy("dir/src", "other/dst", nil)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := s.Stat("other/dst")
		if st.ETag != etag || st.ContentType != "image/png" || st.Metadata["a"] != "1" {
			t.Fatalf("copy: etag %q, stat %+v", etag, st)
		}
		if _, err := s.Rename("other/dst", "moved", &kvps.PutOptions{Metadata: map[string]string{}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat("other/dst"); !errors.Is(err, kvps.ErrNotFound) {
			t.Fatalf("the renamed source: %v", err)
		}
		st, _ = s.Stat("moved")
		// fake-gcs-server's rewrite keeps the source's metadata unless the request names some
		// ("Only supplied metadata overwrites", fakestorage/object.go; tests/gcs/README.md).
		emptied := len(st.Metadata) == 0 || strings.HasPrefix(s.URL(), "gs")
		if st.ContentType != "image/png" || !emptied {
			t.Fatalf("rename with empty metadata: %+v", st)
		}
		_, err = s.Copy("missing", "x", nil)
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
		_, err = s.CopyContext(context.Background(), "dir/src", "moved", &kvps.PutOptions{CreateOnly: true})
		wantStatus(t, err, kvps.ErrPreconditionFailed, kvps.StatusPreconditionFailed)
		if _, err := s.Copy("dir/src", "dir/src", nil); err != nil {
			t.Fatalf("copy onto itself: %v", err)
		}
	})
}

func TestCompareAndSwapCounter(t *testing.T) {
	s, err := kvps.Open("memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustPut(t, s, "n", "0")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 250 {
				for {
					value, st, err := s.GetWithStat("n")
					if err != nil {
						t.Error(err)
						return
					}
					n, _ := strconv.Atoi(string(value))
					_, err = s.PutWith("n", []byte(strconv.Itoa(n+1)), &kvps.PutOptions{IfMatch: st.ETag})
					if err == nil {
						break
					}
					if !errors.Is(err, kvps.ErrPreconditionFailed) {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := mustGet(t, s, "n"); got != "1000" {
		t.Fatalf("counter %s, want 1000", got)
	}
}
