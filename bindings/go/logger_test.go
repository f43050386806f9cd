package kvps_test

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	kvps "github.com/kvps/kvps/bindings/go"
)

func TestSetLogger(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	kvps.SetLogger(func(level kvps.LogLevel, line string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, level.String()+": "+line)
	}, kvps.LogInfo)
	defer kvps.SetLogger(nil, kvps.LogError)

	s, err := kvps.Open("memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustPut(t, s, "logged-key", "v")
	mu.Lock()
	got := strings.Join(lines, "\n")
	mu.Unlock()
	if !strings.Contains(got, "logged-key") || !strings.Contains(got, "info: ") {
		t.Errorf("no info line names the key; lines:\n%s", got)
	}

	kvps.SetLogger(nil, kvps.LogError)
	mu.Lock()
	n := len(lines)
	mu.Unlock()
	mustPut(t, s, "unlogged-key", "v")
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != n {
		t.Errorf("lines after logging was turned off: %q", lines[n:])
	}
}

// Debug lines (one per S3 request), messages and the store's URL never show the secret.
func TestSecretsStayHidden(t *testing.T) {
	raw := os.Getenv("KVPS_TEST_S3_URL")
	if raw == "" {
		skipOrFail(t, "KVPS_TEST_S3_URL is not set")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	secret := u.Query().Get("secret_access_key")
	if secret == "" {
		t.Skip("KVPS_TEST_S3_URL has no secret_access_key")
	}
	var mu sync.Mutex
	var lines []string
	kvps.SetLogger(func(level kvps.LogLevel, line string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, line)
	}, kvps.LogDebug)
	defer kvps.SetLogger(nil, kvps.LogError)

	s, err := kvps.Open(withPrefix(raw, unique(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustPut(t, s, "k", "v")
	mustGet(t, s, "k")
	if err := s.Delete("k"); err != nil {
		t.Fatal(err)
	}
	// A wrong secret given as an option: refused, and not echoed.
	wrong := "wrong-" + secret
	bad, err := kvps.Open(withPrefix(raw, unique(t)), kvps.WithOption("secret_access_key", wrong))
	if err == nil {
		err = bad.Put("k", []byte("v"))
		bad.Close()
	}
	if !errors.Is(err, kvps.ErrPermissionDenied) {
		t.Errorf("a wrong secret gave %v, want ErrPermissionDenied", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(lines) == 0 {
		t.Error("no debug lines were logged")
	}
	for _, text := range append(lines, s.URL(), err.Error()) {
		if strings.Contains(text, secret) {
			t.Errorf("a secret shows in %q", text)
		}
	}
}
