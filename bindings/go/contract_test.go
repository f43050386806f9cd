package kvps_test

import (
	"errors"
	"strings"
	"testing"

	kvps "github.com/kvps/kvps/bindings/go"
)

// What this binding itself maps of the C contract: the rows of docs/BINDINGS.md, and no stale
// message (issue 12, point 1). The core rules themselves are the C conformance suite's.

func TestNotFoundAfterAFailureCarriesNoStaleMessage(t *testing.T) {
	s, err := kvps.Open("memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put("bad\x01", []byte("v")); !errors.Is(err, kvps.ErrInvalidKey) {
		t.Fatalf("Put of a bad key: %v, want ErrInvalidKey", err)
	}
	_, err = s.Get("missing")
	var e *kvps.Error
	if !errors.As(err, &e) || e.Status != kvps.StatusNotFound {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if e.Message != "" {
		t.Errorf("ErrNotFound carries a stale message: %q", e.Message)
	}
}

func TestBatchItemsCarryTheLibrarysMessage(t *testing.T) {
	s, err := kvps.Open("memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.PutMany([]kvps.KV{{"", []byte("1")}, {"good", []byte("2")}, {"bad\x01key", []byte("3")}})
	var be *kvps.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("PutMany: %v, want a *BatchError", err)
	}
	first, last := be.Errs[0].(*kvps.Error), be.Errs[2].(*kvps.Error)
	if be.Errs[1] != nil || first.Message == "" || !strings.Contains(last.Message, `bad\x01key`) ||
		first.Message == last.Message {
		t.Errorf("item errors %v: want the library's own message for each failed item", be.Errs)
	}
}

func TestAKeyThatIsNotUTF8IsTheLibrarysInvalidKey(t *testing.T) {
	s, err := kvps.Open("memory://")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Put("bad \xff byte", []byte("v"))
	var e *kvps.Error
	if !errors.As(err, &e) || e.Status != kvps.StatusInvalidKey || !strings.Contains(e.Message, "UTF-8") {
		t.Errorf("Put of a key that is not UTF-8: %v, want the library's InvalidKey", err)
	}
}
