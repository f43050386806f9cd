// Command peers measures kvps's Go package beside gocloud.dev/blob (memblob, fileblob, s3blob)
// on memory://, file:// and s3:// (with $KVPS_TEST_S3_URL), alternating the two in every
// repetition, and prints the figures as JSON for bench/peers/report.py. Run by bench/run.
//
//	go run . -reps 5 [-smoke] [-backends memory,file,s3] [-list-n N] [-delete-n N]
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	kvps "github.com/kvps/kvps/bindings/go"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/blob/s3blob"
)

const (
	kib = 1024
	mib = 1024 * 1024
)

// store is one implementation on one backend.
type store interface {
	put(key string, v []byte) error
	get(key string) ([]byte, error)
	stat(key string) error
	del(key string) error
	count(prefix string) (int, error)
	deleteMany(keys []string) error
}

type kvpsStore struct{ s *kvps.Store }

func (k kvpsStore) put(key string, v []byte) error { return k.s.Put(key, v) }
func (k kvpsStore) get(key string) ([]byte, error) { return k.s.Get(key) }
func (k kvpsStore) stat(key string) error          { _, err := k.s.Stat(key); return err }
func (k kvpsStore) del(key string) error           { return k.s.Delete(key) }
func (k kvpsStore) deleteMany(keys []string) error { return k.s.DeleteMany(keys) }
func (k kvpsStore) count(prefix string) (int, error) {
	n := 0
	for _, err := range k.s.List(prefix) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

type blobStore struct{ b *blob.Bucket }

var bg = context.Background()

func (g blobStore) put(key string, v []byte) error { return g.b.WriteAll(bg, key, v, nil) }
func (g blobStore) get(key string) ([]byte, error) { return g.b.ReadAll(bg, key) }
func (g blobStore) stat(key string) error          { _, err := g.b.Attributes(bg, key); return err }
func (g blobStore) del(key string) error           { return g.b.Delete(bg, key) }
func (g blobStore) deleteMany(keys []string) error {
	for _, k := range keys {
		if err := g.b.Delete(bg, k); err != nil {
			return err
		}
	}
	return nil
}
func (g blobStore) count(prefix string) (int, error) {
	it := g.b.List(&blob.ListOptions{Prefix: prefix})
	n := 0
	for {
		_, err := it.Next(bg)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		n++
	}
}

type result struct {
	Backend  string  `json:"backend"`
	Workload string  `json:"workload"`
	Unit     string  `json:"unit"`
	Impl     string  `json:"impl"`
	Value    float64 `json:"value"`
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

func s3Bucket(raw string) *blob.Bucket {
	u, err := url.Parse(raw)
	must(err)
	q := u.Query()
	client := s3.New(s3.Options{
		Region:       q.Get("region"),
		BaseEndpoint: aws.String(q.Get("endpoint")),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(q.Get("access_key_id"), q.Get("secret_access_key"), ""),
	})
	b, err := s3blob.OpenBucket(bg, client, u.Host, nil)
	must(err)
	return b
}

func open(impl, backend, root string) store {
	switch backend + "/" + impl {
	case "memory/kvps":
		s, err := kvps.Open("memory://")
		must(err)
		return kvpsStore{s}
	case "memory/gocloud":
		return blobStore{memblob.OpenBucket(nil)}
	case "file/kvps", "file/kvps fsync":
		opts := []kvps.Option{}
		if impl == "kvps" {
			opts = append(opts, kvps.WithOption("fsync", "false"))
		}
		s, err := kvps.Open("file://"+filepath.Join(root, "kvps"), opts...)
		must(err)
		return kvpsStore{s}
	case "file/gocloud":
		dir := filepath.Join(root, "gocloud")
		must(os.MkdirAll(dir, 0o755))
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true})
		must(err)
		return blobStore{b}
	case "s3/kvps":
		// kvps's default over https: bench/peers/notes.md, "The s3:// rows"
		s, err := kvps.Open(os.Getenv("KVPS_TEST_S3_URL"), kvps.WithOption("unsigned_payload", "true"))
		must(err)
		return kvpsStore{s}
	case "s3/filler":
		s, err := kvps.Open(os.Getenv("KVPS_TEST_S3_URL"), kvps.WithOption("concurrency", "64"))
		must(err)
		return kvpsStore{s}
	case "s3/gocloud":
		return blobStore{s3Bucket(os.Getenv("KVPS_TEST_S3_URL"))}
	}
	panic("no " + impl + " on " + backend)
}

