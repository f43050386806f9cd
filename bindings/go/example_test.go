package kvps_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	kvps "github.com/kvps/kvps/bindings/go"
)

func Example() {
	store, err := kvps.Open("memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	if err := store.Put("greeting", []byte("hello, world")); err != nil {
		log.Fatal(err)
	}
	value, err := store.Get("greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", value)

	_, err = store.Get("no such key")
	fmt.Println(errors.Is(err, kvps.ErrNotFound))
	// Output:
	// hello, world
	// true
}

func ExampleOpen() {
	// The URL picks the backend: memory://, file:///path/to/folder, s3://bucket/prefix?...
	// Options given outside the URL keep secrets out of it.
	store, err := kvps.Open("memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Println(store.URL())
	// Output: memory://
}

func ExampleWithOption() {
	// s3 credentials would go here: kvps.WithOption("secret_access_key", secret).
	// An option the backend does not declare is refused by name.
	_, err := kvps.Open("memory://", kvps.WithOption("colour", "blue"))
	var e *kvps.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, strings.Contains(e.Message, "colour"))
	}
	// Output: KVPS_INVALID_OPTION true
}

func ExampleStore_List() {
	store, err := kvps.Open("memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	for _, key := range []string{"photos/b.jpg", "notes.txt", "photos/a.jpg"} {
		if err := store.Put(key, []byte(key)); err != nil {
			log.Fatal(err)
		}
	}

	for entry, err := range store.List("photos/") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(entry.Key, entry.Size)
	}
	// Output:
	// photos/a.jpg 12
	// photos/b.jpg 12
}

func ExampleStore_NewWriter() {
	store, err := kvps.Open("memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	w, err := store.NewWriter("report.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort() // discards the value if we return before Close; a no-op after it
	if _, err := io.Copy(w, strings.NewReader("streamed in constant memory\n")); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil { // the value appears, whole, only now
		log.Fatal(err)
	}

	r, err := store.NewReader("report.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	if _, err := io.Copy(os.Stdout, r); err != nil {
		log.Fatal(err)
	}
	// Output: streamed in constant memory
}

func ExampleReader_ReadAt() {
	store, err := kvps.Open("memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if err := store.Put("alphabet", []byte("abcdefghijklmnopqrstuvwxyz")); err != nil {
		log.Fatal(err)
	}
	r, err := store.NewReader("alphabet")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	buf := make([]byte, 3)
	if _, err := r.ReadAt(buf, 23); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s of %d bytes\n", buf, r.Size())
	// Output: xyz of 26 bytes
}

func ExampleStore_GetContext() {
	store, err := kvps.Open("memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if err := store.Put("k", []byte("v")); err != nil {
		log.Fatal(err)
	}

	// The call stops waiting when the context is done; the library call itself is bounded
	// by the store's own timeouts and finishes in the background.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	value, err := store.GetContext(ctx, "k")
	fmt.Printf("%s %v\n", value, err)
	// Output: v <nil>
}

func ExampleStore_PutMany() {
	store, err := kvps.Open("memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	err = store.PutMany([]kvps.KV{{Key: "a", Value: []byte("1")}, {Key: "", Value: []byte("2")}})
	var batch *kvps.BatchError
	if errors.As(err, &batch) {
		for i, itemErr := range batch.Errs {
			fmt.Println(i, errors.Is(itemErr, kvps.ErrInvalidKey))
		}
	}
	values, _ := store.GetMany([]string{"a", "missing"})
	fmt.Println(string(values[0]), values[1] == nil) // nil: the key is missing
	// Output:
	// 0 false
	// 1 true
	// 1 true
}

func ExampleBackends() {
	for _, b := range kvps.Backends() {
		if b.Name == "memory" {
			fmt.Println(b.Name, b.Schemes[0], b.Capabilities.Has(kvps.CapList))
		}
	}
	// Output: memory memory true
}
