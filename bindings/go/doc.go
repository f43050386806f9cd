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
// Every call that takes a context (the ...Context variants, and ListWith) runs on the
// library's asynchronous API when its context can be done: when the context is done first it
// cancels the operation itself (kvps_op_cancel), waits for it to stop (promptly: see kvps.h,
// "Cancellation"), and returns ctx.Err(). Nothing is left running in the background. What
// a cancelled call did is reported truthfully:
//   - A read, or a write stopped before it began or while its body was unsent (Put, PutWith,
//     Copy, Delete, and every item of a batch), returns ctx.Err(): nothing changed, the old
//     value stays whole.
//   - An operation that could no longer be stopped (it completed meanwhile, or a request that
//     changes something without a body was already sent and ran to its answer) returns its
//     own result, success included.
//   - A batch call (PutMany, GetMany, DeleteMany) stopped after some items completed returns a
//     *BatchError: the completed items carry their own results, each cancelled item an error
//     for which errors.Is holds with both ErrCancelled and ctx.Err().
//   - A Rename cancelled while it ran, where a rename is a copy and then a delete (s3://), may
//     have made the copy: its error matches both ctx.Err() and ErrOutcomeUnknown (see
//     RenameContext).
//
// Streams are bound to a context by NewReaderContext and NewWriterContext (see there).
// OpenContext stops waiting when its context is done (the library has no asynchronous open):
// the open finishes in the background, and a store it opens is closed there. With a context
// that can never be done (context.Background()) every call runs directly, blocking.
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
