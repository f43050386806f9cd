package kvps

/*
#include <stdlib.h>
#include <kvps.h>
*/
import "C"

import (
	"context"
	"iter"
	"unsafe"
)

// Folder listings, reads into the caller's memory, presigned URLs (issue #15).

// ListOptions chooses what ListWith lists. The zero value lists every key.
type ListOptions struct {
	Prefix     string // keys that start with it; "" for all
	Cursor     string // from a previous Page; "" to start
	StartAfter string // only keys (and prefixes) strictly greater than it; ignored with a Cursor
	Delimiter  string // e.g. "/": keys past it fold into one common prefix; "" for none
	PageSize   int    // 0: the backend's default
}

// LevelPage is one page of a ListWith listing: its keys, and with a delimiter its common
// prefixes ("folders"), each in byte order; together they are in one byte order across pages.
type LevelPage struct {
	Entries  []Entry
	Prefixes []string
	Cursor   string // "" when the listing is complete
}

// Item is one listed item of ListLevel: a key (Entry) or, when IsPrefix, a common prefix.
type Item struct {
	Entry
	IsPrefix bool // Entry.Key is then the common prefix, e.g. "photos/2024/"
}

// ListWith lists one page as the options say. It is cancelled when ctx is done, as
// ListPageContext is.
func (s *Store) ListWith(ctx context.Context, o ListOptions) (LevelPage, error) {
	if o.PageSize < 0 {
		return LevelPage{}, invalid(StatusInvalidArgument, "list", "", "negative page size")
	}
	var opts C.kvps_list_options
	opts.version = C.KVPS_LIST_OPTIONS_VERSION
	var owned []*C.char
	defer func() {
		for _, p := range owned {
			C.free(unsafe.Pointer(p))
		}
	}()
	text := func(s string, what string, keepEmpty bool) (*C.char, error) {
		if s == "" && !keepEmpty {
			return nil, nil
		}
		p, err := cString(s, StatusInvalidArgument, "list", "", what)
		if err == nil {
			owned = append(owned, p)
		}
		return p, err
	}
	var err error
	if opts.prefix, err = text(o.Prefix, "the prefix", false); err != nil {
		return LevelPage{}, err
	}
	if opts.cursor, err = text(o.Cursor, "the cursor", false); err != nil {
		return LevelPage{}, err
	}
	if opts.start_after, err = text(o.StartAfter, "start after", false); err != nil {
		return LevelPage{}, err
	}
	if opts.delimiter, err = text(o.Delimiter, "the delimiter", false); err != nil {
		return LevelPage{}, err
	}
	opts.page_size = C.size_t(o.PageSize)
	var page LevelPage
	fill := func(cpage *C.kvps_list_page) {
		defer C.kvps_list_page_free(cpage)
		page.Entries = make([]Entry, int(C.kvps_list_page_count(cpage)))
		for i := range page.Entries {
			e := C.kvps_list_page_entry(cpage, C.size_t(i))
			page.Entries[i] = Entry{Key: C.GoString(e.key), Size: int64(e.size), ModTime: modTime(e.mtime_ns),
				ETag: C.GoString(e.etag)}
		}
		page.Prefixes = make([]string, int(C.kvps_list_page_prefix_count(cpage)))
		for i := range page.Prefixes {
			page.Prefixes[i] = C.GoString(C.kvps_list_page_prefix(cpage, C.size_t(i)))
		}
		if next := C.kvps_list_page_cursor(cpage); next != nil {
			page.Cursor = C.GoString(next)
		}
	}
	if ctx.Done() != nil { // cancelled as ListPageContext is
		err = s.runOp(ctx, "list", "", func(c *C.kvps_store, o **C.kvps_op) C.kvps_status {
			return C.kvps_list_async(c, &opts, nil, o)
		}, func(o *C.kvps_op) error {
			var cpage *C.kvps_list_page
			if err := call("list", "", func() C.kvps_status { return C.kvps_op_page(o, &cpage) }); err != nil {
				return err
			}
			fill(cpage)
			return nil
		})
	} else {
		err = s.run(func(c *C.kvps_store) error {
			var cpage *C.kvps_list_page
			if err := call("list", "", func() C.kvps_status { return C.kvps_list_with(c, &opts, &cpage) }); err != nil {
				return err
			}
			fill(cpage)
			return nil
		}, nil)
	}
	if err != nil {
		return LevelPage{}, err
	}
	return page, nil
}

