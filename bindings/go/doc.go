// Package kvps is the Go binding of kvps, a blob store whose backend is chosen at run time by
// a URL: memory://, file:///path, s3://bucket/prefix?region=... It calls the C library
// (libkvps) through cgo and adds no storage logic of its own.
//
// Values are byte slices under UTF-8 keys. Whole values go through Get and Put, parts through
// GetRange and Reader.ReadAt, large values through NewReader (an io.ReadSeekCloser and
// io.ReaderAt) and NewWriter (an io.WriteCloser that commits on Close), which stream in
// constant memory where the store can (see Capabilities). List is an iter.Seq2 that pages
// with the library's cursor; PutMany, GetMany and DeleteMany work on many keys at once.
//
// # Errors
//
// A failed call returns a *Error carrying the library's Status and its message, which names
// the culprit (key, option, scheme, server error) and never a secret. Test the status with
// errors.Is and the sentinel of each status: errors.Is(err, kvps.ErrNotFound) is how a
// missing key shows. Batch calls return a *BatchError with one error per failed item.
//
// # Concurrency
//
// A *Store is safe for concurrent use. A Reader or Writer may be shared too; its calls take
// turns. Close a store only when you are done with it: Close waits for calls in flight, and
// later calls on the store return ErrClosed. Readers and writers still open keep working
// (the library keeps the store alive for them) and are closed on their own.
//
// # Contexts
//
// The ...Context variants of Get, GetRange, Put, Stat, Delete and ListPage (and List) run on
// the library's asynchronous API: when their context is done they cancel the operation
// itself (kvps_op_cancel), wait for it to stop (promptly: see kvps.h, "Cancellation"), and
// return ctx.Err(). A write stopped that way changed nothing: the old value stays. An
// operation that could no longer be stopped (it completed meanwhile) returns its own result.
// The other ...Context variants stop waiting when their context is done and return ctx.Err():
// their library call runs on a goroutine of its own, bounded by the store's own timeouts, and
// finishes in the background; Store.Close waits for it. Everything such a call reads or writes
// is C memory it owns, so the caller may reuse its buffers as soon as the call returns. With a
// context that can never be cancelled (context.Background()) every call runs directly.
//
// # Building
//
// cgo finds the library with pkg-config (#cgo pkg-config: kvps, in link_shared.go). For a library installed
// into a prefix, or built but not installed, point pkg-config and the dynamic loader at it:
//
//	export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
//	export LD_LIBRARY_PATH=$PREFIX/lib
//
// With the build tag kvps_static (go build -tags kvps_static) cgo links libkvps.a instead,
// through pkg-config's kvps-static module: the binary then runs without LD_LIBRARY_PATH and
// without libkvps.so.0 installed (its dependencies, libcurl and friends, stay shared system
// libraries). See link_static.go.
//
// See README.md for the details and the test command.
package kvps
