package kvps_test

import (
	"bufio"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	kvps "github.com/kvps/kvps/bindings/go"
)

// pattern is an endless deterministic stream, cheap to produce: it repeats a block whose size
// is not a power of two, so no buffer or part boundary lines up with it.
type pattern struct {
	block []byte
	off   int
}

func newPattern() *pattern {
	block := make([]byte, 1<<20+7)
	x := uint32(2463534242)
	for i := range block {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		block[i] = byte(x)
	}
	return &pattern{block: block}
}

func (p *pattern) Read(b []byte) (int, error) {
	n := copy(b, p.block[p.off:])
	p.off = (p.off + n) % len(p.block)
	return n, nil
}

// rssBytes reads the resident set size of this process (Linux).
func rssBytes() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS line in /proc/self/status")
}

// peakRSS samples the resident set size while f runs and returns the largest growth seen.
func peakRSS(t *testing.T, f func()) int64 {
	runtime.GC()
	base, err := rssBytes()
	if err != nil {
		t.Fatalf("cannot measure memory: %v", err)
	}
	var peak int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, err := rssBytes(); err == nil && rss-base > peak {
				peak = rss - base
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak
}

// streamRoundTrip writes size bytes with io.Copy into a Writer, reads them back with io.Copy
// from a Reader, checks them, and returns the peak memory growth.
func streamRoundTrip(t *testing.T, s *kvps.Store, key string, size int64) int64 {
	return peakRSS(t, func() {
		w, err := s.NewWriter(key)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		sum := crc32.NewIEEE()
		src := io.TeeReader(io.LimitReader(newPattern(), size), sum)
		if n, err := io.Copy(w, src); n != size || err != nil {
			t.Fatalf("io.Copy into the writer = %d, %v", n, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("commit: %v", err)
		}
		r, err := s.NewReader(key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.Size() != size {
			t.Errorf("Reader.Size = %d, want %d", r.Size(), size)
		}
		back := crc32.NewIEEE()
		if n, err := io.Copy(back, r); n != size || err != nil {
			t.Fatalf("io.Copy from the reader = %d, %v", n, err)
		}
		if back.Sum32() != sum.Sum32() {
			t.Fatal("the value read back differs from the one written")
		}
	})
}

func TestStreamRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *kvps.Store) {
		streamRoundTrip(t, s, "big/20MiB", 20<<20+3)
	})
}

// io.Copy streams a 2 GiB value through a file:// store in constant memory.
func TestStream2GiBConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 2 GiB stream")
	}
	if !needBackend(t, "file") {
		return
	}
	s, err := kvps.Open("file://" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	caps := s.Capabilities()
	if !caps.Has(kvps.CapReadStream | kvps.CapWriteStream) {
		t.Fatalf("file:// capabilities %v: want read_stream and write_stream", caps)
	}
	const size = 2<<30 + 12345
	start := time.Now()
	growth := streamRoundTrip(t, s, "big/2GiB", size)
	t.Logf("2 GiB written and read back in %v; peak RSS growth %d MiB", time.Since(start).Round(time.Millisecond), growth>>20)
	if growth > 128<<20 {
		t.Errorf("RSS grew by %d MiB while streaming 2 GiB, want less than 128 MiB", growth>>20)
	}
	if err := s.Delete("big/2GiB"); err != nil {
		t.Error(err)
	}
}
