package kvps_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	kvps "github.com/kvps/kvps/bindings/go"
)

func TestWriter(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		w, err := s.NewWriter("w/value")
		if err != nil {
			t.Fatalf("NewWriter: %v", err)
		}
		var want bytes.Buffer
		for i := 0; i < 50; i++ {
			chunk := bytes.Repeat([]byte{byte(i)}, 1000+i)
			want.Write(chunk)
			if n, err := w.Write(chunk); n != len(chunk) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if _, err := s.Get("w/value"); !errors.Is(err, kvps.ErrNotFound) {
			t.Errorf("the value is visible before Close: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if got, _ := s.Get("w/value"); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("committed %d bytes, want %d", len(got), want.Len())
		}
		if _, err := w.Write([]byte("more")); !errors.Is(err, kvps.ErrClosed) {
			t.Errorf("Write after Close: %v, want ErrClosed", err)
		}
		if err := w.Close(); !errors.Is(err, kvps.ErrClosed) {
			t.Errorf("second Close: %v, want ErrClosed", err)
		}
		w.Abort() // a no-op after Close

		// Abort keeps the old value.
		w, err = s.NewWriter("w/value")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, strings.NewReader("replacement")); err != nil {
			t.Fatal(err)
		}
		w.Abort()
		w.Abort()
		if got, _ := s.Get("w/value"); !bytes.Equal(got, want.Bytes()) {
			t.Error("Abort changed the value")
		}
		if err := w.Close(); !errors.Is(err, kvps.ErrClosed) {
			t.Errorf("Close after Abort: %v, want ErrClosed", err)
		}

		// An empty value.
		w, err = s.NewWriter("w/empty")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get("w/empty"); err != nil || len(got) != 0 {
			t.Errorf("Get(w/empty) = %q, %v", got, err)
		}

		_, err = s.NewWriter("bad\x00key")
		wantStatus(t, err, kvps.ErrInvalidKey, kvps.StatusInvalidKey)
		_, err = s.NewWriter("")
		wantStatus(t, err, kvps.ErrInvalidKey, kvps.StatusInvalidKey)
	})
}

func TestReader(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		value := make([]byte, 300_000)
		for i := range value {
			value[i] = byte(i * 7 / 3)
		}
		if err := s.Put("r/value", value); err != nil {
			t.Fatal(err)
		}
		r, err := s.NewReader("r/value")
		if err != nil {
			t.Fatalf("NewReader: %v", err)
		}
		defer r.Close()
		if r.Size() != int64(len(value)) {
			t.Errorf("Size = %d, want %d", r.Size(), len(value))
		}
		// iotest.TestReader reads, seeks and reads at offsets, checking every answer.
		if err := iotest.TestReader(r, value); err != nil {
			t.Errorf("iotest.TestReader: %v", err)
		}

		if pos, err := r.Seek(-10, io.SeekEnd); err != nil || pos != int64(len(value))-10 {
			t.Fatalf("Seek(-10, end) = %d, %v", pos, err)
		}
		rest, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(rest, value[len(value)-10:]) {
			t.Errorf("the last 10 bytes = %v, %v", rest, err)
		}
		if _, err := r.Seek(-1, io.SeekStart); err == nil {
			t.Error("Seek to a negative position succeeded")
		}
		if pos, err := r.Seek(int64(len(value))+5, io.SeekStart); err != nil || pos != int64(len(value))+5 {
			t.Errorf("Seek past the end = %d, %v", pos, err)
		}
		if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Errorf("Read past the end = %d, %v; want 0, EOF", n, err)
		}

		// ReadAt is independent of the Read offset.
		if _, err := r.Seek(100, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1000)
		if n, err := r.ReadAt(buf, 200_000); n != 1000 || err != nil || !bytes.Equal(buf, value[200_000:201_000]) {
			t.Errorf("ReadAt(200000) = %d, %v", n, err)
		}
		one := make([]byte, 1)
		if _, err := io.ReadFull(r, one); err != nil || one[0] != value[100] {
			t.Errorf("Read after ReadAt read %v, want value[100] = %v (%v)", one, value[100], err)
		}
		if n, err := r.ReadAt(buf, int64(len(value))-10); n != 10 || err != io.EOF {
			t.Errorf("ReadAt across the end = %d, %v; want 10, EOF", n, err)
		}
		if _, err := r.ReadAt(buf, -1); err == nil {
			t.Error("ReadAt at a negative offset succeeded")
		}

		// A section of the value as a stream, and parallel ReadAt calls.
		section, err := io.ReadAll(io.NewSectionReader(r, 1234, 5678))
		if err != nil || !bytes.Equal(section, value[1234:1234+5678]) {
			t.Errorf("section read: %d bytes, %v", len(section), err)
		}
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := make([]byte, 4096)
				for off := int64(g * 1000); off+4096 < int64(len(value)); off += 50_000 {
					if _, err := r.ReadAt(b, off); err != nil || !bytes.Equal(b, value[off:off+4096]) {
						t.Errorf("parallel ReadAt(%d): %v", off, err)
						return
					}
				}
			}()
		}
		wg.Wait()

		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := r.Read(buf); !errors.Is(err, kvps.ErrClosed) {
			t.Errorf("Read after Close: %v, want ErrClosed", err)
		}

		_, err = s.NewReader("r/missing")
		wantStatus(t, err, kvps.ErrNotFound, kvps.StatusNotFound)

		if err := s.Put("r/empty", nil); err != nil {
			t.Fatal(err)
		}
		r, err = s.NewReader("r/empty")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(r); err != nil || len(got) != 0 {
			t.Errorf("ReadAll(empty) = %q, %v", got, err)
		}
		r.Close()
	})
}

