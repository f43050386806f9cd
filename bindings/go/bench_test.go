package kvps_test

import (
	"context"
	"io"
	"testing"

	kvps "github.com/kvps/kvps/bindings/go"
)

// Benchmarks of the binding's own cost on memory://, where the library does little:
//
//	go test -run '^$' -bench . -benchtime 2s
func benchStore(b *testing.B) *kvps.Store {
	s, err := kvps.Open("memory://")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Put("key", make([]byte, 100)); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkGet100B(b *testing.B) {
	s := benchStore(b)
	for i := 0; i < b.N; i++ {
		if _, err := s.Get("key"); err != nil {
			b.Fatal(err)
		}
	}
}

// The same call on a goroutine of its own, as with a context that can be cancelled.
func BenchmarkGetContext100B(b *testing.B) {
	s := benchStore(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < b.N; i++ {
		if _, err := s.GetContext(ctx, "key"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPut100B(b *testing.B) {
	s := benchStore(b)
	value := make([]byte, 100)
	for i := 0; i < b.N; i++ {
		if err := s.Put("key", value); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetParallel100B(b *testing.B) {
	s := benchStore(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get("key"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkReaderCopy64MiB(b *testing.B) {
	s := benchStore(b)
	if err := s.Put("big", make([]byte, 64<<20)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	for i := 0; i < b.N; i++ {
		r, err := s.NewReader("big")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
