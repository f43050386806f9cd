package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"iter"
	"time"
	"unsafe"
)

// Entry is one listed value.
type Entry struct {
	Key     string
	Size    int64     // bytes
	ModTime time.Time // the zero Time when the backend cannot tell cheaply
	ETag    string    // "" when the backend cannot tell cheaply
}

// Page is one page of a listing.
type Page struct {
	Entries []Entry
	// Cursor names the position after this page: pass it to ListPage for the next page.
	// It is "" when the listing is complete. It is printable and may be stored.
	Cursor string
}

// ListPage lists up to pageSize keys starting with prefix ("" for all), in byte order, after
// the position cursor names ("" to start). pageSize 0 means the backend's default (1000).
// A cursor from another store or prefix is ErrInvalidArgument.
func (s *Store) ListPage(prefix, cursor string, pageSize int) (Page, error) {
	return s.ListPageContext(context.Background(), prefix, cursor, pageSize)
}

// ListPageContext is ListPage that is cancelled when ctx is done.
func (s *Store) ListPageContext(ctx context.Context, prefix, cursor string, pageSize int) (Page, error) {
	if pageSize < 0 {
		return Page{}, invalid(StatusInvalidArgument, "list", "", "negative page size")
	}
	cprefix, err := cString(prefix, StatusInvalidArgument, "list", "", "the prefix")
	if err != nil {
		return Page{}, err
	}
	ccursor, err := cString(cursor, StatusInvalidArgument, "list", "", "the cursor")
	if err != nil {
		C.free(unsafe.Pointer(cprefix))
		return Page{}, err
	}
	var page Page
	fill := func(cpage *C.kvps_list_page) {
		defer C.kvps_list_page_free(cpage)
		n := int(C.kvps_list_page_count(cpage))
		page.Entries = make([]Entry, n)
		for i := range page.Entries {
			e := C.kvps_list_page_entry(cpage, C.size_t(i))
			page.Entries[i] = Entry{
				Key:     C.GoString(e.key),
				Size:    int64(e.size),
				ModTime: modTime(e.mtime_ns),
				ETag:    C.GoString(e.etag),
			}
		}
		if next := C.kvps_list_page_cursor(cpage); next != nil {
			page.Cursor = C.GoString(next)
		}
	}
	if ctx.Done() != nil {
		defer C.free(unsafe.Pointer(cprefix))
		defer C.free(unsafe.Pointer(ccursor))
		err = s.runOp(ctx, "list", "", func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			lo := C.kvps_list_options{version: C.KVPS_LIST_OPTIONS_VERSION, prefix: cprefix,
				cursor: ccursor, page_size: C.size_t(pageSize)}
			return C.kvps_list_async(c, &lo, nil, o)
		}, func(o *C.kvps_op) error {
			var cpage *C.kvps_list_page
			if err := call("list", "", func() C.kvps_status { return C.kvps_op_page(o, &cpage) }); err != nil {
				return err
			}
			fill(cpage)
			return nil
		})
		if err != nil {
			return Page{}, err
		}
		return page, nil
	}
	err = s.run(func(c *C.kvps_store) error {
		var cpage *C.kvps_list_page
		if err := call("list", "", func() C.kvps_status {
			return C.kvps_list(c, cprefix, ccursor, C.size_t(pageSize), &cpage)
		}); err != nil {
			return err
		}
		fill(cpage)
		return nil
	}, func() {
		C.free(unsafe.Pointer(cprefix))
		C.free(unsafe.Pointer(ccursor))
	})
	if err != nil {
		return Page{}, err
	}
	return page, nil
}

// List returns every value whose key starts with prefix ("" for all), in byte order of the
// keys, fetching one page at a time. A key that exists for the whole listing is yielded
// exactly once. A failure is yielded once, as the last pair:
//
//	for e, err := range store.List("photos/") {
//		if err != nil {
//			return err
//		}
//		fmt.Println(e.Key, e.Size)
//	}
func (s *Store) List(prefix string) iter.Seq2[Entry, error] {
	return s.ListContext(context.Background(), prefix)
}

// ListContext is List that stops waiting when ctx is done, yielding ctx.Err().
func (s *Store) ListContext(ctx context.Context, prefix string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		cursor := ""
		for {
			page, err := s.ListPageContext(ctx, prefix, cursor, 0)
			if err != nil {
				yield(Entry{}, err)
				return
			}
			for _, e := range page.Entries {
				if !yield(e, nil) {
					return
				}
			}
			if page.Cursor == "" {
				return
			}
			cursor = page.Cursor
		}
	}
}