// A put is atomic for readers too: a reader that opened on the old value gives old bytes or
// fails after a seek, never bytes of the new value (kvps.h, kvps_put).
func TestReaderAfterChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		old := []byte("old value, old value, old value")
		mustPut(t, s, "r/changing", string(old))
		r, err := s.NewReader("r/changing")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		buf := make([]byte, 5)
		if _, err := r.ReadAt(buf, 0); err != nil {
			t.Fatal(err)
		}
		mustPut(t, s, "r/changing", "new value, not the old one, same")
		if n, err := r.ReadAt(buf, 10); err == nil && (n != 5 || !bytes.Equal(buf, old[10:15])) {
			t.Errorf("ReadAt after a put = %d, %q: bytes of the new value, want old bytes or an error", n, buf[:n])
		}
	})
}

// Readers and writers outlive their store's Close (docs/BINDINGS.md): the library keeps the
// store alive until the last of them is closed.
func TestStreamsOutliveTheirStore(t *testing.T) {
	s, err := kvps.Open("memory://go-close-streams")
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "k", "old")
	r, err := s.NewReader("k")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.NewWriter("k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "old" {
		t.Errorf("Read after the store closed: %q, %v, want old", buf[:n], err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Reader.Close after the store closed: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Writer.Close after the store closed: %v", err)
	}
	s, err = kvps.Open("memory://go-close-streams")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := mustGet(t, s, "k"); got != "new" {
		t.Errorf("value %q after the writer committed past the store's Close, want new", got)
	}
}

// A writer whose upload the server refuses: the error shows at NewWriter, Write or Close, and
// after a failed Write, Close aborts and returns that same error.
func TestWriterFailure(t *testing.T) {
	raw := os.Getenv("KVPS_TEST_S3_URL")
	if raw == "" {
		skipOrFail(t, "KVPS_TEST_S3_URL is not set")
	}
	s, err := kvps.Open(withPrefix(raw, unique(t)), kvps.WithOption("secret_access_key", "not-the-secret"),
		kvps.WithOption("part_size", "5MiB"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.NewWriter("refused")
	if err != nil {
		t.Logf("refused at NewWriter: %v", err)
		wantStatus(t, err, kvps.ErrPermissionDenied, kvps.StatusPermissionDenied)
		return
	}
	defer w.Abort()
	chunk := make([]byte, 1<<20)
	var writeErr error
	for i := 0; i < 12 && writeErr == nil; i++ {
		_, writeErr = w.Write(chunk)
	}
	closeErr := w.Close()
	if writeErr != nil {
		t.Logf("refused at Write: %v", writeErr)
		wantStatus(t, writeErr, kvps.ErrPermissionDenied, kvps.StatusPermissionDenied)
		if _, err := w.Write(chunk); err == nil {
			t.Error("Write after a failed Write succeeded")
		}
		if closeErr != writeErr {
			t.Errorf("Close after a failed Write = %v, want the Write's error %v", closeErr, writeErr)
		}
		return
	}
	t.Logf("refused at Close: %v", closeErr)
	wantStatus(t, closeErr, kvps.ErrPermissionDenied, kvps.StatusPermissionDenied)
}
