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

// withPrefix inserts "/prefix" after the bucket of an s3:// or gs:// URL, after the container
// of an az:// one (az://account/container/prefix).
func withPrefix(url, prefix string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	segments := 1
	if scheme == "az" || scheme == "azure" {
		segments = 2
	}
	end := -1
	for range segments {
		start := end + 1
		next := strings.IndexAny(rest[start:], "/?")
		if next < 0 {
			end = len(rest)
			break
		}
		end = start + next
		if rest[end] == '?' {
			break
		}
	}
	return scheme + "://" + rest[:end] + "/" + prefix + rest[end:]
}

// serverURL is a store case on the server whose URL scripts/test.sh puts in variable.
func serverURL(variable, scheme string) func(t *testing.T) string {
	return func(t *testing.T) string {
		if !needBackend(t, scheme) {
			return ""
		}
		url := os.Getenv(variable)
		if url == "" {
			skipOrFail(t, "%s is not set (scripts/test.sh starts a server and sets it)", variable)
			return ""
		}
		return withPrefix(url, unique(t))
	}
}

// onServer: the store keeps its keys on a shared server (under the test's own prefix), whose
// limits count that prefix too.
func onServer(url string) bool {
	for _, scheme := range []string{"s3", "gs", "az"} {
		if strings.HasPrefix(url, scheme) {
			return true
		}
	}
	return false
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
	// The emulators scripts/test.sh starts: fake-gcs-server and Azurite.
	{"gs", serverURL("KVPS_TEST_GCS_URL", "gs")},
	{"az", serverURL("KVPS_TEST_AZ_URL", "az")},
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
				if onServer(url) { // leave the shared bucket as we found it
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
