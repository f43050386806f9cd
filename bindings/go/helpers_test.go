package kvps_test

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	kvps "github.com/kvps/kvps/bindings/go"
)

var inCI = os.Getenv("CI") == "true"

// skipOrFail skips a test that lacks something it needs, except in CI, where a skipped test
// would hide a broken setup.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if inCI {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

var uniqueCounter atomic.Int64

// unique returns a name no other run or test uses: the S3 buckets are shared.
func unique(t testing.TB) string {
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")
	return fmt.Sprintf("go-%d-%d-%d-%s", os.Getpid(), time.Now().UnixNano(), uniqueCounter.Add(1), name)
}

// withPrefix inserts "/prefix" after the bucket of an s3:// URL.
func withPrefix(url, prefix string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	return scheme + "://" + rest[:end] + "/" + prefix + rest[end:]
}

type storeCase struct {
	name string
	url  func(t *testing.T) string // "" skips the case
}

func needBackend(t *testing.T, scheme string) bool {
	t.Helper()
	if _, ok := kvps.FindBackend(scheme); !ok {
		skipOrFail(t, "the %s:// backend is not in this library", scheme)
		return false
	}
	return true
}

var storeCases = []storeCase{
	{"memory", func(t *testing.T) string { return "memory://" }},
	{"file", func(t *testing.T) string {
		if !needBackend(t, "file") {
			return ""
		}
		return "file://" + t.TempDir()
	}},
	{"s3", func(t *testing.T) string {
		url := os.Getenv("KVPS_TEST_S3_URL")
		if url == "" {
			skipOrFail(t, "KVPS_TEST_S3_URL is not set (scripts/test.sh starts a server and sets it)")
			return ""
		}
		return withPrefix(url, unique(t))
	}},
	{"s3-second", func(t *testing.T) string {
		url := os.Getenv("KVPS_TEST_S3_URL_2")
		if url == "" {
			t.Skip("KVPS_TEST_S3_URL_2 is not set: no second S3 server")
		}
		return withPrefix(url, unique(t))
	}},
}

// forEachStore runs f against a fresh, empty store of every kind.
func forEachStore(t *testing.T, f func(t *testing.T, s *kvps.Store)) {
	for _, sc := range storeCases {
		t.Run(sc.name, func(t *testing.T) {
			url := sc.url(t)
			s, err := kvps.Open(url)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() {
				if strings.HasPrefix(url, "s3") { // leave the shared bucket as we found it
					var keys []string
					for e, err := range s.List("") {
						if err != nil {
							t.Errorf("cleanup list: %v", err)
							break
						}
						keys = append(keys, e.Key)
					}
					if err := s.DeleteMany(keys); err != nil {
						t.Errorf("cleanup delete: %v", err)
					}
				}
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			f(t, s)
		})
	}
}

// wantStatus checks that err is a *kvps.Error of the given status and that errors.Is matches
// its sentinel.
func wantStatus(t *testing.T, err error, sentinel error, status kvps.Status) *kvps.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", status)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("errors.Is(%v, %v) is false", err, sentinel)
	}
	var e *kvps.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not a *kvps.Error", err, err)
	}
	if e.Status != status {
		t.Fatalf("status %v, want %v (%v)", e.Status, status, err)
	}
	return e
}

func mustPut(t *testing.T, s *kvps.Store, key, value string) {
	t.Helper()
	if err := s.Put(key, []byte(value)); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s *kvps.Store, key string) string {
	t.Helper()
	v, err := s.Get(key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v)
}
