package kvps_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	kvps "github.com/kvps/kvps/bindings/go"
)

func TestListLevel(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		for _, k := range []string{"a", "b/1", "b/2", "b/c/3", "c-d", "c/x", "z"} {
			mustPut(t, s, k, k)
		}
		var got []string
		for item, err := range s.ListLevel("", "/") {
			if err != nil {
				t.Fatal(err)
			}
			if item.IsPrefix {
				got = append(got, "p:"+item.Key)
			} else {
				got = append(got, "k:"+item.Key)
			}
		}
		if want := "k:a p:b/ k:c-d p:c/ k:z"; strings.Join(got, " ") != want {
			t.Fatalf("ListLevel: %v, want %v", got, want)
		}
		page, err := s.ListWith(context.Background(), kvps.ListOptions{Prefix: "b/", Delimiter: "/", PageSize: 10})
		if err != nil || len(page.Entries) != 2 || len(page.Prefixes) != 1 || page.Prefixes[0] != "b/c/" {
			t.Fatalf("ListWith b/: %+v, %v", page, err)
		}
		page, err = s.ListWith(context.Background(), kvps.ListOptions{StartAfter: "c-d"})
		if err != nil || len(page.Entries) != 2 || page.Entries[0].Key != "c/x" {
			t.Fatalf("ListWith start after: %+v, %v", page, err)
		}
	})
}

func TestGetInto(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		mustPut(t, s, "v", "0123456789")
		buf := make([]byte, 16)
		n, _, err := s.GetInto("v", 0, buf)
		if err != nil || n != 10 || string(buf[:n]) != "0123456789" {
			t.Fatalf("GetInto: %d %q %v", n, buf[:n], err)
		}
		n, _, err = s.GetInto("v", 7, buf)
		if err != nil || string(buf[:n]) != "789" {
			t.Fatalf("GetInto offset 7: %q %v", buf[:n], err)
		}
		small := []byte("xxxx")
		_, needed, err := s.GetInto("v", 0, small)
		wantStatus(t, err, kvps.ErrInvalidArgument, kvps.StatusInvalidArgument)
		if needed != 10 || string(small) != "xxxx" {
			t.Fatalf("too small: needed %d, buffer %q", needed, small)
		}
		_, _, err = s.GetInto("missing", 0, buf)
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)
	})
}

func TestPresign(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		mustPut(t, s, "p", "presigned")
		url, err := s.Presign("p", "GET", 60)
		// s3:// signs with its secret key, az:// with the account key (a SAS); gs:// needs a
		// service account's private key, which the anonymous emulator store has not.
		if !strings.HasPrefix(s.URL(), "s3") && !strings.HasPrefix(s.URL(), "az") {
			wantStatus(t, err, kvps.ErrUnsupported, kvps.StatusUnsupported)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		answer, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(answer.Body)
		answer.Body.Close()
		if answer.StatusCode != 200 || string(body) != "presigned" {
			t.Fatalf("GET %s: %d %q", url, answer.StatusCode, body)
		}
	})
}

func TestCorruptStatus(t *testing.T) {
	if kvps.StatusCorrupt.String() != "KVPS_CORRUPT" || !errors.Is(&kvps.Error{Status: kvps.StatusCorrupt}, kvps.ErrCorrupt) {
		t.Fatal("KVPS_CORRUPT is not mapped")
	}
}