// threaded runs op(i) for i in [0, n) over threads goroutines; returns the seconds.
func threaded(threads, n int, op func(i int) error) float64 {
	per := n / threads
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	t := time.Now()
	for g := 0; g < threads; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g * per; i < (g+1)*per; i++ {
				if err := op(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}(g)
	}
	wg.Wait()
	must(first)
	return time.Since(t).Seconds()
}

func main() {
	reps := flag.Int("reps", 0, "repetitions (default 5, smoke 1)")
	smoke := flag.Bool("smoke", false, "tiny counts, one repetition")
	backends := flag.String("backends", "memory,file,s3", "backends")
	listN := flag.Int("list-n", 0, "keys listed (default 100000, smoke 200)")
	deleteN := flag.Int("delete-n", 0, "keys batch-deleted (default 10000, smoke 100)")
	scale := flag.Float64("scale", 1, "multiplies the 1 KiB and 1 MiB counts")
	flag.Int("stream-mib", 0, "taken for bench/run's sake: no stream workload here")
	flag.String("only", "", "taken for bench/run's sake: every workload runs")
	flag.Parse()
	pick := func(v *int, full, small int) {
		if *v == 0 {
			*v = full
			if *smoke {
				*v = small
			}
		}
	}
	pick(reps, 5, 1)
	pick(listN, 100000, 200)
	pick(deleteN, 10000, 100)
	smallN := map[string]int{"memory": 100000, "file": 4000, "s3": 3200}
	mibN := map[string]int{"memory": 500, "file": 100, "s3": 40}
	if *smoke { // enough to run every line, not to measure
		smallN = map[string]int{"memory": 512, "file": 64, "s3": 32}
		mibN = map[string]int{"memory": 4, "file": 4, "s3": 2}
	}
	for k := range smallN {
		smallN[k] = max(16, int(float64(smallN[k])**scale))
		mibN[k] = max(2, int(float64(mibN[k])**scale))
	}
	root, err := os.MkdirTemp(os.Getenv("KVPS_BENCH_TMP"), "kvps-peers-go-")
	must(err)
	defer os.RemoveAll(root)
	run := fmt.Sprintf("peers-go-%d-%d/", os.Getpid(), time.Now().Unix())
	var results []result
	rec := func(b, w, u, impl string, v float64) { results = append(results, result{b, w, u, impl, v}) }
	began := time.Now()
	small := make([]byte, kib)
	big := make([]byte, mib)
	_, _ = rand.Read(small)
	_, _ = rand.Read(big)

	for _, backend := range strings.Split(*backends, ",") {
		if backend == "s3" && os.Getenv("KVPS_TEST_S3_URL") == "" {
			must(fmt.Errorf("s3 needs $KVPS_TEST_S3_URL"))
		}
		names := []string{"kvps", "gocloud"}
		if backend == "file" {
			names = []string{"kvps", "kvps fsync", "gocloud"}
		}
		impls := map[string]store{}
		for _, n := range names {
			impls[n] = open(n, backend, root)
		}
		filler := func(n string) store {
			if backend == "s3" {
				return open("filler", backend, root)
			}
			return impls[n]
		}
		order := func(rep int) []string {
			k := rep % len(names)
			return append(append([]string{}, names[k:]...), names[:k]...)
		}
		p := func(n string) string { return run + strings.ReplaceAll(n, " ", "_") + "/" }
		for _, threads := range []int{1, 16} {
			for rep := 0; rep < *reps; rep++ {
				for _, n := range order(rep) {
					s, cnt := impls[n], smallN[backend]/threads*threads
					key := func(i int) string { return fmt.Sprintf("%ssmall/%d/%d/%06d", p(n), rep, threads, i) }
					suffix := fmt.Sprintf(", %d thread", threads)
					if threads > 1 {
						suffix += "s"
					}
					ops := []struct {
						name string
						fn   func(i int) error
					}{
						{"put", func(i int) error { return s.put(key(i), small) }},
						{"get", func(i int) error { _, err := s.get(key(i)); return err }},
						{"stat", func(i int) error { return s.stat(key(i)) }},
						{"delete", func(i int) error { return s.del(key(i)) }},
					}
					for _, op := range ops {
						rec(backend, "1 KiB "+op.name+suffix, "ops/s", n, float64(cnt)/threaded(threads, cnt, op.fn))
					}
				}
			}
		}
		for rep := 0; rep < *reps; rep++ {
			for _, n := range order(rep) {
				s, cnt := impls[n], mibN[backend]
				keys := make([]string, cnt)
				for i := range keys {
					keys[i] = fmt.Sprintf("%smib/%d/%04d", p(n), rep, i)
				}
				t := time.Now()
				for _, k := range keys {
					must(s.put(k, big))
				}
				rec(backend, "1 MiB put", "MB/s", n, float64(cnt*mib)/1e6/time.Since(t).Seconds())
				t = time.Now()
				for _, k := range keys {
					v, err := s.get(k)
					must(err)
					if !bytes.Equal(v[:16], big[:16]) {
						must(fmt.Errorf("%s: wrong value", n))
					}
				}
				rec(backend, "1 MiB get", "MB/s", n, float64(cnt*mib)/1e6/time.Since(t).Seconds())
				must(s.deleteMany(keys))
			}
		}
		// listing: one prefix per implementation (kvps fsync shares kvps's folder); s3: one for all
		listKeys := func(prefix string) []string {
			k := make([]string, *listN)
			for i := range k {
				k[i] = fmt.Sprintf("%s%07d", prefix, i)
			}
			return k
		}
		lp := map[string]string{}
		for _, n := range names {
			switch {
			case backend == "s3" && n != names[0]:
				lp[n] = lp[names[0]]
				continue
			case n == "kvps fsync":
				lp[n] = lp["kvps"]
				continue
			}
			lp[n] = p(n) + "list/"
			if backend == "s3" {
				lp[n] = run + "list/"
			}
			f := filler(n)
			if ks, ok := f.(kvpsStore); ok {
				items := make([]kvps.KV, 0, 1000)
				for _, k := range listKeys(lp[n]) {
					items = append(items, kvps.KV{Key: k, Value: []byte("x")})
					if len(items) == 1000 {
						must(ks.s.PutMany(items))
						items = items[:0]
					}
				}
				if len(items) > 0 {
					must(ks.s.PutMany(items))
				}
			} else {
				for _, k := range listKeys(lp[n]) {
					must(f.put(k, []byte("x")))
				}
			}
		}
		for rep := 0; rep < *reps; rep++ {
			for _, n := range order(rep) {
				t := time.Now()
				got, err := impls[n].count(lp[n])
				must(err)
				if got != *listN {
					must(fmt.Errorf("%s listed %d of %d", n, got, *listN))
				}
				rec(backend, fmt.Sprintf("list %d keys", *listN), "keys/s", n, float64(*listN)/time.Since(t).Seconds())
			}
		}
		for _, n := range names {
			if n != "kvps fsync" && (backend != "s3" || n == names[0]) {
				must(filler(n).deleteMany(listKeys(lp[n])))
			}
		}
		for rep := 0; rep < *reps; rep++ {
			for _, n := range order(rep) {
				keys := make([]string, *deleteN)
				for i := range keys {
					keys[i] = fmt.Sprintf("%sdel%d/%06d", p(n), rep, i)
				}
				f := filler(n)
				if ks, ok := f.(kvpsStore); ok {
					for i := 0; i < len(keys); i += 1000 {
						items := make([]kvps.KV, 0, 1000)
						for _, k := range keys[i:min(i+1000, len(keys))] {
							items = append(items, kvps.KV{Key: k, Value: []byte("x")})
						}
						must(ks.s.PutMany(items))
					}
				} else {
					for _, k := range keys {
						must(f.put(k, []byte("x")))
					}
				}
				t := time.Now()
				must(impls[n].deleteMany(keys))
				rec(backend, fmt.Sprintf("batch delete %d keys", *deleteN), "keys/s", n, float64(*deleteN)/time.Since(t).Seconds())
			}
		}
		fmt.Fprintf(os.Stderr, "[%6.1fs] go %s done\n", time.Since(began).Seconds(), backend)
	}
	versions := map[string]string{"go": strings.TrimPrefix(goVersion(), "go"), "kvps": kvps.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "gocloud.dev" {
				versions["gocloud.dev"] = d.Version
			}
		}
	}
	doc := map[string]any{"lang": "go", "versions": versions, "results": results,
		"seconds": int(time.Since(began).Seconds()), "reps": *reps,
		"counts": map[string]any{"1 KiB ops per repetition": smallN, "1 MiB values per repetition": mibN, "list": *listN, "delete": *deleteN}}
	must(json.NewEncoder(os.Stdout).Encode(doc))
}

func goVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.GoVersion
	}
	return "?"
}