// ListLevel yields the keys and common prefixes directly under prefix, split at delimiter
// (e.g. "/"), in byte order, one page at a time; a failure is yielded once, as the last pair:
//
//	for item, err := range store.ListLevel("photos/", "/") {
//		if err != nil {
//			return err
//		}
//		if item.IsPrefix {
//			fmt.Println("folder", item.Key)
//		}
//	}
func (s *Store) ListLevel(prefix, delimiter string) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		o := ListOptions{Prefix: prefix, Delimiter: delimiter}
		for {
			page, err := s.ListWith(context.Background(), o)
			if err != nil {
				yield(Item{}, err)
				return
			}
			i, j := 0, 0
			for i < len(page.Entries) || j < len(page.Prefixes) {
				var item Item
				if j == len(page.Prefixes) || (i < len(page.Entries) && page.Entries[i].Key < page.Prefixes[j]) {
					item = Item{Entry: page.Entries[i]}
					i++
				} else {
					item = Item{Entry: Entry{Key: page.Prefixes[j]}, IsPrefix: true}
					j++
				}
				if !yield(item, nil) {
					return
				}
			}
			if page.Cursor == "" {
				return
			}
			o.Cursor = page.Cursor
		}
	}
}

// GetInto copies key's value from offset into buf without an allocation by the library and
// returns the number of bytes copied. A missing key is ErrNotFound; a buf too small for the
// rest of the value is ErrInvalidArgument with nothing copied, and needed then says how many
// bytes it takes. A value that fails its checksum is ErrCorrupt.
func (s *Store) GetInto(key string, offset int64, buf []byte) (n int, needed int, err error) {
	if offset < 0 {
		return 0, 0, invalid(StatusInvalidArgument, "get into", key, "negative offset")
	}
	ckey, err := cString(key, StatusInvalidKey, "get into", key, "the key")
	if err != nil {
		return 0, 0, err
	}
	var size C.size_t
	err = s.run(func(c *C.kvps_store) error {
		var p unsafe.Pointer
		if len(buf) > 0 {
			p = unsafe.Pointer(&buf[0])
		}
		return call("get into", key, func() C.kvps_status {
			return C.kvps_get_into(c, ckey, C.uint64_t(offset), p, C.size_t(len(buf)), &size)
		})
	}, func() { C.free(unsafe.Pointer(ckey)) })
	if err != nil {
		if int(size) > len(buf) {
			return 0, int(size), err
		}
		return 0, 0, err
	}
	return int(size), int(size), nil
}

// Presign returns a URL that lets anyone holding it do method ("GET" reads, "PUT" writes) on
// key for expiresSeconds (1 to 604800) without credentials. Stores that cannot sign
// (memory://, file://) give ErrUnsupported.
func (s *Store) Presign(key, method string, expiresSeconds int64) (string, error) {
	if expiresSeconds < 1 {
		return "", invalid(StatusInvalidArgument, "presign", key, "expiresSeconds must be at least 1")
	}
	ckey, err := cString(key, StatusInvalidKey, "presign", key, "the key")
	if err != nil {
		return "", err
	}
	cmethod, err := cString(method, StatusInvalidArgument, "presign", key, "the method")
	if err != nil {
		C.free(unsafe.Pointer(ckey))
		return "", err
	}
	var url string
	err = s.run(func(c *C.kvps_store) error {
		var out *C.char
		if err := call("presign", key, func() C.kvps_status {
			return C.kvps_presign(c, ckey, cmethod, C.uint64_t(expiresSeconds), &out)
		}); err != nil {
			return err
		}
		url = C.GoString(out)
		C.kvps_free(unsafe.Pointer(out))
		return nil
	}, func() {
		C.free(unsafe.Pointer(ckey))
		C.free(unsafe.Pointer(cmethod))
	})
	return url, err
}
